package gateway

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	_ "github.com/sluicegw/sluice/providers/anthropic" // the anthropic provider type
)

// BenchmarkSameShapePassthrough compares the two untranslated paths, each
// against an in-process upstream answering a fixed whole answer: chat
// completions to an OpenAI-shaped upstream (the foundation's passthrough)
// and Anthropic Messages to the anthropic provider (passed through the same
// way). The Anthropic path also translates the request once for routing and
// admission, so it is expected to cost a little more; it must not cost the
// double translation it replaces (see the "translated" variant: an Anthropic
// client to an OpenAI-shaped upstream).
func BenchmarkSameShapePassthrough(b *testing.B) {
	chatAnswer := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how can I help?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`)
	msgAnswer := []byte(`{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"Hello there, how can I help?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":8}}`)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/messages" {
			_, _ = w.Write(msgAnswer)
			return
		}
		_, _ = w.Write(chatAnswer)
	}))
	defer up.Close()
	g, err := New(Config{
		Providers: []ProviderConfig{
			{Name: "oai", Type: "openai", BaseURL: up.URL + "/v1"},
			{Name: "claude", Type: "anthropic", BaseURL: up.URL},
		},
		Models: []ModelConfig{
			{Name: "gpt", Targets: []TargetConfig{{Provider: "oai", Model: "m"}}},
			{Name: "claude", Targets: []TargetConfig{{Provider: "claude", Model: "m"}}},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	chat := []byte(`{"model":"gpt","max_tokens":256,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello! Recommend a book about distributed systems, please."}]}`)
	msgs := []byte(`{"model":"claude","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Hello! Recommend a book about distributed systems, please."}]}`)
	translated := bytes.Replace(msgs, []byte(`"claude"`), []byte(`"gpt"`), 1)
	for _, bc := range []struct {
		name, path string
		body       []byte
	}{
		{"chat-to-openai", "/v1/chat/completions", chat},
		{"messages-to-anthropic", "/v1/messages", msgs},
		{"messages-to-openai-translated", "/v1/messages", translated},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			rd := bytes.NewReader(bc.body)
			for b.Loop() {
				rd.Reset(bc.body)
				req := httptest.NewRequest(http.MethodPost, bc.path, rd)
				w := httptest.NewRecorder()
				g.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
