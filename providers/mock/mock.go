// Package mock is a fake LLM that speaks OpenAI's chat completions API
// exactly, for demos, tests and benchmarks: the `mock` provider type.
//
// Its answer derives from the prompt (the same messages always get the same
// answer and usage), its usage numbers are counted the way OpenAI counts
// them (about four bytes per token plus per-message framing), it calls the
// first tool (or the one tool_choice names) when tools are given, it honours
// max_tokens with finish_reason "length", and it streams in a configurable
// number of chunks with a configurable delay between them. For fault tests it
// can answer every call with an error status, wait before answering, or cut a
// stream short.
//
// The same fake runs in process as an http.RoundTripper (what the `mock`
// provider uses: no socket, no network) and as an http.Handler (a stand-alone
// fake upstream for benchmarks).
package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
)

// DefaultChunks is the number of content chunks of a stream when Options
// sets none.
const DefaultChunks = 8

// Options shape the mock's behaviour. The zero value answers at once, in
// DefaultChunks chunks, and never fails.
type Options struct {
	// Chunks is how many content chunks a streamed answer is cut into.
	Chunks int
	// ChunkDelay is the pause between two content chunks of a stream.
	ChunkDelay time.Duration
	// Latency is the wait before the response headers.
	Latency time.Duration
	// FailStatus, when set, answers every call with this status and an
	// OpenAI-shaped error.
	FailStatus int
	// FailAfter, when positive, cuts every stream after this many content
	// chunks, as a reset connection would.
	FailAfter int
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts Options
}

// New returns a fake with the given options.
func New(opts Options) *Server {
	if opts.Chunks <= 0 {
		opts.Chunks = DefaultChunks
	}
	return &Server{opts: opts}
}

// RoundTrip answers a POST .../chat/completions in process, as if it had
// crossed the network. A stream's body produces its events lazily, paced by
// ChunkDelay, and stops when the request's context is done.
func (s *Server) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	status, contentType, rc, err := s.respondTo(r, body)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {contentType}},
		Body:          rc,
		ContentLength: -1,
		Request:       r,
	}, nil
}

// ServeHTTP serves the fake over real HTTP, flushing each streamed event.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	status, contentType, rc, err := s.respondTo(r, body)
	if err != nil {
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			if err != io.EOF {
				panic(http.ErrAbortHandler) // cut the connection, as a failing upstream would
			}
			return
		}
	}
}

// respondTo answers by path: embeddings, or else chat completions.
func (s *Server) respondTo(r *http.Request, body []byte) (int, string, io.ReadCloser, error) {
	if strings.HasSuffix(r.URL.Path, "/embeddings") {
		return s.embed(r.Context(), body)
	}
	return s.respond(r.Context(), body)
}

func (s *Server) respond(ctx context.Context, body []byte) (int, string, io.ReadCloser, error) {
	if err := sleep(ctx, s.opts.Latency); err != nil {
		return 0, "", nil, err
	}
	if s.opts.FailStatus != 0 {
		e := &apierror.Error{
			Status:  s.opts.FailStatus,
			Code:    "mock_failure",
			Message: fmt.Sprintf("The mock provider was told to fail with status %d.", s.opts.FailStatus),
		}
		return s.opts.FailStatus, "application/json", io.NopCloser(bytes.NewReader(e.Body(apierror.OpenAI))), nil
	}
	req, aerr := openai.DecodeChatRequest(body)
	if aerr != nil {
		return aerr.Status, "application/json", io.NopCloser(bytes.NewReader(aerr.Body(apierror.OpenAI))), nil
	}
	a := plan(req)
	created := time.Now().Unix()
	if !req.Stream {
		b, err := json.Marshal(completion(req.Model, created, a))
		if err != nil {
			return 0, "", nil, err
		}
		return http.StatusOK, "application/json", io.NopCloser(bytes.NewReader(b)), nil
	}
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	events, content := s.streamEvents(req.Model, created, a, includeUsage)
	st := &stream{ctx: ctx, events: events, content: content, delay: s.opts.ChunkDelay, failAfter: s.opts.FailAfter}
	return http.StatusOK, "text/event-stream", st, nil
}

func completion(model string, created int64, a *answer) *openai.ChatCompletion {
	msg := openai.ResponseMessage{Role: "assistant"}
	if a.toolCall != nil {
		msg.ToolCalls = []openai.ToolCall{*a.toolCall}
	} else {
		msg.Content = &a.text
	}
	usage := a.usage
	return &openai.ChatCompletion{
		ID:      a.id,
		Object:  "chat.completion",
		Created: created,
		Model:   model,
		Choices: []openai.Choice{{Index: 0, Message: msg, FinishReason: a.finishReason, Logprobs: json.RawMessage("null")}},
		Usage:   &usage,
	}
}

// streamEvents renders the answer as OpenAI streams it: a chunk with the
// role, the content chunks, a chunk with the finish reason, the usage chunk
// when asked for, and [DONE]. content[i] tells whether events[i] is a
// content chunk (the ones ChunkDelay paces and FailAfter counts).
func (s *Server) streamEvents(model string, created int64, a *answer, includeUsage bool) ([][]byte, []bool) {
	var events [][]byte
	var content []bool
	add := func(isContent bool, choices []openai.ChunkChoice, usage *openai.Usage) {
		b, _ := json.Marshal(openai.ChatCompletionChunk{
			ID: a.id, Object: "chat.completion.chunk", Created: created, Model: model, Choices: choices, Usage: usage,
		})
		events = append(events, append(append([]byte("data: "), b...), '\n', '\n'))
		content = append(content, isContent)
	}
	one := func(d openai.Delta, finish *string) []openai.ChunkChoice {
		return []openai.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}
	}
	if tc := a.toolCall; tc != nil {
		zero := 0
		add(false, one(openai.Delta{Role: "assistant", ToolCalls: []openai.ToolCall{{
			Index: &zero, ID: tc.ID, Type: "function", Function: openai.FunctionCall{Name: tc.Function.Name},
		}}}, nil), nil)
		for _, piece := range splitRunes(tc.Function.Arguments, s.opts.Chunks) {
			add(true, one(openai.Delta{ToolCalls: []openai.ToolCall{{
				Index: &zero, Function: openai.FunctionCall{Arguments: piece},
			}}}, nil), nil)
		}
	} else {
		empty := ""
		add(false, one(openai.Delta{Role: "assistant", Content: &empty}, nil), nil)
		for _, piece := range splitRunes(a.text, s.opts.Chunks) {
			add(true, one(openai.Delta{Content: &piece}, nil), nil)
		}
	}
	finish := a.finishReason
	add(false, one(openai.Delta{}, &finish), nil)
	if includeUsage {
		usage := a.usage
		add(false, []openai.ChunkChoice{}, &usage)
	}
	events = append(events, []byte("data: [DONE]\n\n"))
	content = append(content, false)
	return events, content
}

// stream is a streamed answer's body: it hands out one event at a time.
type stream struct {
	ctx       context.Context
	events    [][]byte
	content   []bool
	next      int
	cur       []byte
	delay     time.Duration
	failAfter int
	sent      int // content chunks handed out
}

func (s *stream) Read(p []byte) (int, error) {
	if len(s.cur) == 0 {
		if s.next >= len(s.events) {
			return 0, io.EOF
		}
		if s.content[s.next] {
			if s.failAfter > 0 && s.sent == s.failAfter {
				return 0, io.ErrUnexpectedEOF
			}
			if s.sent > 0 {
				if err := sleep(s.ctx, s.delay); err != nil {
					return 0, err
				}
			}
			s.sent++
		}
		if err := s.ctx.Err(); err != nil {
			return 0, err
		}
		s.cur = s.events[s.next]
		s.next++
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

func (s *stream) Close() error {
	s.next = len(s.events)
	s.cur = nil
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
