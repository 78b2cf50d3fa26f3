package tests

import (
	"context"
	"encoding/json"
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

// TestBedrockThroughTheBinary drives a `type bedrock` provider (SigV4
// signed, and with a Bedrock API key) with both official SDKs against the
// fake Bedrock runtime.
func TestBedrockThroughTheBinary(t *testing.T) {
	up := fakeupstream.NewBedrock()
	defer up.Close()
	g := startGateway(t, indent(fmt.Sprintf(`provider aws {
	type bedrock
	base_url %[1]s
	region %[2]s
	access_key_id %[3]s
	secret_access_key %[4]s
	session_token bedrock-session-token
	timeout 10s
}
provider awskey {
	type bedrock
	base_url %[1]s
	api_key %[5]s
}
model claude-bedrock {
	target aws/anthropic.claude-3-5-sonnet-20240620-v1:0
}
model bedrock-tools {
	target aws/us.anthropic.claude-parallel-v1:0
}
model bedrock-cache {
	target aws/anthropic.claude-cache-reasoning-v1:0
}
model bedrock-throttled {
	target aws/anthropic.claude-status-429-v1:0
}
model bedrock-broken-stream {
	target aws/anthropic.claude-exception-v1:0
}
model bedrock-key {
	target awskey/amazon.nova-pro-v1:0
}`, up.URL, up.Region, up.AccessKeyID, up.SecretAccessKey, up.APIKey)))
	rec := &clientRecorder{}
	httpClient := &http.Client{Transport: rec, Timeout: 30 * time.Second}
	oc := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0), option.WithHTTPClient(httpClient))
	ac := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("sk-ant-client"), aoption.WithMaxRetries(0), aoption.WithHTTPClient(httpClient))
	ctx := context.Background()

	// billedBy runs f and returns what the fake reported meanwhile.
	billedBy := func(f func()) fakeupstream.Billing {
		before := up.Billed()
		f()
		after := up.Billed()
		return fakeupstream.Billing{Calls: after.Calls - before.Calls, InputTokens: after.InputTokens - before.InputTokens, OutputTokens: after.OutputTokens - before.OutputTokens}
	}

	t.Run("OpenAI SDK, whole answer, usage as reported", func(t *testing.T) {
		var resp *openai.ChatCompletion
		billed := billedBy(func() {
			var err error
			resp, err = oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model:    "claude-bedrock",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Say hello to me.")},
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		if resp.Choices[0].Message.Content != fakeupstream.BedrockAnswer || resp.Choices[0].FinishReason != "stop" {
			t.Errorf("answer %+v", resp.Choices[0])
		}
		if resp.Usage.PromptTokens != int64(billed.InputTokens) || resp.Usage.CompletionTokens != int64(billed.OutputTokens) || billed.Calls != 1 {
			t.Errorf("usage %+v, billed %+v", resp.Usage, billed)
		}
		last := up.Last()
		if last.Auth != "sigv4" || last.ModelID != "anthropic.claude-3-5-sonnet-20240620-v1:0" || last.Header.Get("X-Amz-Security-Token") != "bedrock-session-token" {
			t.Errorf("upstream got %+v", last)
		}
		if gjson.GetBytes(last.Body, "system.0.text").String() != "Be brief." || gjson.GetBytes(last.Body, "messages.0.content.0.text").String() != "Say hello to me." {
			t.Errorf("converse body %s", last.Body)
		}
	})

	t.Run("OpenAI SDK, stream with usage, cache and reasoning", func(t *testing.T) {
		var acc openai.ChatCompletionAccumulator
		billed := billedBy(func() {
			stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
				Model:         "bedrock-cache",
				Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello.")},
				StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
			})
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
		})
		if acc.Choices[0].Message.Content != fakeupstream.BedrockAnswer || acc.Choices[0].FinishReason != "stop" {
			t.Errorf("accumulated %+v", acc.Choices[0])
		}
		if acc.Usage.PromptTokens != int64(billed.InputTokens) || acc.Usage.CompletionTokens != int64(billed.OutputTokens) ||
			acc.Usage.PromptTokensDetails.CachedTokens != 100 || !up.Last().Stream {
			t.Errorf("usage %+v, billed %+v", acc.Usage, billed)
		}
	})

	t.Run("OpenAI SDK, parallel tool calls round trip", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{
			Model:    "bedrock-tools",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris and Tokyo?")},
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name:       "get_weather",
				Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
			})},
		}
		first, err := oc.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		calls := first.Choices[0].Message.ToolCalls
		if len(calls) != 2 || first.Choices[0].FinishReason != "tool_calls" || calls[0].Function.Arguments != `{"city":"Paris"}` || calls[1].Function.Arguments != `{"city":"Tokyo"}` {
			t.Fatalf("tool calls %+v", first.Choices[0])
		}
		params.Messages = append(params.Messages, first.Choices[0].Message.ToParam(),
			openai.ToolMessage("18C and cloudy", calls[0].ID), openai.ToolMessage("24C and sunny", calls[1].ID))
		second, err := oc.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if got := second.Choices[0].Message.Content; got != "The tools said: 18C and cloudy; 24C and sunny" {
			t.Errorf("final answer %q", got)
		}
		msgs := gjson.GetBytes(up.Last().Body, "messages")
		if len(msgs.Array()) != 3 || msgs.Get("2.role").String() != "user" || msgs.Get("2.content.#").Int() != 2 ||
			msgs.Get("2.content.1.toolResult.toolUseId").String() != calls[1].ID {
			t.Errorf("converse messages %s", msgs.Raw)
		}
	})

	t.Run("Anthropic SDK, whole and streamed, with a tool round trip", func(t *testing.T) {
		var msg *anthropic.Message
		billed := billedBy(func() {
			var err error
			msg, err = ac.Messages.New(ctx, anthropic.MessageNewParams{
				Model: "claude-bedrock", MaxTokens: 256, System: []anthropic.TextBlockParam{{Text: "Be brief."}},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello."))},
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		if len(msg.Content) != 1 || msg.Content[0].Text != fakeupstream.BedrockAnswer || msg.StopReason != "end_turn" ||
			msg.Usage.InputTokens != int64(billed.InputTokens) || msg.Usage.OutputTokens != int64(billed.OutputTokens) {
			t.Errorf("message %+v, billed %+v", msg, billed)
		}
		if gjson.GetBytes(up.Last().Body, "inferenceConfig.maxTokens").Int() != 256 {
			t.Errorf("converse body %s", up.Last().Body)
		}

		params := anthropic.MessageNewParams{
			Model: "bedrock-tools", MaxTokens: 256,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))},
			Tools: []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
				Properties: map[string]any{"city": map[string]any{"type": "string"}}, Required: []string{"city"},
			}, "get_weather")},
		}
		stream := ac.Messages.NewStreaming(ctx, params)
		var streamed anthropic.Message
		for stream.Next() {
			if err := streamed.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if streamed.StopReason != "tool_use" || len(streamed.Content) != 2 || streamed.Content[0].Type != "tool_use" || streamed.Content[0].Name != "get_weather" {
			t.Fatalf("streamed %+v", streamed)
		}
		var input map[string]string
		if err := json.Unmarshal(streamed.Content[0].Input, &input); err != nil || input["city"] != "Paris" {
			t.Errorf("tool input %s: %v", streamed.Content[0].Input, err)
		}
		params.Messages = append(params.Messages, streamed.ToParam(), anthropic.NewUserMessage(
			anthropic.NewToolResultBlock(streamed.Content[0].ID, "18C and cloudy", false),
			anthropic.NewToolResultBlock(streamed.Content[1].ID, "24C and sunny", false)))
		final, err := ac.Messages.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if len(final.Content) != 1 || final.Content[0].Text != "The tools said: 18C and cloudy; 24C and sunny" {
			t.Errorf("final %+v", final)
		}
	})

	t.Run("errors in each client's shape", func(t *testing.T) {
		_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "bedrock-throttled", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		var oerr *openai.Error
		if !errors.As(err, &oerr) || oerr.StatusCode != 429 || oerr.Code != "throttling_exception" || oerr.Message != "fake bedrock says 429" {
			t.Errorf("OpenAI SDK: %v", err)
		}
		_, err = ac.Messages.New(ctx, anthropic.MessageNewParams{Model: "bedrock-throttled", MaxTokens: 10, Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
		var aerr *anthropic.Error
		if !errors.As(err, &aerr) || aerr.StatusCode != 429 || gjson.Get(aerr.RawJSON(), "error.type").String() != "rate_limit_error" {
			t.Errorf("Anthropic SDK: %v", err)
		}
		_, err = oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "claude-bedrock", Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/cat.png"})}),
		}})
		if !errors.As(err, &oerr) || oerr.StatusCode != 400 || oerr.Param != "messages[0].content[0].image_url.url" {
			t.Errorf("image URL: %v", err)
		}

		stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "bedrock-broken-stream", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		chunks := 0
		for stream.Next() {
			chunks++
		}
		if err := stream.Err(); chunks == 0 || err == nil || !strings.Contains(err.Error(), "modelStreamErrorException") {
			t.Errorf("broken stream: %d chunks, %v", chunks, err)
		}
	})

	t.Run("Bedrock API key as bearer token", func(t *testing.T) {
		resp, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "bedrock-key", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != fakeupstream.BedrockAnswer || up.Last().Auth != "bearer" || up.Last().ModelID != "amazon.nova-pro-v1:0" {
			t.Errorf("answer %q, upstream %+v", resp.Choices[0].Message.Content, up.Last())
		}
	})

	t.Run("credentials never reach a client or the log", func(t *testing.T) {
		seen, logs := rec.String(), g.logs.String()
		for _, secret := range []string{up.SecretAccessKey, up.APIKey, "bedrock-session-token", "AWS4-HMAC-SHA256"} {
			if strings.Contains(seen, secret) || strings.Contains(logs, secret) {
				t.Errorf("%q leaked (client %v, log %v)", secret, strings.Contains(seen, secret), strings.Contains(logs, secret))
			}
		}
		if !strings.Contains(seen, fakeupstream.BedrockAnswer) {
			t.Error("the recorder saw no answers")
		}
	})
}
