package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// TestAnthropicSDKThroughTheBinary drives POST /v1/messages with the
// official Anthropic SDK: the gateway translates to the OpenAI-shaped
// upstream and back, whole and streamed, tool use and errors included.
func TestAnthropicSDKThroughTheBinary(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGateway(t, indent(fmt.Sprintf(`provider up {
	type openai
	base_url %s/v1
}
provider mock {
	type mock
	chunks 4
}
model claude-via-openai {
	target up/fixture
}
model broken {
	target up/status-429
}
model mock-* {
	target mock/{model}
}`, up.URL)))
	client := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("sk-ant-client"), aoption.WithMaxRetries(0))
	ctx := context.Background()
	params := func(model, text string) anthropic.MessageNewParams {
		return anthropic.MessageNewParams{
			Model:     anthropic.Model(model),
			MaxTokens: 256,
			System:    []anthropic.TextBlockParam{{Text: "Be brief."}},
			Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
		}
	}

	t.Run("whole answer and usage", func(t *testing.T) {
		msg, err := client.Messages.New(ctx, params("claude-via-openai", "Describe the image."))
		if err != nil {
			t.Fatal(err)
		}
		content, usage := fixtureAnswer(t)
		if len(msg.Content) != 1 || msg.Content[0].Text != content || msg.Role != "assistant" || msg.StopReason != "end_turn" || msg.Model != "claude-via-openai" {
			t.Errorf("message %+v", msg)
		}
		if msg.Usage.InputTokens != usage.PromptTokens-1024 || msg.Usage.CacheReadInputTokens != 1024 || msg.Usage.OutputTokens != usage.CompletionTokens {
			t.Errorf("usage %+v", msg.Usage)
		}
		var sent struct {
			Model     string
			MaxTokens int `json:"max_tokens"`
			Messages  []struct{ Role, Content string }
		}
		_ = json.Unmarshal(up.Last().Body, &sent)
		if sent.Model != "fixture" || sent.MaxTokens != 256 || len(sent.Messages) != 2 || sent.Messages[0].Role != "system" || sent.Messages[0].Content != "Be brief." {
			t.Errorf("upstream got %s", up.Last().Body)
		}
	})

	t.Run("streamed answer and usage", func(t *testing.T) {
		stream := client.Messages.NewStreaming(ctx, params("claude-via-openai", "Say hello."))
		var msg anthropic.Message
		for stream.Next() {
			if err := msg.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 1 || msg.Content[0].Text != "Hello there, how can I help?" || msg.StopReason != "end_turn" || msg.Usage.OutputTokens != 7 {
			t.Errorf("accumulated %+v", msg)
		}
	})

	t.Run("tool use from the mock, streamed", func(t *testing.T) {
		p := params("mock-1", "What is the weather in Paris?")
		p.Tools = []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"city": map[string]any{"type": "string"}},
			Required:   []string{"city"},
		}, "get_weather")}
		stream := client.Messages.NewStreaming(ctx, p)
		var msg anthropic.Message
		for stream.Next() {
			if err := msg.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" || msg.Content[0].Name != "get_weather" || msg.StopReason != "tool_use" {
			t.Fatalf("accumulated %+v", msg)
		}
		var input map[string]string
		if err := json.Unmarshal(msg.Content[0].Input, &input); err != nil || !strings.Contains(input["city"], "Paris") {
			t.Errorf("tool input %s: %v", msg.Content[0].Input, err)
		}
	})

	t.Run("errors in Anthropic's shape", func(t *testing.T) {
		for _, c := range []struct {
			model, typ string
			status     int
		}{
			{"no-such-model", "not_found_error", 404},
			{"broken", "rate_limit_error", 429},
		} {
			_, err := client.Messages.New(ctx, params(c.model, "hi"))
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != c.status {
				t.Fatalf("%s: %v", c.model, err)
			}
			var body struct {
				Type  string
				Error struct{ Type, Message string }
			}
			if json.Unmarshal([]byte(apiErr.RawJSON()), &body); body.Type != "error" || body.Error.Type != c.typ || body.Error.Message == "" {
				t.Errorf("%s: body %s", c.model, apiErr.RawJSON())
			}
		}
		// Without max_tokens (required by Anthropic's API): 400 in its shape.
		resp, err := http.Post(g.URL+"/v1/messages", "application/json",
			strings.NewReader(`{"model":"claude-via-openai","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"type":"error"`) || !strings.Contains(string(b), "max_tokens") {
			t.Errorf("no max_tokens: %d %s", resp.StatusCode, b)
		}
	})
}
