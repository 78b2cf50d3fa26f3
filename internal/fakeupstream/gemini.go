package fakeupstream

import (
	"encoding/base64"
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

// GeminiServer fakes Google's Gemini API (v1beta): POST
// /v1beta/models/{model}:generateContent and
// :streamGenerateContent?alt=sse, the key in the x-goog-api-key header
// (none: 403 PERMISSION_DENIED; a wrong one: 400 INVALID_ARGUMENT with
// reason API_KEY_INVALID and, as Google does, a DebugInfo detail quoting
// the key), Google's error shape, and server-sent events of whole
// GenerateContentResponse objects. Requests are decoded strictly against
// the documented request shape: an unknown field anywhere (a JSON Schema
// keyword Gemini's Schema lacks, say) is a 400, as Gemini answers it.
//
// The model name picks the behaviour:
//
//	fixture          a text answer (streamed in three events), with thoughts
//	                 and cached tokens in its usage
//	tools            acts as Gemini 3 would: when functions are declared and
//	                 the conversation does not end with their results, it
//	                 calls the first function (args: "Paris" for each
//	                 required string parameter) with a thoughtSignature;
//	                 after the results, it answers with a text quoting them.
//	                 A history whose function calls lack a signature the
//	                 fake issued (or Google's skip sentinel) is refused, as
//	                 Gemini 3 does
//	parallel-tools   like tools, calling every declared function at once
//	blocked          the prompt is blocked (promptFeedback.blockReason SAFETY)
//	status-NNN       a Google error with status NNN (429 adds a RetryInfo
//	                 delay of 7s)
//	cut              streams two events, then resets the connection
//	error-mid        streams one event, then an error event
//	hang             streams one event, then waits for the client to go
//
// Any other model is Google's 404 NOT_FOUND. The usage of every complete
// answer is added up (GeminiBilled), in OpenAI's terms.
type GeminiServer struct {
	*httptest.Server
	// Key is the API key the fake accepts.
	Key string

	mu         sync.Mutex
	requests   []*GeminiRequest
	signatures map[string]bool
	billed     GeminiBilling
	calls      int
}

// GeminiRequest is what the Gemini fake received.
type GeminiRequest struct {
	Request
	Method string // "generateContent" or "streamGenerateContent"
	Model  string
	Query  string // the raw query string
}

// GeminiBilling adds up the usage the fake reported, counted as OpenAI
// counts it: input includes the cached part, output the thoughts.
type GeminiBilling struct {
	Calls           int
	InputTokens     int
	OutputTokens    int
	CachedTokens    int
	ReasoningTokens int
}

// GeminiKey is the key NewGemini accepts.
const GeminiKey = "AIzaSy-fake-gemini-key-0123456789abcdef"

// NewGemini starts a Gemini fake on 127.0.0.1. Close it when done.
func NewGemini() *GeminiServer {
	s := &GeminiServer{Key: GeminiKey, signatures: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests returns what the fake has received so far.
func (s *GeminiServer) Requests() []*GeminiRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*GeminiRequest(nil), s.requests...)
}

// Last returns the last request received, or nil.
func (s *GeminiServer) Last() *GeminiRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return nil
	}
	return s.requests[len(s.requests)-1]
}

// Billed returns the usage reported so far.
func (s *GeminiServer) Billed() GeminiBilling {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.billed
}

func (s *GeminiServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &GeminiRequest{Request: Request{Header: r.Header.Clone(), Body: body, done: make(chan struct{})}, Query: r.URL.RawQuery}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	defer func() {
		rec.Cancelled = r.Context().Err() != nil
		close(rec.done)
	}()

	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	model, method, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || r.Method != http.MethodPost {
		googleError(w, 404, "NOT_FOUND", fmt.Sprintf("The requested URL %s was not found on this server.", r.URL.Path), nil)
		return
	}
	rec.Model, rec.Method = model, method
	switch key := r.Header.Get("x-goog-api-key"); {
	case key == "":
		googleError(w, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", nil)
		return
	case key != s.Key:
		googleError(w, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", []any{
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
				"metadata": map[string]string{"service": "generativelanguage.googleapis.com"}},
			map[string]any{"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": "Invalid API key: " + key},
		})
		return
	}
	stream := method == "streamGenerateContent"
	if !stream && method != "generateContent" {
		googleError(w, 404, "NOT_FOUND", fmt.Sprintf("Method %s is not supported by this fake.", method), nil)
		return
	}
	if stream && r.URL.Query().Get("alt") != "sse" {
		googleError(w, 400, "INVALID_ARGUMENT", "This fake streams only server-sent events: add alt=sse.", nil)
		return
	}
	req, err := decodeGeminiRequest(body)
	if err != nil {
		googleError(w, 400, "INVALID_ARGUMENT", err.Error(), nil)
		return
	}
	if code, ok := strings.CutPrefix(model, "status-"); ok {
		status, _ := strconv.Atoi(code)
		var details []any
		if status == http.StatusTooManyRequests {
			details = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}}
		}
		googleError(w, status, googleStatus(status), fmt.Sprintf("fake Gemini says %d", status), details)
		return
	}
	switch model {
	case "fixture", "blocked", "cut", "error-mid", "hang":
		s.answer(w, r, req, model, stream, geminiText(req))
	case "tools", "parallel-tools":
		if msg := s.checkSignatures(req); msg != "" {
			googleError(w, 400, "INVALID_ARGUMENT", msg, nil)
			return
		}
		s.answer(w, r, req, model, stream, s.toolTurn(req, model == "parallel-tools"))
	default:
		googleError(w, 404, "NOT_FOUND", fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.", model), nil)
	}
}

// geminiText is the fixture's answer, cut into the events a stream sends.
func geminiText(*geminiRequest) []map[string]any {
	return []map[string]any{
		{"text": "Gemini says"}, {"text": " hello through"}, {"text": " the gateway."},
	}
}

// toolTurn is the answer of a tools model: function calls, or a text
// quoting the function results the conversation ends with.
func (s *GeminiServer) toolTurn(req *geminiRequest, all bool) []map[string]any {
	last := req.Contents[len(req.Contents)-1]
	var results []string
	for _, p := range last.Parts {
		if p.FunctionResponse != nil {
			results = append(results, p.FunctionResponse.Name+"="+string(p.FunctionResponse.Response))
		}
	}
	var decls []geminiFunctionDecl
	for _, t := range req.Tools {
		decls = append(decls, t.FunctionDeclarations...)
	}
	if len(results) > 0 || len(decls) == 0 {
		text := "No tools were given."
		if len(results) > 0 {
			text = "The tools said: " + strings.Join(results, "; ")
		}
		return []map[string]any{{"text": text}}
	}
	if !all {
		decls = decls[:1]
	}
	var parts []map[string]any
	for i, d := range decls {
		args := map[string]any{}
		if d.Parameters != nil {
			for _, name := range d.Parameters.Required {
				if p := d.Parameters.Properties[name]; p != nil && strings.EqualFold(p.Type, "string") {
					args[name] = "Paris"
				}
			}
		}
		part := map[string]any{"functionCall": map[string]any{"name": d.Name, "args": args}}
		if i == 0 { // Gemini 3 signs the first call of a step
			s.mu.Lock()
			s.calls++
			sig := base64.StdEncoding.EncodeToString([]byte{0xfb, 0xef, 0xff, byte(s.calls), 'x'})
			s.signatures[sig] = true
			s.mu.Unlock()
			part["thoughtSignature"] = sig
		}
		parts = append(parts, part)
	}
	return parts
}

// checkSignatures refuses, as Gemini 3 does, a history whose turns of
// function calls do not start with a signature this fake issued (or the
// documented skip value).
func (s *GeminiServer) checkSignatures(req *geminiRequest) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range req.Contents {
		if c.Role != "model" {
			continue
		}
		for _, p := range c.Parts {
			if p.FunctionCall == nil {
				continue
			}
			// Only the first call of a turn carries a signature.
			if p.ThoughtSignature == "" {
				return fmt.Sprintf("Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:%s` , position %d.", p.FunctionCall.Name, i+1)
			}
			if p.ThoughtSignature != "skip_thought_signature_validator" && !s.signatures[p.ThoughtSignature] {
				return "Corrupted thought signature."
			}
			break
		}
	}
	return ""
}

// answer sends parts as the model's answer: whole, or one event per part
// (the usage growing as Gemini's does), with the behaviour's faults.
func (s *GeminiServer) answer(w http.ResponseWriter, r *http.Request, req *geminiRequest, model string, stream bool, parts []map[string]any) {
	prompt := promptTokens(req)
	usage := func(out int, final bool) map[string]any {
		u := map[string]any{"promptTokenCount": prompt, "totalTokenCount": prompt + out,
			"promptTokensDetails": []any{map[string]any{"modality": "TEXT", "tokenCount": prompt}}}
		if out > 0 {
			u["candidatesTokenCount"] = out
		}
		if final && model == "fixture" {
			u["thoughtsTokenCount"], u["cachedContentTokenCount"] = 5, prompt/4
			u["totalTokenCount"] = prompt + out + 5
		}
		return u
	}
	respID := fmt.Sprintf("fakeResp%d", time.Now().UnixNano()%1_000_000_000)
	if model == "blocked" {
		s.bill(prompt, 0, 0, 0)
		writeJSONEvent(w, stream, map[string]any{"promptFeedback": map[string]any{"blockReason": "SAFETY"},
			"usageMetadata": usage(0, false), "modelVersion": "fake-gemini", "responseId": respID})
		return
	}
	total := 0
	for _, p := range parts {
		total += partTokens(p)
	}
	candidate := func(ps []map[string]any, finish bool) map[string]any {
		c := map[string]any{"content": map[string]any{"role": "model", "parts": ps}, "index": 0}
		if finish {
			c["finishReason"] = "STOP"
		}
		return c
	}
	event := func(ps []map[string]any, out int, finish bool) map[string]any {
		return map[string]any{"candidates": []any{candidate(ps, finish)}, "usageMetadata": usage(out, finish),
			"modelVersion": "fake-gemini", "responseId": respID}
	}
	final := usage(total, true)
	billOut := total
	if t, ok := final["thoughtsTokenCount"].(int); ok {
		billOut += t
	}
	cached, _ := final["cachedContentTokenCount"].(int)
	thoughts, _ := final["thoughtsTokenCount"].(int)
	if !stream {
		s.bill(prompt, billOut, cached, thoughts)
		writeJSONEvent(w, false, event(parts, total, true))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	sent := 0
	for i, p := range parts {
		sent += partTokens(p)
		last := i == len(parts)-1
		switch {
		case model == "cut" && i == 2:
			panic(http.ErrAbortHandler)
		case model == "error-mid" && i == 1:
			_, _ = io.WriteString(w, `data: {"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`+"\r\n\r\n")
			flusher.Flush()
			return
		case model == "hang" && i == 1:
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		if last {
			s.bill(prompt, billOut, cached, thoughts)
		}
		writeJSONEvent(w, true, event([]map[string]any{p}, sent, last))
		flusher.Flush()
	}
}

func (s *GeminiServer) bill(in, out, cached, reasoning int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.billed.Calls++
	s.billed.InputTokens += in
	s.billed.OutputTokens += out
	s.billed.CachedTokens += cached
	s.billed.ReasoningTokens += reasoning
}

// promptTokens counts a request the fake's way: a token per four bytes of
// text, eight per other part, and a few per turn.
func promptTokens(req *geminiRequest) int {
	n := 3
	count := func(c *geminiContent) {
		n += 3
		for _, p := range c.Parts {
			if p.Text != nil {
				n += len(*p.Text)/4 + 1
			} else {
				n += 8
			}
		}
	}
	if req.SystemInstruction != nil {
		count(req.SystemInstruction)
	}
	for i := range req.Contents {
		count(&req.Contents[i])
	}
	return n
}

func partTokens(p map[string]any) int {
	if t, ok := p["text"].(string); ok {
		return len(strings.Fields(t))
	}
	return 8
}

func writeJSONEvent(w http.ResponseWriter, stream bool, v any) {
	b, _ := json.Marshal(v)
	if stream {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		_, _ = fmt.Fprintf(w, "data: %s\r\n\r\n", b)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(b)
}

// googleError writes Google's error shape.
func googleError(w http.ResponseWriter, status int, word, message string, details []any) {
	e := map[string]any{"code": status, "message": message, "status": word}
	if details != nil {
		e["details"] = details
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// googleStatus is the canonical status word Google uses with an HTTP status.
func googleStatus(status int) string {
	switch status {
	case 400:
		return "INVALID_ARGUMENT"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 500:
		return "INTERNAL"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	return "UNKNOWN"
}
