package mock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/sse"
)

func call(t *testing.T, s *Server, ctx context.Context, body string) (*http.Response, error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://mock/v1/chat/completions", strings.NewReader(body)).WithContext(ctx)
	return s.RoundTrip(req)
}

func completionOf(t *testing.T, s *Server, body string) (int, openai.ChatCompletion) {
	t.Helper()
	resp, err := call(t, s, context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c openai.ChatCompletion
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
	}
	return resp.StatusCode, c
}

func chunksOf(t *testing.T, s *Server, body string) ([]openai.ChatCompletionChunk, bool, error) {
	t.Helper()
	resp, err := call(t, s, context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	rd := sse.NewReader(resp.Body, 1<<20)
	var out []openai.ChatCompletionChunk
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return out, false, nil
		}
		if err != nil {
			return out, false, err
		}
		if string(ev.Data) == "[DONE]" {
			return out, true, nil
		}
		var c openai.ChatCompletionChunk
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			t.Fatalf("%v: %s", err, ev.Data)
		}
		out = append(out, c)
	}
}

const hello = `{"model":"mock-1","messages":[{"role":"user","content":"Hello, mock"}]}`

func TestAnswerIsDeterministicAndDerivedFromPrompt(t *testing.T) {
	s := New(Options{})
	_, a := completionOf(t, s, hello)
	_, b := completionOf(t, s, hello)
	_, c := completionOf(t, s, `{"model":"mock-1","messages":[{"role":"user","content":"Something else"}]}`)
	text := *a.Choices[0].Message.Content
	if text != *b.Choices[0].Message.Content || a.ID != b.ID || !sameUsage(a.Usage, b.Usage) {
		t.Error("same prompt, different answers")
	}
	if text == *c.Choices[0].Message.Content || !strings.Contains(text, `"Hello, mock"`) {
		t.Errorf("answer not derived from the prompt: %q", text)
	}
	u := a.Usage
	if a.Model != "mock-1" || a.Object != "chat.completion" || a.Choices[0].FinishReason != "stop" ||
		u.PromptTokens != 3+4+tokens("Hello, mock") || u.CompletionTokens != tokens(text) || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("completion %+v usage %+v", a, u)
	}
}

func TestMaxTokensCutsWithLength(t *testing.T) {
	_, c := completionOf(t, New(Options{}), `{"model":"m","max_tokens":3,"messages":[{"role":"user","content":"Hi"}]}`)
	if c.Choices[0].FinishReason != "length" || c.Usage.CompletionTokens > 3 {
		t.Errorf("finish %q, usage %+v", c.Choices[0].FinishReason, c.Usage)
	}
}

func TestStreamMatchesWholeAnswer(t *testing.T) {
	s := New(Options{Chunks: 5})
	_, whole := completionOf(t, s, hello)
	chunks, done, err := chunksOf(t, s, `{"model":"mock-1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello, mock"}]}`)
	if err != nil || !done {
		t.Fatalf("stream ended with %v, done %v", err, done)
	}
	// role chunk, 5 content chunks, finish chunk, usage chunk
	if len(chunks) != 8 {
		t.Fatalf("%d chunks", len(chunks))
	}
	var text strings.Builder
	for _, c := range chunks[1:6] {
		text.WriteString(*c.Choices[0].Delta.Content)
	}
	if text.String() != *whole.Choices[0].Message.Content {
		t.Errorf("streamed %q, whole %q", text.String(), *whole.Choices[0].Message.Content)
	}
	if chunks[0].Choices[0].Delta.Role != "assistant" || *chunks[6].Choices[0].FinishReason != "stop" {
		t.Error("role or finish chunk missing")
	}
	if last := chunks[7]; len(last.Choices) != 0 || !sameUsage(last.Usage, whole.Usage) {
		t.Errorf("usage chunk %+v, want %+v", last, whole.Usage)
	}
	without, _, _ := chunksOf(t, s, `{"model":"mock-1","stream":true,"messages":[{"role":"user","content":"Hello, mock"}]}`)
	if len(without) != 7 {
		t.Errorf("without include_usage: %d chunks, want no usage chunk", len(without))
	}
}

func TestToolCalls(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}},` +
		`{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"type":"string"}}}}}]`
	s := New(Options{Chunks: 3})
	_, c := completionOf(t, s, `{"model":"m",`+tools+`,"messages":[{"role":"user","content":"Weather in Paris?"}]}`)
	calls := c.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].Function.Name != "get_weather" || c.Choices[0].FinishReason != "tool_calls" || c.Choices[0].Message.Content != nil {
		t.Fatalf("%+v", c.Choices[0])
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil || args["city"] != "Weather in Paris?" || args["days"] != float64(1) {
		t.Errorf("arguments %s", calls[0].Function.Arguments)
	}

	_, named := completionOf(t, s, `{"model":"m",`+tools+`,"tool_choice":{"type":"function","function":{"name":"get_time"}},"messages":[{"role":"user","content":"x"}]}`)
	if got := named.Choices[0].Message.ToolCalls; len(got) != 1 || got[0].Function.Name != "get_time" || got[0].Function.Arguments != `{"zone":"x"}` {
		t.Errorf("named tool_choice: %+v", got)
	}
	_, none := completionOf(t, s, `{"model":"m",`+tools+`,"tool_choice":"none","messages":[{"role":"user","content":"x"}]}`)
	if none.Choices[0].Message.Content == nil || len(none.Choices[0].Message.ToolCalls) != 0 {
		t.Error(`tool_choice "none" still called a tool`)
	}
	_, after := completionOf(t, s, `{"model":"m",`+tools+`,"messages":[{"role":"user","content":"x"},`+
		`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},`+
		`{"role":"tool","tool_call_id":"c1","content":"sunny, 21C"}]}`)
	if after.Choices[0].Message.Content == nil || !strings.Contains(*after.Choices[0].Message.Content, "sunny, 21C") {
		t.Errorf("after a tool result: %+v", after.Choices[0].Message)
	}

	chunks, done, err := chunksOf(t, s, `{"model":"m","stream":true,`+tools+`,"messages":[{"role":"user","content":"Weather in Paris?"}]}`)
	if err != nil || !done {
		t.Fatal(err)
	}
	var streamed strings.Builder
	for _, ch := range chunks {
		for _, tc := range ch.Choices[0].Delta.ToolCalls {
			if tc.Index == nil || *tc.Index != 0 {
				t.Fatal("tool call delta without index 0")
			}
			streamed.WriteString(tc.Function.Arguments)
		}
	}
	if streamed.String() != calls[0].Function.Arguments || chunks[0].Choices[0].Delta.ToolCalls[0].Function.Name != "get_weather" {
		t.Errorf("streamed arguments %q", streamed.String())
	}
}

func TestInducedFailures(t *testing.T) {
	status, _ := completionOf(t, New(Options{FailStatus: 503}), hello)
	if status != 503 {
		t.Errorf("fail_status: %d", status)
	}
	chunks, done, err := chunksOf(t, New(Options{Chunks: 6, FailAfter: 2}), `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	if !errors.Is(err, io.ErrUnexpectedEOF) || done || len(chunks) != 3 {
		t.Errorf("fail_after: %d chunks, done %v, err %v", len(chunks), done, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := call(t, New(Options{Latency: time.Hour}), ctx, hello); !errors.Is(err, context.Canceled) {
		t.Errorf("latency ignores cancellation: %v", err)
	}
	status, _ = completionOf(t, New(Options{}), `{"model":"m"}`)
	if status != 400 {
		t.Errorf("invalid request: %d", status)
	}
}

func TestServeHTTP(t *testing.T) {
	srv := httptest.NewServer(New(Options{Chunks: 2}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.Count(string(b), "data: ") != 5 || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

func sameUsage(a, b *openai.Usage) bool {
	return a != nil && b != nil && a.PromptTokens == b.PromptTokens && a.CompletionTokens == b.CompletionTokens && a.TotalTokens == b.TotalTokens
}
