package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// chatConfig is the gateway the chat tests run against: every model routes
// to the fake upstream (whose model name picks its behaviour) or the mock.
func chatConfig(up *fakeupstream.Server) string {
	var models strings.Builder
	for _, m := range []string{"status-429", "status-500", "status-400", "status-401", "text-503", "garbage", "cut", "hang"} {
		fmt.Fprintf(&models, "model %s {\n\ttarget up/%s\n}\n", m, m)
	}
	return indent(fmt.Sprintf(`max_body 64KB
provider up {
	type openai
	base_url %[1]s/v1
	api_key sk-upstream-secret
	header X-Test-Header yes
	timeout 2s
}
provider slowpoke {
	type openai_compatible
	base_url %[1]s/v1
	timeout 300ms
}
provider dead {
	type openai
	base_url http://127.0.0.1:1/v1
}
provider mock {
	type mock
	chunks 5
}
model gpt-4o {
	target up/fixture
}
model slow {
	target slowpoke/slow
}
model dead {
	target dead/x
}
model mock-* {
	target mock/{model}
}
%s`, up.URL, models.String()))
}

func newClient(g *gateway) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(g.URL+"/v1"),
		option.WithAPIKey("sk-client-key"),
		option.WithMaxRetries(0), // the SDK would otherwise retry 429 and 5xx
		option.WithRequestTimeout(20*time.Second),
	)
}

func userPrompt(model, text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    shared.ChatModel(model),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// fixtureAnswer is what the recorded upstream answer says.
func fixtureAnswer(t *testing.T) (content string, usage openai.CompletionUsage) {
	t.Helper()
	var c openai.ChatCompletion
	if err := json.Unmarshal(fakeupstream.Completion, &c); err != nil {
		t.Fatal(err)
	}
	return c.Choices[0].Message.Content, c.Usage
}

func TestChatEndToEnd(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGateway(t, chatConfig(up))
	client := newClient(g)
	ctx := context.Background()

	t.Run("non-stream answer and usage equal the upstream's", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, userPrompt("gpt-4o", "Describe the image."))
		if err != nil {
			t.Fatal(err)
		}
		content, usage := fixtureAnswer(t)
		if len(resp.Choices) != 1 || resp.Choices[0].Message.Content != content {
			t.Errorf("content %q, want %q", resp.Choices[0].Message.Content, content)
		}
		if resp.Usage.PromptTokens != usage.PromptTokens || resp.Usage.CompletionTokens != usage.CompletionTokens ||
			resp.Usage.TotalTokens != usage.TotalTokens || resp.Usage.PromptTokensDetails.CachedTokens != 1024 {
			t.Errorf("usage %+v, want %+v", resp.Usage, usage)
		}
		if resp.ID != "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG" || resp.Model != "gpt-4o-2024-08-06" {
			t.Errorf("id %q model %q", resp.ID, resp.Model)
		}
		sent := up.Last()
		if sent.Header.Get("Authorization") != "Bearer sk-upstream-secret" || sent.Header.Get("X-Test-Header") != "yes" {
			t.Errorf("upstream headers: %v", sent.Header)
		}
		var body struct{ Model string }
		_ = json.Unmarshal(sent.Body, &body)
		if body.Model != "fixture" {
			t.Errorf("upstream got model %q, want the target's", body.Model)
		}
	})

	streamText := func(t *testing.T, params openai.ChatCompletionNewParams) (openai.ChatCompletionAccumulator, int) {
		t.Helper()
		stream := client.Chat.Completions.NewStreaming(ctx, params)
		var acc openai.ChatCompletionAccumulator
		usageChunks := 0
		for stream.Next() {
			chunk := stream.Current()
			if len(chunk.Choices) == 0 {
				usageChunks++
			}
			acc.AddChunk(chunk)
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		return acc, usageChunks
	}
	wantStreamText := func() string {
		var sb strings.Builder
		for _, ev := range fakeupstream.StreamEvents() {
			var c openai.ChatCompletionChunk
			if json.Unmarshal([]byte(ev), &c) == nil && len(c.Choices) > 0 {
				sb.WriteString(c.Choices[0].Delta.Content)
			}
		}
		return sb.String()
	}()

	t.Run("streamed text equals the upstream's; usage chunk dropped when not asked", func(t *testing.T) {
		acc, usageChunks := streamText(t, userPrompt("gpt-4o", "Say hello."))
		if got := acc.Choices[0].Message.Content; got != wantStreamText || got == "" {
			t.Errorf("streamed text %q, want %q", got, wantStreamText)
		}
		if usageChunks != 0 || acc.Usage.TotalTokens != 0 {
			t.Errorf("client got a usage chunk it did not ask for (%d, %+v)", usageChunks, acc.Usage)
		}
		if !strings.Contains(string(up.Last().Body), `"stream_options":{"include_usage":true}`) {
			t.Errorf("gateway did not ask the upstream for usage: %s", up.Last().Body)
		}
	})

	t.Run("streamed usage present when asked", func(t *testing.T) {
		params := userPrompt("gpt-4o", "Say hello.")
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		acc, usageChunks := streamText(t, params)
		if acc.Choices[0].Message.Content != wantStreamText {
			t.Errorf("streamed text %q", acc.Choices[0].Message.Content)
		}
		if usageChunks != 1 || acc.Usage.PromptTokens != 19 || acc.Usage.CompletionTokens != 7 || acc.Usage.TotalTokens != 26 {
			t.Errorf("usage chunks %d, usage %+v", usageChunks, acc.Usage)
		}
	})

	t.Run("mock streams a tool call when tools are given", func(t *testing.T) {
		params := userPrompt("mock-tools", "What is the weather in Paris?")
		params.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather",
			Parameters: shared.FunctionParameters{
				"type":       "object",
				"properties": map[string]any{"city": map[string]any{"type": "string"}},
				"required":   []string{"city"},
			},
		})}
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		acc, _ := streamText(t, params)
		calls := acc.Choices[0].Message.ToolCalls
		if len(calls) != 1 || calls[0].Function.Name != "get_weather" || acc.Choices[0].FinishReason != "tool_calls" {
			t.Fatalf("tool calls %+v, finish %q", calls, acc.Choices[0].FinishReason)
		}
		var args map[string]string
		if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil || args["city"] == "" {
			t.Errorf("arguments %q: %v", calls[0].Function.Arguments, err)
		}
		if acc.Usage.PromptTokens == 0 || acc.Usage.CompletionTokens == 0 {
			t.Errorf("mock usage %+v", acc.Usage)
		}
	})

	t.Run("mock answers deterministically, streamed or not", func(t *testing.T) {
		whole, err := client.Chat.Completions.New(ctx, userPrompt("mock-1", "Tell me about gateways."))
		if err != nil {
			t.Fatal(err)
		}
		acc, _ := streamText(t, userPrompt("mock-1", "Tell me about gateways."))
		if whole.Choices[0].Message.Content == "" || acc.Choices[0].Message.Content != whole.Choices[0].Message.Content {
			t.Errorf("stream %q != whole %q", acc.Choices[0].Message.Content, whole.Choices[0].Message.Content)
		}
	})

	t.Run("SDK errors", func(t *testing.T) {
		for _, tc := range []struct {
			name, model, prompt, code string
			status                    int
		}{
			{"unknown model", "no-such-model", "hi", "model_not_found", 404},
			{"body over max_body", "gpt-4o", strings.Repeat("x", 70_000), "request_too_large", 413},
			{"upstream unreachable", "dead", "hi", "upstream_error", 502},
			{"upstream timeout", "slow", "hi", "upstream_timeout", 504},
			{"upstream 429 passed through", "status-429", "hi", "fake_429", 429},
			{"upstream 500 passed through", "status-500", "hi", "fake_500", 500},
			{"upstream 400 passed through", "status-400", "hi", "fake_400", 400},
			{"upstream text error", "text-503", "hi", "upstream_error", 503},
			{"upstream rejects the gateway's key", "status-401", "hi", "upstream_error", 502},
			{"upstream malformed JSON", "garbage", "hi", "upstream_error", 502},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := client.Chat.Completions.New(ctx, userPrompt(tc.model, tc.prompt))
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) {
					t.Fatalf("err = %v, want an API error", err)
				}
				if apiErr.StatusCode != tc.status || apiErr.Code != tc.code || apiErr.Message == "" {
					t.Errorf("status %d code %q message %q; want %d %q", apiErr.StatusCode, apiErr.Code, apiErr.Message, tc.status, tc.code)
				}
				if strings.Contains(apiErr.RawJSON(), "sk-upstream-secret") {
					t.Errorf("upstream key leaked: %s", apiErr.RawJSON())
				}
			})
		}
	})

	t.Run("raw errors", func(t *testing.T) {
		post := func(body io.Reader, length int64) (int, string, string) {
			req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", body)
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = length
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var e struct {
				Error struct{ Message, Type, Code string }
			}
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("not JSON: %s", b)
			}
			return resp.StatusCode, e.Error.Code, e.Error.Message
		}
		bad := `{"model":"gpt-4o","messages":[`
		if status, code, msg := post(strings.NewReader(bad), int64(len(bad))); status != 400 || code != "invalid_request" || !strings.Contains(msg, "not valid JSON") {
			t.Errorf("malformed JSON: %d %q %q", status, code, msg)
		}
		big := `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("x", 70_000) + `"}]}`
		if status, code, _ := post(io.MultiReader(strings.NewReader(big)), -1); status != 413 || code != "request_too_large" {
			t.Errorf("chunked body over max_body: %d %q", status, code)
		}
	})

	t.Run("mid-stream upstream failure ends the stream with an error event", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, userPrompt("cut", "hi"))
		chunks := 0
		for stream.Next() {
			chunks++
		}
		err := stream.Err()
		if chunks != 2 || err == nil || !strings.Contains(err.Error(), "broke off") {
			t.Errorf("chunks %d, err %v", chunks, err)
		}
	})

	t.Run("client disconnect cancels the upstream request", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		stream := client.Chat.Completions.NewStreaming(cctx, userPrompt("hang", "hi"))
		if !stream.Next() {
			t.Fatalf("no first chunk: %v", stream.Err())
		}
		cancel()
		_ = stream.Close()
		last := up.Last()
		if !last.Wait(5 * time.Second) {
			t.Fatal("upstream request still running 5s after the client left")
		}
		if !last.Cancelled || !bytes.Contains(last.Body, []byte(`"hang"`)) {
			t.Errorf("upstream request not cancelled: %+v", last)
		}
	})

	t.Run("models lists the concrete names", func(t *testing.T) {
		page, err := client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Data {
			ids = append(ids, m.ID)
		}
		if got := strings.Join(ids, ","); !strings.HasPrefix(got, "gpt-4o,slow,dead,status-429") || strings.Contains(got, "*") {
			t.Errorf("models %s", got)
		}
	})
}

func TestListModulesShowsBoth(t *testing.T) {
	out, err := exec.Command(caddyBin, "list-modules").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	has := func(id string) bool {
		for _, l := range lines {
			if strings.TrimSpace(l) == id {
				return true
			}
		}
		return false
	}
	if !has("ai_gateway") || !has("http.handlers.ai_gateway") {
		t.Errorf("list-modules lacks the ai_gateway modules:\n%s", out)
	}
}

func TestShippedCaddyfilesAdapt(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.Caddyfile")
	files = append(files, "../Caddyfile")
	for _, f := range files {
		out, err := exec.Command(caddyBin, "adapt", "--config", f, "--validate").CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
	if len(files) < 3 {
		t.Errorf("examples missing: %v", files)
	}
}
