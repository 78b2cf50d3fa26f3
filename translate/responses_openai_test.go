package translate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/tidwall/gjson"
)

func TestResponsesRequestGolden(t *testing.T) {
	for _, tc := range []struct {
		in, golden string
		info       ResponsesInfo
	}{
		{"request_chat.json", "chat_request_chat.json", ResponsesInfo{Model: "gpt-4.1", MaxOutputTokens: 512}},
		{"request_agent.json", "chat_request_agent.json", ResponsesInfo{Model: "gpt-4.1", Stream: true}},
		{"request_structured.json", "chat_request_structured.json", ResponsesInfo{Model: "gpt-4o-2024-08-06"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			out, info, err := ResponsesRequestToOpenAI(readFixture(t, "responses/"+tc.in))
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenJSON(t, "responses/"+tc.golden, out)
			if info.Model != tc.info.Model || info.Stream != tc.info.Stream || info.MaxOutputTokens != tc.info.MaxOutputTokens {
				t.Errorf("info %+v, want %+v", info, tc.info)
			}
			if _, aerr := openai.DecodeChatRequest(out); aerr != nil {
				t.Errorf("the gateway rejects the translation: %v", aerr)
			}
		})
	}
}

// Each mapping, on a minimal request: the paths of the chat request and
// their expected JSON ("" for absent).
func TestResponsesRequestMapping(t *testing.T) {
	const head = `{"model":"m",`
	for _, tc := range []struct {
		name, body string
		want       map[string]string
	}{
		{"input string", head + `"input":"hi"}`, map[string]string{
			"messages": `[{"role":"user","content":"hi"}]`, "stream": "", "stream_options": "", "max_completion_tokens": "",
		}},
		{"instructions", head + `"instructions":"Be brief.","input":"hi"}`, map[string]string{
			"messages": `[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]`,
		}},
		{"empty instructions", head + `"instructions":"","input":"hi"}`, map[string]string{
			"messages": `[{"role":"user","content":"hi"}]`,
		}},
		{"bare and typed messages, roles", head + `"input":[{"role":"system","content":"s"},{"role":"developer","content":"d"},{"type":"message","role":"user","content":"u"},{"role":"assistant","content":"a"}]}`, map[string]string{
			"messages": `[{"role":"system","content":"s"},{"role":"system","content":"d"},{"role":"user","content":"u"},{"role":"assistant","content":"a"}]`,
		}},
		{"one text part is a string", head + `"input":[{"role":"user","content":[{"type":"input_text","text":"x\"y"}]}]}`, map[string]string{
			"messages.0.content": `"x\"y"`,
		}},
		{"parts", head + `"input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_text","text":"b"}]}]}`, map[string]string{
			"messages.0.content": `[{"type":"text","text":"a"},{"type":"text","text":"b"}]`,
		}},
		{"image url and detail", head + `"input":[{"role":"user","content":[{"type":"input_image","image_url":"https://x/y.png","detail":"high"},{"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"original"}]}]}`, map[string]string{
			"messages.0.content": `[{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"high"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]`,
		}},
		{"file data", head + `"input":[{"role":"user","content":[{"type":"input_file","file_data":"data:application/pdf;base64,JVBE"}]}]}`, map[string]string{
			"messages.0.content": `[{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBE"}}]`,
		}},
		{"assistant history with output_text and refusal", head + `"input":[{"type":"message","role":"assistant","status":"completed","id":"msg_1","content":[{"type":"output_text","text":"a","annotations":[]},{"type":"refusal","refusal":"no"}]}]}`, map[string]string{
			"messages": `[{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"no"}]}]`,
		}},
		{"empty assistant content is dropped", head + `"input":[{"role":"user","content":"u"},{"role":"assistant","content":[]}]}`, map[string]string{
			"messages": `[{"role":"user","content":"u"}]`,
		}},
		{"parallel calls share one assistant message", head + `"input":[{"role":"user","content":"u"},` +
			`{"type":"function_call","call_id":"c1","name":"f","arguments":"{\"a\":1}"},{"type":"function_call","call_id":"c2","name":"g","arguments":"{}"},` +
			`{"type":"function_call_output","call_id":"c1","output":"one"},{"type":"function_call_output","call_id":"c2","output":"two"}]}`, map[string]string{
			"messages": `[{"role":"user","content":"u"},` +
				`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"c2","type":"function","function":{"name":"g","arguments":"{}"}}]},` +
				`{"role":"tool","tool_call_id":"c1","content":"one"},{"role":"tool","tool_call_id":"c2","content":"two"}]`,
		}},
		{"assistant text joins the calls after it, across reasoning", head + `"input":[{"role":"assistant","content":"Checking."},{"type":"reasoning","id":"rs_1","summary":[]},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"ok"}]}`, map[string]string{
			"messages": `[{"role":"assistant","content":"Checking.","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]`,
		}},
		{"text after calls joins them", head + `"input":[{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"role":"assistant","content":"Also."}]}`, map[string]string{
			"messages": `[{"role":"assistant","content":"Also.","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}]`,
		}},
		{"two assistant messages stay apart", head + `"input":[{"role":"assistant","content":"a"},{"role":"assistant","content":"b"}]}`, map[string]string{
			"messages": `[{"role":"assistant","content":"a"},{"role":"assistant","content":"b"}]`,
		}},
		{"tool output parts, media after the tool messages", head + `"input":[{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call","call_id":"c2","name":"f","arguments":"{}"},` +
			`{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"https://x/i.png"},{"type":"input_text","text":"b"}]},` +
			`{"type":"function_call_output","call_id":"c2","output":[]},{"role":"user","content":"next"}]}`, map[string]string{
			"messages.1": `{"role":"tool","tool_call_id":"c1","content":"a\nb"}`,
			"messages.2": `{"role":"tool","tool_call_id":"c2","content":""}`,
			"messages.3": `{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/i.png"}}]}`,
			"messages.4": `{"role":"user","content":"next"}`,
		}},
		{"reasoning only after a message", head + `"input":[{"role":"user","content":"u"},{"type":"reasoning","id":"rs","summary":[{"type":"summary_text","text":"t"}]}]}`, map[string]string{
			"messages": `[{"role":"user","content":"u"}]`,
		}},
		{"function tools, choice, parallel", head + `"input":"x","tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"},"strict":true},{"type":"function","name":"g","parameters":null}],"tool_choice":"required","parallel_tool_calls":false}`, map[string]string{
			"tools":               `[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}},{"type":"function","function":{"name":"g"}}]`,
			"tool_choice":         `"required"`,
			"parallel_tool_calls": `false`,
		}},
		{"named function choice", head + `"input":"x","tools":[{"type":"function","name":"f","parameters":{}}],"tool_choice":{"type":"function","name":"f"}}`, map[string]string{
			"tool_choice": `{"type":"function","function":{"name":"f"}}`,
		}},
		{"no tools, no choice", head + `"input":"x","tools":[],"tool_choice":"none","parallel_tool_calls":true}`, map[string]string{
			"tools": "", "tool_choice": "", "parallel_tool_calls": "",
		}},
		{"sampling and limits", head + `"input":"x","max_output_tokens":300,"temperature":0.2,"top_p":0.5}`, map[string]string{
			"max_completion_tokens": "300", "temperature": "0.2", "top_p": "0.5", "max_tokens": "",
		}},
		{"null fields are absent", head + `"input":"x","max_output_tokens":null,"temperature":null,"top_p":null,"tools":null,"tool_choice":null,"text":null,"reasoning":null,"store":null,"previous_response_id":null,"conversation":null,"prompt":null,"background":null,"instructions":null,"user":null,"metadata":null}`, map[string]string{
			"max_completion_tokens": "", "temperature": "", "tools": "", "response_format": "", "reasoning_effort": "", "user": "",
		}},
		{"stream", head + `"input":"x","stream":true,"stream_options":{"include_obfuscation":false}}`, map[string]string{
			"stream": "true", "stream_options": `{"include_usage":true}`,
		}},
		{"json_object", head + `"input":"x","text":{"format":{"type":"json_object"}}}`, map[string]string{
			"response_format": `{"type":"json_object"}`,
		}},
		{"text format is the default", head + `"input":"x","text":{"format":{"type":"text"}}}`, map[string]string{
			"response_format": "",
		}},
		{"json_schema", head + `"input":"x","text":{"format":{"type":"json_schema","name":"n","description":"d","schema":{"type":"object"},"strict":true},"verbosity":"high"}}`, map[string]string{
			"response_format": `{"type":"json_schema","json_schema":{"name":"n","description":"d","schema":{"type":"object"},"strict":true}}`,
			"verbosity":       `"high"`,
		}},
		{"reasoning effort", head + `"input":"x","reasoning":{"effort":"high","summary":"detailed"}}`, map[string]string{
			"reasoning_effort": `"high"`, "reasoning": "",
		}},
		{"user wins over safety_identifier", head + `"input":"x","user":"u1","safety_identifier":"s1"}`, map[string]string{"user": `"u1"`}},
		{"safety_identifier as user", head + `"input":"x","safety_identifier":"s1"}`, map[string]string{"user": `"s1"`}},
		{"dropped fields", head + `"input":"x","metadata":{"k":"v"},"store":false,"background":false,"previous_response_id":"","truncation":"auto","include":["x"],"service_tier":"flex","prompt_cache_key":"k","max_tool_calls":3,"top_logprobs":2}`, map[string]string{
			"metadata": "", "store": "", "background": "", "truncation": "", "include": "", "service_tier": "", "prompt_cache_key": "", "max_tool_calls": "", "top_logprobs": "",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := ResponsesRequestToOpenAI([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
			if _, aerr := openai.DecodeChatRequest(out); aerr != nil {
				t.Fatalf("the gateway rejects %s: %v", out, aerr)
			}
			for path, want := range tc.want {
				got := gjson.GetBytes(out, path)
				if want == "" {
					if got.Exists() {
						t.Errorf("%s = %s, want it absent", path, got.Raw)
					}
					continue
				}
				if !got.Exists() || !jsonEqual(t, []byte(got.Raw), []byte(want)) {
					t.Errorf("%s = %s\n want %s", path, got.Raw, want)
				}
			}
		})
	}
}

func TestResponsesRequestErrors(t *testing.T) {
	const head = `{"model":"m",`
	for _, tc := range []struct {
		name, body, param, msg string
	}{
		{"not JSON", `{`, "", "not valid JSON"},
		{"not UTF-8", "{\"model\":\"\xff\"}", "", "UTF-8"},
		{"not an object", `[]`, "", "JSON object"},
		{"no model", `{"input":"x"}`, "model", "required"},
		{"empty model", `{"model":"","input":"x"}`, "model", "non-empty string"},
		{"no input", head + `"instructions":"x"}`, "input", "stateless"},
		{"input number", head + `"input":3}`, "input", "string or a list"},
		{"empty input", head + `"input":[]}`, "input", "at least one item"},
		{"only reasoning", head + `"input":[{"type":"reasoning","summary":[]}]}`, "input", "only reasoning"},
		{"store true", head + `"input":"x","store":true}`, "store", "store is not supported: this gateway is stateless"},
		{"store string", head + `"input":"x","store":"yes"}`, "store", "boolean"},
		{"previous_response_id", head + `"input":"x","previous_response_id":"resp_1"}`, "previous_response_id", "stateless"},
		{"conversation", head + `"input":"x","conversation":"conv_1"}`, "conversation", "stateless"},
		{"conversation object", head + `"input":"x","conversation":{"id":"conv_1"}}`, "conversation", "stateless"},
		{"background", head + `"input":"x","background":true}`, "background", "stateless"},
		{"prompt", head + `"input":"x","prompt":{"id":"pmpt_1"}}`, "prompt", "templates"},
		{"stream type", head + `"input":"x","stream":"yes"}`, "stream", "boolean"},
		{"max_output_tokens", head + `"input":"x","max_output_tokens":0}`, "max_output_tokens", "positive integer"},
		{"max_output_tokens fraction", head + `"input":"x","max_output_tokens":1.5}`, "max_output_tokens", "positive integer"},
		{"temperature", head + `"input":"x","temperature":"hot"}`, "temperature", "number"},
		{"instructions", head + `"input":"x","instructions":["a"]}`, "instructions", "string"},
		{"metadata", head + `"input":"x","metadata":"m"}`, "metadata", "object"},
		{"item not object", head + `"input":["x"]}`, "input[0]", "input item object"},
		{"item without type or role", head + `"input":[{"content":"x"}]}`, "input[0].type", "required"},
		{"unknown role", head + `"input":[{"role":"tool","content":"x"}]}`, "input[0].role", `"developer"`},
		{"content type", head + `"input":[{"role":"user","content":5}]}`, "input[0].content", "string or a list"},
		{"empty user parts", head + `"input":[{"role":"user","content":[]}]}`, "input[0].content", "not be empty"},
		{"unknown part", head + `"input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "input[0].content[0].type", "input_audio"},
		{"part text type", head + `"input":[{"role":"user","content":[{"type":"input_text","text":1}]}]}`, "input[0].content[0].text", "string"},
		{"image by file_id", head + `"input":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"input_image","file_id":"file-1","detail":"auto"}]}]}`, "input[1].content[0].file_id", "file_id"},
		{"image without url", head + `"input":[{"role":"user","content":[{"type":"input_image","detail":"auto"}]}]}`, "input[0].content[0].image_url", "URL"},
		{"file by file_id", head + `"input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}`, "input[0].content[0].file_id", "file_id"},
		{"file by url", head + `"input":[{"role":"user","content":[{"type":"input_file","file_url":"https://x/a.pdf"}]}]}`, "input[0].content[0].file_url", "file_url"},
		{"image in system", head + `"input":[{"role":"system","content":[{"type":"input_image","image_url":"https://x"}]}]}`, "input[0].content[0].type", "user messages"},
		{"image in assistant", head + `"input":[{"role":"assistant","content":[{"type":"input_image","image_url":"https://x"}]}]}`, "input[0].content[0].type", "user messages"},
		{"refusal in user", head + `"input":[{"role":"user","content":[{"type":"refusal","refusal":"no"}]}]}`, "input[0].content[0].type", "assistant messages"},
		{"call without call_id", head + `"input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", "non-empty"},
		{"call without name", head + `"input":[{"type":"function_call","call_id":"c","arguments":"{}"}]}`, "input[0].name", "non-empty"},
		{"call arguments object", head + `"input":[{"type":"function_call","call_id":"c","name":"f","arguments":{}}]}`, "input[0].arguments", "JSON text"},
		{"output without call_id", head + `"input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id", "non-empty"},
		{"output missing", head + `"input":[{"type":"function_call_output","call_id":"c"}]}`, "input[0].output", "string or a list"},
		{"output part type", head + `"input":[{"type":"function_call_output","call_id":"c","output":[{"type":"refusal"}]}]}`, "input[0].output[0].type", "refusal"},
		{"item reference", head + `"input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0].type", "stateless"},
		{"built-in call item", head + `"input":[{"role":"user","content":"x"},{"type":"web_search_call","id":"ws_1","status":"completed"}]}`, "input[1].type", "web_search_call"},
		{"web search tool", head + `"input":"x","tools":[{"type":"web_search"}]}`, "tools[0].type", `"web_search"`},
		{"file search tool", head + `"input":"x","tools":[{"type":"function","name":"f"},{"type":"file_search","vector_store_ids":["vs_1"]}]}`, "tools[1].type", `"file_search"`},
		{"mcp tool", head + `"input":"x","tools":[{"type":"mcp","server_label":"x"}]}`, "tools[0].type", `"mcp"`},
		{"custom tool", head + `"input":"x","tools":[{"type":"custom","name":"x"}]}`, "tools[0].type", "custom tools"},
		{"tool without name", head + `"input":"x","tools":[{"type":"function","parameters":{}}]}`, "tools[0].name", "non-empty"},
		{"tool parameters", head + `"input":"x","tools":[{"type":"function","name":"f","parameters":"{}"}]}`, "tools[0].parameters", "schema"},
		{"tool strict", head + `"input":"x","tools":[{"type":"function","name":"f","strict":"yes"}]}`, "tools[0].strict", "boolean"},
		{"tools not list", head + `"input":"x","tools":{}}`, "tools", "list"},
		{"tool_choice string", head + `"input":"x","tool_choice":"any"}`, "tool_choice", `"required"`},
		{"tool_choice hosted", head + `"input":"x","tool_choice":{"type":"web_search_preview"}}`, "tool_choice.type", "web_search_preview"},
		{"tool_choice allowed_tools", head + `"input":"x","tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]}}`, "tool_choice.type", "allowed_tools"},
		{"tool_choice function without name", head + `"input":"x","tool_choice":{"type":"function"}}`, "tool_choice.name", "non-empty"},
		{"text format type", head + `"input":"x","text":{"format":{"type":"xml"}}}`, "text.format.type", "json_schema"},
		{"json_schema without name", head + `"input":"x","text":{"format":{"type":"json_schema","schema":{}}}}`, "text.format.name", "non-empty"},
		{"json_schema without schema", head + `"input":"x","text":{"format":{"type":"json_schema","name":"n"}}}`, "text.format.schema", "schema"},
		{"reasoning effort type", head + `"input":"x","reasoning":{"effort":1}}`, "reasoning.effort", "string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ResponsesRequestToOpenAI([]byte(tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Status != 400 || err.Code != "invalid_request" || err.Param != tc.param {
				t.Errorf("status %d code %q param %q, want 400 invalid_request %q", err.Status, err.Code, err.Param, tc.param)
			}
			if !strings.Contains(err.Message, tc.msg) {
				t.Errorf("message %q does not say %q", err.Message, tc.msg)
			}
		})
	}
}

// A rejected request still tells the gateway its model, for the logs.
func TestResponsesRequestErrorKeepsModel(t *testing.T) {
	_, info, err := ResponsesRequestToOpenAI([]byte(`{"model":"gpt-x","stream":true,"input":[],"store":true}`))
	if err == nil || info.Model != "gpt-x" || !info.Stream {
		t.Fatalf("err %v, info %+v", err, info)
	}
}

// The echo is what the answer repeats of the request: OpenAI's defaults for
// a bare request, the request's own values otherwise.
func TestResponsesEcho(t *testing.T) {
	_, info, err := ResponsesRequestToOpenAI([]byte(`{"model":"m","input":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := "{" + string(info.echo) + "}"; !jsonEqual(t, []byte(got), []byte("{"+defaultEcho+"}")) {
		t.Errorf("echo of a bare request\n got %s\nwant {%s}", got, defaultEcho)
	}
	_, info, err = ResponsesRequestToOpenAI(readFixture(t, "responses/request_structured.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(info.echo), "\n\t") || strings.Contains(string(info.echo), ": ") {
		t.Errorf("the echo is not compact: %s", info.echo)
	}
	echo := []byte("{" + string(info.echo) + "}")
	for path, want := range map[string]string{
		"parallel_tool_calls": "false",
		"tool_choice":         `{"type":"function","name":"lookup_calendar"}`,
		"tools":               `[{"type":"function","name":"lookup_calendar","description":null,"parameters":{"type":"object","properties":{}},"strict":null}]`,
		"text.format.name":    `"calendar_event"`,
		"store":               "false",
		"temperature":         "1",
	} {
		if got := gjson.GetBytes(echo, path); !jsonEqual(t, []byte(got.Raw), []byte(want)) {
			t.Errorf("%s = %s, want %s", path, got.Raw, want)
		}
	}
}

func BenchmarkResponsesRequestToOpenAI(b *testing.B) {
	body := []byte(`{"model":"gpt-4.1","stream":true,"store":false,` +
		`"instructions":"You are a helpful coding assistant working in the user's repository.",` +
		`"tools":[{"type":"function","name":"read_file","description":"Read a file from the workspace","parameters":{"type":"object","properties":{"path":{"type":"string","description":"Path relative to the repository root"}},"required":["path"],"additionalProperties":false},"strict":true}],` +
		`"input":[` +
		`{"role":"user","content":"Why does the build fail on the CI machine but not locally? Look at the Makefile first."},` +
		`{"type":"reasoning","id":"rs_1","summary":[]},` +
		`{"type":"message","role":"assistant","status":"completed","id":"msg_1","content":[{"type":"output_text","text":"Let me read the Makefile.","annotations":[]}]},` +
		`{"type":"function_call","call_id":"call_01A09q90qw90lq917835lq9","name":"read_file","arguments":"{\"path\":\"Makefile\"}"},` +
		`{"type":"function_call_output","call_id":"call_01A09q90qw90lq917835lq9","output":"build:\n\tgo build -trimpath ./...\n\ntest:\n\tgo test -race ./...\n"},` +
		`{"role":"user","content":[{"type":"input_text","text":"That is the whole file. The CI runs make test."}]}` +
		`],"temperature":0.2,"reasoning":{"effort":"low"},"metadata":{"session":"a81f3c"}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ResponsesRequestToOpenAI(body); err != nil {
			b.Fatal(err)
		}
	}
}

// Whatever the body, the translator answers a 400 or a body that is valid
// JSON and that the gateway accepts, and an echo that makes a valid
// response object.
func FuzzResponsesRequestToOpenAI(f *testing.F) {
	for _, name := range []string{"request_chat.json", "request_agent.json", "request_structured.json"} {
		f.Add(readFixture(f, "responses/"+name))
	}
	f.Add([]byte(`{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{\"a\\u0022:1}"},{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://x"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, info, err := ResponsesRequestToOpenAI(body)
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
		if aerr != nil && aerr.Param == "model" && len(info.Model) > openai.MaxModelName {
			return // the gateway's own 400 for a model name too long
		}
		if aerr != nil {
			t.Fatalf("the gateway rejects %s\nfrom %s: %v", out, body, aerr)
		}
		if req.Model != info.Model || req.Stream != info.Stream {
			t.Fatalf("info %+v, request %+v", info, req)
		}
		if strings.IndexByte(string(info.echo), '\n') >= 0 {
			t.Fatalf("the echo spans lines: %s", info.echo)
		}
		resp, rerr := OpenAIResponseToResponses([]byte(`{"id":"chatcmpl-1","choices":[{"index":0,"message":{"content":"hi"},"finish_reason":"stop"}]}`), info)
		if rerr != nil || !json.Valid(resp) {
			t.Fatalf("response %s (%v) for the echo of %s", resp, rerr, body)
		}
	})
}
