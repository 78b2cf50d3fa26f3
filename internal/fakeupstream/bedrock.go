package fakeupstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BedrockServer is a fake of Amazon Bedrock's Converse API:
// POST /model/{modelId}/converse answers JSON, /converse-stream answers
// application/vnd.amazon.eventstream messages written with the AWS SDK's
// event stream encoder. Calls must be signed with SigV4 for the fake's
// region and service "bedrock" by its key pair (the signature is recomputed
// with the AWS SDK's signer and compared), or carry its Bedrock API key as
// a bearer token; anything else gets Bedrock's 403.
//
// The model ID picks a behaviour (it may be any Bedrock-like ID around the
// word, e.g. "anthropic.claude-status-429-v1:0"):
//
//	status-NNN   an error answer with status NNN and its AWS error type
//	cut          streams a few events, then resets the connection
//	exception    streams a few events, then a modelStreamErrorException
//	throttled    streams a throttlingException as its first message
//	garbage      200 with a body that is not JSON (or not event stream)
//	reasoning    the answer starts with a reasoning block
//	cache        the usage reports cache reads (100) and writes (20)
//	parallel     with tools: two calls of the first tool at once
//	otherwise    an answer: with tools offered and no tool result in the
//	             last user turn, a call of the first tool (input
//	             {"city":"Paris"} when its schema has a city); after tool
//	             results, a text that quotes them; else a fixed text
//
// Usage: inputTokens is the number of words in the system prompt and
// messages, outputTokens the number of words answered (plus 5 per tool call,
// 7 for reasoning); Billed adds up what was reported (a stream cut short
// reports nothing).
type BedrockServer struct {
	*httptest.Server
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	APIKey          string // a Bedrock API key, accepted as "Authorization: Bearer KEY"

	mu       sync.Mutex
	requests []*BedrockRequest
	book     billingBook
}

// BedrockRequest is a call the fake received.
type BedrockRequest struct {
	ModelID string // decoded from the path
	Stream  bool
	Auth    string // "sigv4" or "bearer"
	Header  http.Header
	Body    []byte
}

// BedrockAnswer is the text of the default answer.
const BedrockAnswer = "Hello from the fake Bedrock, how can I help?"

// NewBedrock starts a fake Bedrock runtime on 127.0.0.1, with region
// us-east-1, a fixed key pair and API key. Close it when done.
func NewBedrock() *BedrockServer {
	s := &BedrockServer{
		Region: "us-east-1", AccessKeyID: "AKIAFAKEBEDROCK00001", SecretAccessKey: "fake/bedrock/secret+key0000000000000000",
		APIKey: "bedrock-api-key-ZmFrZQ==",
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests returns the calls received so far.
func (s *BedrockServer) Requests() []*BedrockRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*BedrockRequest(nil), s.requests...)
}

// Last returns the last call received, or nil.
func (s *BedrockServer) Last() *BedrockRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return nil
	}
	return s.requests[len(s.requests)-1]
}

// Billed returns the usage the fake has reported so far (input tokens
// including cache reads and writes).
func (s *BedrockServer) Billed() Billing {
	s.book.mu.Lock()
	defer s.book.mu.Unlock()
	return s.book.b
}

func (s *BedrockServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/model/")
	escapedID, op, found := strings.Cut(rest, "/")
	modelID, err := url.PathUnescape(escapedID)
	if r.Method != http.MethodPost || !ok || !found || err != nil || (op != "converse" && op != "converse-stream") {
		bedrockError(w, http.StatusNotFound, "UnknownOperationException", "The requested operation is not recognized by the service.")
		return
	}
	authKind, status, typ, msg := s.authenticate(r, body)
	if status != 0 {
		bedrockError(w, status, typ, msg)
		return
	}
	rec := &BedrockRequest{ModelID: modelID, Stream: op == "converse-stream", Auth: authKind, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	var req converseCall
	if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) == 0 {
		bedrockError(w, http.StatusBadRequest, "ValidationException", "Malformed input request, please reformat your input and try again.")
		return
	}
	if code, ok := statusBehaviour(modelID); ok {
		bedrockError(w, code, awsErrorType(code), fmt.Sprintf("fake bedrock says %d", code))
		return
	}
	if strings.Contains(modelID, "garbage") {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html>not what you wanted</html>")
		return
	}
	ans := s.answerFor(modelID, &req)
	w.Header().Set("X-Amzn-Requestid", "fake-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if rec.Stream {
		s.stream(w, modelID, ans)
		return
	}
	s.book.add(ans.usage)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": ans.blocks()}},
		"stopReason": ans.stopReason,
		"usage":      ans.usage.wire(),
		"metrics":    map[string]any{"latencyMs": 42},
	})
}

// authenticate checks the call's SigV4 signature or bearer API key. A
// non-zero status is the refusal.
func (s *BedrockServer) authenticate(r *http.Request, body []byte) (kind string, status int, typ, msg string) {
	authz := r.Header.Get("Authorization")
	if key, ok := strings.CutPrefix(authz, "Bearer "); ok {
		if key != s.APIKey {
			return "", http.StatusForbidden, "UnrecognizedClientException", "Invalid API Key format: Must start with pre-defined prefix"
		}
		return "bearer", 0, "", ""
	}
	params, ok := strings.CutPrefix(authz, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	var credential, signedHeaders string
	for _, p := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		}
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || signedHeaders == "" {
		return "", http.StatusForbidden, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."
	}
	if scope[0] != s.AccessKeyID {
		return "", http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if scope[2] != s.Region || scope[3] != "bedrock" {
		return "", http.StatusForbidden, "InvalidSignatureException", fmt.Sprintf("Credential should be scoped to a valid region and service: %s/bedrock.", s.Region)
	}
	signed := strings.Split(signedHeaders, ";")
	if !contains(signed, "host") || !contains(signed, "x-amz-date") {
		return "", http.StatusForbidden, "InvalidSignatureException", "The request must sign host and x-amz-date."
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || when.Format("20060102") != scope[1] {
		return "", http.StatusForbidden, "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP."
	}
	// Recompute the signature over what arrived, as Bedrock would.
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.RequestURI, nil)
	for _, name := range signed {
		if name != "host" && name != "content-length" {
			again.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	again.ContentLength = r.ContentLength
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "bedrock", s.Region, when); err != nil ||
		again.Header.Get("Authorization") != authz {
		return "", http.StatusForbidden, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	}
	return "sigv4", 0, "", ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// statusBehaviour reads "status-NNN" out of a model ID.
func statusBehaviour(modelID string) (int, bool) {
	_, after, ok := strings.Cut(modelID, "status-")
	if !ok || len(after) < 3 {
		return 0, false
	}
	code, err := strconv.Atoi(after[:3])
	return code, err == nil && code >= 400 && code < 600
}

// awsErrorType is the Bedrock error type of a status.
func awsErrorType(status int) string {
	switch status {
	case 400:
		return "ValidationException"
	case 403:
		return "AccessDeniedException"
	case 404:
		return "ResourceNotFoundException"
	case 408:
		return "ModelTimeoutException"
	case 424:
		return "ModelErrorException"
	case 429:
		return "ThrottlingException"
	case 503:
		return "ServiceUnavailableException"
	default:
		return "InternalServerException"
	}
}

// bedrockError writes an error the way the Bedrock runtime does.
func bedrockError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", typ+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	w.Header().Set("X-Amzn-Requestid", "fake-error")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
}

// eventFrame writes one event stream message with the AWS SDK's encoder.
func eventFrame(w io.Writer, headers map[string]string, payload any) error {
	var hs eventstream.Headers
	for _, name := range []string{":event-type", ":exception-type", ":content-type", ":message-type"} {
		if v, ok := headers[name]; ok {
			hs.Set(name, eventstream.StringValue(v))
		}
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, eventstream.Message{Headers: hs, Payload: b}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// converseCall is the part of a Converse request the fake reads.
type converseCall struct {
	System   []struct{ Text string } `json:"system"`
	Messages []struct {
		Role    string `json:"role"`
		Content []struct {
			Text       string `json:"text"`
			ToolResult *struct {
				ToolUseID string                  `json:"toolUseId"`
				Content   []struct{ Text string } `json:"content"`
			} `json:"toolResult"`
		} `json:"content"`
	} `json:"messages"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec struct {
				Name        string `json:"name"`
				InputSchema struct {
					JSON struct {
						Properties map[string]json.RawMessage `json:"properties"`
					} `json:"json"`
				} `json:"inputSchema"`
			} `json:"toolSpec"`
		} `json:"tools"`
	} `json:"toolConfig"`
}

// bedrockUsage is what the fake reports for a call.
type bedrockUsage struct{ input, output, cacheRead, cacheWrite int }

func (u bedrockUsage) wire() map[string]int {
	m := map[string]int{"inputTokens": u.input, "outputTokens": u.output, "totalTokens": u.input + u.output + u.cacheRead + u.cacheWrite}
	if u.cacheRead > 0 || u.cacheWrite > 0 {
		m["cacheReadInputTokens"], m["cacheWriteInputTokens"] = u.cacheRead, u.cacheWrite
	}
	return m
}

func (b *billingBook) add(u bedrockUsage) {
	b.mu.Lock()
	b.b.Calls++
	b.b.InputTokens += u.input + u.cacheRead + u.cacheWrite
	b.b.OutputTokens += u.output
	b.mu.Unlock()
}

// bedrockToolCall is a tool call the fake makes.
type bedrockToolCall struct {
	id, name string
	input    map[string]any
}

// bedrockAnswer is what the fake answers a call with.
type bedrockAnswer struct {
	reasoning  string
	text       string
	calls      []bedrockToolCall
	stopReason string
	usage      bedrockUsage
}

func (s *BedrockServer) answerFor(modelID string, req *converseCall) *bedrockAnswer {
	words := 0
	for _, sys := range req.System {
		words += len(strings.Fields(sys.Text))
	}
	var results []string
	for i, m := range req.Messages {
		last := i == len(req.Messages)-1
		for _, c := range m.Content {
			words += len(strings.Fields(c.Text))
			if c.ToolResult != nil {
				for _, t := range c.ToolResult.Content {
					words += len(strings.Fields(t.Text))
					if last {
						results = append(results, t.Text)
					}
				}
			}
		}
	}
	ans := &bedrockAnswer{stopReason: "end_turn", usage: bedrockUsage{input: words}}
	switch {
	case len(results) > 0:
		ans.text = "The tools said: " + strings.Join(results, "; ")
	case req.ToolConfig != nil && len(req.ToolConfig.Tools) > 0:
		spec := req.ToolConfig.Tools[0].ToolSpec
		cities := []string{"Paris"}
		if strings.Contains(modelID, "parallel") {
			cities = append(cities, "Tokyo")
		}
		for i, city := range cities {
			input := map[string]any{}
			if _, ok := spec.InputSchema.JSON.Properties["city"]; ok {
				input["city"] = city
			}
			ans.calls = append(ans.calls, bedrockToolCall{id: fmt.Sprintf("tooluse_fake%d", i+1), name: spec.Name, input: input})
		}
		ans.stopReason = "tool_use"
	default:
		ans.text = BedrockAnswer
	}
	if strings.Contains(modelID, "reasoning") {
		ans.reasoning = "The user greets me; I answer kindly."
		ans.usage.output += 7
	}
	ans.usage.output += len(strings.Fields(ans.text)) + 5*len(ans.calls)
	if strings.Contains(modelID, "cache") {
		ans.usage.cacheRead, ans.usage.cacheWrite = 100, 20
	}
	return ans
}

// blocks is the answer's content as Converse returns it.
func (a *bedrockAnswer) blocks() []any {
	var out []any
	if a.reasoning != "" {
		out = append(out, map[string]any{"reasoningContent": map[string]any{"reasoningText": map[string]any{"text": a.reasoning, "signature": "c2lnbmF0dXJl"}}})
	}
	if a.text != "" {
		out = append(out, map[string]any{"text": a.text})
	}
	for _, c := range a.calls {
		out = append(out, map[string]any{"toolUse": map[string]any{"toolUseId": c.id, "name": c.name, "input": c.input}})
	}
	return out
}

// stream answers ConverseStream: messageStart, content block events (text
// a word per delta, tool input in two fragments), messageStop, metadata.
func (s *BedrockServer) stream(w http.ResponseWriter, modelID string, ans *bedrockAnswer) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	flusher := w.(http.Flusher)
	const pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ" // Bedrock pads payloads with "p"
	events := 0
	send := func(event string, payload map[string]any) {
		payload["p"] = pad[:events%len(pad)]
		_ = eventFrame(w, map[string]string{":event-type": event, ":content-type": "application/json", ":message-type": "event"}, payload)
		flusher.Flush()
		events++
	}
	fail := func(typ, msg string) {
		_ = eventFrame(w, map[string]string{":exception-type": typ, ":content-type": "application/json", ":message-type": "exception"}, map[string]any{"message": msg})
		flusher.Flush()
	}
	if strings.Contains(modelID, "throttled") {
		fail("throttlingException", "Too many requests, please wait before trying again.")
		return
	}
	if strings.Contains(modelID, "garbage") {
		_, _ = io.WriteString(w, "\x00\x00\x00\x20not an event stream at all, sorry")
		return
	}
	send("messageStart", map[string]any{"role": "assistant"})
	block := 0
	if ans.reasoning != "" {
		send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"reasoningContent": map[string]any{"text": ans.reasoning}}})
		send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"reasoningContent": map[string]any{"signature": "c2lnbmF0dXJl"}}})
		send("contentBlockStop", map[string]any{"contentBlockIndex": block})
		block++
	}
	if ans.text != "" {
		for i, word := range strings.SplitAfter(ans.text, " ") {
			send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"text": word}})
			if i == 1 && strings.Contains(modelID, "cut") {
				panic(http.ErrAbortHandler)
			}
			if i == 1 && strings.Contains(modelID, "exception") {
				fail("modelStreamErrorException", "The model stopped unexpectedly.")
				return
			}
		}
		send("contentBlockStop", map[string]any{"contentBlockIndex": block})
		block++
	}
	for _, c := range ans.calls {
		send("contentBlockStart", map[string]any{"contentBlockIndex": block, "start": map[string]any{"toolUse": map[string]any{"toolUseId": c.id, "name": c.name}}})
		input, _ := json.Marshal(c.input)
		half := len(input) / 2
		send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"toolUse": map[string]any{"input": string(input[:half])}}})
		send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"toolUse": map[string]any{"input": string(input[half:])}}})
		send("contentBlockStop", map[string]any{"contentBlockIndex": block})
		block++
	}
	send("messageStop", map[string]any{"stopReason": ans.stopReason})
	s.book.add(ans.usage)
	send("metadata", map[string]any{"usage": ans.usage.wire(), "metrics": map[string]any{"latencyMs": 42}})
}
