// Package fake is the benchmark's fake LLM upstream: OpenAI chat completions
// (POST /v1/chat/completions, served by providers/mock's Server, so it speaks
// the wire format exactly) and Anthropic Messages (POST /v1/messages, the
// same answers in Anthropic's shape), with a configurable number of stream
// chunks and a pause between them.
//
// Both shapes give the same prompt the same answer text and usage, so a
// translating gateway can be checked against the direct answer.
package fake

import (
	"net/http"
	"time"

	"github.com/sluicegw/sluice/providers/mock"
)

// Options shape the fake's answers.
type Options struct {
	// Chunks is how many content chunks (OpenAI) or text deltas (Anthropic)
	// a streamed answer has. Default mock.DefaultChunks.
	Chunks int
	// ChunkDelay is the pause between two content chunks of a stream.
	ChunkDelay time.Duration
	// Latency is the wait before the response headers.
	Latency time.Duration
}

// Handler is the fake as an http.Handler. It is safe for concurrent use.
type Handler struct {
	opts   Options
	openai *mock.Server
	mux    *http.ServeMux
}

// New returns the fake with the given options.
func New(opts Options) *Handler {
	if opts.Chunks <= 0 {
		opts.Chunks = mock.DefaultChunks
	}
	h := &Handler{
		opts:   opts,
		openai: mock.New(mock.Options{Chunks: opts.Chunks, ChunkDelay: opts.ChunkDelay, Latency: opts.Latency}),
		mux:    http.NewServeMux(),
	}
	h.mux.Handle("POST /v1/chat/completions", h.openai)
	h.mux.HandleFunc("POST /v1/messages", h.messages)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	return h
}

// ServeHTTP routes a request to the OpenAI or Anthropic fake.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}
