package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// TestAzureProvider sends calls to an Azure OpenAI deployment: the
// deployment URL with api-version, the key in api-key, the answer passed
// through (whole and streamed, usage included), for both SDKs.
func TestAzureProvider(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	const azureKey = "az-4b1e0c7d9f2a"
	g := startGateway(t, indent(fmt.Sprintf(`provider azure {
	type azure
	base_url %s
	api_key %s
	api_version 2025-01-01-preview
}
model gpt-4o {
	target azure/fixture
}`, up.URL, azureKey)))
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0))
	params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	c, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	_, usage := fixtureAnswer(t)
	if c.Usage.PromptTokens != usage.PromptTokens || len(c.Choices) == 0 {
		t.Errorf("answer %+v", c)
	}
	last := up.Last()
	if last.URL != "/openai/deployments/fixture/chat/completions?api-version=2025-01-01-preview" {
		t.Errorf("URL %s", last.URL)
	}
	if last.Header.Get("Api-Key") != azureKey || last.Header.Get("Authorization") != "" {
		t.Errorf("headers %v", last.Header)
	}
	s := client.Chat.Completions.NewStreaming(context.Background(), params)
	n := 0
	for s.Next() {
		n++
	}
	if s.Err() != nil || n < 2 {
		t.Errorf("stream: %d chunks, %v", n, s.Err())
	}
	// The Anthropic SDK reaches the same deployment (translated).
	ac := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("sk-ant-client"), aoption.WithMaxRetries(0))
	msg, err := ac.Messages.New(context.Background(), anthropic.MessageNewParams{Model: "gpt-4o", MaxTokens: 50,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
	if err != nil || len(msg.Content) == 0 || msg.Usage.OutputTokens != usage.CompletionTokens {
		t.Errorf("anthropic SDK: %v %+v", err, msg)
	}
	if !strings.HasPrefix(up.Last().URL, "/openai/deployments/fixture/chat/completions") {
		t.Errorf("URL %s", up.Last().URL)
	}
	g.stop()
	if strings.Contains(g.logs.String(), azureKey) {
		t.Error("the Azure key shows up in the gateway's output")
	}
}
