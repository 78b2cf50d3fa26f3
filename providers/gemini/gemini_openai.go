package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The answer half: a Gemini GenerateContentResponse becomes an OpenAI chat
// completion, and a Google error an OpenAI error body.

// now is the clock of the "created" field; tests fix it.
var now = time.Now

// errPromptBlocked is an answer without candidates because Gemini refused
// the prompt (promptFeedback.blockReason).
type errPromptBlocked struct{ reason string }

func (e *errPromptBlocked) Error() string {
	return fmt.Sprintf("Gemini blocked the prompt (blockReason %s) and gave no answer.", e.reason)
}

// translateCompletion turns a whole Gemini answer into a chat.completion.
// model names the answer when Gemini does not (modelVersion).
func translateCompletion(body []byte, model string) ([]byte, error) {
	var r generateResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("the answer is not a Gemini GenerateContentResponse: %v", err)
	}
	if r.Error != nil {
		return nil, fmt.Errorf("the answer is an error: %s", r.Error.Message)
	}
	if len(r.Candidates) == 0 {
		if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
			return nil, &errPromptBlocked{reason: r.PromptFeedback.BlockReason}
		}
		return nil, errors.New("the answer has no candidates")
	}
	if r.ModelVersion != "" {
		model = r.ModelVersion
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, `{"id":`...)
	out = appendCompletionID(out, r.ResponseID)
	out = append(out, `,"object":"chat.completion","created":`...)
	out = strconv.AppendInt(out, now().Unix(), 10)
	out = append(out, `,"model":`...)
	out = appendString(out, model)
	out = append(out, `,"choices":[`...)
	calls := 0 // numbers tool calls across candidates, for unique ids
	for i := range r.Candidates {
		c := &r.Candidates[i]
		if i > 0 {
			out = append(out, ',')
		}
		index := c.Index
		if index == 0 {
			index = i
		}
		out = append(out, `{"index":`...)
		out = strconv.AppendInt(out, int64(index), 10)
		out = append(out, `,"message":{"role":"assistant","content":`...)
		var text strings.Builder
		hasCalls := false
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				if p.FunctionCall != nil {
					hasCalls = true
				} else if !p.Thought {
					text.WriteString(p.Text)
				}
			}
		}
		if hasCalls && text.Len() == 0 {
			out = append(out, "null"...)
		} else {
			out = appendString(out, text.String())
		}
		out = append(out, `,"refusal":null`...)
		if hasCalls {
			out = append(out, `,"tool_calls":[`...)
			first := true
			for _, p := range c.Content.Parts {
				if p.FunctionCall == nil {
					continue
				}
				if !first {
					out = append(out, ',')
				}
				first = false
				out = appendToolCall(out, -1, r.ResponseID, calls, &p)
				calls++
			}
			out = append(out, ']')
		}
		out = append(out, `},"logprobs":null,"finish_reason":`...)
		out = appendString(out, finishReason(c.FinishReason, hasCalls))
		out = append(out, '}')
	}
	out = append(out, ']')
	if r.UsageMetadata != nil {
		out = append(out, `,"usage":`...)
		out = appendUsage(out, r.UsageMetadata)
	}
	return append(out, '}'), nil
}

// appendCompletionID writes "chatcmpl-" and the responseId (a random id
// when Gemini gave none), as a JSON string.
func appendCompletionID(dst []byte, responseID string) []byte {
	dst = append(dst, `"chatcmpl-`...)
	if responseID == "" {
		const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		for range 24 {
			dst = append(dst, alphabet[rand.IntN(len(alphabet))])
		}
	}
	for i := 0; i < len(responseID); i++ {
		// Google's ids are URL-safe; anything else is left out rather
		// than escaped.
		if c := responseID[i]; c > 0x20 && c < 0x7f && c != '"' && c != '\\' {
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// appendToolCall writes one OpenAI tool call for a functionCall part:
// {"index":k,...} in a stream delta (index >= 0), without it in a message.
func appendToolCall(dst []byte, index int, responseID string, n int, p *part) []byte {
	dst = append(dst, '{')
	if index >= 0 {
		dst = append(dst, `"index":`...)
		dst = strconv.AppendInt(dst, int64(index), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"id":"`...)
	dst = toolCallID(dst, responseID, n, p.FunctionCall.ID, p.ThoughtSignature)
	dst = append(dst, `","type":"function","function":{"name":`...)
	dst = appendString(dst, p.FunctionCall.Name)
	dst = append(dst, `,"arguments":`...)
	dst = appendArguments(dst, p.FunctionCall.Args)
	return append(dst, "}}"...)
}

// appendArguments writes a functionCall's args (a JSON object) as OpenAI's
// arguments string: the compact JSON, or "{}" without args.
func appendArguments(dst []byte, args json.RawMessage) []byte {
	args = bytes.TrimSpace(args)
	if len(args) == 0 || string(args) == "null" {
		return append(dst, `"{}"`...)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, args); err == nil {
		args = compact.Bytes()
	}
	return appendString(dst, string(args))
}

// finishReason maps Gemini's finishReason. An answer with function calls
// finishes with tool_calls, as OpenAI's do; the safety-like reasons are
// content_filter; an unknown or missing reason is stop.
func finishReason(reason string, hasCalls bool) string {
	if hasCalls {
		return "tool_calls"
	}
	switch reason {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
		"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return "content_filter"
	}
	return "stop"
}

// appendUsage writes OpenAI's usage from Gemini's counts: prompt_tokens is
// the prompt (its cached part included, as OpenAI counts it) plus the
// prompt of tool use; completion_tokens is the answer plus the thoughts
// (OpenAI counts reasoning in completion_tokens).
func appendUsage(dst []byte, u *usageMetadata) []byte {
	prompt := u.PromptTokenCount + u.ToolUsePromptTokenCount
	completion := u.CandidatesTokenCount + u.ThoughtsTokenCount
	total := u.TotalTokenCount
	if total == 0 {
		total = prompt + completion
	}
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(completion), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(total), 10)
	dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CachedContentTokenCount), 10)
	dst = append(dst, `},"completion_tokens_details":{"reasoning_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.ThoughtsTokenCount), 10)
	return append(dst, "}}"...)
}

// openAIError is OpenAI's error body.
type openAIError struct {
	Error openAIErrorDetail `json:"error"`
}

type openAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

func errorJSON(status int, message, code, param string) []byte {
	d := openAIErrorDetail{Message: message, Type: errorType(status), Code: code}
	if param != "" {
		d.Param = &param
	}
	b, _ := json.Marshal(openAIError{Error: d})
	return b
}

// errorType is OpenAI's error type for a status.
func errorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

// translateError turns a Google error answer into OpenAI's error body: the
// message kept (every key the provider holds blanked out, should one ever
// be quoted), the type from the status, the code Google's status word
// (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, ...). Google's details are not
// passed on: a DebugInfo detail can quote the key that was sent. It also
// returns the seconds of a RetryInfo delay (0: none).
func translateError(status int, body []byte, keys []string) ([]byte, int) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil || eb.Error == nil || eb.Error.Message == "" {
		text := strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD"))
		if len(text) > 512 {
			text = strings.ToValidUTF8(text[:512], "") + "..."
		}
		msg := fmt.Sprintf("Gemini answered %d %s.", status, http.StatusText(status))
		if text != "" && !strings.HasPrefix(text, "<") {
			msg = fmt.Sprintf("Gemini answered %d %s: %s", status, http.StatusText(status), text)
		}
		return errorJSON(status, redact(msg, keys), "upstream_error", ""), 0
	}
	code := eb.Error.Status
	if code == "" {
		code = "upstream_error"
	}
	retry := 0
	for _, d := range eb.Error.Details {
		if strings.HasSuffix(d.Type, "google.rpc.RetryInfo") && d.RetryDelay != "" {
			if secs, err := strconv.ParseFloat(strings.TrimSuffix(d.RetryDelay, "s"), 64); err == nil && secs > 0 {
				retry = int(math.Ceil(math.Min(secs, 3600)))
			}
		}
	}
	return errorJSON(status, redact(eb.Error.Message, keys), code, ""), retry
}

// isKeyInvalid tells Google's answer to a wrong API key: 400
// INVALID_ARGUMENT whose ErrorInfo reason is API_KEY_INVALID.
func isKeyInvalid(body []byte) bool {
	if !bytes.Contains(body, []byte("API_KEY_INVALID")) {
		return false
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil || eb.Error == nil {
		return false
	}
	for _, d := range eb.Error.Details {
		if d.Reason == "API_KEY_INVALID" {
			return true
		}
	}
	return false
}

func redact(s string, keys []string) string {
	for _, k := range keys {
		if len(k) >= 8 && strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	return s
}
