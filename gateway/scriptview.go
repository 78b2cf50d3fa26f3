package gateway

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/scripting"
	"github.com/tidwall/sjson"
)

// scriptView is the `req` scripts see for a chat request, with what is needed
// to put their changes back into the body.
type scriptView struct {
	req      scripting.Request
	orig     *openai.ChatRequest
	lead     int               // leading system/developer messages folded into req.System
	snapshot scripting.Request // what the script was given, to see what it changed
}

// newScriptView builds the hook view of a decoded chat request. Leading
// system (and developer) messages become req.system; the rest are
// req.messages.
func newScriptView(cr *openai.ChatRequest, r *http.Request, consumer string, estimated int) *scriptView {
	v := &scriptView{orig: cr}
	req := &v.req
	req.Model = cr.Model
	req.Stream = cr.Stream
	req.MaxTokens = cr.MaxCompletionTokens
	if req.MaxTokens == nil {
		req.MaxTokens = cr.MaxTokens
	}
	req.Temperature, req.TopP = cr.Temperature, cr.TopP
	var system []string
	for v.lead < len(cr.Messages) && (cr.Messages[v.lead].Role == "system" || cr.Messages[v.lead].Role == "developer") {
		system = append(system, openai.Text(cr.Messages[v.lead].Content))
		v.lead++
	}
	req.System = strings.Join(system, "\n")
	req.Messages = make([]scripting.Message, 0, len(cr.Messages)-v.lead)
	for _, m := range cr.Messages[v.lead:] {
		req.Messages = append(req.Messages, toScriptMessage(m))
	}
	for _, t := range cr.Tools {
		tool := scripting.Tool{Name: t.Function.Name, Description: t.Function.Description}
		if len(t.Function.Parameters) > 0 {
			_ = json.Unmarshal(t.Function.Parameters, &tool.Parameters)
		}
		req.Tools = append(req.Tools, tool)
	}
	req.Consumer = scripting.Consumer{Name: consumer}
	req.Headers = make(map[string]string, len(r.Header))
	for name, values := range r.Header {
		req.Headers[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	req.ClientIP = clientIP(r)
	req.EstimatedInputTokens = estimated
	req.Metadata = map[string]string{}
	v.snapshot = *req
	v.snapshot.Messages = slices.Clone(req.Messages)
	v.snapshot.Tools = slices.Clone(req.Tools)
	return v
}

func toScriptMessage(m openai.Message) scripting.Message {
	out := scripting.Message{Role: m.Role}
	if len(m.Content) == 0 || m.Content[0] != '[' {
		out.Content = openai.Text(m.Content)
		return out
	}
	var parts []openai.ContentPart
	_ = json.Unmarshal(m.Content, &parts)
	out.Parts = make([]scripting.Part, 0, len(parts))
	for _, p := range parts {
		switch {
		case p.Type == "text":
			out.Parts = append(out.Parts, scripting.Part{Type: "text", Text: p.Text})
		case p.Type == "image_url" && p.ImageURL != nil:
			out.Parts = append(out.Parts, scripting.Part{Type: "image", URL: p.ImageURL.URL})
		default:
			out.Parts = append(out.Parts, scripting.Part{Type: p.Type})
		}
	}
	return out
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// apply writes what on_request changed into the body: each changed field
// alone, so everything a script did not touch goes upstream as the client
// sent it.
func (v *scriptView) apply(body []byte) ([]byte, error) {
	req, was := &v.req, &v.snapshot
	var err error
	set := func(path string, value any) {
		if err == nil {
			body, err = sjson.SetBytes(body, path, value)
		}
	}
	if req.Model != was.Model {
		set("model", req.Model)
	}
	if !sameInt(req.MaxTokens, was.MaxTokens) {
		key := "max_tokens"
		if v.orig.MaxCompletionTokens != nil {
			key = "max_completion_tokens"
		}
		if req.MaxTokens == nil {
			body, err = sjson.DeleteBytes(body, key)
		} else {
			set(key, *req.MaxTokens)
		}
	}
	setFloat := func(key string, now, before *float64) {
		if sameFloat(now, before) || err != nil {
			return
		}
		if now == nil {
			body, err = sjson.DeleteBytes(body, key)
		} else {
			set(key, *now)
		}
	}
	setFloat("temperature", req.Temperature, was.Temperature)
	setFloat("top_p", req.TopP, was.TopP)
	if req.System != was.System || !slices.EqualFunc(req.Messages, was.Messages, sameMessage) {
		set("messages", v.messages())
	}
	if !slices.EqualFunc(req.Tools, was.Tools, sameTool) {
		set("tools", v.tools())
	}
	return body, err
}

// messages is the OpenAI messages list after on_request: the system prompt
// first, then each message; one the script left as it was keeps every field
// it had (tool calls, names), and a changed one keeps those of the original
// at its place when the role is the same.
func (v *scriptView) messages() []openai.Message {
	out := make([]openai.Message, 0, len(v.req.Messages)+1)
	if v.req.System != "" {
		if v.req.System == v.snapshot.System {
			out = append(out, v.orig.Messages[:v.lead]...)
		} else {
			content, _ := json.Marshal(v.req.System)
			out = append(out, openai.Message{Role: "system", Content: content})
		}
	}
	rest := v.orig.Messages[v.lead:]
	for i, m := range v.req.Messages {
		if i < len(rest) && i < len(v.snapshot.Messages) && sameMessage(m, v.snapshot.Messages[i]) {
			out = append(out, rest[i])
			continue
		}
		msg := openai.Message{Role: m.Role}
		if i < len(rest) && rest[i].Role == m.Role {
			msg.Name, msg.ToolCalls, msg.ToolCallID = rest[i].Name, rest[i].ToolCalls, rest[i].ToolCallID
		}
		msg.Content = encodeContent(m)
		out = append(out, msg)
	}
	return out
}

func encodeContent(m scripting.Message) json.RawMessage {
	if m.Parts == nil {
		b, _ := json.Marshal(m.Content)
		return b
	}
	parts := make([]openai.ContentPart, 0, len(m.Parts))
	for _, p := range m.Parts {
		if p.Type == "image" {
			parts = append(parts, openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: p.URL}})
		} else {
			parts = append(parts, openai.ContentPart{Type: "text", Text: p.Text})
		}
	}
	b, _ := json.Marshal(parts)
	return b
}

func (v *scriptView) tools() []openai.Tool {
	out := make([]openai.Tool, 0, len(v.req.Tools))
	for _, t := range v.req.Tools {
		params, _ := json.Marshal(t.Parameters)
		if t.Parameters == nil {
			params = nil
		}
		out = append(out, openai.Tool{Type: "function", Function: openai.FunctionDecl{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	return out
}

func sameMessage(a, b scripting.Message) bool {
	return a.Role == b.Role && a.Content == b.Content && slices.Equal(a.Parts, b.Parts)
}

func sameTool(a, b scripting.Tool) bool {
	if a.Name != b.Name || a.Description != b.Description {
		return false
	}
	x, _ := json.Marshal(a.Parameters)
	y, _ := json.Marshal(b.Parameters)
	return string(x) == string(y)
}

func sameInt(a, b *int) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func sameFloat(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
