package gemini

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

func TestCompletionGolden(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"gemini_response_text.json", "want_openai_response_text.json"},
		{"gemini_response_tool_calls.json", "want_openai_response_tool_calls.json"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := translateCompletion(readFixture(t, c.in), "asked-model")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.want, got)
			// The official SDK reads it.
			var cc openai.ChatCompletion
			if err := json.Unmarshal(got, &cc); err != nil || len(cc.Choices) != 1 || cc.Usage.TotalTokens == 0 {
				t.Errorf("SDK reads %+v: %v", cc, err)
			}
		})
	}
}

func TestCompletionDetails(t *testing.T) {
	t.Run("tool call ids carry the signature back", func(t *testing.T) {
		got, err := translateCompletion(readFixture(t, "gemini_response_tool_calls.json"), "m")
		if err != nil {
			t.Fatal(err)
		}
		var cc openai.ChatCompletion
		_ = json.Unmarshal(got, &cc)
		calls := cc.Choices[0].Message.ToolCalls
		if len(calls) != 2 || signatureFromID(calls[0].ID) != "CiQBVKhc7+tz/3vR9eL2kQmA8a==" || signatureFromID(calls[1].ID) != "" || calls[0].ID == calls[1].ID {
			t.Errorf("calls %+v", calls)
		}
		// And the next request puts it where Gemini wants it.
		req, _ := json.Marshal(map[string]any{"messages": []any{
			map[string]any{"role": "user", "content": "hi"},
			cc.Choices[0].Message.ToParam(),
			map[string]any{"role": "tool", "tool_call_id": calls[0].ID, "content": "sunny"},
			map[string]any{"role": "tool", "tool_call_id": calls[1].ID, "content": "noon"},
		}})
		body, rerr := translateRequest(req, "gemini-3-pro-preview")
		if rerr != nil {
			t.Fatalf("%+v", rerr)
		}
		if !strings.Contains(string(body), `"thoughtSignature":"CiQBVKhc7+tz/3vR9eL2kQmA8a=="`) ||
			!strings.Contains(string(body), `{"functionResponse":{"name":"get_time","response":{"output":"noon"}}}`) {
			t.Errorf("follow-up request %s", body)
		}
	})
	t.Run("finish reasons", func(t *testing.T) {
		for reason, want := range map[string]string{
			"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
			"SPII": "content_filter", "PROHIBITED_CONTENT": "content_filter", "BLOCKLIST": "content_filter",
			"OTHER": "stop", "MALFORMED_FUNCTION_CALL": "stop", "": "stop",
		} {
			body := `{"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":"` + reason + `"}]}`
			got, err := translateCompletion([]byte(body), "m")
			if err != nil {
				t.Fatal(err)
			}
			if fr := decode(t, got)["choices"].([]any)[0].(map[string]any)["finish_reason"]; fr != want {
				t.Errorf("%s: %v, want %s", reason, fr, want)
			}
		}
	})
	t.Run("several candidates, no usage, no id, no content", func(t *testing.T) {
		body := `{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"},{"content":{"parts":[{"text":"b"}]},"finishReason":"MAX_TOKENS","index":1},{"finishReason":"SAFETY","index":2}]}`
		got, err := translateCompletion([]byte(body), "asked")
		if err != nil {
			t.Fatal(err)
		}
		var cc openai.ChatCompletion
		if err := json.Unmarshal(got, &cc); err != nil {
			t.Fatal(err)
		}
		if len(cc.Choices) != 3 || cc.Choices[1].Index != 1 || cc.Choices[1].Message.Content != "b" || cc.Choices[2].FinishReason != "content_filter" ||
			cc.Model != "asked" || !strings.HasPrefix(cc.ID, "chatcmpl-") || len(cc.ID) != len("chatcmpl-")+24 {
			t.Errorf("completion %s", got)
		}
		if strings.Contains(string(got), `"usage"`) {
			t.Errorf("usage invented: %s", got)
		}
	})
	t.Run("blocked prompt", func(t *testing.T) {
		_, err := translateCompletion(readFixture(t, "gemini_response_blocked.json"), "m")
		var blocked *errPromptBlocked
		if !errors.As(err, &blocked) || !strings.Contains(err.Error(), "SAFETY") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("not an answer", func(t *testing.T) {
		for _, body := range []string{`<html>`, `{}`, `{"candidates":"x"}`, `{"error":{"message":"boom"}}`} {
			if _, err := translateCompletion([]byte(body), "m"); err == nil {
				t.Errorf("%s accepted", body)
			}
		}
	})
}

func TestErrorTranslation(t *testing.T) {
	body, retry := translateError(429, readFixture(t, "gemini_error_rate_limit.json"), nil)
	golden(t, "want_openai_error_rate_limit.json", body)
	if retry != 37 {
		t.Errorf("retry %d, want 37 (36.5s rounded up)", retry)
	}

	keyBody := readFixture(t, "gemini_error_key_invalid.json")
	if !isKeyInvalid(keyBody) || isKeyInvalid(readFixture(t, "gemini_error_rate_limit.json")) {
		t.Error("isKeyInvalid")
	}
	body, _ = translateError(400, keyBody, nil)
	if strings.Contains(string(body), "AIzaSyTEST") || !strings.Contains(string(body), `"code":"INVALID_ARGUMENT"`) {
		t.Errorf("key error %s", body)
	}

	for _, c := range []struct {
		status            int
		body, typ, code   string
		messageContaining string
	}{
		{404, `{"error":{"code":404,"message":"models/nope is not found for API version v1beta","status":"NOT_FOUND"}}`, "not_found_error", "NOT_FOUND", "models/nope"},
		{500, `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`, "server_error", "INTERNAL", "internal error"},
		{503, `upstream connect error`, "server_error", "upstream_error", "503 Service Unavailable: upstream connect error"},
		{502, `<html><body>bad gateway</body></html>`, "server_error", "upstream_error", "Gemini answered 502 Bad Gateway."},
		{400, `{"error":{"code":400,"message":"key AIzaSECRETSECRET leaked"}}`, "invalid_request_error", "upstream_error", "key [redacted] leaked"},
	} {
		body, _ := translateError(c.status, []byte(c.body), []string{"AIzaSECRETSECRET"})
		var e openAIError
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatal(err)
		}
		if e.Error.Type != c.typ || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.messageContaining) || e.Error.Param != nil {
			t.Errorf("%d %s: %s", c.status, c.body, body)
		}
	}
}
