package bedrock

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestTranslateResponseFixtures(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"converse_response_text.json", "chat_completion_text.json"},
		{"converse_response_tools.json", "chat_completion_tools.json"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := translateResponse(readFixture(t, c.in), fixtureModel, fixtureID, fixtureCreated)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got, readFixture(t, c.want)) {
				t.Errorf("chat completion:\n%s", got)
			}
		})
	}
}

func TestFinishReasons(t *testing.T) {
	for stop, want := range map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "model_context_window_exceeded": "length",
		"tool_use": "tool_calls", "guardrail_intervened": "content_filter", "content_filtered": "content_filter", "something_new": "stop",
	} {
		raw := `{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":"` + stop + `","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`
		out, err := translateResponse([]byte(raw), "m", "id", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := gjson.GetBytes(out, "choices.0.finish_reason").String(); got != want {
			t.Errorf("%s: finish_reason %q, want %q", stop, got, want)
		}
	}
}

func TestTranslateResponseEdges(t *testing.T) {
	// No content at all: an empty string, not null, so clients see a message.
	out, err := translateResponse([]byte(`{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn"}`), "m", "id", 1)
	if err != nil {
		t.Fatal(err)
	}
	if gjson.GetBytes(out, "choices.0.message.content").Raw != `""` || gjson.GetBytes(out, "usage.total_tokens").Int() != 0 {
		t.Errorf("empty answer %s", out)
	}
	// Broken UTF-8 and control characters come out as valid JSON.
	out, err = translateResponse([]byte("{\"output\":{\"message\":{\"content\":[{\"text\":\"a\\u0001b\xffc\"}]}}}"), "m", "id", 1)
	if err != nil || !json.Valid(out) || gjson.GetBytes(out, "choices.0.message.content").String() != "a\x01b\ufffdc" {
		t.Errorf("%v %s", err, out)
	}
	for _, bad := range []string{`<html>`, `{"output":{}}`, `{"output":{"message":{"content":"text"}}}`, ``} {
		if _, err := translateResponse([]byte(bad), "m", "id", 1); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func errorAnswer(status int, header http.Header, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func TestTranslateErrorResponse(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		header http.Header
		body   string
		code   string
		typ    string
		says   string
	}{
		{"throttling", 429, http.Header{"X-Amzn-Errortype": {"ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}, "Retry-After": {"3"}},
			`{"message":"Too many requests, please wait before trying again."}`, "throttling_exception", "rate_limit_error", "Too many requests"},
		{"validation", 400, http.Header{"X-Amzn-Errortype": {"ValidationException"}},
			`{"message":"The model returned the following errors: messages: roles must alternate"}`, "validation_exception", "invalid_request_error", "roles must alternate"},
		{"type in body", 404, http.Header{}, `{"__type":"com.amazon.bedrock#ResourceNotFoundException","Message":"Model not found"}`,
			"resource_not_found_exception", "invalid_request_error", "Model not found"},
		{"not JSON", 503, http.Header{}, `upstream connect error`, "upstream_error", "server_error", "answered 503 Service Unavailable: upstream connect error"},
		{"empty", 500, http.Header{"X-Amzn-Errortype": {"InternalServerException"}}, ``, "internal_server_exception", "server_error", "(InternalServerException)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := translateErrorResponse("aws", errorAnswer(c.status, c.header, c.body))
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("status %d headers %v", resp.StatusCode, resp.Header)
			}
			if resp.Header.Get("Retry-After") != c.header.Get("Retry-After") {
				t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
			e := gjson.GetBytes(b, "error")
			if e.Get("code").String() != c.code || e.Get("type").String() != c.typ || !strings.Contains(e.Get("message").String(), c.says) || e.Get("param").Type != gjson.Null {
				t.Errorf("body %s", b)
			}
		})
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"ThrottlingException": "throttling_exception", "ModelStreamErrorException": "model_stream_error_exception",
		"AccessDeniedException": "access_denied_exception", "": "", "weird type!": "weird_type_",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q", in, got)
		}
	}
}
