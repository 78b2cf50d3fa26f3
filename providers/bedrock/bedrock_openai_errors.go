package bedrock

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// maxErrorBody bounds the part of an error answer read.
const maxErrorBody = 64 << 10

// translateErrorResponse turns a Bedrock error answer ({"message":...} with
// the error type in the x-amzn-ErrorType header) into an OpenAI error
// answer with the same status and Retry-After: the message is kept, and the
// code is the error type in snake case (ThrottlingException becomes
// throttling_exception).
func translateErrorResponse(provider string, resp *http.Response) *http.Response {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	typ := errorType(resp.Header.Get("X-Amzn-Errortype"), raw)
	msg := ""
	if gjson.ValidBytes(raw) {
		for _, key := range []string{"message", "Message", "errorMessage"} {
			if m := gjson.GetBytes(raw, key); m.Type == gjson.String && m.Str != "" {
				msg = m.Str
				break
			}
		}
	}
	if msg == "" {
		text := strings.TrimSpace(string(raw))
		if len(text) > 512 {
			text = text[:512] + "..."
		}
		msg = "The upstream provider " + provider + " answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
		if typ != "" {
			msg += " (" + typ + ")"
		}
		if text != "" {
			msg += ": " + text
		}
	}
	code := snakeCase(typ)
	if code == "" {
		code = "upstream_error"
	}
	return jsonResponse(resp, resp.StatusCode, errorBody(resp.StatusCode, code, "", msg))
}

// errorType reads the AWS error type: the x-amzn-ErrorType header up to its
// colon ("ValidationException:http://internal.amazon.com/..."), else the
// body's __type after its '#'.
func errorType(header string, body []byte) string {
	t, _, _ := strings.Cut(header, ":")
	if t == "" {
		t = gjson.GetBytes(body, "__type").String()
		if i := strings.LastIndexByte(t, '#'); i >= 0 {
			t = t[i+1:]
		}
	}
	return strings.TrimSpace(t)
}

// snakeCase writes an error type as an OpenAI-style code.
func snakeCase(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if i > 0 && s[i-1] >= 'a' && s[i-1] <= 'z' {
				b.WriteByte('_')
			}
			b.WriteByte(c + 'a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// openAIErrorType is the OpenAI error "type" for a status.
func openAIErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

// errorBody is an OpenAI error body.
func errorBody(status int, code, param, message string) []byte {
	b := make([]byte, 0, len(message)+128)
	b = append(b, `{"error":{"message":`...)
	b = appendString(b, message)
	b = append(b, `,"type":`...)
	b = appendString(b, openAIErrorType(status))
	b = append(b, `,"param":`...)
	if param == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, param)
	}
	b = append(b, `,"code":`...)
	b = appendString(b, code)
	return append(b, `}}`...)
}

// errorResponse is a response the provider makes up itself (a refused
// request, an unreadable answer).
func errorResponse(status int, code, param, message string) *http.Response {
	return jsonResponse(nil, status, errorBody(status, code, param, message))
}
