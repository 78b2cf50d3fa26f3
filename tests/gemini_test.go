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

// geminiWrongKey is the key of a provider the Gemini fake refuses; the
// fake's error quotes it (as Google's DebugInfo does), so it must not reach
// a client or the log either.
const geminiWrongKey = "AIzaSy-wrong-gemini-key-9876543210"

// TestGeminiProvider drives a `type gemini` provider through the real
// binary with both official SDKs against the fake Gemini API: whole answers,
// streams, tool round trips (signed calls, parallel calls), usage equal to
// what the fake reported, upstream errors in each client's shape, and no
// upstream key in anything a client or the log sees.
func TestGeminiProvider(t *testing.T) {
	up := fakeupstream.NewGemini()
	defer up.Close()
	var models strings.Builder
	for _, m := range []string{"fixture", "tools", "parallel-tools", "status-429", "status-400", "blocked", "cut", "error-mid", "hang"} {
		fmt.Fprintf(&models, "model gemini-%s {\n\ttarget gem/%s\n}\n", m, m)
	}
	g := startGateway(t, indent(fmt.Sprintf(`provider gem {
	type gemini
	base_url %[1]s
	api_key %[2]s
	timeout 10s
}
provider gem_badkey {
	type gemini
	base_url %[1]s/v1beta
	api_key %[3]s
}
model gemini-badkey {
	target gem_badkey/fixture
}
%[4]s`, up.URL, fakeupstream.GeminiKey, geminiWrongKey, models.String())))

	seen := &clientRecorder{}
	httpClient := &http.Client{Transport: seen, Timeout: 20 * time.Second}
	oc := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0), option.WithHTTPClient(httpClient))
	ac := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("sk-ant-client"), aoption.WithMaxRetries(0), aoption.WithHTTPClient(httpClient))
	ctx := context.Background()
	const answer = "Gemini says hello through the gateway."
	chat := func(model string, msgs ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionNewParams {
		return openai.ChatCompletionNewParams{Model: shared.ChatModel(model), Messages: msgs}
	}
	streamChat := func(t *testing.T, p openai.ChatCompletionNewParams) (openai.ChatCompletionAccumulator, int) {
		t.Helper()
		stream := oc.Chat.Completions.NewStreaming(ctx, p)
		var acc openai.ChatCompletionAccumulator
		usageChunks := 0
		for stream.Next() {
			if len(stream.Current().Choices) == 0 {
				usageChunks++
			}
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		return acc, usageChunks
	}
	weatherTool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "get_weather",
		Parameters: shared.FunctionParameters{"type": "object", "additionalProperties": false,
			"properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
	})
	timeTool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:       "get_time",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"zone": map[string]any{"type": "string"}}, "required": []string{"zone"}},
	})

	t.Run("OpenAI SDK: whole answer, usage as billed, the request Gemini got", func(t *testing.T) {
		before := up.Billed()
		resp, err := oc.Chat.Completions.New(ctx, chat("gemini-fixture", openai.SystemMessage("Be brief."), openai.UserMessage("Say hello.")))
		if err != nil {
			t.Fatal(err)
		}
		billed := up.Billed()
		if len(resp.Choices) != 1 || resp.Choices[0].Message.Content != answer || resp.Choices[0].FinishReason != "stop" || resp.Model != "fake-gemini" {
			t.Errorf("answer %+v", resp)
		}
		u := resp.Usage
		if u.PromptTokens != int64(billed.InputTokens-before.InputTokens) || u.CompletionTokens != int64(billed.OutputTokens-before.OutputTokens) ||
			u.PromptTokensDetails.CachedTokens != int64(billed.CachedTokens-before.CachedTokens) || u.CompletionTokensDetails.ReasoningTokens != 5 ||
			u.TotalTokens != u.PromptTokens+u.CompletionTokens || u.PromptTokensDetails.CachedTokens == 0 {
			t.Errorf("usage %+v, billed %+v then %+v", u, before, billed)
		}
		last := up.Last()
		if last.Model != "fixture" || last.Method != "generateContent" || last.Header.Get("x-goog-api-key") != fakeupstream.GeminiKey || strings.Contains(last.Query, "key") {
			t.Errorf("upstream request %s:%s ?%s %v", last.Model, last.Method, last.Query, last.Header)
		}
		if gjson.GetBytes(last.Body, "systemInstruction.parts.0.text").Str != "Be brief." || gjson.GetBytes(last.Body, "contents.0.role").Str != "user" {
			t.Errorf("upstream body %s", last.Body)
		}
	})

	t.Run("OpenAI SDK: streamed answer, usage chunk only when asked", func(t *testing.T) {
		before := up.Billed()
		p := chat("gemini-fixture", openai.UserMessage("Say hello."))
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		acc, usageChunks := streamChat(t, p)
		billed := up.Billed()
		if acc.Choices[0].Message.Content != answer || acc.Choices[0].FinishReason != "stop" || usageChunks != 1 {
			t.Errorf("accumulated %+v (%d usage chunks)", acc.ChatCompletion, usageChunks)
		}
		if acc.Usage.PromptTokens != int64(billed.InputTokens-before.InputTokens) || acc.Usage.CompletionTokens != int64(billed.OutputTokens-before.OutputTokens) ||
			acc.Usage.CompletionTokensDetails.ReasoningTokens != 5 {
			t.Errorf("usage %+v, billed %+v then %+v", acc.Usage, before, billed)
		}
		if up.Last().Method != "streamGenerateContent" || up.Last().Query != "alt=sse" {
			t.Errorf("upstream %s ?%s", up.Last().Method, up.Last().Query)
		}
		acc, usageChunks = streamChat(t, chat("gemini-fixture", openai.UserMessage("Say hello.")))
		if acc.Choices[0].Message.Content != answer || usageChunks != 0 {
			t.Errorf("without include_usage: %q, %d usage chunks", acc.Choices[0].Message.Content, usageChunks)
		}
	})

	t.Run("OpenAI SDK: tool round trip, the signature carried back", func(t *testing.T) {
		p := chat("gemini-tools", openai.UserMessage("What is the weather in Paris?"))
		p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
		first, err := oc.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		calls := first.Choices[0].Message.ToolCalls
		if len(calls) != 1 || calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"city":"Paris"}` ||
			first.Choices[0].FinishReason != "tool_calls" || !strings.Contains(calls[0].ID, "_sig_") {
			t.Fatalf("first turn %+v", first.Choices[0])
		}
		// The fake refuses, as Gemini 3 does, a history whose call lost
		// its signature: the answer proves it came back.
		p.Messages = append(p.Messages, first.Choices[0].Message.ToParam(), openai.ToolMessage("18 degrees and sunny", calls[0].ID))
		acc, _ := streamChat(t, p)
		if got := acc.Choices[0].Message.Content; got != `The tools said: get_weather={"output":"18 degrees and sunny"}` {
			t.Errorf("second turn %q", got)
		}
	})

	t.Run("OpenAI SDK: parallel calls streamed, results in one turn", func(t *testing.T) {
		p := chat("gemini-parallel-tools", openai.UserMessage("Weather and time in Paris?"))
		p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool, timeTool}
		acc, _ := streamChat(t, p)
		calls := acc.Choices[0].Message.ToolCalls
		if len(calls) != 2 || calls[0].Function.Name != "get_weather" || calls[1].Function.Name != "get_time" || calls[1].Function.Arguments != `{"zone":"Paris"}` ||
			acc.Choices[0].FinishReason != "tool_calls" || calls[0].ID == calls[1].ID {
			t.Fatalf("calls %+v", acc.Choices[0])
		}
		p.Messages = append(p.Messages, acc.Choices[0].Message.ToParam(),
			openai.ToolMessage(`{"celsius":18}`, calls[0].ID), openai.ToolMessage("14:05", calls[1].ID))
		resp, err := oc.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Choices[0].Message.Content; got != `The tools said: get_weather={"celsius":18}; get_time={"output":"14:05"}` {
			t.Errorf("answer %q", got)
		}
	})

	aParams := func(model, text string) anthropic.MessageNewParams {
		return anthropic.MessageNewParams{
			Model: anthropic.Model(model), MaxTokens: 256,
			System:   []anthropic.TextBlockParam{{Text: "Be brief."}},
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
		}
	}

	t.Run("Anthropic SDK: whole answer and stream, usage as billed", func(t *testing.T) {
		before := up.Billed()
		msg, err := ac.Messages.New(ctx, aParams("gemini-fixture", "Say hello."))
		if err != nil {
			t.Fatal(err)
		}
		billed := up.Billed()
		in, cached := billed.InputTokens-before.InputTokens, billed.CachedTokens-before.CachedTokens
		if len(msg.Content) != 1 || msg.Content[0].Text != answer || msg.StopReason != "end_turn" ||
			msg.Usage.InputTokens != int64(in-cached) || msg.Usage.CacheReadInputTokens != int64(cached) ||
			msg.Usage.OutputTokens != int64(billed.OutputTokens-before.OutputTokens) {
			t.Errorf("message %+v, billed %+v then %+v", msg, before, billed)
		}
		before = billed
		stream := ac.Messages.NewStreaming(ctx, aParams("gemini-fixture", "Say hello."))
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
		if len(acc.Content) != 1 || acc.Content[0].Text != answer || acc.StopReason != "end_turn" ||
			acc.Usage.OutputTokens != int64(billed.OutputTokens-before.OutputTokens) ||
			acc.Usage.InputTokens+acc.Usage.CacheReadInputTokens != int64(billed.InputTokens-before.InputTokens) {
			t.Errorf("streamed %+v, billed %+v then %+v", acc, before, billed)
		}
	})

	t.Run("Anthropic SDK: tool round trip", func(t *testing.T) {
		p := aParams("gemini-tools", "What is the weather in Paris?")
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
		if len(acc.Content) != 1 || acc.Content[0].Text != `The tools said: get_weather={"output":"18 degrees and sunny"}` {
			t.Errorf("second turn %+v", acc)
		}
	})

	t.Run("upstream errors in each client's shape", func(t *testing.T) {
		for _, c := range []struct {
			model, code, anthropicType, message, retryAfter string
			status                                          int
		}{
			{"gemini-status-429", "RESOURCE_EXHAUSTED", "rate_limit_error", "fake Gemini says 429", "7", 429},
			{"gemini-status-400", "INVALID_ARGUMENT", "invalid_request_error", "fake Gemini says 400", "", 400},
			{"gemini-blocked", "content_filter", "invalid_request_error", "blocked the prompt", "", 400},
		} {
			_, err := oc.Chat.Completions.New(ctx, chat(c.model, openai.UserMessage("hi")))
			var oe *openai.Error
			if !errors.As(err, &oe) || oe.StatusCode != c.status || oe.Code != c.code || !strings.Contains(oe.Message, c.message) {
				t.Errorf("%s, OpenAI SDK: %v", c.model, err)
			} else if oe.Response.Header.Get("Retry-After") != c.retryAfter {
				t.Errorf("%s: Retry-After %q", c.model, oe.Response.Header.Get("Retry-After"))
			}
			_, err = ac.Messages.New(ctx, aParams(c.model, "hi"))
			var ae *anthropic.Error
			if !errors.As(err, &ae) || ae.StatusCode != c.status || gjson.Get(ae.RawJSON(), "error.type").Str != c.anthropicType ||
				!strings.Contains(gjson.Get(ae.RawJSON(), "error.message").Str, c.message) {
				t.Errorf("%s, Anthropic SDK: %v", c.model, err)
			}
		}
		// A refused key is the gateway's problem, not the client's: 502.
		_, err := oc.Chat.Completions.New(ctx, chat("gemini-badkey", openai.UserMessage("hi")))
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.StatusCode != 502 || !strings.Contains(oe.Message, "gem_badkey") {
			t.Errorf("bad key: %v", err)
		}
		// A request Gemini cannot take is refused before it leaves.
		n := len(up.Requests())
		p := chat("gemini-fixture", openai.UserMessage("hi"))
		p.WebSearchOptions = openai.ChatCompletionNewParamsWebSearchOptions{SearchContextSize: "low"}
		_, err = oc.Chat.Completions.New(ctx, p)
		if !errors.As(err, &oe) || oe.StatusCode != 400 || oe.Param != "web_search_options" || len(up.Requests()) != n {
			t.Errorf("web_search_options: %v", err)
		}
	})

	t.Run("streams that break end with an error", func(t *testing.T) {
		for model, says := range map[string]string{"gemini-cut": "broke off", "gemini-error-mid": "The model is overloaded"} {
			stream := oc.Chat.Completions.NewStreaming(ctx, chat(model, openai.UserMessage("hi")))
			got := ""
			for stream.Next() {
				if len(stream.Current().Choices) > 0 {
					got += stream.Current().Choices[0].Delta.Content
				}
			}
			if stream.Err() == nil || !strings.Contains(stream.Err().Error(), says) || !strings.HasPrefix(got, "Gemini says") {
				t.Errorf("%s: got %q, err %v", model, got, stream.Err())
			}
		}
	})

	t.Run("a client that leaves cancels the upstream call", func(t *testing.T) {
		// Not through the recorder, which reads whole bodies.
		direct := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0))
		cctx, cancel := context.WithCancel(ctx)
		stream := direct.Chat.Completions.NewStreaming(cctx, chat("gemini-hang", openai.UserMessage("hi")))
		if !stream.Next() {
			t.Fatalf("no first chunk: %v", stream.Err())
		}
		cancel()
		_ = stream.Close()
		last := up.Last()
		if !last.Wait(5*time.Second) || !last.Cancelled || last.Model != "hang" {
			t.Errorf("upstream call not cancelled: %+v", last)
		}
	})

	t.Run("the upstream keys never reach a client or the log", func(t *testing.T) {
		all := seen.String() + g.logs.String()
		for _, key := range []string{fakeupstream.GeminiKey, geminiWrongKey, "AIzaSy"} {
			if strings.Contains(all, key) {
				t.Errorf("%q leaked", key)
			}
		}
		if !strings.Contains(seen.String(), answer) {
			t.Error("the recorder saw no answers")
		}
		badKeySent := false
		for _, r := range up.Requests() {
			badKeySent = badKeySent || r.Header.Get("x-goog-api-key") == geminiWrongKey
		}
		if !badKeySent {
			t.Error("the bad key's call never reached the fake, so its refusal was not tested")
		}
		var sent []string
		for _, r := range up.Requests() {
			var v any
			if json.Unmarshal(r.Body, &v) != nil {
				t.Errorf("the fake got a body that is not JSON: %s", r.Body)
			}
			sent = append(sent, r.Model)
		}
		t.Logf("models called: %v", sent)
	})
}
