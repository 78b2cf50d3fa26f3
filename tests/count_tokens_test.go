package tests

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// TestCountTokens asks POST /v1/messages/count_tokens with the Anthropic SDK:
// the count equals what an OpenAI-billing upstream then bills for the same
// prompt, and no upstream is called for the count.
func TestCountTokens(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGateway(t, billingConfig(up, ""))
	client := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("sk-ant-client"), aoption.WithMaxRetries(0))
	ctx := context.Background()
	system := []anthropic.TextBlockParam{{Text: "You answer in lists."}}
	messages := []anthropic.MessageParam{
		anthropic.NewUserMessage(anthropic.NewTextBlock("Name three rivers.")),
		anthropic.NewAssistantMessage(anthropic.NewTextBlock("Nile, Amazon, Yangtze.")),
		anthropic.NewUserMessage(anthropic.NewTextBlock("And three mountains?")),
	}
	count, err := client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{
		Model: "bill-3", System: anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: system}, Messages: messages,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Requests()) != 0 {
		t.Fatal("counting called the upstream")
	}
	if _, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: "bill-3", MaxTokens: 20, System: system, Messages: messages}); err != nil {
		t.Fatal(err)
	}
	if billed := up.Billed().InputTokens; int64(billed) != count.InputTokens || billed == 0 {
		t.Errorf("count_tokens said %d, the upstream billed %d", count.InputTokens, billed)
	}

	_, err = client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: "no-such-model", Messages: messages})
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("unknown model: %v", err)
	}
	resp, body := post(t, g, "/v1/messages/count_tokens", "", `{"model":"bill-3","messages":[]}`)
	if resp.StatusCode != 400 || errorCode(body) != "invalid_request_error" {
		t.Errorf("empty messages: %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, g, "/v1/messages/count_tokens", "", fmt.Sprintf(`{"model":"bill-3","messages":[{"role":"user","content":%q}]}`, "hi"))
	if resp.StatusCode != 200 || string(body) == "" {
		t.Errorf("raw call: %d %s", resp.StatusCode, body)
	}
}
