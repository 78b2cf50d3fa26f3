package translate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/tidwall/gjson"
)

func TestRequestGolden(t *testing.T) {
	for _, tc := range []struct {
		in, golden string
		want       RequestInfo
	}{
		{"anthropic_request_chat.json", "openai_request_chat.json", RequestInfo{Model: "claude-sonnet-4-5", MaxTokens: 1024}},
		{"anthropic_request_agent.json", "openai_request_agent.json", RequestInfo{Model: "claude-sonnet-4-5", Stream: true, MaxTokens: 8192}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			out, info, err := AnthropicRequestToOpenAI(readFixture(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if info != tc.want {
				t.Errorf("info = %+v, want %+v", info, tc.want)
			}
			checkGoldenJSON(t, tc.golden, out)
			// The gateway decodes the translated body as any chat request.
			req, aerr := openai.DecodeChatRequest(out)
			if aerr != nil {
				t.Fatalf("the gateway rejects the translation: %v", aerr)
			}
			if req.Model != tc.want.Model || req.Stream != tc.want.Stream || *req.MaxTokens != tc.want.MaxTokens {
				t.Errorf("decoded %+v", req)
			}
		})
	}
}

// translateReq translates body, failing the test on an error.
func translateReq(t *testing.T, body string) []byte {
	t.Helper()
	out, _, err := AnthropicRequestToOpenAI([]byte(body))
	if err != nil {
		t.Fatalf("%v\nbody: %s", err, body)
	}
	if !json.Valid(out) {
		t.Fatalf("invalid JSON out: %s", out)
	}
	return out
}

func TestRequestMapping(t *testing.T) {
	const head = `{"model":"m","max_tokens":100,`
	user := func(content string) string {
		return head + `"messages":[{"role":"user","content":` + content + `}]}`
	}
	withTools := func(choice string) string {
		return head + `"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":` + choice + `}`
	}
	for _, tc := range []struct {
		name string
		in   string
		want map[string]string // gjson path of the output: its JSON, or "<absent>"
	}{
		{"minimal", user(`"hi"`), map[string]string{
			"@this": `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`,
		}},
		{"system string", head + `"system":"be brief","messages":[{"role":"user","content":"hi"}]}`, map[string]string{
			"messages.0": `{"role":"system","content":"be brief"}`, "messages.1.role": `"user"`,
		}},
		{"system blocks joined", head + `"system":[{"type":"text","text":"a"},{"type":"text","text":"b\"c"}],"messages":[{"role":"user","content":"hi"}]}`, map[string]string{
			"messages.0.content": `"a\n\nb\"c"`,
		}},
		{"empty system left out", head + `"system":"","messages":[{"role":"user","content":"hi"}]}`, map[string]string{
			"messages.#": `1`,
		}},
		{"one text block is a string", user(`[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]`), map[string]string{
			"messages.0.content": `"hi"`,
		}},
		{"two text blocks are parts", user(`[{"type":"text","text":"a"},{"type":"text","text":"b"}]`), map[string]string{
			"messages.0.content": `[{"type":"text","text":"a"},{"type":"text","text":"b"}]`,
		}},
		{"base64 image", user(`[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR\/w0K"}}]`), map[string]string{
			"messages.0.content": `[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR/w0K"}}]`,
		}},
		{"url image", user(`[{"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},{"type":"text","text":"what?"}]`), map[string]string{
			"messages.0.content": `[{"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}},{"type":"text","text":"what?"}]`,
		}},
		{"pdf and text documents", user(`[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]`), map[string]string{
			"messages.0.content": `[{"type":"file","file":{"filename":"document.pdf","file_data":"data:application/pdf;base64,JVBE"}},{"type":"text","text":"doc"}]`,
		}},
		{"assistant tool calls only", head + `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{"a": [1, "x y"], "b":{"c":"q\"uote\\"}}}]}]}`, map[string]string{
			"messages.1": `{"role":"assistant","content":null,"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"f","arguments":"{\"a\":[1,\"x y\"],\"b\":{\"c\":\"q\\\"uote\\\\\"}}"}}]}`,
		}},
		{"assistant text and tool call", head + `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]}]}`, map[string]string{
			"messages.1.content": `"Let me look."`, "messages.1.tool_calls.0.function.arguments": `"{}"`,
		}},
		{"tool results first, in order", head + `"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"one"},{"type":"text","text":"and"},{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"two"},{"type":"text","text":"lines"}]}]}]}`, map[string]string{
			"messages": `[{"role":"tool","tool_call_id":"t1","content":"one"},{"role":"tool","tool_call_id":"t2","content":"two\nlines"},{"role":"user","content":"and"}]`,
		}},
		{"tool error", user(`[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"boom"},{"type":"tool_result","tool_use_id":"t2","is_error":true}]`), map[string]string{
			"messages": `[{"role":"tool","tool_call_id":"t1","content":"Error: boom"},{"role":"tool","tool_call_id":"t2","content":"Error"}]`,
		}},
		{"tool result image goes to the user message", user(`[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"chart:"},{"type":"image","source":{"type":"url","url":"https://x/c.png"}}]}]`), map[string]string{
			"messages": `[{"role":"tool","tool_call_id":"t1","content":"chart:"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/c.png"}}]}]`,
		}},
		{"thinking dropped", head + `"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"redacted_thinking","data":"x"}]},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"ok"}]}]}`, map[string]string{
			"messages": `[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]`, "thinking": `<absent>`, "reasoning_effort": `<absent>`,
		}},
		{"empty final assistant message left out", head + `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":""}]}`, map[string]string{
			"messages": `[{"role":"user","content":"hi"}]`,
		}},
		{"tool_choice auto", withTools(`{"type":"auto"}`), map[string]string{
			"tools":       `[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`,
			"tool_choice": `"auto"`, "parallel_tool_calls": `<absent>`,
		}},
		{"tool_choice any, no parallel calls", withTools(`{"type":"any","disable_parallel_tool_use":true}`), map[string]string{
			"tool_choice": `"required"`, "parallel_tool_calls": `false`,
		}},
		{"tool_choice tool", withTools(`{"type":"tool","name":"f"}`), map[string]string{
			"tool_choice": `{"type":"function","function":{"name":"f"}}`,
		}},
		{"tool_choice none", withTools(`{"type":"none"}`), map[string]string{
			"tool_choice": `"none"`,
		}},
		{"null tools", head + `"messages":[{"role":"user","content":"hi"}],"tools":null,"tool_choice":null,"system":null,"metadata":null,"stop_sequences":null,"stream":null}`, map[string]string{
			"tools": `<absent>`, "tool_choice": `<absent>`, "stream": `<absent>`, "messages.#": `1`,
		}},
		{"tool_choice without tools left out", head + `"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}`, map[string]string{
			"tool_choice": `<absent>`, "parallel_tool_calls": `<absent>`, "tools": `<absent>`,
		}},
		{"tool description and strict", head + `"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"custom","name":"f","description":"does f","input_schema":{"type":"object","properties":{}},"strict":true}]}`, map[string]string{
			"tools.0.function": `{"name":"f","description":"does f","parameters":{"type":"object","properties":{}},"strict":true}`,
		}},
		{"sampling, stop, user; top_k dropped", head + `"messages":[{"role":"user","content":"hi"}],"temperature":0.5,"top_p":0.9,"top_k":5,"stop_sequences":["END"],"metadata":{"user_id":"u-1"}}`, map[string]string{
			"temperature": `0.5`, "top_p": `0.9`, "top_k": `<absent>`, "stop": `["END"]`, "user": `"u-1"`,
		}},
		{"empty stop_sequences left out", head + `"messages":[{"role":"user","content":"hi"}],"stop_sequences":[]}`, map[string]string{
			"stop": `<absent>`,
		}},
		{"stream asks for usage", head + `"stream":true,"messages":[{"role":"user","content":"hi"}]}`, map[string]string{
			"stream": `true`, "stream_options": `{"include_usage":true}`,
		}},
		{"stream false left out", head + `"stream":false,"messages":[{"role":"user","content":"hi"}]}`, map[string]string{
			"stream": `<absent>`, "stream_options": `<absent>`,
		}},
		{"structured output", head + `"messages":[{"role":"user","content":"hi"}],"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}}}`, map[string]string{
			"response_format": `{"type":"json_schema","json_schema":{"name":"output","schema":{"type":"object"}}}`,
		}},
		{"integral max_tokens in exponent form", `{"model":"m","max_tokens":1e3,"messages":[{"role":"user","content":"hi"}]}`, map[string]string{
			"max_tokens": `1000`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := translateReq(t, tc.in)
			for path, want := range tc.want {
				got := gjson.GetBytes(out, path)
				if want == "<absent>" {
					if got.Exists() {
						t.Errorf("%s = %s, want it absent\nout: %s", path, got.Raw, out)
					}
					continue
				}
				if !got.Exists() || !jsonEqual(t, []byte(got.Raw), []byte(want)) {
					t.Errorf("%s = %s, want %s\nout: %s", path, got.Raw, want, out)
				}
			}
			if _, err := openai.DecodeChatRequest(out); err != nil {
				t.Errorf("the gateway rejects the translation: %v", err)
			}
		})
	}
}

// Tool inputs survive the trip into arguments whatever characters they hold.
func TestRequestToolArgumentsRoundTrip(t *testing.T) {
	for _, input := range []string{
		`{}`,
		`{"q": "a \"quoted\" \\ back\\slash\n\ttab", "n": [1, 2.5, -3e2, true, null]}`,
		`{"emoji":"😀 \u00e9\u2028", "html":"<a href='x'>&amp;</a>", "nested": {"deep": [{"x": {}}]}}`,
		"{\n  \"pretty\" : [ 1 , 2 ] ,\n  \"s\" : \" spaced  string \"\n}",
	} {
		body := `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":` + input + `}]}]}`
		out := translateReq(t, body)
		args := gjson.GetBytes(out, "messages.0.tool_calls.0.function.arguments")
		if args.Type != gjson.String {
			t.Fatalf("arguments = %s", args.Raw)
		}
		if !jsonEqual(t, []byte(args.Str), []byte(input)) {
			t.Errorf("arguments %s, want the value of %s", args.Str, input)
		}
		if strings.ContainsAny(args.Str, "\n") {
			t.Errorf("arguments not compact: %q", args.Str)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	const head = `{"model":"m","max_tokens":100,`
	msgs := func(m string) string { return head + `"messages":[` + m + `]}` }
	user := func(content string) string { return msgs(`{"role":"user","content":` + content + `}`) }
	asst := func(content string) string { return msgs(`{"role":"assistant","content":` + content + `}`) }
	for _, tc := range []struct {
		name, in, param, msg string
	}{
		{"not JSON", `{"model":`, "", "not valid JSON"},
		{"not UTF-8", "{\"model\":\"\xff\"}", "", "UTF-8"},
		{"not an object", `[1]`, "", "must be a JSON object, got list"},
		{"model missing", `{"max_tokens":1,"messages":[]}`, "model", "model: field required"},
		{"model not a string", `{"model":7,"max_tokens":1}`, "model", "non-empty string, got number"},
		{"max_tokens missing", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "max_tokens", "max_tokens: field required"},
		{"max_tokens zero", `{"model":"m","max_tokens":0}`, "max_tokens", "positive integer"},
		{"max_tokens string", `{"model":"m","max_tokens":"100"}`, "max_tokens", `positive integer, got "100"`},
		{"max_tokens fractional", `{"model":"m","max_tokens":1.5}`, "max_tokens", "positive integer"},
		{"messages missing", `{"model":"m","max_tokens":1}`, "messages", "messages: field required"},
		{"messages empty", head + `"messages":[]}`, "messages", "at least one message"},
		{"messages not a list", head + `"messages":{"role":"user"}}`, "messages", "list of messages, got object"},
		{"message not an object", msgs(`"hi"`), "messages[0]", "must be an object"},
		{"role system", msgs(`{"role":"system","content":"x"}`), "messages[0].role", "top-level system field"},
		{"role tool", msgs(`{"role":"user","content":"a"},{"role":"tool","content":"x"}`), "messages[1].role", `got "tool"`},
		{"content number", user(`5`), "messages[0].content", "string or a list of content blocks, got number"},
		{"content missing", msgs(`{"role":"user"}`), "messages[0].content", "got null"},
		{"block not an object", user(`["hi"]`), "messages[0].content[0]", "content block object"},
		{"empty content list", user(`[]`), "messages[0].content", "must not be empty"},
		{"empty content string", msgs(`{"role":"user","content":""},{"role":"assistant","content":"x"}`), "messages[0].content", "must not be empty"},
		{"empty assistant content before the end", msgs(`{"role":"user","content":"a"},{"role":"assistant","content":[]},{"role":"user","content":"b"}`), "messages[1].content", "only a final assistant message"},
		{"only thinking", asst(`[{"type":"thinking","thinking":"x","signature":"s"}]`), "messages", "nothing to send"},
		{"block type missing", user(`[{"text":"hi"}]`), "messages[0].content[0].type", "field required"},
		{"unknown block type", user(`[{"type":"text","text":"a"},{"type":"video"}]`), "messages[0].content[1].type", `"video" is not supported`},
		{"server tool block", asst(`[{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]`), "messages[0].content[0].type", "not supported"},
		{"text not a string", user(`[{"type":"text","text":1}]`), "messages[0].content[0].text", "must be a string, got number"},
		{"tool_result from assistant", asst(`[{"type":"tool_result","tool_use_id":"t"}]`), "messages[0].content[0]", "only allowed in user messages"},
		{"image from assistant", asst(`[{"type":"image","source":{"type":"url","url":"u"}}]`), "messages[0].content[0]", "only allowed in user messages"},
		{"tool_use from user", user(`[{"type":"tool_use","id":"t","name":"f","input":{}}]`), "messages[0].content[0]", "only allowed in assistant messages"},
		{"tool_use input not an object", asst(`[{"type":"tool_use","id":"t","name":"f","input":"{}"}]`), "messages[0].content[0].input", "must be an object, got string"},
		{"tool_use without id", asst(`[{"type":"tool_use","name":"f","input":{}}]`), "messages[0].content[0].id", "must be a string"},
		{"tool_result without id", user(`[{"type":"tool_result","content":"x"}]`), "messages[0].content[0].tool_use_id", "must be a string"},
		{"tool_result content number", user(`[{"type":"tool_result","tool_use_id":"t","content":3}]`), "messages[0].content[0].content", "got number"},
		{"tool_result search result", user(`[{"type":"tool_result","tool_use_id":"t","content":[{"type":"search_result"}]}]`), "messages[0].content[0].content[0].type", "not supported"},
		{"image file source", user(`[{"type":"image","source":{"type":"file","file_id":"f"}}]`), "messages[0].content[0].source.type", `image source "file" is not supported`},
		{"image without data", user(`[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]`), "messages[0].content[0].source.data", "must be a string"},
		{"document by url", user(`[{"type":"document","source":{"type":"url","url":"u"}}]`), "messages[0].content[0].source.type", "not supported"},
		{"system number", head + `"system":1,"messages":[{"role":"user","content":"hi"}]}`, "system", "string or a list of text blocks"},
		{"system image block", head + `"system":[{"type":"image"}],"messages":[{"role":"user","content":"hi"}]}`, "system[0]", "must be text blocks"},
		{"stream not a boolean", head + `"stream":"yes","messages":[{"role":"user","content":"hi"}]}`, "stream", "must be a boolean"},
		{"temperature string", head + `"temperature":"hot","messages":[{"role":"user","content":"hi"}]}`, "temperature", "must be a number"},
		{"stop_sequences with a number", head + `"stop_sequences":["a",1],"messages":[{"role":"user","content":"hi"}]}`, "stop_sequences", "list of strings"},
		{"server tool", head + `"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"hi"}]}`, "tools[0].type", "not supported"},
		{"tool without schema", head + `"tools":[{"name":"f"}],"messages":[{"role":"user","content":"hi"}]}`, "tools[0].input_schema", "JSON schema object"},
		{"tool not an object", head + `"tools":[5],"messages":[{"role":"user","content":"hi"}]}`, "tools[0]", "must be an object, got number"},
		{"tool without name", head + `"tools":[{"input_schema":{}}],"messages":[{"role":"user","content":"hi"}]}`, "tools[0].name", "non-empty string"},
		{"tool_choice unknown", head + `"tool_choice":{"type":"auto2"},"messages":[{"role":"user","content":"hi"}]}`, "tool_choice.type", `got "auto2"`},
		{"tool_choice tool without name", head + `"tool_choice":{"type":"tool"},"messages":[{"role":"user","content":"hi"}]}`, "tool_choice.name", "must be a string"},
		{"tool_choice string", head + `"tool_choice":"auto","messages":[{"role":"user","content":"hi"}]}`, "tool_choice", "object with a type"},
		{"user_id number", head + `"metadata":{"user_id":7},"messages":[{"role":"user","content":"hi"}]}`, "metadata.user_id", "must be a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := AnthropicRequestToOpenAI([]byte(tc.in))
			if err == nil {
				t.Fatalf("no error; out %s", out)
			}
			if err.Status != 400 || err.Code != "invalid_request" {
				t.Errorf("status %d code %q, want 400 invalid_request", err.Status, err.Code)
			}
			if err.Param != tc.param {
				t.Errorf("param %q, want %q", err.Param, tc.param)
			}
			if !strings.Contains(err.Message, tc.msg) {
				t.Errorf("message %q does not say %q", err.Message, tc.msg)
			}
		})
	}
}

// A rejected request still tells the gateway its model, for the logs.
func TestRequestErrorKeepsModel(t *testing.T) {
	_, info, err := AnthropicRequestToOpenAI([]byte(`{"model":"claude-x","stream":true,"messages":[]}`))
	if err == nil || info.Model != "claude-x" || !info.Stream {
		t.Fatalf("err %v, info %+v", err, info)
	}
}

func BenchmarkAnthropicRequestToOpenAI(b *testing.B) {
	body := []byte(`{"model":"claude-sonnet-4-5","max_tokens":4096,"stream":true,` +
		`"system":[{"type":"text","text":"You are a helpful coding assistant working in the user's repository.","cache_control":{"type":"ephemeral"}}],` +
		`"tools":[{"name":"read_file","description":"Read a file from the workspace","input_schema":{"type":"object","properties":{"path":{"type":"string","description":"Path relative to the repository root"}},"required":["path"]}}],` +
		`"messages":[` +
		`{"role":"user","content":"Why does the build fail on the CI machine but not locally? Look at the Makefile first."},` +
		`{"role":"assistant","content":[{"type":"text","text":"Let me read the Makefile."},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"read_file","input":{"path":"Makefile"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A09q90qw90lq917835lq9","content":"build:\n\tgo build -trimpath ./...\n\ntest:\n\tgo test -race ./...\n"},{"type":"text","text":"That is the whole file. The CI runs make test."}]}` +
		`],"temperature":0.2,"metadata":{"user_id":"user-7f3a9c"}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := AnthropicRequestToOpenAI(body); err != nil {
			b.Fatal(err)
		}
	}
}

// Whatever the body, the translator answers an error or a body that is valid
// JSON and that the gateway accepts.
func FuzzAnthropicRequestToOpenAI(f *testing.F) {
	f.Add(readFixture(f, "anthropic_request_chat.json"))
	f.Add(readFixture(f, "anthropic_request_agent.json"))
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":true,"content":[{"type":"text","text":"a\"b"}]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, info, err := AnthropicRequestToOpenAI(body)
		if err != nil {
			if err.Status != 400 || err.Message == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out of %s:\n%s", body, out)
		}
		req, aerr := openai.DecodeChatRequest(out)
		if aerr != nil {
			t.Fatalf("the gateway rejects %s\nfrom %s: %v", out, body, aerr)
		}
		if req.Model != info.Model || req.Stream != info.Stream {
			t.Fatalf("info %+v, request %+v", info, req)
		}
	})
}
