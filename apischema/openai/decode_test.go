package openai

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeChatRequest(t *testing.T) {
	req, err := DecodeChatRequest([]byte(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},
		"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},{"type":"text","text":"b"}]}],
		"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"max_tokens":5}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Model != "gpt-4o" || !req.Stream || !req.StreamOptions.IncludeUsage || len(req.Messages) != 2 || *req.MaxTokens != 5 || req.Tools[0].Function.Name != "f" {
		t.Errorf("decoded %+v", req)
	}
	if got := Text(req.Messages[1].Content); got != "a\nb" {
		t.Errorf("Text = %q", got)
	}
	if got := Text(req.Messages[0].Content); got != "be brief" {
		t.Errorf("Text = %q", got)
	}
}

func TestDecodeChatRequestErrors(t *testing.T) {
	for _, tc := range []struct{ body, param, says string }{
		{`{`, "", "not valid JSON"},
		{`"x"`, "", "must be a JSON object"},
		{`{"model":1}`, "model", `"model" must be a string`},
		{`{"model":"m","messages":{}}`, "messages", "must be an array"},
		{`{"model":"m","messages":[{"role":"user","content":1}]}`, "messages", "must be a string, a list of content parts, or null"},
		{`{"model":"m","messages":[{"role":"user"}],"max_tokens":"5"}`, "max_tokens", "must be a number"},
		{`{"messages":[{"role":"user","content":"x"}]}`, "model", "has no model"},
		{`{"model":"` + strings.Repeat("m", 300) + `","messages":[{"role":"user","content":"x"}]}`, "model", "longer than"},
		{`{"model":"m","messages":[]}`, "messages", "at least one"},
		{`{"model":"m","messages":[{"role":"robot","content":"x"}]}`, "messages", `"robot"`},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, "tools", "name is required"},
		{`{"model":"m","stream":true,"stream":false,"messages":[{"role":"user","content":"x"}]}`, "stream", "twice"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}]} trailing`, "", "not valid JSON"},
		{"{\"model\":\"m\xff\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "", "UTF-8"},
		{strings.Repeat("[", 20000), "", "not valid JSON"},
	} {
		_, err := DecodeChatRequest([]byte(tc.body))
		if err == nil {
			t.Errorf("%.60s: accepted", tc.body)
			continue
		}
		if err.Status != 400 || err.Code != "invalid_request" || err.Param != tc.param || !strings.Contains(err.Message, tc.says) {
			t.Errorf("%.60s: %d %s param %q: %s", tc.body, err.Status, err.Code, err.Param, err.Message)
		}
	}
}

func FuzzDecodeChatRequest(f *testing.F) {
	f.Add([]byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{"type":"function","function":{"name":"f"}}]}`))
	f.Add([]byte(`{"model":"m","model":"n","messages":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeChatRequest(body)
		if err != nil {
			if err.Status != 400 || err.Message == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if req.Model == "" || len(req.Messages) == 0 || !json.Valid(body) {
			t.Fatalf("accepted an invalid request: %q", body)
		}
		for _, m := range req.Messages {
			_ = Text(m.Content)
		}
	})
}

func BenchmarkDecodeChatRequest(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeChatRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBody is a typical 1 KB chat request: a system prompt, a short
// conversation and sampling parameters.
func benchBody() []byte {
	return []byte(`{"model":"gpt-4o-mini","temperature":0.7,"max_tokens":256,"stream":false,"messages":[` +
		`{"role":"system","content":"You are a helpful assistant for an online bookshop. Answer briefly, cite the catalogue when you can, and never invent prices or stock levels that you were not given."},` +
		`{"role":"user","content":"Hello! I am looking for a good introduction to distributed systems. Something practical rather than purely theoretical, please."},` +
		`{"role":"assistant","content":"Designing Data-Intensive Applications by Martin Kleppmann is a popular practical choice. It covers replication, partitioning, transactions and stream processing with real systems as examples."},` +
		`{"role":"user","content":"That sounds good. Is there anything shorter that I could read over a weekend, maybe with exercises? Also, do you have it in paperback, and how long would delivery to Lyon take?"}` +
		`],"user":"customer-4711"}`)
}
