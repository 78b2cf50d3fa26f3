package sse

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// benchStream is a 20-chunk chat completion stream as OpenAI sends it.
func benchStream() []byte {
	var b bytes.Buffer
	for i := range 20 {
		b.WriteString(`data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1795664266,"model":"gpt-4o-mini",` +
			`"choices":[{"index":0,"delta":{"content":"word` + strings.Repeat("x", i%5) + ` "},"finish_reason":null}],"usage":null}` + "\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// BenchmarkReader reads a 21-event stream (the relay's per-event parsing).
func BenchmarkReader(b *testing.B) {
	stream := benchStream()
	src := bytes.NewReader(stream)
	r := NewReader(src, 1<<20)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(stream)
		r.Reset(src)
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkAppendEvent writes one chunk in wire form (the relay's per-event
// output).
func BenchmarkAppendEvent(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-abc","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"word "}}],"usage":null}`)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], "", data)
	}
}
