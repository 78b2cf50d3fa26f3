package gateway

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestReadChunk(t *testing.T) {
	cases := []struct {
		name, data       string
		valid, usageOnly bool
		usage            Usage
		choices          string
	}{
		{"content", `{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}`, true, false, Usage{}, `[{"index":0,"delta":{"content":"Hi"}}]`},
		{"usage only", `{"id":"c","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":3,"cache_write_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}`,
			true, true, Usage{InputTokens: 12, OutputTokens: 5, CachedTokens: 3, CacheWriteTokens: 4, ReasoningTokens: 2}, `[]`},
		{"usage only, spaced empty choices", `{"choices":[ ],"usage":{"prompt_tokens":1}}`, true, true, Usage{InputTokens: 1}, `[ ]`},
		{"usage with a choice", `{"choices":[{"delta":{}}],"usage":{"prompt_tokens":1}}`, true, false, Usage{InputTokens: 1}, `[{"delta":{}}]`},
		{"no choices key", `{"usage":{"completion_tokens":7}}`, true, true, Usage{OutputTokens: 7}, ``},
		{"first key wins", `{"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":2},"choices":[],"choices":[1]}`, true, true, Usage{InputTokens: 1}, `[]`},
		{"not JSON", `{"choices":[`, false, false, Usage{}, ``},
		{"not an object", `[1,2]`, true, false, Usage{}, ``},
		{"empty", ``, false, false, Usage{}, ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := readChunk([]byte(c.data))
			if f.valid != c.valid || f.usageOnly() != c.usageOnly || f.choices != c.choices {
				t.Fatalf("valid %v usageOnly %v choices %q, want %v %v %q", f.valid, f.usageOnly(), f.choices, c.valid, c.usageOnly, c.choices)
			}
			if got := chatUsage(f.usage); got != c.usage {
				t.Fatalf("usage %+v, want %+v", got, c.usage)
			}
		})
	}
}

// The capture keeps raw choices and reads them only when asked; what it
// reads must be the text a direct read of each chunk gives.
func TestCaptureReadsRawChoicesLater(t *testing.T) {
	chunks := []string{
		`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`,
		`{"choices":[{"index":0,"delta":{"content":"Hel\"lo [x]"}}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"get","arguments":"{\"a\":"}}]}}]}`,
		`{"choices":[ {"index":0,"delta":{"content":" world"}} ]}`,
		`{"choices":[],"usage":null}`,
	}
	var c outputCapture
	want := ""
	for _, ch := range chunks {
		f := readChunk([]byte(ch))
		if f.choices != "" {
			c.addChoices(f.choices)
		}
		d := gjson.Get(ch, "choices.0.delta")
		want += d.Get("content").Str
		d.Get("tool_calls").ForEach(func(_, call gjson.Result) bool {
			want += call.Get("function.name").Str + call.Get("function.arguments").Str
			return true
		})
	}
	c.readChoices()
	if string(c.text) != want {
		t.Fatalf("captured %q, want %q", c.text, want)
	}
}

// FuzzReadChunk checks the one-pass read against the path lookups it
// replaced, on any data.
func FuzzReadChunk(f *testing.F) {
	f.Add([]byte(`{"choices":[{"delta":{"content":"x"}}],"usage":null}`))
	f.Add([]byte(`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`))
	f.Add([]byte(`{"usage":{},"usage":null,"choices":[ ]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fa := readChunk(data)
		valid := gjson.ValidBytes(data)
		if fa.valid != valid {
			t.Fatalf("valid %v, gjson says %v", fa.valid, valid)
		}
		if !valid || !gjson.ParseBytes(data).IsObject() {
			return
		}
		usage := gjson.GetBytes(data, "usage")
		if usage.IsObject() != fa.usage.IsObject() || (usage.IsObject() && chatUsage(usage) != chatUsage(fa.usage)) {
			t.Fatalf("usage %q, path lookup %q", fa.usage.Raw, usage.Raw)
		}
		choices := gjson.GetBytes(data, "choices")
		wantNone := !choices.IsArray() || choices.Get("#").Int() == 0
		if fa.noChoices != wantNone {
			t.Fatalf("noChoices %v, path lookup says %v (%q)", fa.noChoices, wantNone, choices.Raw)
		}
		var c outputCapture
		if fa.choices != "" {
			c.addChoices(fa.choices)
			c.addChoices(fa.choices)
		}
		c.readChoices()
		var d outputCapture
		if choices.IsArray() {
			d.add(choices.Get("0.delta"))
			d.add(choices.Get("0.delta"))
		}
		if string(c.text) != string(d.text) {
			t.Fatalf("captured %q, path lookup %q", c.text, d.text)
		}
	})
}

// BenchmarkReadChunk is the relay's per-event read of an upstream chunk.
func BenchmarkReadChunk(b *testing.B) {
	for _, bc := range []struct{ name, data string }{
		{"content", `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1795664266,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"answe"},"finish_reason":null}],"usage":null}`},
		{"usage", `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1795664266,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":20,"total_tokens":140,"prompt_tokens_details":{"cached_tokens":0}}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.data)
			b.ReportAllocs()
			for b.Loop() {
				f := readChunk(data)
				if !f.valid {
					b.Fatal("invalid")
				}
			}
		})
	}
}
