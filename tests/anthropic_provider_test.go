package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/tidwall/gjson"

	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// anthropicWrongKey is the key of a provider the fake refuses; the fake's
// 401 quotes it, so it must not reach a client either.
const anthropicWrongKey = "sk-ant-api03-wrong-key-9876543210"

// TestAnthropicProvider drives a `type anthropic` provider through the
// real binary with both official SDKs against the fake Messages API: whole
// answers, streams, a tool round trip, usage equal to what the fake
// reported, upstream errors in each client's shape, and no upstream key in
// anything a client or the log sees.
func TestAnthropicProvider(t *testing.T) {
	up := fakeupstream.NewAnthropic()
	defer up.Close()
	g := startGateway(t, indent(fmt.Sprintf(`provider claude {
	type anthropic
	base_url %[1]s
	api_key %[2]s
	timeout 10s
}
provider claude_v1 {
	type anthropic
	base_url %[1]s/v1
	api_key %[2]s
}
provider claude_badkey {
	type anthropic
	base_url %[1]s
	api_key %[3]s
}
model claude-chat {
	target claude/fixture
}
model claude-cached {
	target claude_v1/cached
}
model claude-429 {
	target claude/status-429
}
model claude-529 {
	target claude/status-529
}
model claude-cut {
	target claude/cut
}
model claude-thinking {
	target claude/thinking
}
model claude-badkey {
	target claude_badkey/fixture
}`, up.URL, fakeupstream.AnthropicKey, anthropicWrongKey)))

	seen := &clientRecorder{}
	httpClient := &http.Client{Transport: seen, Timeout: 20 * time.Second}
	oc := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0), option.WithHTTPClient(httpClient))
	ac := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("sk-ant-client"), aoption.WithMaxRetries(0), aoption.WithHTTPClient(httpClient))
	ctx := context.Background()
	weatherTool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:       "get_weather",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
	})

	t.Run("OpenAI SDK: whole answer, usage as billed", func(t *testing.T) {
		before := up.Billed()
		resp, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:    "claude-chat",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello")},
		})
		if err != nil {
			t.Fatal(err)
		}
		billed := up.Billed()
		if resp.Choices[0].Message.Content != fakeupstream.AnthropicAnswer || resp.Choices[0].FinishReason != "stop" {
			t.Errorf("answer %+v", resp.Choices[0])
		}
		if resp.Usage.PromptTokens != int64(billed.InputTokens-before.InputTokens) || resp.Usage.CompletionTokens != int64(billed.OutputTokens-before.OutputTokens) ||
			resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
			t.Errorf("usage %+v, billed %+v then %+v", resp.Usage, before, billed)
		}
		last := up.Last()
		if last.Header.Get("x-api-key") != fakeupstream.AnthropicKey || last.Header.Get("anthropic-version") != "2023-06-01" {
			t.Errorf("upstream headers %v", last.Header)
		}
		body := gjson.ParseBytes(last.Body)
		if body.Get("model").Str != "fixture" || body.Get("system").Str != "Be brief." || body.Get("max_tokens").Int() != 4096 ||
			body.Get("messages.0.content.0.text").Str != "Hello" {
			t.Errorf("upstream got %s", last.Body)
		}
	})

	t.Run("OpenAI SDK: stream with cached tokens", func(t *testing.T) {
		before := up.Billed()
		stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model:         "claude-cached",
			Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello")},
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
		})
		var acc openai.ChatCompletionAccumulator
		chunksSeen := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			chunksSeen++
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		billed := up.Billed()
		in := billed.InputTokens - before.InputTokens + billed.CacheReadTokens - before.CacheReadTokens + billed.CacheWriteTokens - before.CacheWriteTokens
		if acc.Choices[0].Message.Content != fakeupstream.AnthropicAnswer || chunksSeen < 5 {
			t.Errorf("accumulated %q in %d chunks", acc.Choices[0].Message.Content, chunksSeen)
		}
		if acc.Usage.PromptTokens != int64(in) || acc.Usage.PromptTokensDetails.CachedTokens != 2048 ||
			acc.Usage.CompletionTokens != int64(billed.OutputTokens-before.OutputTokens) {
			t.Errorf("usage %+v, billed %+v then %+v", acc.Usage, before, billed)
		}
	})

	t.Run("OpenAI SDK: tool round trip", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{
			Model:    "claude-chat",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")},
			Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
		}
		first, err := oc.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		calls := first.Choices[0].Message.ToolCalls
		if first.Choices[0].FinishReason != "tool_calls" || len(calls) != 1 || calls[0].Function.Name != "get_weather" ||
			calls[0].Function.Arguments != `{"city":"Paris"}` {
			t.Fatalf("first turn %+v", first.Choices[0])
		}
		params.Messages = append(params.Messages, first.Choices[0].Message.ToParam(), openai.ToolMessage("18 degrees and sunny", calls[0].ID))
		stream := oc.Chat.Completions.NewStreaming(ctx, params)
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if got := acc.Choices[0].Message.Content; got != "The tool said: 18 degrees and sunny" {
			t.Errorf("second turn %q", got)
		}
		sent := gjson.ParseBytes(up.Last().Body)
		if sent.Get("messages.1.content.1.type").Str != "tool_use" || sent.Get("messages.2.content.0.type").Str != "tool_result" ||
			sent.Get("messages.2.content.0.tool_use_id").Str != calls[0].ID || sent.Get("tools.0.input_schema.required.0").Str != "city" {
			t.Errorf("upstream got %s", up.Last().Body)
		}
	})

	t.Run("OpenAI SDK: reasoning_effort turns thinking on; its text streams as reasoning_content", func(t *testing.T) {
		stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model:           "claude-thinking",
			Messages:        []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello")},
			ReasoningEffort: shared.ReasoningEffortLow,
			Temperature:     openai.Float(0.5),
		})
		var acc openai.ChatCompletionAccumulator
		reasoning := ""
		for stream.Next() {
			acc.AddChunk(stream.Current())
			reasoning += gjson.Get(stream.Current().RawJSON(), "choices.0.delta.reasoning_content").Str
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if acc.Choices[0].Message.Content != fakeupstream.AnthropicAnswer || reasoning == "" || strings.Contains(acc.Choices[0].Message.Content, reasoning) {
			t.Errorf("content %q, reasoning %q", acc.Choices[0].Message.Content, reasoning)
		}
		sent := gjson.ParseBytes(up.Last().Body)
		if sent.Get("thinking.type").Str != "enabled" || sent.Get("thinking.budget_tokens").Int() != 2048 ||
			sent.Get("max_tokens").Int() != 4096+2048 || sent.Get("temperature").Exists() {
			t.Errorf("upstream got %s", up.Last().Body)
		}
	})

	aParams := func(model, text string) anthropic.MessageNewParams {
		return anthropic.MessageNewParams{
			Model:     anthropic.Model(model),
			MaxTokens: 300,
			System:    []anthropic.TextBlockParam{{Text: "Be brief."}},
			Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
		}
	}

	t.Run("Anthropic SDK: whole answer and stream, usage as billed", func(t *testing.T) {
		before := up.Billed()
		msg, err := ac.Messages.New(ctx, aParams("claude-chat", "Hello"))
		if err != nil {
			t.Fatal(err)
		}
		billed := up.Billed()
		if len(msg.Content) != 1 || msg.Content[0].Text != fakeupstream.AnthropicAnswer || msg.StopReason != "end_turn" {
			t.Errorf("message %+v", msg)
		}
		if msg.Usage.InputTokens != int64(billed.InputTokens-before.InputTokens) || msg.Usage.OutputTokens != int64(billed.OutputTokens-before.OutputTokens) {
			t.Errorf("usage %+v, billed %+v then %+v", msg.Usage, before, billed)
		}
		if got := gjson.GetBytes(up.Last().Body, "max_tokens").Int(); got != 300 {
			t.Errorf("max_tokens %d reached the upstream", got)
		}

		before = billed
		stream := ac.Messages.NewStreaming(ctx, aParams("claude-cached", "Hello"))
		var acc anthropic.Message
		for stream.Next() {
			if err := acc.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		billed = up.Billed()
		if len(acc.Content) != 1 || acc.Content[0].Text != fakeupstream.AnthropicAnswer || acc.StopReason != "end_turn" {
			t.Errorf("accumulated %+v", acc)
		}
		if acc.Usage.CacheReadInputTokens != 2048 || acc.Usage.OutputTokens != int64(billed.OutputTokens-before.OutputTokens) ||
			acc.Usage.InputTokens+acc.Usage.CacheReadInputTokens+acc.Usage.CacheCreationInputTokens !=
				int64(billed.InputTokens-before.InputTokens+billed.CacheReadTokens-before.CacheReadTokens+billed.CacheWriteTokens-before.CacheWriteTokens) {
			t.Errorf("usage %+v, billed %+v then %+v", acc.Usage, before, billed)
		}
	})

	t.Run("Anthropic SDK: a thinking model's stream", func(t *testing.T) {
		stream := ac.Messages.NewStreaming(ctx, aParams("claude-thinking", "Hello"))
		var acc anthropic.Message
		for stream.Next() {
			if err := acc.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		// Anthropic client, anthropic upstream: passed through, so the
		// thinking block reaches the client as the upstream sent it.
		if len(acc.Content) != 2 || acc.Content[0].Type != "thinking" || acc.Content[0].Thinking == "" ||
			acc.Content[1].Text != fakeupstream.AnthropicAnswer {
			t.Errorf("accumulated %+v", acc)
		}
	})

	t.Run("Anthropic SDK: tool round trip", func(t *testing.T) {
		p := aParams("claude-chat", "What is the weather in Paris?")
		p.Tools = []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"city": map[string]any{"type": "string"}},
			Required:   []string{"city"},
		}, "get_weather")}
		first, err := ac.Messages.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var use *anthropic.ContentBlockUnion
		for i := range first.Content {
			if first.Content[i].Type == "tool_use" {
				use = &first.Content[i]
			}
		}
		if use == nil || first.StopReason != "tool_use" || use.Name != "get_weather" || string(use.Input) != `{"city":"Paris"}` {
			t.Fatalf("first turn %+v", first)
		}
		p.Messages = append(p.Messages, first.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "18 degrees and sunny", false)))
		stream := ac.Messages.NewStreaming(ctx, p)
		var acc anthropic.Message
		for stream.Next() {
			if err := acc.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(acc.Content) != 1 || acc.Content[0].Text != "The tool said: 18 degrees and sunny" {
			t.Errorf("second turn %+v", acc)
		}
	})

	t.Run("upstream errors in each client's shape", func(t *testing.T) {
		// Anthropic clients of an anthropic upstream are passed through,
		// so they see Anthropic's own 529 (overloaded_error); OpenAI
		// clients get it as a 503.
		for _, c := range []struct {
			model, code, anthropicType string
			status, anthropicStatus    int
		}{
			{"claude-429", "rate_limit_exceeded", "rate_limit_error", 429, 429},
			{"claude-529", "overloaded", "overloaded_error", 503, 529},
		} {
			_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model: shared.ChatModel(c.model), Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
			})
			var oe *openai.Error
			if !errors.As(err, &oe) || oe.StatusCode != c.status || oe.Code != c.code || !strings.Contains(oe.Message, "fake upstream says") {
				t.Errorf("%s, OpenAI SDK: %v", c.model, err)
			} else if oe.Response.Header.Get("Retry-After") != "7" {
				t.Errorf("%s: Retry-After %q", c.model, oe.Response.Header.Get("Retry-After"))
			}
			_, err = ac.Messages.New(ctx, aParams(c.model, "hi"))
			var ae *anthropic.Error
			if !errors.As(err, &ae) || ae.StatusCode != c.anthropicStatus || gjson.Get(ae.RawJSON(), "error.type").Str != c.anthropicType ||
				!strings.Contains(gjson.Get(ae.RawJSON(), "error.message").Str, "fake upstream says") {
				t.Errorf("%s, Anthropic SDK: %v", c.model, err)
			}
		}
		// A refused key is the gateway's problem, not the client's: 502.
		_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "claude-badkey", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.StatusCode != 502 || !strings.Contains(oe.Message, "claude_badkey") {
			t.Errorf("bad key: %v", err)
		}
	})

	t.Run("a stream cut mid-way ends with an error", func(t *testing.T) {
		stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model: "claude-cut", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		got := ""
		for stream.Next() {
			if len(stream.Current().Choices) > 0 {
				got += stream.Current().Choices[0].Delta.Content
			}
		}
		if stream.Err() == nil || got != "Hello" {
			t.Errorf("got %q, err %v", got, stream.Err())
		}
	})

	t.Run("the upstream keys never reach a client or the log", func(t *testing.T) {
		all := seen.String() + g.logs.String()
		for _, key := range []string{fakeupstream.AnthropicKey, anthropicWrongKey, "sk-ant-api03"} {
			if strings.Contains(all, key) {
				t.Errorf("%q leaked", key)
			}
		}
		if !strings.Contains(seen.String(), fakeupstream.AnthropicAnswer) {
			t.Error("the recorder saw no answers")
		}
		badKeySent := false
		for _, r := range up.Requests() {
			badKeySent = badKeySent || r.Header.Get("x-api-key") == anthropicWrongKey
		}
		if !badKeySent {
			t.Error("the bad key's call never reached the fake, so its refusal was not tested")
		}
	})
}
