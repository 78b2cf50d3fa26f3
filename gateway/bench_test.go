package gateway

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/limits"
	"github.com/sluicegw/sluice/providers/mock"
)

// benchBody is a typical 1 KB chat request.
var benchBody = []byte(`{"model":"mock-1","temperature":0.7,"max_tokens":256,"stream":false,"messages":[` +
	`{"role":"system","content":"You are a helpful assistant for an online bookshop. Answer briefly, cite the catalogue when you can, and never invent prices or stock levels that you were not given."},` +
	`{"role":"user","content":"Hello! I am looking for a good introduction to distributed systems. Something practical rather than purely theoretical, please."},` +
	`{"role":"assistant","content":"Designing Data-Intensive Applications by Martin Kleppmann is a popular practical choice. It covers replication, partitioning, transactions and stream processing with real systems as examples."},` +
	`{"role":"user","content":"That sounds good. Is there anything shorter that I could read over a weekend, maybe with exercises? Also, do you have it in paperback, and how long would delivery to Lyon take?"}` +
	`],"user":"customer-4711"}`)

// BenchmarkDecodeEncode is the gateway's own work on a request body: decode
// and check it, then produce the upstream's body (a different model name,
// and for streams usage asked for).
func BenchmarkDecodeEncode(b *testing.B) {
	streamBody := bytes.Replace(benchBody, []byte(`"stream":false`), []byte(`"stream":true`), 1)
	for _, bc := range []struct {
		name string
		body []byte
	}{{"non-stream", benchBody}, {"stream", streamBody}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				req, aerr := openai.DecodeChatRequest(bc.body)
				if aerr != nil {
					b.Fatal(aerr)
				}
				if _, err := upstreamChatBody(bc.body, req, "gpt-4o-mini-2024-07-18", false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandlerMock is the whole handler, request in to answer out, with
// the in-process mock as upstream (so the figure is the gateway's cost plus
// the mock's, with no network).
//
// Variants: "open" has no store (nothing counted); "counted" has the memory
// store every Caddy config gets by default (usage counted, no consumer);
// "limited" has a consumer with a key, a request limit, a token limit and a
// budget, so the prompt is counted with the tokenizer and the call is
// admitted and settled; "guarded" has every guard on (token caps, prompt
// injection, PII redaction of the prompt and of every streamed chunk).
func BenchmarkHandlerMock(b *testing.B) {
	store, err := limits.NewMemory(limits.MemoryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	base := Config{
		Providers: []ProviderConfig{{Name: "mock", Type: "mock", Mock: mock.Options{Chunks: 20}}},
		Models:    []ModelConfig{{Name: "mock-*", Targets: []TargetConfig{{Provider: "mock", Model: "{model}"}}}},
	}
	counted, limited := base, base
	counted.Store, limited.Store = store, store
	limited.Consumers = []ConsumerConfig{{Name: "bench", Keys: []string{"sk-bench"}, Rules: []limits.Rule{
		{Kind: limits.Requests, Limit: 1 << 40, Window: time.Minute},
		{Kind: limits.Tokens, Limit: 1e15, Window: time.Minute},
	}, Budget: &limits.Budget{AmountUSD: 1e6, Period: 24 * time.Hour}}}
	guarded := base
	guarded.Guards = &GuardConfig{MaxInputTokens: 100000, MaxOutputTokens: 4096, PromptInjection: "block", PII: "redact"}
	streamBody := bytes.Replace(benchBody, []byte(`"stream":false`), []byte(`"stream":true`), 1)
	for _, variant := range []struct {
		name string
		cfg  Config
	}{{"open", base}, {"counted", counted}, {"limited", limited}, {"guarded", guarded}} {
		g, err := New(variant.cfg)
		if err != nil {
			b.Fatal(err)
		}
		for _, bc := range []struct {
			name string
			body []byte
		}{{"non-stream", benchBody}, {"stream-20-chunks", streamBody}} {
			b.Run(variant.name+"/"+bc.name, func(b *testing.B) {
				b.ReportAllocs()
				rd := bytes.NewReader(bc.body)
				cpu := startCPU()
				for b.Loop() {
					rd.Reset(bc.body)
					req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", rd)
					req.Header.Set("Authorization", "Bearer sk-bench")
					w := httptest.NewRecorder()
					g.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
				cpu.report(b)
			})
		}
	}
}
