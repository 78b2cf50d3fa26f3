// Package apierror holds the errors the gateway itself answers with, and
// writes them in the error shape the client speaks: OpenAI's
// {"error":{"message","type","param","code"}} or Anthropic's
// {"type":"error","error":{"type","message"}}.
//
// The status and OpenAI code of each case are part of Sluice's public
// contract (DESIGN.md, "Errors"); the constructors below are the only place
// they are chosen.
package apierror

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Shape is the API dialect a client speaks, which decides how its errors look.
type Shape uint8

const (
	// OpenAI is the shape of OpenAI's APIs (chat completions, responses,
	// embeddings, models) and of every OpenAI-compatible client.
	OpenAI Shape = iota
	// Anthropic is the shape of Anthropic's Messages API.
	Anthropic
)

// Error is an error the gateway answers with. Message says what the caller
// should change; it never holds an upstream key or another consumer's data.
type Error struct {
	Status  int    // HTTP status
	Code    string // OpenAI "code", e.g. "model_not_found"
	Type    string // OpenAI "type"; empty means derived from Status
	Param   string // OpenAI "param": the request field at fault, if one is
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header in whole
	// seconds.
	RetryAfter int
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// InvalidRequest is a malformed or invalid request: 400 invalid_request.
func InvalidRequest(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Param: param, Message: fmt.Sprintf(format, args...)}
}

// ModelNotFound is a model no `model` block of this site declares: 404.
func ModelNotFound(model string) *Error {
	return &Error{
		Status:  http.StatusNotFound,
		Code:    "model_not_found",
		Param:   "model",
		Message: fmt.Sprintf("The model %q does not exist on this gateway; GET /v1/models lists the models it serves.", model),
	}
}

// RequestTooLarge is a body over the handler's max_body: 413.
func RequestTooLarge(limit int64) *Error {
	return &Error{
		Status:  http.StatusRequestEntityTooLarge,
		Code:    "request_too_large",
		Message: fmt.Sprintf("The request body is larger than this gateway accepts (%d bytes; see max_body).", limit),
	}
}

// MethodNotAllowed is a known endpoint asked with the wrong method: 405.
func MethodNotAllowed(method, path, allow string) *Error {
	return &Error{
		Status:  http.StatusMethodNotAllowed,
		Code:    "method_not_allowed",
		Message: fmt.Sprintf("%s %s is not supported; use %s.", method, path, allow),
	}
}

// Upstream is a failed upstream call that produced no usable answer (refused
// connection, reset, malformed answer): 502 upstream_error.
func Upstream(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadGateway, Code: "upstream_error", Type: "server_error", Message: fmt.Sprintf(format, args...)}
}

// UpstreamTimeout is an upstream call that ran out of time: 504
// upstream_timeout.
func UpstreamTimeout(format string, args ...any) *Error {
	return &Error{Status: http.StatusGatewayTimeout, Code: "upstream_timeout", Type: "server_error", Message: fmt.Sprintf(format, args...)}
}

// Internal is a fault of the gateway itself: 500.
func Internal(format string, args ...any) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal_error", Type: "server_error", Message: fmt.Sprintf(format, args...)}
}

// InvalidAPIKey is a missing or unknown consumer key: 401. The message never
// echoes the key that was sent.
func InvalidAPIKey(missing bool) *Error {
	msg := "The API key is not valid for this gateway."
	if missing {
		msg = "No API key was sent; send it as \"Authorization: Bearer KEY\" or \"x-api-key: KEY\"."
	}
	return &Error{Status: http.StatusUnauthorized, Code: "invalid_api_key", Message: msg}
}

// ModelNotAllowed is a model outside the consumer's `models`: 403.
func ModelNotAllowed(consumer, model string) *Error {
	return &Error{
		Status:  http.StatusForbidden,
		Code:    "model_not_allowed",
		Param:   "model",
		Message: fmt.Sprintf("The consumer %s may not use the model %q.", consumer, model),
	}
}

// RateLimited is a call over one of the consumer's rate limits: 429 with
// Retry-After (at least one second).
func RateLimited(retryAfterSeconds int, format string, args ...any) *Error {
	return &Error{
		Status: http.StatusTooManyRequests, Code: "rate_limit_exceeded", Type: "rate_limit_error",
		Message: fmt.Sprintf(format, args...), RetryAfter: max(retryAfterSeconds, 1),
	}
}

// InsufficientQuota is a call the consumer's budget cannot cover: 429 with
// Retry-After (until the budget's period renews), shaped like OpenAI's own
// "insufficient_quota" answer.
func InsufficientQuota(retryAfterSeconds int, format string, args ...any) *Error {
	return &Error{
		Status: http.StatusTooManyRequests, Code: "insufficient_quota", Type: "insufficient_quota",
		Message: fmt.Sprintf(format, args...), RetryAfter: max(retryAfterSeconds, 1),
	}
}

// StoreUnavailable is a call refused because the limits store could not be
// reached and the gateway is set to fail closed: 503.
func StoreUnavailable() *Error {
	return &Error{
		Status: http.StatusServiceUnavailable, Code: "store_unavailable", Type: "server_error", RetryAfter: 1,
		Message: "The gateway cannot check rate limits and budgets right now (its store is unreachable); try again shortly.",
	}
}

// openAIType is the OpenAI error "type" for a status, as OpenAI's own API
// answers it.
func openAIType(status int) string {
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
	default:
		return "invalid_request_error"
	}
}

// anthropicType is the Anthropic error "type" for a status, from Anthropic's
// documented list.
func anthropicType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == 529:
		return "overloaded_error"
	case status >= 500:
		return "api_error"
	default:
		return "invalid_request_error"
	}
}

// Body renders e in the given shape.
func (e *Error) Body(shape Shape) []byte {
	var v any
	if shape == Anthropic {
		v = anthropicBody{Type: "error", Error: anthropicDetail{Type: anthropicType(e.Status), Message: e.Message}}
	} else {
		typ := e.Type
		if typ == "" {
			typ = openAIType(e.Status)
		}
		d := openAIDetail{Message: e.Message, Type: typ, Code: e.Code}
		if e.Param != "" {
			d.Param = &e.Param
		}
		v = openAIBody{Error: d}
	}
	b, _ := json.Marshal(v) // cannot fail: plain strings
	return b
}

type openAIBody struct {
	Error openAIDetail `json:"error"`
}

type openAIDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

type anthropicBody struct {
	Type  string          `json:"type"`
	Error anthropicDetail `json:"error"`
}

type anthropicDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Write sends e to the client in the given shape.
func Write(w http.ResponseWriter, shape Shape, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	body := e.Body(shape)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
