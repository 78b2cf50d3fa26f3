package gateway

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/scripting"
)

const viewBody = `{"model":"gpt-4o","temperature":0.5,"max_tokens":100,"x_vendor":{"keep":true},"messages":[` +
	`{"role":"system","content":"be brief"},` +
	`{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]},` +
	`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},` +
	`{"role":"tool","tool_call_id":"c1","content":"42"}],` +
	`"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`

func view(t *testing.T) *scriptView {
	t.Helper()
	cr, aerr := openai.DecodeChatRequest([]byte(viewBody))
	if aerr != nil {
		t.Fatal(aerr)
	}
	r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
	r.Header.Set("X-Team", "blue")
	return newScriptView(cr, r, "anonymous", 30)
}

func TestScriptViewShowsTheRequest(t *testing.T) {
	v := view(t)
	req := v.req
	if req.Model != "gpt-4o" || req.System != "be brief" || len(req.Messages) != 3 || *req.MaxTokens != 100 || *req.Temperature != 0.5 {
		t.Fatalf("%+v", req)
	}
	want := []scripting.Part{{Type: "text", Text: "what is this?"}, {Type: "image", URL: "https://x/cat.png"}}
	if !reflect.DeepEqual(req.Messages[0].Parts, want) || req.Messages[2].Content != "42" || req.Messages[2].Role != "tool" {
		t.Errorf("messages %+v", req.Messages)
	}
	if req.Headers["x-team"] != "blue" || req.ClientIP != "192.0.2.1" || req.Tools[0].Name != "f" || req.EstimatedInputTokens != 30 {
		t.Errorf("headers %v ip %q tools %+v", req.Headers, req.ClientIP, req.Tools)
	}
}

func TestScriptViewUnchangedKeepsTheBody(t *testing.T) {
	v := view(t)
	out, err := v.apply([]byte(viewBody))
	if err != nil || string(out) != viewBody {
		t.Fatalf("an untouched request changed: %s (%v)", out, err)
	}
}

func TestScriptViewAppliesChanges(t *testing.T) {
	v := view(t)
	v.req.Model = "gpt-4o-mini"
	v.req.System = "be very brief"
	v.req.Messages[2].Content = "forty-two"
	v.req.Messages = append(v.req.Messages, scripting.Message{Role: "user", Content: "thanks"})
	v.req.MaxTokens = nil
	t07 := 0.7
	v.req.Temperature = &t07
	out, err := v.apply([]byte(viewBody))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got["model"] != "gpt-4o-mini" || got["temperature"] != 0.7 || got["max_tokens"] != nil || got["x_vendor"] == nil {
		t.Errorf("fields: %s", out)
	}
	msgs := got["messages"].([]any)
	if len(msgs) != 5 {
		t.Fatalf("messages: %s", out)
	}
	m := func(i int) map[string]any { return msgs[i].(map[string]any) }
	if m(0)["content"] != "be very brief" || m(0)["role"] != "system" {
		t.Errorf("system: %v", m(0))
	}
	if parts := m(1)["content"].([]any); len(parts) != 2 {
		t.Errorf("untouched multi-part message changed: %v", m(1))
	}
	if m(2)["tool_calls"] == nil {
		t.Errorf("assistant tool calls lost: %v", m(2))
	}
	if m(3)["content"] != "forty-two" || m(3)["tool_call_id"] != "c1" {
		t.Errorf("changed tool message lost its id: %v", m(3))
	}
	if m(4)["content"] != "thanks" || m(4)["role"] != "user" {
		t.Errorf("appended: %v", m(4))
	}
}
