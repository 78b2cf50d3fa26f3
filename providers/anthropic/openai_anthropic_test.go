package anthropic

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// TestRequestGolden translates the OpenAI requests of testdata/ and compares
// the Messages requests with the golden files, which were checked by hand
// against Anthropic's API reference.
func TestRequestGolden(t *testing.T) {
	for _, name := range []string{"chat", "tools", "reasoning"} {
		t.Run(name, func(t *testing.T) {
			in := readFixture(t, "openai_request_"+name+".json")
			out, e := translateRequest(in, gjson.GetBytes(in, "model").Str, gjson.GetBytes(in, "stream").Bool(), APIVersion)
			if e != nil {
				t.Fatalf("%s: %s", e.param, e.msg)
			}
			checkGoldenJSON(t, "anthropic_request_"+name+".json", out)
		})
	}
}

// translated translates body for model (stream off, default version) and
// fails the test on a translation error.
func translated(t *testing.T, model, body string) gjson.Result {
	t.Helper()
	out, e := translateRequest([]byte(body), model, false, APIVersion)
	if e != nil {
		t.Fatalf("%s: %s\n%s", e.param, e.msg, body)
	}
	if !json.Valid(out) {
		t.Fatalf("not JSON: %s", out)
	}
	return gjson.ParseBytes(out)
}

const hello = `"messages":[{"role":"user","content":"hi"}]`

func TestRequestMaxTokens(t *testing.T) {
	for _, c := range []struct {
		body string
		want int64
	}{
		{`{` + hello + `}`, DefaultMaxTokens},
		{`{"max_tokens":100,` + hello + `}`, 100},
		{`{"max_tokens":100,"max_completion_tokens":200,` + hello + `}`, 200},
		{`{"max_tokens":0,` + hello + `}`, 0}, // Anthropic's cache warm-up
		{`{"reasoning_effort":"medium",` + hello + `}`, DefaultMaxTokens + 8192},
	} {
		if got := translated(t, "claude-sonnet-4-5", c.body).Get("max_tokens").Int(); got != c.want {
			t.Errorf("%s: max_tokens %d, want %d", c.body, got, c.want)
		}
	}
}

func TestRequestToolChoice(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"f"}}],`
	for _, c := range []struct{ body, want string }{
		{`{` + tools + hello + `}`, ``},
		{`{` + tools + `"tool_choice":"auto",` + hello + `}`, `{"type":"auto"}`},
		{`{` + tools + `"tool_choice":"none",` + hello + `}`, `{"type":"none"}`},
		{`{` + tools + `"tool_choice":"required",` + hello + `}`, `{"type":"any"}`},
		{`{` + tools + `"tool_choice":{"type":"function","function":{"name":"f"}},` + hello + `}`, `{"type":"tool","name":"f"}`},
		{`{` + tools + `"parallel_tool_calls":false,` + hello + `}`, `{"type":"auto","disable_parallel_tool_use":true}`},
		{`{` + tools + `"tool_choice":"required","parallel_tool_calls":false,` + hello + `}`, `{"type":"any","disable_parallel_tool_use":true}`},
		{`{` + tools + `"tool_choice":"none","parallel_tool_calls":false,` + hello + `}`, `{"type":"none"}`},
		{`{` + tools + `"parallel_tool_calls":true,` + hello + `}`, ``},
		{`{"tool_choice":"required",` + hello + `}`, ``}, // no tools: nothing to choose
	} {
		out := translated(t, "m", c.body)
		if got := out.Get("tool_choice").Raw; got != c.want {
			t.Errorf("%s: tool_choice %s, want %s", c.body, got, c.want)
		}
	}
	out := translated(t, "m", `{`+tools+hello+`}`)
	if got := out.Get("tools").Raw; got != `[{"name":"f","input_schema":{"type":"object","properties":{}}}]` {
		t.Errorf("a tool without parameters: %s", got)
	}
}

func TestRequestSampling(t *testing.T) {
	for _, c := range []struct {
		body, version, model string
		temperature, topP    string
	}{
		{`{"temperature":0.3,` + hello + `}`, APIVersion, "m", "0.3", ""},
		{`{"temperature":1.7,` + hello + `}`, APIVersion, "m", "1", ""},
		{`{"temperature":0.3,"top_p":0.8,` + hello + `}`, APIVersion, "m", "0.3", ""},
		{`{"top_p":0.8,` + hello + `}`, APIVersion, "m", "", "0.8"},
		{`{"temperature":0.3,"top_p":0.8,` + hello + `}`, "2026-10-21", "m", "", ""},
		// thinking on: no temperature; top_p only from 0.95
		{`{"reasoning_effort":"low","temperature":0.3,"top_p":0.97,` + hello + `}`, APIVersion, "claude-sonnet-4-5", "", "0.97"},
		{`{"reasoning_effort":"low","top_p":0.5,` + hello + `}`, APIVersion, "claude-sonnet-4-5", "", ""},
		{`{"reasoning_effort":"low","temperature":0.3,` + hello + `}`, "2023-06-01", "claude-opus-4-7", "", ""},
	} {
		b, e := translateRequest([]byte(c.body), c.model, false, c.version)
		if e != nil {
			t.Fatal(e.msg)
		}
		out := gjson.ParseBytes(b)
		if out.Get("temperature").Raw != c.temperature || out.Get("top_p").Raw != c.topP {
			t.Errorf("%s (%s, %s): temperature %q top_p %q, want %q %q", c.body, c.version, c.model,
				out.Get("temperature").Raw, out.Get("top_p").Raw, c.temperature, c.topP)
		}
	}
}

func TestRequestThinking(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"f"}}],`
	afterTool := `"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]`
	prefill := `"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Sure:"}]`
	for _, c := range []struct{ model, body, thinking, effort string }{
		{"claude-sonnet-4-5", `{"reasoning_effort":"high",` + hello + `}`, `{"type":"enabled","budget_tokens":16384}`, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"minimal",` + hello + `}`, `{"type":"enabled","budget_tokens":1024}`, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"none",` + hello + `}`, ``, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"high","max_tokens":10000,` + hello + `}`, `{"type":"enabled","budget_tokens":5000}`, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"high","max_completion_tokens":20000,` + hello + `}`, `{"type":"enabled","budget_tokens":16384}`, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"low","max_tokens":1500,` + hello + `}`, ``, ""}, // 750 < 1024
		{"claude-sonnet-4-5", `{"reasoning_effort":"high","max_tokens":0,` + hello + `}`, ``, ""},
		{"claude-opus-4-7", `{"reasoning_effort":"high",` + hello + `}`, `{"type":"adaptive"}`, "high"},
		{"claude-sonnet-4-6", `{"reasoning_effort":"minimal",` + hello + `}`, `{"type":"adaptive"}`, "low"},
		{"claude-sonnet-5", `{"reasoning_effort":"xhigh","max_tokens":100,` + hello + `}`, `{"type":"adaptive"}`, "xhigh"},
		{"claude-sonnet-4-5", `{"reasoning_effort":"high",` + tools + `"tool_choice":"required",` + hello + `}`, ``, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"high",` + tools + `"tool_choice":"auto",` + hello + `}`, `{"type":"enabled","budget_tokens":16384}`, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"high",` + tools + afterTool + `}`, ``, ""},
		{"claude-opus-4-7", `{"reasoning_effort":"high",` + tools + afterTool + `}`, ``, ""},
		{"claude-sonnet-4-5", `{"reasoning_effort":"high",` + prefill + `}`, ``, ""},
	} {
		out := translated(t, c.model, c.body)
		if got := out.Get("thinking").Raw; got != c.thinking {
			t.Errorf("%s %s: thinking %s, want %s", c.model, c.body, got, c.thinking)
		}
		if got := out.Get("output_config.effort").Str; got != c.effort {
			t.Errorf("%s %s: effort %q, want %q", c.model, c.body, got, c.effort)
		}
	}
}

func TestClaudeVersion(t *testing.T) {
	for _, c := range []struct {
		model        string
		major, minor int
		ok           bool
	}{
		{"claude-3-7-sonnet-20250219", 3, 7, true},
		{"claude-3-opus-20240229", 3, 0, true},
		{"claude-sonnet-4-5-20250929", 4, 5, true},
		{"claude-opus-4-20250514", 4, 0, true},
		{"claude-opus-4-1-20250805", 4, 1, true},
		{"claude-opus-4-7", 4, 7, true},
		{"claude-sonnet-5", 5, 0, true},
		{"claude-haiku-4-5@20251001", 4, 5, true},
		{"anthropic/claude-sonnet-4.6", 4, 6, true},
		{"claude-instant", 0, 0, false},
		{"fixture", 0, 0, false},
	} {
		major, minor, ok := claudeVersion(c.model)
		if major != c.major || minor != c.minor || ok != c.ok {
			t.Errorf("%s: %d.%d %v, want %d.%d %v", c.model, major, minor, ok, c.major, c.minor, c.ok)
		}
	}
}

func TestRequestConversation(t *testing.T) {
	// Consecutive messages of one role merge; tool results come first in
	// their user message even when a user message came before them.
	out := translated(t, "m", `{"messages":[
		{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":""}]},
		{"role":"assistant","content":"c"},{"role":"assistant","content":"","tool_calls":[{"id":"call:1","type":"function","function":{"name":"f","arguments":" {\"x\":1} "}}]},
		{"role":"user","content":"d"},{"role":"tool","tool_call_id":"call:1","content":"r"},
		{"role":"assistant","content":null},
		{"role":"system","content":"late system"}
	]}`)
	want := `[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},` +
		`{"role":"assistant","content":[{"type":"text","text":"c"},{"type":"tool_use","id":"call_1","name":"f","input":{"x":1}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"r"},{"type":"text","text":"d"}]}]`
	if got := out.Get("messages").Raw; !jsonEqual(t, []byte(got), []byte(want)) {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}
	if out.Get("system").Str != "late system" {
		t.Errorf("system %s", out.Get("system").Raw)
	}
	// A refusal in the history is the assistant's text.
	out = translated(t, "m", `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"refusal":"I can't."},{"role":"user","content":"y"}]}`)
	if got := out.Get("messages.1.content.0.text").Str; got != "I can't." {
		t.Errorf("refusal: %s", out.Get("messages").Raw)
	}
}

func TestRequestErrors(t *testing.T) {
	for _, c := range []struct{ body, param string }{
		{`{"messages":`, ""},
		{`{"n":2,` + hello + `}`, "n"},
		{`{"messages":[{"role":"system","content":"x"},{"role":"assistant","content":""}]}`, "messages"},
		{`{"functions":[{"name":"f"}],` + hello + `}`, "functions"},
		{`{"web_search_options":{},` + hello + `}`, "web_search_options"},
		{`{"modalities":["text","audio"],` + hello + `}`, "modalities"},
		{`{"messages":[{"role":"function","name":"f","content":"x"}]}`, "messages[0].role"},
		{`{"messages":[{"role":"critic","content":"x"}]}`, "messages[0].role"},
		{`{"messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
		{`{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "messages[0].content[0].type"},
		{`{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}`, "messages[0].content[0].type"},
		{`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,rawbytes"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-abc"}}]}]}`, "messages[0].content[0].file"},
		{`{"messages":[{"role":"user","content":[{"type":"file","file":{"file_data":"data:text/csv;base64,YQ=="}}]}]}`, "messages[0].content[0].file.file_data"},
		{`{"messages":[{"role":"user","content":42}]}`, "messages[0].content"},
		{`{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{bad"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{`{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{`{"messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}`, "messages[0].tool_calls[0]"},
		{`{"messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]}`, "messages[0].function_call"},
		{`{"tools":[{"type":"custom","custom":{"name":"g"}}],` + hello + `}`, "tools[0].type"},
		{`{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}},` + hello + `}`, "tool_choice"},
		{`{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes",` + hello + `}`, "tool_choice"},
		{`{"stop":7,` + hello + `}`, "stop"},
		{`{"response_format":{"type":"xml"},` + hello + `}`, "response_format.type"},
		{`{"response_format":{"type":"json_schema","json_schema":{"name":"x"}},` + hello + `}`, "response_format.json_schema.schema"},
		{`{"reasoning_effort":"extreme",` + hello + `}`, "reasoning_effort"},
	} {
		out, e := translateRequest([]byte(c.body), "m", false, APIVersion)
		if e == nil {
			t.Errorf("%s: translated to %s, want an error", c.body, out)
			continue
		}
		if e.param != c.param || e.msg == "" {
			t.Errorf("%s: param %q (%s), want %q", c.body, e.param, e.msg, c.param)
		}
	}
}

func TestRequestDropsUnknownFields(t *testing.T) {
	out := translated(t, "m", `{"model":"x","frequency_penalty":1,"presence_penalty":1,"seed":1,"logit_bias":{"1":2},"logprobs":true,
		"top_logprobs":2,"store":true,"metadata":{"a":"b"},"service_tier":"flex","prediction":{"type":"content","content":"x"},
		"stream_options":{"include_usage":true},"some_future_field":[1,2],"response_format":{"type":"json_object"},`+hello+`}`)
	var keys []string
	out.ForEach(func(k, _ gjson.Result) bool { keys = append(keys, k.Str); return true })
	if strings.Join(keys, ",") != "model,max_tokens,messages" {
		t.Errorf("fields sent: %v", keys)
	}
}

func BenchmarkTranslateRequest(b *testing.B) {
	in := readFixture(b, "openai_request_tools.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, e := translateRequest(in, "claude-sonnet-4-5", true, APIVersion); e != nil {
			b.Fatal(e.msg)
		}
	}
}

// FuzzTranslateRequest: any body either translates into valid JSON with
// the fields Anthropic requires, or is refused with a named reason.
func FuzzTranslateRequest(f *testing.F) {
	for _, name := range []string{"chat", "tools", "reasoning"} {
		f.Add(readFixture(f, "openai_request_"+name+".json"), "claude-sonnet-4-5")
	}
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high"}`), "claude-opus-4-7")
	f.Fuzz(func(t *testing.T, body []byte, model string) {
		out, e := translateRequest(body, model, true, APIVersion)
		if e != nil {
			if e.msg == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("not JSON: %s", out)
		}
		r := gjson.ParseBytes(out)
		if (utf8.ValidString(model) && r.Get("model").Str != model) || !r.Get("max_tokens").Exists() || !r.Get("messages").IsArray() {
			t.Fatalf("missing required fields: %s", out)
		}
		if r.Get("thinking").Exists() && r.Get("temperature").Exists() {
			t.Fatalf("temperature with thinking: %s", out)
		}
	})
}
