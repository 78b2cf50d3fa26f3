// Package fakeupstream is a fake OpenAI chat completions server for tests.
// It answers with recorded OpenAI wire fixtures, and the upstream model name
// of each request picks a behaviour, so one server can play every upstream a
// test config declares:
//
//	fixture        the recorded answer (chat_completion.json, or chat_stream.sse
//	               event by event, flushed, when "stream" is true; the usage
//	               chunk only when stream_options.include_usage is true)
//	status-NNN     an OpenAI-shaped error with status NNN (429 adds Retry-After: 7)
//	text-NNN       a plain-text error body with status NNN
//	slow           waits 3s before answering like fixture
//	cut            streams two events, then resets the connection
//	hang           sends headers and one event, then waits for the client to go
//	stall          sends headers, then nothing: waits for the client to go
//	garbage        200 with a body that is not JSON (or, streamed, not JSON events)
//	bill-N, bill-hang-N  bill like a provider (see Billing)
//	echo, leak     answer with a given text (see serveText)
//
// POST .../responses is answered like OpenAI's Responses API (see
// serveResponses), whatever the model.
//
// Every request is recorded, with whether its context ended before the
// handler did (a cancelled upstream call).
package fakeupstream

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed chat_completion.json
var Completion []byte

//go:embed chat_stream.sse
var Stream []byte

// Request is what the fake received.
type Request struct {
	Header http.Header
	URL    string // path and query
	Body   []byte
	// Cancelled is true when the caller went away before the answer was
	// complete. Read it after Wait returned true.
	Cancelled bool
	done      chan struct{}
}

// Wait waits until the fake has finished handling the request, or the
// timeout; it reports whether the handling finished.
func (r *Request) Wait(timeout time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Server is the fake upstream.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*Request
	book     billingBook
}

// New starts a fake on 127.0.0.1. Close it when done.
func New() *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests returns what the fake has received so far.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// Last returns the last request received, or nil.
func (s *Server) Last() *Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return nil
	}
	return s.requests[len(s.requests)-1]
}

// StreamEvents returns the data of the fixture stream's events.
func StreamEvents() []string {
	var out []string
	for _, block := range strings.Split(strings.TrimSpace(string(Stream)), "\n\n") {
		out = append(out, strings.TrimPrefix(block, "data: "))
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &Request{Header: r.Header.Clone(), URL: r.URL.RequestURI(), Body: body, done: make(chan struct{})}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	defer func() {
		rec.Cancelled = r.Context().Err() != nil
		close(rec.done)
	}()

	if s.serveResponses(w, r, body) {
		return
	}
	var req struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, `{"error":{"message":"fake: bad JSON","type":"invalid_request_error","param":null,"code":null}}`, 400)
		return
	}
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	if s.serveBilling(w, r, body, req.Model, req.Stream, includeUsage) || s.serveText(w, body, req.Model, req.Stream, includeUsage) {
		return
	}
	flusher := w.(http.Flusher)
	switch {
	case req.Model == "fixture" || req.Model == "slow":
		if req.Model == "slow" {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("x-request-id", "req_fixture")
			_, _ = w.Write(Completion)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		for _, ev := range StreamEvents() {
			if strings.Contains(ev, `"choices":[]`) && !includeUsage {
				continue
			}
			_, _ = fmt.Fprintf(w, "data: %s\n\n", ev)
			flusher.Flush()
		}
	case strings.HasPrefix(req.Model, "status-"):
		code, _ := strconv.Atoi(strings.TrimPrefix(req.Model, "status-"))
		w.Header().Set("Content-Type", "application/json")
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, `{"error":{"message":"fake upstream says %d","type":"fake_error","param":null,"code":"fake_%d"}}`, code, code)
	case strings.HasPrefix(req.Model, "text-"):
		code, _ := strconv.Atoi(strings.TrimPrefix(req.Model, "text-"))
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "upstream exploded")
	case req.Model == "cut":
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range StreamEvents()[:2] {
			_, _ = fmt.Fprintf(w, "data: %s\n\n", ev)
		}
		flusher.Flush()
		panic(http.ErrAbortHandler)
	case req.Model == "hang":
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = fmt.Fprintf(w, "data: %s\n\n", StreamEvents()[0])
		flusher.Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	case req.Model == "stall":
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		flusher.Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	case req.Model == "garbage":
		if req.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: {not json\n\ndata: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "<html>not json</html>")
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprintf(w, `{"error":{"message":"The model %s does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, req.Model)
	}
}
