package bedrock

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestTranslateRequestFixture(t *testing.T) {
	got, e := translateRequest(readFixture(t, "openai_request_full.json"), "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
	if e != nil {
		t.Fatal(e.param, e.message)
	}
	if !jsonEqual(t, got, readFixture(t, "converse_request_full.json")) {
		t.Errorf("converse request:\n%s", got)
	}
	if strings.Contains(string(got), `\u003c`) {
		t.Errorf("HTML characters escaped: %s", got)
	}
}

// translated runs translateRequest on a body and returns the result as
// gjson, failing on a refusal.
func translated(t *testing.T, model, body string) gjson.Result {
	t.Helper()
	out, e := translateRequest([]byte(body), model)
	if e != nil {
		t.Fatalf("refused (%s): %s", e.param, e.message)
	}
	if !gjson.ValidBytes(out) {
		t.Fatalf("not JSON: %s", out)
	}
	return gjson.ParseBytes(out)
}

func TestTranslateRequestMessages(t *testing.T) {
	r := translated(t, "m", `{"messages":[
		{"role":"user","content":"Hi"},
		{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"there"}]},
		{"role":"assistant","content":""},
		{"role":"assistant","content":[{"type":"refusal","refusal":"No."}]},
		{"role":"system","content":"Late system words"},
		{"role":"user","content":"Why?"}]}`)
	if got := r.Get("messages").Raw; got != `[{"role":"user","content":[{"text":"Hi"},{"text":"there"}]},{"role":"assistant","content":[{"text":"No."}]},{"role":"user","content":[{"text":"Why?"}]}]` {
		t.Errorf("messages %s", got)
	}
	if r.Get("system").Raw != `[{"text":"Late system words"}]` {
		t.Errorf("system %s", r.Get("system").Raw)
	}
	if r.Get("inferenceConfig").Exists() || r.Get("toolConfig").Exists() || r.Get("additionalModelRequestFields").Exists() {
		t.Errorf("unasked fields: %s", r.Raw)
	}
}

func TestTranslateRequestInference(t *testing.T) {
	r := translated(t, "m", `{"messages":[{"role":"user","content":"x"}],"max_tokens":50,"stop":"STOP","temperature":0,"n":1}`)
	if r.Get("inferenceConfig").Raw != `{"maxTokens":50,"temperature":0,"stopSequences":["STOP"]}` {
		t.Errorf("inferenceConfig %s", r.Get("inferenceConfig").Raw)
	}
	r = translated(t, "m", `{"messages":[{"role":"user","content":"x"}],"max_tokens":50,"max_completion_tokens":70,"stop":null}`)
	if r.Get("inferenceConfig").Raw != `{"maxTokens":70}` {
		t.Errorf("max_completion_tokens wins: %s", r.Get("inferenceConfig").Raw)
	}
}

func TestTranslateRequestToolChoice(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`
	history := `{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"not json"}}]},{"role":"tool","tool_call_id":"t1","content":""}`
	for _, c := range []struct {
		name, body, toolConfig string
	}{
		{"required", `{"messages":[{"role":"user","content":"x"}],` + tools + `,"tool_choice":"required"}`,
			`{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}`},
		{"named", `{"messages":[{"role":"user","content":"x"}],` + tools + `,"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			`{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"f"}}}`},
		{"none without history", `{"messages":[{"role":"user","content":"x"}],` + tools + `,"tool_choice":"none"}`, ``},
		{"none with history", `{"messages":[{"role":"user","content":"x"},` + history + `],` + tools + `,"tool_choice":"none"}`,
			`{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}]}`},
		{"history without tools", `{"messages":[{"role":"user","content":"x"},` + history + `]}`,
			`{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}]}`},
		{"choice without tools", `{"messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}`, ``},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := translated(t, "m", c.body)
			if got := r.Get("toolConfig").Raw; got != c.toolConfig {
				t.Errorf("toolConfig %s, want %s", got, c.toolConfig)
			}
		})
	}
	r := translated(t, "m", `{"messages":[{"role":"user","content":"x"},`+history+`]}`)
	if got := r.Get("messages.1.content.0.toolUse.input").Raw; got != `{}` {
		t.Errorf("broken arguments became %s", got)
	}
	if got := r.Get("messages.2.content.0.toolResult").Raw; got != `{"toolUseId":"t1","content":[]}` {
		t.Errorf("empty tool result %s", got)
	}
}

func TestTranslateRequestResponseFormat(t *testing.T) {
	r := translated(t, "m", `{"messages":[{"role":"user","content":"json please"}],"response_format":{"type":"json_object"}}`)
	if r.Get("outputConfig").Exists() {
		t.Errorf("json_object sent: %s", r.Raw)
	}
}

func TestTranslateRequestReasoning(t *testing.T) {
	body := func(extra string) string {
		return `{"messages":[{"role":"user","content":"think"}]` + extra + `}`
	}
	for _, c := range []struct {
		name, model, extra, fields, maxTokens string
	}{
		{"claude without limit", "anthropic.claude-sonnet-4-20250514-v1:0", `,"reasoning_effort":"high"`,
			`{"thinking":{"type":"enabled","budget_tokens":16384}}`, `24576`},
		{"claude clamped", "us.anthropic.claude-3-7-sonnet-20250219-v1:0", `,"reasoning_effort":"high","max_tokens":5000`,
			`{"thinking":{"type":"enabled","budget_tokens":4999}}`, `5000`},
		{"claude too little room", "anthropic.claude-3-7-sonnet-20250219-v1:0", `,"reasoning_effort":"low","max_tokens":500`, ``, `500`},
		{"claude none", "anthropic.claude-3-7-sonnet-20250219-v1:0", `,"reasoning_effort":"none"`, ``, ``},
		{"nova 2", "us.amazon.nova-2-lite-v1:0", `,"reasoning_effort":"minimal"`,
			`{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"low"}}`, ``},
		{"gpt-oss", "openai.gpt-oss-120b-1:0", `,"reasoning_effort":"xhigh"`, `{"reasoning_effort":"high"}`, ``},
		{"other family", "meta.llama3-70b-instruct-v1:0", `,"reasoning_effort":"high"`, ``, ``},
		{"unknown effort", "anthropic.claude-3-7-sonnet-20250219-v1:0", `,"reasoning_effort":"extreme"`, ``, ``},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := translated(t, c.model, body(c.extra))
			if got := r.Get("additionalModelRequestFields").Raw; got != c.fields {
				t.Errorf("additionalModelRequestFields %s, want %s", got, c.fields)
			}
			if got := r.Get("inferenceConfig.maxTokens").Raw; got != c.maxTokens {
				t.Errorf("maxTokens %s, want %s", got, c.maxTokens)
			}
		})
	}
}

func TestTranslateRequestRefusals(t *testing.T) {
	user := func(content string) string { return `{"messages":[{"role":"user","content":` + content + `}]}` }
	for _, c := range []struct {
		name, body, param, says string
	}{
		{"not JSON", `{"messages":`, "", "could not be read"},
		{"n", `{"messages":[{"role":"user","content":"x"}],"n":2}`, "n", "one choice"},
		{"functions", `{"messages":[{"role":"user","content":"x"}],"functions":[{"name":"f"}]}`, "functions", "tools"},
		{"function role", `{"messages":[{"role":"function","name":"f","content":"x"}]}`, "messages[0].role", "deprecated"},
		{"bad role", `{"messages":[{"role":"robot","content":"x"}]}`, "messages[0].role", "robot"},
		{"only system", `{"messages":[{"role":"system","content":"x"}]}`, "messages", "at least one"},
		{"https image", user(`[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]`), "messages[0].content[0].image_url.url", "data: URL"},
		{"image type", user(`[{"type":"image_url","image_url":{"url":"data:image/tiff;base64,AAAA"}}]`), "messages[0].content[0].image_url.url", "image/tiff"},
		{"audio", user(`[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]`), "messages[0].content[0].type", "input_audio"},
		{"file id", user(`[{"type":"file","file":{"file_id":"file-abc"}}]`), "messages[0].content[0].file", "file_id"},
		{"file type", user(`[{"type":"file","file":{"file_data":"data:application/zip;base64,AAAA"}}]`), "messages[0].content[0].file.file_data", "application/zip"},
		{"content type", user(`42`), "messages[0].content", "string or a list"},
		{"image in system", `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]},{"role":"user","content":"x"}]}`, "messages[0].content[0].type", "only text"},
		{"tool without id", `{"messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}`, "messages[1].tool_call_id", "tool_call_id"},
		{"call without name", `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"arguments":"{}"}}]}]}`, "messages[1].tool_calls[0]", "function name"},
		{"web search tool", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]}`, "tools[0].type", "web_search"},
		{"tool choice", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"always"}`, "tool_choice", "always"},
		{"tool choice object", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools"}}`, "tool_choice", "auto"},
		{"stop", `{"messages":[{"role":"user","content":"x"}],"stop":42}`, "stop", "string"},
		{"format type", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}`, "response_format.type", "yaml"},
		{"schema missing", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, "response_format.json_schema.schema", "needs a schema"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, e := translateRequest([]byte(c.body), "anthropic.claude-3-haiku-20240307-v1:0")
			if e == nil {
				t.Fatal("accepted")
			}
			if e.param != c.param || !strings.Contains(e.message, c.says) {
				t.Errorf("param %q message %q", e.param, e.message)
			}
		})
	}
}

func TestDocumentName(t *testing.T) {
	for in, want := range map[string]string{
		"forecast notes.pdf":       "forecast notes",
		"q3_report (final)!!.docx": "q3 report (final)",
		"../../etc/passwd":         "passwd",
		"":                         "document 3",
		"...":                      "document 3",
		"résumé.txt":               "r sum",
	} {
		if got := documentName(in, 2); got != want {
			t.Errorf("documentName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDataURL(t *testing.T) {
	for _, c := range []struct {
		url, media, data string
		ok               bool
	}{
		{"data:image/PNG;base64,AAAA", "image/png", "AAAA", true},
		{"data:image/jpeg;name=x.jpg;base64,/9j/", "image/jpeg", "/9j/", true},
		{"data:image/png,AAAA", "", "", false},
		{"data:image/png;base64", "", "", false},
		{"https://x/y.png", "", "", false},
	} {
		media, data, ok := parseDataURL(c.url)
		if media != c.media || data != c.data || ok != c.ok {
			t.Errorf("parseDataURL(%q) = %q %q %v", c.url, media, data, ok)
		}
	}
}

func TestClaudeThinkingRules(t *testing.T) {
	model := "anthropic.claude-sonnet-4-20250514-v1:0"
	r := translated(t, model, `{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","temperature":0.2,"top_p":0.5,"max_tokens":9000}`)
	if r.Get("inferenceConfig").Raw != `{"maxTokens":9000}` || !r.Get("additionalModelRequestFields.thinking").Exists() {
		t.Errorf("thinking with sampling: %s", r.Raw)
	}
	r = translated(t, model, `{"messages":[{"role":"user","content":"x"},
		{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"t1","content":"42"}],"reasoning_effort":"low","temperature":0.2}`)
	if r.Get("additionalModelRequestFields").Exists() || r.Get("inferenceConfig.temperature").Float() != 0.2 {
		t.Errorf("thinking while answering tool results: %s", r.Raw)
	}
}
