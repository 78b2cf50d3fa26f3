package gemini

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRequestGolden(t *testing.T) {
	for _, c := range []struct{ in, model, want string }{
		{"openai_request_chat.json", "gemini-2.5-flash", "want_gemini_request_chat.json"},
		{"openai_request_tools.json", "gemini-3-pro-preview", "want_gemini_request_tools.json"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := translateRequest(readFixture(t, c.in), c.model)
			if err != nil {
				t.Fatalf("%+v", err)
			}
			golden(t, c.want, got)
		})
	}
}

func TestRequestDetails(t *testing.T) {
	tr := func(t *testing.T, body, model string) map[string]any {
		t.Helper()
		out, err := translateRequest([]byte(body), model)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		return decode(t, out)
	}
	t.Run("minimal request has contents only", func(t *testing.T) {
		got := tr(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "gemini-2.5-flash")
		want := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
		if b, _ := json.Marshal(got); !jsonEqual(t, b, []byte(want)) {
			t.Errorf("got %s", b)
		}
	})
	t.Run("stop as a string, max_tokens, n", func(t *testing.T) {
		got := tr(t, `{"messages":[{"role":"user","content":"hi"}],"stop":"END","max_tokens":5,"n":2}`, "gemini-2.5-flash")
		gc := got["generationConfig"].(map[string]any)
		if gc["maxOutputTokens"] != 5.0 || gc["candidateCount"] != 2.0 || gc["stopSequences"].([]any)[0] != "END" {
			t.Errorf("generationConfig %v", gc)
		}
	})
	t.Run("json_object", func(t *testing.T) {
		got := tr(t, `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}`, "gemini-2.5-flash")
		gc := got["generationConfig"].(map[string]any)
		if gc["responseMimeType"] != "application/json" || gc["responseSchema"] != nil {
			t.Errorf("generationConfig %v", gc)
		}
	})
	t.Run("tool_choice modes", func(t *testing.T) {
		tools := `"tools":[{"type":"function","function":{"name":"a","parameters":{"type":"object","properties":{"x":{"type":"string"}}}}},{"type":"function","function":{"name":"b"}}]`
		for choice, want := range map[string]string{
			`"auto"`:     `{"functionCallingConfig":{"mode":"AUTO"}}`,
			`"none"`:     `{"functionCallingConfig":{"mode":"NONE"}}`,
			`"required"`: `{"functionCallingConfig":{"mode":"ANY"}}`,
			`{"type":"function","function":{"name":"b"}}`: `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["b"]}}`,
			`{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"function","function":{"name":"a"}}]}}`: `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["a"]}}`,
		} {
			got := tr(t, `{"messages":[{"role":"user","content":"hi"}],`+tools+`,"tool_choice":`+choice+`}`, "gemini-2.5-flash")
			if b, _ := json.Marshal(got["toolConfig"]); !jsonEqual(t, b, []byte(want)) {
				t.Errorf("tool_choice %s: toolConfig %s", choice, b)
			}
		}
		got := tr(t, `{"messages":[{"role":"user","content":"hi"}],`+tools+`,"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"b"}}]}}}`, "gemini-2.5-flash")
		decls := got["tools"].([]any)[0].(map[string]any)["functionDeclarations"].([]any)
		if len(decls) != 1 || decls[0].(map[string]any)["name"] != "b" || decls[0].(map[string]any)["parameters"] != nil {
			t.Errorf("allowed_tools auto declared %v", decls)
		}
		if got := tr(t, `{"messages":[{"role":"user","content":"hi"}],"tool_choice":"required"}`, "gemini-2.5-flash"); got["toolConfig"] != nil {
			t.Errorf("tool_choice without tools: %v", got)
		}
	})
	t.Run("reasoning_effort by model family", func(t *testing.T) {
		for _, c := range []struct{ effort, model, want string }{
			{"none", "gemini-2.5-flash", `{"thinkingBudget":0}`},
			{"minimal", "gemini-2.5-flash-lite", `{"thinkingBudget":512}`},
			{"medium", "models/gemini-2.5-pro", `{"thinkingBudget":8192}`},
			{"high", "gemini-2.0-flash", `{"thinkingBudget":24576}`},
			{"none", "gemini-3-pro-preview", `{"thinkingLevel":"minimal"}`},
			{"medium", "gemini-3-flash", `{"thinkingLevel":"medium"}`},
			{"xhigh", "gemini-flash-latest", `{"thinkingLevel":"high"}`},
		} {
			got := tr(t, `{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"`+c.effort+`"}`, c.model)
			b, _ := json.Marshal(got["generationConfig"].(map[string]any)["thinkingConfig"])
			if !jsonEqual(t, b, []byte(c.want)) {
				t.Errorf("%s on %s: %s", c.effort, c.model, b)
			}
		}
	})
	t.Run("tool results: object kept, text wrapped, user words joined to their turn", func(t *testing.T) {
		got := tr(t, `{"messages":[{"role":"user","content":"hi"},
			{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"c1","content":"plain"},
			{"role":"user","content":"thanks"}]}`, "gemini-2.5-flash")
		b, _ := json.Marshal(got["contents"])
		want := `[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},
			{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"plain"}}},{"text":"thanks"}]}]`
		if !jsonEqual(t, b, []byte(want)) {
			t.Errorf("contents %s", b)
		}
	})
	t.Run("no signature: sentinel for Gemini 3, nothing for 2.x", func(t *testing.T) {
		body := `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"x","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"y","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`
		parts := tr(t, body, "gemini-3-flash-preview")["contents"].([]any)[1].(map[string]any)["parts"].([]any)
		if parts[0].(map[string]any)["thoughtSignature"] != "skip_thought_signature_validator" || parts[1].(map[string]any)["thoughtSignature"] != nil {
			t.Errorf("gemini 3 parts %v", parts)
		}
		parts = tr(t, body, "gemini-2.5-pro")["contents"].([]any)[1].(map[string]any)["parts"].([]any)
		if parts[0].(map[string]any)["thoughtSignature"] != nil {
			t.Errorf("gemini 2.5 parts %v", parts)
		}
	})
	t.Run("media parts", func(t *testing.T) {
		got := tr(t, `{"messages":[{"role":"user","content":[
			{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"mp3"}},
			{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"}},
			{"type":"file","file":{"file_data":"JVBERi0=","filename":"b.PDF"}},
			{"type":"image_url","image_url":"gs://bucket/cat"},
			{"type":"text","text":""}]}]}`, "gemini-2.5-flash")
		b, _ := json.Marshal(got["contents"])
		want := `[{"role":"user","parts":[{"inlineData":{"mimeType":"audio/mp3","data":"UklGRg=="}},
			{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},
			{"fileData":{"fileUri":"gs://bucket/cat"}}]}]`
		if !jsonEqual(t, b, []byte(want)) {
			t.Errorf("contents %s", b)
		}
	})
}

func TestRequestRefusals(t *testing.T) {
	user := `"messages":[{"role":"user","content":"hi"}]`
	for _, c := range []struct{ body, param, says string }{
		{`{` + user + `,"functions":[{"name":"f"}]}`, "functions", "tools"},
		{`{` + user + `,"function_call":"auto"}`, "function_call", "tools"},
		{`{` + user + `,"modalities":["text","audio"]}`, "audio", "Audio"},
		{`{` + user + `,"web_search_options":{}}`, "web_search_options", "web_search_options"},
		{`{` + user + `,"tools":[{"type":"custom","custom":{"name":"x"}}]}`, "tools[0].type", "custom"},
		{`{` + user + `,"tools":[{"type":"function","function":{"name":"f","parameters":{"$ref":"http://x/s.json"}}}]}`, "tools[0].function.parameters", "not local"},
		{`{` + user + `,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"n":{"$ref":"#"}}}}}]}`, "tools[0].function.parameters", "recursive"},
		{`{` + user + `,"tool_choice":"sometimes","tools":[{"type":"function","function":{"name":"f"}}]}`, "tool_choice", "sometimes"},
		{`{` + user + `,"response_format":{"type":"xml"}}`, "response_format.type", "xml"},
		{`{` + user + `,"reasoning_effort":"max"}`, "reasoning_effort", "max"},
		{`{` + user + `,"stop":7}`, "stop", "stop"},
		{`{` + user + `,"n":0}`, "n", "at least 1"},
		{`{"messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]}`, "messages[0].tool_call_id", "nope"},
		{`{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]}]}`, "messages[0].content[0].type", "image_url"},
		{`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/a.png"}}]}]}`, "messages[0].content[0].image_url.url", "https"},
		{`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, "messages[0].content[0].image_url.url", "base64"},
		{`{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-123"}}]}]}`, "messages[0].content[0].file", "file ids"},
		{`{"messages":[{"role":"user","content":[{"type":"video","video":{}}]}]}`, "messages[0].content[0].type", "video"},
		{`{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages[0].tool_calls[0].function.arguments", "JSON object"},
		{`{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"custom","custom":{"name":"f"}}]}]}`, "messages[0].tool_calls[0].type", "custom"},
		{`{"messages":[{"role":"critic","content":"x"}]}`, "messages[0].role", "critic"},
		{`{"messages":"nope"}`, "", "not a valid"},
	} {
		_, err := translateRequest([]byte(c.body), "gemini-3-flash")
		if err == nil {
			t.Errorf("%s: accepted", c.body)
			continue
		}
		if err.Param != c.param || !strings.Contains(err.Message, c.says) {
			t.Errorf("%s: param %q message %q; want %q containing %q", c.body, err.Param, err.Message, c.param, c.says)
		}
	}
}

func TestSchemaRewrite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"type":"object","properties":{"a":{"type":"string","format":"email"},"b":{"type":"string","format":"date-time"}},"required":["a","zz"],"additionalProperties":false}`,
			`{"type":"OBJECT","properties":{"a":{"type":"STRING"},"b":{"type":"STRING","format":"date-time"}},"required":["a"]}`},
		{`{"type":["number","null"],"format":"double","exclusiveMinimum":0,"multipleOf":2}`, `{"type":"NUMBER","nullable":true,"format":"double"}`},
		{`{"type":["string","integer"]}`, `{"anyOf":[{"type":"STRING"},{"type":"INTEGER"}]}`},
		{`{"oneOf":[{"type":"string"},{"type":"integer","enum":[1,2]}]}`, `{"anyOf":[{"type":"STRING"},{"type":"INTEGER"}]}`},
		{`{"anyOf":[{"$ref":"#/definitions/x"},{"type":"null"}],"description":"d","definitions":{"x":{"type":"boolean","title":"X"}}}`,
			`{"type":"BOOLEAN","title":"X","nullable":true,"description":"d"}`},
		{`{"const":"fixed"}`, `{"enum":["fixed"]}`},
		{`{"allOf":[{"type":"array","items":[{"type":"string"}],"uniqueItems":true,"maxItems":3}]}`, `{"type":"ARRAY","items":{"type":"STRING"},"maxItems":3}`},
		{`{"type":"object","properties":{}}`, `{"type":"OBJECT"}`},
		{`{"type":"object","properties":{"x":true}}`, `{"type":"OBJECT","properties":{}}`},
		{`{"$ref":"#/$defs/a","description":"outer","$defs":{"a":{"type":"string","description":"inner"}}}`, `{"type":"STRING","description":"outer"}`},
	} {
		got, err := geminiSchema(json.RawMessage(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		b, _ := json.Marshal(got)
		if !jsonEqual(t, b, []byte(c.want)) {
			t.Errorf("%s\n got  %s\n want %s", c.in, b, c.want)
		}
	}
	if got, err := geminiSchema(json.RawMessage(`null`)); got != nil || err != nil {
		t.Errorf("null schema: %v %v", got, err)
	}
	if _, err := geminiSchema(json.RawMessage(`[1]`)); err == nil {
		t.Error("array schema accepted")
	}
	// A wide schema referenced many times is bounded, not expanded for ever.
	wide := `{"$defs":{"a":{"type":"object","properties":{"x":{"$ref":"#/$defs/b"},"y":{"$ref":"#/$defs/b"},"z":{"$ref":"#/$defs/b"}}},` +
		`"b":{"type":"object","properties":{"x":{"$ref":"#/$defs/c"},"y":{"$ref":"#/$defs/c"},"z":{"$ref":"#/$defs/c"}}},` +
		`"c":{"type":"object","properties":{"x":{"$ref":"#/$defs/a"},"y":{"$ref":"#/$defs/a"}}}},"$ref":"#/$defs/a"}`
	if _, err := geminiSchema(json.RawMessage(wide)); err == nil {
		t.Error("exploding schema accepted")
	}
}

func TestToolCallIDRoundTrip(t *testing.T) {
	sig := "CiQBVKhc7+tz/3vR9eL2kQmA8a=="
	id := string(toolCallID(nil, "Yc5e-aKX_gF4", 3, "", sig))
	if id != "call_Yc5eaKXgF4_3_sig_CiQBVKhc7-tz_3vR9eL2kQmA8a" {
		t.Errorf("id %q", id)
	}
	if got := signatureFromID(id); got != sig {
		t.Errorf("signature %q, want %q", got, sig)
	}
	for _, c := range []struct{ geminiID, want string }{
		{"fc_1", "fc_1"},
		{"bad id!", "call_2"},
		{"x_sig_y", "call_2"},
	} {
		if got := string(toolCallID(nil, "", 2, c.geminiID, "")); got != c.want {
			t.Errorf("gemini id %q: %q, want %q", c.geminiID, got, c.want)
		}
	}
	if signatureFromID("call_1") != "" || signatureFromID("call_1_sig_") != "" {
		t.Error("signature found where there is none")
	}
}
