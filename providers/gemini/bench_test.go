package gemini

import (
	"bytes"
	"io"
	"testing"
)

// Benchmarks of each translator on the testdata fixtures. Run:
//
//	go test ./providers/gemini/ -run '^$' -bench . -benchmem

func BenchmarkTranslateRequest(b *testing.B) {
	for _, c := range []struct{ name, file, model string }{
		{"chat", "openai_request_chat.json", "gemini-2.5-flash"},
		{"tools", "openai_request_tools.json", "gemini-3-pro-preview"},
	} {
		body := readFixture(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := translateRequest(body, c.model); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTranslateCompletion(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"text", "gemini_response_text.json"},
		{"tool_calls", "gemini_response_tool_calls.json"},
	} {
		body := readFixture(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := translateCompletion(body, "m"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStream translates a whole stream per iteration; ns/op is per
// stream (3 upstream events each).
func BenchmarkStream(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"text", "gemini_stream_text.sse"},
		{"tool_calls", "gemini_stream_tool_calls.sse"},
	} {
		up := readFixture(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(up)))
			buf := make([]byte, 32<<10)
			rd := bytes.NewReader(up)
			for b.Loop() {
				rd.Reset(up)
				s := newStreamBody(io.NopCloser(rd), "m", nil)
				for {
					if _, err := s.Read(buf); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}

func BenchmarkTranslateError(b *testing.B) {
	body := readFixture(b, "gemini_error_rate_limit.json")
	b.ReportAllocs()
	for b.Loop() {
		translateError(429, body, []string{"AIzaSECRETSECRET"})
	}
}
