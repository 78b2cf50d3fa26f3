package anthropic

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/tidwall/gjson"
)

const created = 1700000000

// TestMessageGolden translates the Messages answers of testdata/ and
// compares them with the golden chat completions.
func TestMessageGolden(t *testing.T) {
	for _, name := range []string{"text", "tool_use"} {
		t.Run(name, func(t *testing.T) {
			out, err := translateMessage(readFixture(t, "anthropic_message_"+name+".json"), created)
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenJSON(t, "openai_completion_"+name+".json", out)
		})
	}
}

// TestMessageWithSDK decodes the translated answers with the official
// OpenAI SDK's types.
func TestMessageWithSDK(t *testing.T) {
	out, err := translateMessage(readFixture(t, "anthropic_message_tool_use.json"), created)
	if err != nil {
		t.Fatal(err)
	}
	var c openai.ChatCompletion
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	msg := c.Choices[0].Message
	if msg.Content != "I'll look both up." || c.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 2 {
		t.Fatalf("%+v", c)
	}
	if tc := msg.ToolCalls[0]; tc.ID != "toolu_01A09q90qw90lq917835lq9" || tc.Function.Name != "get_weather" ||
		tc.Function.Arguments != `{"city":"Paris","units":{"temp":"C"}}` {
		t.Errorf("tool call %+v", tc)
	}
	if msg.ToolCalls[1].Function.Arguments != `{}` {
		t.Errorf("empty input: %q", msg.ToolCalls[1].Function.Arguments)
	}
	if gjson.GetBytes(out, "choices.0.message.reasoning_content").Str == "" {
		t.Error("thinking text lost")
	}

	out, _ = translateMessage(readFixture(t, "anthropic_message_text.json"), created)
	c = openai.ChatCompletion{}
	_ = json.Unmarshal(out, &c)
	if c.Usage.PromptTokens != 25+2048+100 || c.Usage.PromptTokensDetails.CachedTokens != 2048 ||
		c.Usage.CompletionTokens != 17 || c.Usage.TotalTokens != 2173+17 {
		t.Errorf("usage %+v", c.Usage)
	}
	if strings.Contains(string(out), `\u003c`) {
		t.Errorf("text escaped for HTML: %s", out)
	}
}

func TestFinishReason(t *testing.T) {
	for stop, want := range map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "": "stop", "something_new": "stop",
		"max_tokens": "length", "model_context_window_exceeded": "length",
		"tool_use": "tool_calls", "refusal": "content_filter",
	} {
		if got := finishReason(stop); got != want {
			t.Errorf("%q: %q, want %q", stop, got, want)
		}
	}
}

func TestMessageErrors(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"type":"error","error":{"type":"api_error","message":"x"}}`, `{"type":"message","content":"text"}`} {
		if out, err := translateMessage([]byte(body), created); err == nil {
			t.Errorf("%s: translated to %s", body, out)
		}
	}
	// No content at all is an empty answer, not an error.
	out, err := translateMessage([]byte(`{"type":"message","id":"m","content":[],"stop_reason":"end_turn","usage":{}}`), created)
	if err != nil || gjson.GetBytes(out, "choices.0.message.content").Raw != `""` {
		t.Errorf("empty answer: %s %v", out, err)
	}
}

func TestTranslateError(t *testing.T) {
	for _, c := range []struct {
		status     int
		body       string
		wantStatus int
		typ, code  string
		msg        string
	}{
		{529, string(readFixture(t, "anthropic_error_overloaded.json")), 503, "server_error", "overloaded", "Overloaded"},
		{400, string(readFixture(t, "anthropic_error_invalid.json")), 400, "invalid_request_error", "invalid_request",
			"messages.1.content.0.tool_use.input: Input should be a valid dictionary"},
		{429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`,
			429, "rate_limit_error", "rate_limit_exceeded", "Number of request tokens has exceeded your per-minute rate limit"},
		{404, `{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}`, 404, "not_found_error", "not_found", "model: claude-x"},
		{402, `{"type":"error","error":{"type":"billing_error","message":"Your credit balance is too low"}}`, 402, "insufficient_quota", "insufficient_quota", "Your credit balance is too low"},
		{500, `{"type":"error","error":{"type":"brand_new_error","message":"odd"}}`, 500, "server_error", "upstream_error", "odd"},
		{418, `{"type":"error","error":{"type":"brand_new_error","message":"odd"}}`, 418, "invalid_request_error", "invalid_request", "odd"},
		{502, `<html>bad gateway</html>`, 502, "server_error", "upstream_error", "The upstream provider claude answered 502 Bad Gateway: <html>bad gateway</html>"},
		{529, ``, 503, "server_error", "overloaded", "The upstream provider claude answered 529 : "},
	} {
		status, body := translateError(c.status, []byte(c.body), "claude")
		var e struct {
			Error struct {
				Message, Type, Code string
				Param               *string
			}
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if status != c.wantStatus || e.Error.Type != c.typ || e.Error.Code != c.code || e.Error.Message != c.msg || e.Error.Param != nil {
			t.Errorf("%d %s:\n got %d %s\nwant %d %s/%s %q", c.status, c.body, status, body, c.wantStatus, c.typ, c.code, c.msg)
		}
	}
	// A long body is shortened.
	_, body := translateError(http.StatusBadGateway, []byte(strings.Repeat("x", 5000)), "claude")
	if len(body) > 700 {
		t.Errorf("%d bytes", len(body))
	}
}

func BenchmarkTranslateMessage(b *testing.B) {
	in := readFixture(b, "anthropic_message_tool_use.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := translateMessage(in, created); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzTranslateMessage: any answer either translates into a valid chat
// completion or is refused.
func FuzzTranslateMessage(f *testing.F) {
	f.Add(readFixture(f, "anthropic_message_text.json"))
	f.Add(readFixture(f, "anthropic_message_tool_use.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := translateMessage(body, created)
		if err != nil {
			return
		}
		var c openai.ChatCompletion
		if err := json.Unmarshal(out, &c); err != nil || len(c.Choices) != 1 || c.Object != "chat.completion" {
			t.Fatalf("%v: %s", err, out)
		}
		for _, tc := range c.Choices[0].Message.ToolCalls {
			if !json.Valid([]byte(tc.Function.Arguments)) {
				t.Fatalf("arguments %q", tc.Function.Arguments)
			}
		}
	})
}

// FuzzTranslateError: any error body gives a valid OpenAI error body.
func FuzzTranslateError(f *testing.F) {
	f.Add(529, readFixture(f, "anthropic_error_overloaded.json"))
	f.Add(400, readFixture(f, "anthropic_error_invalid.json"))
	f.Add(502, []byte("<html>"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		_, out := translateError(status, body, "claude")
		if gjson.GetBytes(out, "error.message").Type != gjson.String || !json.Valid(out) {
			t.Fatalf("%s", out)
		}
	})
}
