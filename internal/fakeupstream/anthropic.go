package fakeupstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// AnthropicKey is the only x-api-key the Anthropic fake accepts.
const AnthropicKey = "sk-ant-api03-fake-upstream-key-0123456789"

// AnthropicAnswer is the text the Anthropic fake answers with.
const AnthropicAnswer = "Hello from the fake Claude, how can I help?"

// AnthropicServer is a fake of Anthropic's Messages API (POST /v1/messages)
// speaking its documented wire format: x-api-key and anthropic-version
// checked (a missing or wrong key gets Anthropic's 401 shape, with a
// message that quotes the key it got, as a careless upstream might), whole
// Messages, named-event streams, and Anthropic's error shape. It checks
// what a translator must get right: max_tokens present, turns alternating
// between user and assistant, tool_result blocks first in their message and
// answering a tool_use of the turn before, no temperature with thinking,
// temperature within 0 to 1 and not together with top_p.
//
// The upstream model name picks the behaviour:
//
//	fixture        a text answer (AnthropicAnswer); with tools, a tool_use of
//	               the first tool (input {"city":"Paris"} when its schema has a
//	               city, else {}); after tool results, a text that quotes them
//	               ("The tool said: ...")
//	cached         like fixture, with 2048 tokens read from and 100 written to
//	               the prompt cache
//	thinking       a thinking block, then the text
//	max-tokens     the text, stopped by max_tokens
//	status-NNN     an Anthropic error with status NNN (429 and 529 add
//	               retry-after: 7)
//	cut            streams the start and one delta, then resets the connection
//	stream-error   streams the start and one delta, then an error event
//
// Every request is recorded, and the usage of every answer is added up (see
// Billed).
type AnthropicServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*Request
	billed   AnthropicBilling
}

// AnthropicBilling adds up the usage the fake reported, in Anthropic's
// terms: InputTokens leaves out the cache reads and writes.
type AnthropicBilling struct {
	Calls            int
	InputTokens      int
	CacheReadTokens  int
	CacheWriteTokens int
	OutputTokens     int
}

// NewAnthropic starts the fake on 127.0.0.1. Close it when done.
func NewAnthropic() *AnthropicServer {
	s := &AnthropicServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests returns what the fake has received so far.
func (s *AnthropicServer) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// Last returns the last request received, or nil.
func (s *AnthropicServer) Last() *Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return nil
	}
	return s.requests[len(s.requests)-1]
}

// Billed returns the usage the fake has reported so far.
func (s *AnthropicServer) Billed() AnthropicBilling {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.billed
}

// fakeMessagesRequest is what the fake reads of a Messages request.
type fakeMessagesRequest struct {
	Model       string                 `json:"model"`
	MaxTokens   *int                   `json:"max_tokens"`
	Messages    []fakeMessage          `json:"messages"`
	Tools       []fakeTool             `json:"tools"`
	Stream      bool                   `json:"stream"`
	Temperature *float64               `json:"temperature"`
	TopP        *float64               `json:"top_p"`
	Thinking    *struct{ Type string } `json:"thinking"`
}

type fakeMessage struct {
	Role    string      `json:"role"`
	Content []fakeBlock `json:"content"`
}

// UnmarshalJSON takes content as a string or a list of blocks.
func (m *fakeMessage) UnmarshalJSON(b []byte) error {
	var v struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	m.Role = v.Role
	if len(v.Content) > 0 && v.Content[0] == '"' {
		var s string
		_ = json.Unmarshal(v.Content, &s)
		m.Content = []fakeBlock{{Type: "text", Text: s}}
		return nil
	}
	return json.Unmarshal(v.Content, &m.Content)
}

type fakeBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
}

type fakeTool struct {
	Name        string `json:"name"`
	InputSchema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"input_schema"`
}

// fakeAnswer is what the fake decided to answer.
type fakeAnswer struct {
	blocks     []map[string]any
	stopReason string
	input      int
	cacheRead  int
	cacheWrite int
	output     int
}

func (s *AnthropicServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &Request{Header: r.Header.Clone(), Body: body, done: make(chan struct{})}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	defer func() {
		rec.Cancelled = r.Context().Err() != nil
		close(rec.done)
	}()

	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		anthropicError(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("%s %s: not found", r.Method, r.URL.Path))
		return
	}
	if key := r.Header.Get("x-api-key"); key != AnthropicKey {
		anthropicError(w, http.StatusUnauthorized, "authentication_error", fmt.Sprintf("invalid x-api-key %q", key))
		return
	}
	if r.Header.Get("anthropic-version") == "" {
		anthropicError(w, http.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required")
		return
	}
	var req fakeMessagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		anthropicError(w, http.StatusBadRequest, "invalid_request_error", "fake: the body is not a Messages request: "+err.Error())
		return
	}
	if msg := checkMessagesRequest(&req); msg != "" {
		anthropicError(w, http.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	if code, ok := strings.CutPrefix(req.Model, "status-"); ok {
		status, _ := strconv.Atoi(code)
		if status == http.StatusTooManyRequests || status == 529 {
			w.Header().Set("retry-after", "7")
		}
		anthropicError(w, status, anthropicErrorType(status), fmt.Sprintf("fake upstream says %d", status))
		return
	}
	a, ok := s.decide(&req, len(body))
	if !ok {
		anthropicError(w, http.StatusNotFound, "not_found_error", "model: "+req.Model)
		return
	}
	if !req.Stream {
		s.bill(a)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("request-id", "req_fake_whole")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "msg_fake01", "type": "message", "role": "assistant", "model": req.Model, "content": a.blocks,
			"stop_reason": a.stopReason, "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": a.input, "cache_read_input_tokens": a.cacheRead,
				"cache_creation_input_tokens": a.cacheWrite, "output_tokens": a.output},
		})
		return
	}
	s.stream(w, req.Model, a)
}

// checkMessagesRequest says what is wrong with a request, or "".
func checkMessagesRequest(req *fakeMessagesRequest) string {
	switch {
	case req.Model == "":
		return "model: Field required"
	case req.MaxTokens == nil:
		return "max_tokens: Field required"
	case len(req.Messages) == 0:
		return "messages: at least one message is required"
	case req.Thinking != nil && req.Temperature != nil:
		return "temperature may not be set when thinking is enabled"
	case req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 1):
		return "temperature: Input should be less than or equal to 1"
	case req.Temperature != nil && req.TopP != nil:
		return "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
	}
	toolUses := map[string]bool{}
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return fmt.Sprintf("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		if i > 0 && req.Messages[i-1].Role == m.Role {
			return fmt.Sprintf("messages.%d: roles must alternate between \"user\" and \"assistant\"", i)
		}
		if len(m.Content) == 0 {
			return fmt.Sprintf("messages.%d: all messages must have non-empty content", i)
		}
		results := true
		for j, b := range m.Content {
			switch b.Type {
			case "tool_result":
				if m.Role != "user" || !results {
					return fmt.Sprintf("messages.%d.content.%d: tool_result blocks must come first in a user message", i, j)
				}
				if !toolUses[b.ToolUseID] {
					return fmt.Sprintf("messages.%d.content.%d: unexpected tool_use_id %q: it answers no tool_use of the previous message", i, j, b.ToolUseID)
				}
			case "text":
				results = false
				if b.Text == "" {
					return fmt.Sprintf("messages.%d.content.%d: text content blocks must be non-empty", i, j)
				}
			default:
				results = false
			}
		}
		if m.Role == "assistant" {
			toolUses = map[string]bool{}
			for _, b := range m.Content {
				if b.Type == "tool_use" {
					toolUses[b.ID] = true
				}
			}
		}
	}
	return ""
}

// decide picks the answer for the request's model.
func (s *AnthropicServer) decide(req *fakeMessagesRequest, bodyLen int) (fakeAnswer, bool) {
	a := fakeAnswer{stopReason: "end_turn", input: bodyLen/8 + 1}
	text := func(t string) map[string]any { return map[string]any{"type": "text", "text": t} }
	switch req.Model {
	case "fixture", "cached", "thinking", "max-tokens", "cut", "stream-error":
	default:
		return a, false
	}
	last := req.Messages[len(req.Messages)-1]
	var results []string
	for _, b := range last.Content {
		if b.Type == "tool_result" {
			results = append(results, toolResultText(b.Content))
		}
	}
	switch {
	case len(results) > 0:
		a.blocks = append(a.blocks, text("The tool said: "+strings.Join(results, "; ")))
	case len(req.Tools) > 0:
		input := map[string]any{}
		if _, ok := req.Tools[0].InputSchema.Properties["city"]; ok {
			input["city"] = "Paris"
		}
		a.blocks = append(a.blocks, text("Let me check."),
			map[string]any{"type": "tool_use", "id": "toolu_fake01", "name": req.Tools[0].Name, "input": input})
		a.stopReason = "tool_use"
	default:
		a.blocks = append(a.blocks, text(AnthropicAnswer))
	}
	switch req.Model {
	case "cached":
		a.cacheRead, a.cacheWrite = 2048, 100
	case "thinking":
		a.blocks = append([]map[string]any{{"type": "thinking", "thinking": "The user greets me; I greet back.", "signature": "EqQBCgIYAhIMfake"}}, a.blocks...)
	case "max-tokens":
		a.stopReason = "max_tokens"
	}
	for _, b := range a.blocks {
		for _, v := range b {
			if s, ok := v.(string); ok {
				a.output += len(strings.Fields(s))
			}
		}
	}
	return a, true
}

// toolResultText is a tool_result's content as text.
func toolResultText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []fakeBlock
	_ = json.Unmarshal(raw, &blocks)
	var texts []string
	for _, b := range blocks {
		texts = append(texts, b.Text)
	}
	return strings.Join(texts, " ")
}

func (s *AnthropicServer) bill(a fakeAnswer) {
	s.mu.Lock()
	s.billed.Calls++
	s.billed.InputTokens += a.input
	s.billed.CacheReadTokens += a.cacheRead
	s.billed.CacheWriteTokens += a.cacheWrite
	s.billed.OutputTokens += a.output
	s.mu.Unlock()
}

// stream sends the answer as Anthropic's named events, flushed one by one.
func (s *AnthropicServer) stream(w http.ResponseWriter, model string, a fakeAnswer) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("request-id", "req_fake_stream")
	flusher := w.(http.Flusher)
	send := func(name string, data map[string]any) {
		b, _ := json.Marshal(data)
		_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
		flusher.Flush()
	}
	send("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_fake02", "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": a.input, "cache_read_input_tokens": a.cacheRead,
			"cache_creation_input_tokens": a.cacheWrite, "output_tokens": 1}}})
	for i, b := range a.blocks {
		typ := b["type"].(string)
		start := map[string]any{"type": typ}
		var deltas []map[string]any
		switch typ {
		case "text":
			start["text"] = ""
			for _, piece := range splitWords(b["text"].(string)) {
				deltas = append(deltas, map[string]any{"type": "text_delta", "text": piece})
			}
		case "thinking":
			start["thinking"] = ""
			deltas = append(deltas, map[string]any{"type": "thinking_delta", "thinking": b["thinking"]},
				map[string]any{"type": "signature_delta", "signature": b["signature"]})
		case "tool_use":
			start["id"], start["name"], start["input"] = b["id"], b["name"], map[string]any{}
			input, _ := json.Marshal(b["input"])
			half := len(input) / 2
			deltas = append(deltas, map[string]any{"type": "input_json_delta", "partial_json": ""},
				map[string]any{"type": "input_json_delta", "partial_json": string(input[:half])},
				map[string]any{"type": "input_json_delta", "partial_json": string(input[half:])})
		}
		send("content_block_start", map[string]any{"type": "content_block_start", "index": i, "content_block": start})
		if i == 0 {
			send("ping", map[string]any{"type": "ping"})
		}
		for k, d := range deltas {
			send("content_block_delta", map[string]any{"type": "content_block_delta", "index": i, "delta": d})
			if k == 0 && (model == "cut" || model == "stream-error") {
				if model == "stream-error" {
					send("error", map[string]any{"type": "error", "error": map[string]any{"type": "overloaded_error", "message": "Overloaded"}})
					return
				}
				panic(http.ErrAbortHandler) // resets the connection mid-stream
			}
		}
		send("content_block_stop", map[string]any{"type": "content_block_stop", "index": i})
	}
	s.bill(a)
	send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": a.stopReason, "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": a.output}})
	send("message_stop", map[string]any{"type": "message_stop"})
}

// splitWords splits a text into word-sized deltas that join back to it.
func splitWords(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s[1:], ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func anthropicError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "req_fake_error")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}, "request_id": "req_fake_error"})
	_, _ = w.Write(b)
}

// anthropicErrorType is the error type Anthropic documents for a status.
func anthropicErrorType(status int) string {
	switch status {
	case 400:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 402:
		return "billing_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 504:
		return "timeout_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}
