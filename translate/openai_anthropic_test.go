package translate

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// decodeMessage decodes a translated answer, checking it has exactly the
// fields of Anthropic's Message object.
func decodeMessage(t *testing.T, b []byte) message {
	t.Helper()
	keys(t, "message", b, "id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage")
	var raw struct {
		Content []json.RawMessage `json:"content"`
		Usage   json.RawMessage   `json:"usage"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	keys(t, "usage", raw.Usage, "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for i, c := range raw.Content {
		switch m.Content[i].Type {
		case "text":
			keys(t, "text block", c, "type", "text")
		case "tool_use":
			keys(t, "tool_use block", c, "type", "id", "name", "input")
		default:
			t.Errorf("block type %q", m.Content[i].Type)
		}
	}
	if m.Type != "message" || m.Role != "assistant" || m.StopReason == nil || m.StopSequence != nil {
		t.Errorf("not a finished assistant message: %s", b)
	}
	return m
}

func TestResponseGolden(t *testing.T) {
	for _, tc := range []struct {
		in, golden string
		check      func(*testing.T, message)
	}{
		{"openai_response_text.json", "anthropic_response_text.json", func(t *testing.T, m message) {
			if m.ID != "msg_C3xk9RZ2mPq4WvLtN8aBdE1fGhIj" || m.Model != "claude-sonnet-4-5" {
				t.Errorf("id %q model %q", m.ID, m.Model)
			}
			if len(m.Content) != 1 || !strings.HasPrefix(m.Content[0].Text, "Canberra was chosen") || *m.StopReason != "end_turn" {
				t.Errorf("content %+v stop %q", m.Content, *m.StopReason)
			}
			if m.Usage != (usageJS{InputTokens: 93, CacheRead: 1024, OutputTokens: 27}) {
				t.Errorf("usage %+v", m.Usage)
			}
		}},
		{"openai_response_tool_calls.json", "anthropic_response_tool_calls.json", func(t *testing.T, m message) {
			if len(m.Content) != 3 || m.Content[0].Text != "I'll look up both cities." || *m.StopReason != "tool_use" {
				t.Fatalf("content %+v stop %q", m.Content, *m.StopReason)
			}
			if b := m.Content[1]; b.ID != "call_DdmO9pD3xa9XTPNJ32zg2hcA" || b.Name != "get_weather" {
				t.Errorf("tool %+v", b)
			}
			in := toolInputs(t, m)
			if in[0]["location"] != "San Francisco, CA" || in[0]["unit"] != "celsius" || in[1]["location"] != "Paris, France" {
				t.Errorf("inputs %v", in)
			}
			if m.Usage != (usageJS{InputTokens: 412, OutputTokens: 58}) {
				t.Errorf("usage %+v", m.Usage)
			}
		}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			out, err := OpenAIResponseToAnthropic(readFixture(t, tc.in), "claude-sonnet-4-5")
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenJSON(t, tc.golden, out)
			tc.check(t, decodeMessage(t, out))
		})
	}
}

func TestResponseMapping(t *testing.T) {
	completion := func(message, finish, usage string) string {
		return `{"id":"chatcmpl-x1","object":"chat.completion","created":1,"model":"gpt-4.1","choices":[{"index":0,"message":` +
			message + `,"logprobs":null,"finish_reason":` + finish + `}]` + usage + `}`
	}
	call := func(id, args string) string {
		return `{"id":` + id + `,"type":"function","function":{"name":"f","arguments":` + args + `}}`
	}
	for _, tc := range []struct {
		name, in    string
		stop        string
		content     string // the content blocks as JSON ("" to skip)
		usage       usageJS
		randomTools bool
	}{
		{"length", completion(`{"role":"assistant","content":"cut"}`, `"length"`, ""), "max_tokens", `[{"type":"text","text":"cut"}]`, usageJS{}, false},
		{"content_filter", completion(`{"role":"assistant","content":null}`, `"content_filter"`, ""), "refusal", `[]`, usageJS{}, false},
		{"unknown finish", completion(`{"role":"assistant","content":"x"}`, `"eos"`, ""), "end_turn", "", usageJS{}, false},
		{"null finish", completion(`{"role":"assistant","content":"x"}`, `null`, ""), "end_turn", "", usageJS{}, false},
		{"empty content gives no block", completion(`{"role":"assistant","content":""}`, `"stop"`, ""), "end_turn", `[]`, usageJS{}, false},
		{"refusal text", completion(`{"role":"assistant","content":null,"refusal":"I can't help with that."}`, `"stop"`, ""), "end_turn", `[{"type":"text","text":"I can't help with that."}]`, usageJS{}, false},
		{"content parts", completion(`{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`, `"stop"`, ""), "end_turn", `[{"type":"text","text":"a"},{"type":"text","text":"b"}]`, usageJS{}, false},
		{"stop with tool calls is tool_use", completion(`{"role":"assistant","content":null,"tool_calls":[`+call(`"c1"`, `"{\"a\":1}"`)+`]}`, `"stop"`, ""), "tool_use", `[{"type":"tool_use","id":"c1","name":"f","input":{"a":1}}]`, usageJS{}, false},
		{"broken arguments give {}", completion(`{"role":"assistant","content":null,"tool_calls":[`+call(`"c1"`, `"{\"a\":"`)+`,`+call(`"c2"`, `""`)+`,`+call(`"c3"`, `"[1]"`)+`]}`, `"tool_calls"`, ""), "tool_use",
			`[{"type":"tool_use","id":"c1","name":"f","input":{}},{"type":"tool_use","id":"c2","name":"f","input":{}},{"type":"tool_use","id":"c3","name":"f","input":{}}]`, usageJS{}, false},
		{"null tool_calls", completion(`{"role":"assistant","content":"x","tool_calls":null}`, `"stop"`, ""), "end_turn", `[{"type":"text","text":"x"}]`, usageJS{}, false},
		{"tool call without id", completion(`{"role":"assistant","content":null,"tool_calls":[`+call(`""`, `"{}"`)+`]}`, `"tool_calls"`, ""), "tool_use", "", usageJS{}, true},
		{"usage with cache", completion(`{"role":"assistant","content":"x"}`, `"stop"`, `,"usage":{"prompt_tokens":2000,"completion_tokens":5,"total_tokens":2005,"prompt_tokens_details":{"cached_tokens":1920}}`), "end_turn", "", usageJS{InputTokens: 80, CacheRead: 1920, OutputTokens: 5}, false},
		{"usage without details", completion(`{"role":"assistant","content":"x"}`, `"stop"`, `,"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}`), "end_turn", "", usageJS{InputTokens: 20, OutputTokens: 5}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := OpenAIResponseToAnthropic([]byte(tc.in), "claude-haiku-4-5")
			if err != nil {
				t.Fatal(err)
			}
			m := decodeMessage(t, out)
			if *m.StopReason != tc.stop {
				t.Errorf("stop_reason %q, want %q", *m.StopReason, tc.stop)
			}
			if m.ID != "msg_x1" || m.Model != "claude-haiku-4-5" {
				t.Errorf("id %q model %q", m.ID, m.Model)
			}
			if tc.content != "" {
				var raw struct{ Content json.RawMessage }
				_ = json.Unmarshal(out, &raw)
				if !jsonEqual(t, raw.Content, []byte(tc.content)) {
					t.Errorf("content %s, want %s", raw.Content, tc.content)
				}
			}
			if tc.randomTools && (len(m.Content) != 1 || !strings.HasPrefix(m.Content[0].ID, "toolu_") || len(m.Content[0].ID) != 30) {
				t.Errorf("tool id %q, want a random toolu_ id", m.Content[0].ID)
			}
			if m.Usage != tc.usage {
				t.Errorf("usage %+v, want %+v", m.Usage, tc.usage)
			}
		})
	}
}

func TestResponseWithoutID(t *testing.T) {
	out, err := OpenAIResponseToAnthropic([]byte(`{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}]}`), "m")
	if err != nil {
		t.Fatal(err)
	}
	if m := decodeMessage(t, out); !strings.HasPrefix(m.ID, "msg_") || len(m.ID) != 28 {
		t.Errorf("id %q", m.ID)
	}
}

func TestResponseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, msg string }{
		{"not JSON", `{"choices":`, "not valid JSON"},
		{"not an object", `[]`, "not an object"},
		{"error body", `{"error":{"message":"model overloaded","type":"server_error"}}`, "model overloaded"},
		{"no choices", `{"id":"x","choices":[]}`, "no choices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenAIResponseToAnthropic([]byte(tc.in), "m")
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err %v, want one saying %q", err, tc.msg)
			}
		})
	}
}

func TestOpenAIErrorToAnthropic(t *testing.T) {
	rateLimit := string(readFixture(t, "openai_error_rate_limit.json"))
	long := strings.Repeat("é", 600) // 1200 bytes
	for _, tc := range []struct {
		status       int
		body         string
		typ, message string
	}{
		{400, `{"error":{"message":"Invalid 'messages[1].content': string too long.","type":"invalid_request_error","param":"messages[1].content","code":"string_above_max_length"}}`, "invalid_request_error", "Invalid 'messages[1].content': string too long."},
		{401, `{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, "authentication_error", "Incorrect API key provided: sk-abc***xyz."},
		{402, `{"error":"payment required"}`, "billing_error", "payment required"},
		{403, `{"message":"region not allowed"}`, "permission_error", "region not allowed"},
		{404, `{"error":{"message":"The model 'gpt-9' does not exist","type":"invalid_request_error","code":"model_not_found"}}`, "not_found_error", "The model 'gpt-9' does not exist"},
		{413, `{"detail":"payload too large"}`, "request_too_large", "payload too large"},
		{422, `{"object":"error","message":"max_tokens must be at least 1","type":"BadRequestError","code":422}`, "invalid_request_error", "max_tokens must be at least 1"},
		{429, rateLimit, "rate_limit_error", "Rate limit reached for gpt-4.1"},
		{500, `{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`, "api_error", "The server had an error"},
		{502, `upstream connect error`, "api_error", "upstream connect error"},
		{503, `<html><body>503 Service Unavailable</body></html>`, "overloaded_error", "The upstream provider answered 503 Service Unavailable."},
		{504, ``, "timeout_error", "The upstream provider answered 504 Gateway Timeout."},
		{529, `{"error":{}}`, "overloaded_error", "The upstream provider answered with status 529."},
		{400, long, "invalid_request_error", strings.Repeat("é", 512) + "…"},
	} {
		out := OpenAIErrorToAnthropic(tc.status, []byte(tc.body))
		keys(t, "error body", out, "type", "error")
		var e struct {
			Type  string `json:"type"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(out, &e); err != nil {
			t.Fatalf("%d: %v: %s", tc.status, err, out)
		}
		var detail struct{ Error json.RawMessage }
		_ = json.Unmarshal(out, &detail)
		keys(t, "error", detail.Error, "type", "message")
		if e.Type != "error" || e.Error.Type != tc.typ || !strings.HasPrefix(e.Error.Message, tc.message) {
			t.Errorf("%d %.40q: got %s, want type %s message %q", tc.status, tc.body, out, tc.typ, tc.message)
		}
		if !utf8.ValidString(e.Error.Message) {
			t.Errorf("%d: message is not UTF-8", tc.status)
		}
	}
}

// OpenAI's cache_write_tokens become Anthropic's cache_creation_input_tokens
// (and the Responses API's cache_write_tokens), out of input_tokens.
func TestUsageWithCacheWrites(t *testing.T) {
	u := gjson.Parse(`{"prompt_tokens":1000,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":600,"cache_write_tokens":300}}`)
	got := string(readUsage(u).appendAnthropic(nil))
	want := `{"input_tokens":100,"cache_creation_input_tokens":300,"cache_read_input_tokens":600,"output_tokens":7}`
	if got != want {
		t.Errorf("anthropic usage %s, want %s", got, want)
	}
	r := readResponsesUsage(u)
	if got := gjson.Get(string(r.append(nil)), "input_tokens_details").Raw; got != `{"cached_tokens":600,"cache_write_tokens":300}` {
		t.Errorf("responses input_tokens_details %s", got)
	}
	// Without cache writes, as before.
	if got := string(readUsage(gjson.Parse(`{"prompt_tokens":10,"completion_tokens":1}`)).appendAnthropic(nil)); got != `{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}` {
		t.Errorf("plain usage %s", got)
	}
}
