package translate

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// OpenAIErrorToAnthropic turns an upstream's error answer (status and body,
// OpenAI's {"error":{"message",...}} or whatever the upstream sent) into
// Anthropic's error body {"type":"error","error":{"type","message"}}, the
// type chosen by status as Anthropic's API documents it.
func OpenAIErrorToAnthropic(status int, body []byte) []byte {
	msg := ""
	if gjson.ValidBytes(body) {
		msg = errorMessage(gjson.Parse(view(body)), "")
	} else if t := strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD")); t != "" && !strings.HasPrefix(t, "<") {
		msg = t // a plain-text answer (HTML error pages are not worth relaying)
	}
	if len(msg) > 1024 {
		cut := 1024
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if msg == "" {
		msg = fmt.Sprintf("The upstream provider answered %d %s.", status, http.StatusText(status))
		if http.StatusText(status) == "" {
			msg = fmt.Sprintf("The upstream provider answered with status %d.", status)
		}
	}
	return appendError(nil, errorTypeForStatus(status), msg)
}

// errorMessage finds the message in an error body: OpenAI's error.message,
// or the shapes OpenAI-compatible servers use ({"error":"..."},
// {"message":"..."}, {"detail":"..."}).
func errorMessage(root gjson.Result, fallback string) string {
	for _, path := range [...]string{"error.message", "error", "message", "detail"} {
		if v := root.Get(path); v.Type == gjson.String && v.Str != "" {
			return v.Str
		}
	}
	return fallback
}

// errorTypeForStatus is Anthropic's error type for an HTTP status. 503 is
// an overloaded upstream, what Anthropic reports as 529 overloaded_error.
func errorTypeForStatus(status int) string {
	switch status {
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
	case 503, 529:
		return "overloaded_error"
	case 504:
		return "timeout_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// errorTypeForStream is Anthropic's error type for an error object an
// upstream sent in the middle of a stream, where no status tells.
func errorTypeForStream(e gjson.Result) string {
	typ, code := e.Get("type").Str, e.Get("code").Str
	switch {
	case typ == "server_error":
		return "api_error"
	case typ == "rate_limit_error" || code == "rate_limit_exceeded":
		return "rate_limit_error"
	case typ == "invalid_request_error", typ == "authentication_error", typ == "permission_error",
		typ == "not_found_error", typ == "overloaded_error", typ == "timeout_error":
		return typ
	}
	return "api_error"
}

func appendError(b []byte, typ, msg string) []byte {
	b = append(b, `{"type":"error","error":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","message":`...)
	b = appendString(b, msg)
	return append(b, `}}`...)
}
