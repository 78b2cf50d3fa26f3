package guest

import (
	"math"

	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// The JSON that crosses the boundary (ABI.md): the input {"req", "res",
// "chunk"} is read without reflection; the result is one of {"req"},
// {"route"}, {"res"}, {"chunk"}, {"deny"} or {"error"}.

// decodeInput reads a hook's input into req, res and chunk.
func decodeInput(r *wire.Reader, b []byte, req *Request, res *Response, chunk *Chunk, spare *spares) error {
	r.Reset(b)
	defer r.Reset(nil)
	if !r.BeginObject() {
		return r.Err()
	}
	for r.More() {
		switch string(r.Key()) {
		case wire.KeyReq:
			readRequest(r, req, spare)
		case wire.KeyRes:
			readResponse(r, res)
		case wire.KeyChunk:
			if r.BeginObject() {
				for r.More() {
					switch string(r.Key()) {
					case "text":
						chunk.Text = r.View()
					case "drop":
						chunk.Drop = r.Bool()
					default:
						r.Skip()
					}
				}
			}
		default:
			r.Skip()
		}
	}
	return r.End()
}

func readRequest(r *wire.Reader, req *Request, spare *spares) {
	if !r.BeginObject() {
		return
	}
	// One allocation for the three optional numbers (allocating is slow
	// inside WebAssembly).
	var opt *struct {
		maxTokens        int
		temperature, top float64
	}
	for r.More() {
		switch id := wire.FieldID(string(r.Key())); id {
		case wire.FieldModel:
			req.Model = r.View()
		case wire.FieldSystem:
			req.System = r.View()
		case wire.FieldMessages:
			req.Messages = readMessages(r, &spare.messages)
		case wire.FieldTools:
			req.Tools = readTools(r)
		case wire.FieldMaxTokens, wire.FieldTemperature, wire.FieldTopP:
			if r.Null() {
				continue
			}
			if opt == nil {
				opt = new(struct {
					maxTokens        int
					temperature, top float64
				})
			}
			switch f := r.Float(); id {
			case wire.FieldMaxTokens:
				opt.maxTokens = int(f)
				req.MaxTokens = &opt.maxTokens
			case wire.FieldTemperature:
				opt.temperature = f
				req.Temperature = &opt.temperature
			default:
				opt.top = f
				req.TopP = &opt.top
			}
		case wire.FieldStream:
			req.Stream = r.Bool()
		case wire.FieldConsumer:
			if r.BeginObject() {
				for r.More() {
					switch string(r.Key()) {
					case "name":
						req.Consumer.Name = r.View()
					case "metadata":
						req.Consumer.Metadata = readStringMap(r, &spare.consumerMetadata)
					default:
						r.Skip()
					}
				}
			}
		case wire.FieldHeaders:
			req.Headers = readStringMap(r, &spare.headers)
		case wire.FieldClientIP:
			req.ClientIP = r.View()
		case wire.FieldEstimatedInputTokens:
			req.EstimatedInputTokens = int(r.Float())
		case wire.FieldMetadata:
			req.Metadata = readStringMap(r, &spare.metadata)
		default:
			r.Skip()
		}
	}
}

// readMessages reads messages into spare's array (see spares).
func readMessages(r *wire.Reader, spare *[]Message) []Message {
	if r.Null() || !r.BeginArray() {
		return nil
	}
	out := (*spare)[:0]
	for r.More() {
		var m Message
		if r.BeginObject() {
			for r.More() {
				switch string(r.Key()) {
				case "role":
					m.Role = r.View()
				case "content":
					switch r.Kind() {
					case wire.String:
						m.Content = r.View()
					case wire.Array:
						m.Parts = readParts(r)
					default:
						r.Skip()
					}
				default:
					r.Skip()
				}
			}
		}
		out = append(out, m)
	}
	*spare = out
	if len(out) == 0 {
		return nil
	}
	return out
}

func readParts(r *wire.Reader) []Part {
	parts := []Part{}
	r.BeginArray()
	for r.More() {
		var p Part
		if r.BeginObject() {
			for r.More() {
				switch string(r.Key()) {
				case "type":
					p.Type = r.View()
				case "text":
					p.Text = r.View()
				case "url":
					p.URL = r.View()
				default:
					r.Skip()
				}
			}
		}
		parts = append(parts, p)
	}
	return parts
}

func readTools(r *wire.Reader) []Tool {
	if r.Null() || !r.BeginArray() {
		return nil
	}
	var out []Tool
	for r.More() {
		var t Tool
		if r.BeginObject() {
			for r.More() {
				switch string(r.Key()) {
				case "name":
					t.Name = r.View()
				case "description":
					t.Description = r.View()
				case "parameters":
					t.Parameters = append([]byte(nil), r.Skip()...)
				default:
					r.Skip()
				}
			}
		}
		out = append(out, t)
	}
	return out
}

// readStringMap reads an object of strings into spare's map (see
// spares); nil when it is empty.
func readStringMap(r *wire.Reader, spare *map[string]string) map[string]string {
	if r.Null() || !r.BeginObject() {
		return nil
	}
	m := *spare
	if m != nil {
		clear(m)
	}
	for r.More() {
		k := r.KeyView()
		if m == nil {
			m = make(map[string]string, 4)
			*spare = m
		}
		m[k] = r.View()
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func readResponse(r *wire.Reader, res *Response) {
	if !r.BeginObject() {
		return
	}
	for r.More() {
		switch string(r.Key()) {
		case "content":
			res.Content = r.View()
		case "model":
			res.Model = r.View()
		case "provider":
			res.Provider = r.View()
		case "status":
			res.Status = int(r.Float())
		case "usage":
			if r.BeginObject() {
				for r.More() {
					switch string(r.Key()) {
					case "input_tokens":
						res.Usage.InputTokens = int(r.Float())
					case "output_tokens":
						res.Usage.OutputTokens = int(r.Float())
					default:
						r.Skip()
					}
				}
			}
		case "cost_usd":
			res.CostUSD = r.Float()
		default:
			r.Skip()
		}
	}
}

// snapshot is a copy of the fields on_request may change, taken before
// the hook runs, to send back only what it changed.
type reqSnapshot struct {
	model, system     string
	messages          []Message
	tools             []Tool
	maxTokens         *int
	temperature, topP *float64
	metadata          map[string]string
}

func snapshot(req *Request) reqSnapshot {
	s := reqSnapshot{model: req.Model, system: req.System}
	s.messages = make([]Message, len(req.Messages))
	for i, m := range req.Messages {
		if m.Parts != nil {
			m.Parts = append([]Part{}, m.Parts...)
		}
		s.messages[i] = m
	}
	s.tools = make([]Tool, len(req.Tools))
	for i, t := range req.Tools {
		t.Parameters = append([]byte(nil), t.Parameters...)
		s.tools[i] = t
	}
	if req.MaxTokens != nil {
		n := *req.MaxTokens
		s.maxTokens = &n
	}
	s.temperature = copyFloat(req.Temperature)
	s.topP = copyFloat(req.TopP)
	s.metadata = make(map[string]string, len(req.Metadata))
	for k, v := range req.Metadata {
		s.metadata[k] = v
	}
	return s
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	f := *p
	return &f
}

func sameMessages(a, b []Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Role != y.Role || x.Content != y.Content || (x.Parts == nil) != (y.Parts == nil) || len(x.Parts) != len(y.Parts) {
			return false
		}
		for j := range x.Parts {
			if x.Parts[j] != y.Parts[j] {
				return false
			}
		}
	}
	return true
}

func sameTools(a, b []Tool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Description != b[i].Description || string(a[i].Parameters) != string(b[i].Parameters) {
			return false
		}
	}
	return true
}

func sameInt(a, b *int) bool       { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func sameFloat(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// appendRequestChanges appends {"req": {...}} with the fields the hook
// changed, or returns nil when it changed none.
func appendRequestChanges(b []byte, s *reqSnapshot, req *Request) []byte {
	b = append(b, `{"req":{`...)
	start := len(b)
	key := func(b []byte, name string) []byte {
		if len(b) > start {
			b = append(b, ',')
		}
		return wire.AppendKey(b, name)
	}
	if req.Model != s.model {
		b = wire.AppendString(key(b, "model"), req.Model)
	}
	if req.System != s.system {
		b = wire.AppendString(key(b, "system"), req.System)
	}
	if !sameMessages(s.messages, req.Messages) {
		b = appendMessages(key(b, "messages"), req.Messages)
	}
	if !sameTools(s.tools, req.Tools) {
		b = appendTools(key(b, "tools"), req.Tools)
	}
	if !sameInt(s.maxTokens, req.MaxTokens) {
		b = key(b, "max_tokens")
		if req.MaxTokens == nil {
			b = append(b, "null"...)
		} else {
			b = wire.AppendInt(b, int64(*req.MaxTokens))
		}
	}
	if !sameFloat(s.temperature, req.Temperature) {
		b = appendOptFloat(key(b, "temperature"), req.Temperature)
	}
	if !sameFloat(s.topP, req.TopP) {
		b = appendOptFloat(key(b, "top_p"), req.TopP)
	}
	if !sameMap(s.metadata, req.Metadata) {
		b = appendStringMap(key(b, "metadata"), req.Metadata)
	}
	if len(b) == start {
		return nil
	}
	return append(b, "}}"...)
}

func appendOptFloat(b []byte, f *float64) []byte {
	if f == nil || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return append(b, "null"...)
	}
	return wire.AppendFloat(b, *f)
}

func appendMessages(b []byte, msgs []Message) []byte {
	b = append(b, '[')
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"role":`...)
		b = wire.AppendString(b, m.Role)
		b = append(b, `,"content":`...)
		if m.Parts == nil {
			b = wire.AppendString(b, m.Content)
		} else {
			b = append(b, '[')
			for j, p := range m.Parts {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"type":`...)
				b = wire.AppendString(b, p.Type)
				if p.Text != "" || p.URL == "" {
					b = append(b, `,"text":`...)
					b = wire.AppendString(b, p.Text)
				}
				if p.URL != "" {
					b = append(b, `,"url":`...)
					b = wire.AppendString(b, p.URL)
				}
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendTools(b []byte, tools []Tool) []byte {
	b = append(b, '[')
	for i, t := range tools {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = wire.AppendString(b, t.Name)
		b = append(b, `,"description":`...)
		b = wire.AppendString(b, t.Description)
		b = append(b, `,"parameters":`...)
		if len(t.Parameters) == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, t.Parameters...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = wire.AppendString(b, k)
		b = append(b, ':')
		b = wire.AppendString(b, v)
	}
	return append(b, '}')
}

// appendRoute appends {"route": [...]}, or returns nil for no targets.
func appendRoute(b []byte, targets []string) []byte {
	if len(targets) == 0 {
		return nil
	}
	b = append(b, `{"route":`...)
	b = wire.AppendStrings(b, targets)
	return append(b, '}')
}

func appendResponse(b []byte, res *Response) []byte {
	b = append(b, `{"res":{"content":`...)
	b = wire.AppendString(b, res.Content)
	return append(b, "}}"...)
}

func appendChunk(b []byte, c *Chunk) []byte {
	b = append(b, `{"chunk":{"text":`...)
	b = wire.AppendString(b, c.Text)
	b = append(b, `,"drop":`...)
	b = wire.AppendBool(b, c.Drop)
	return append(b, "}}"...)
}

func appendDenial(b []byte, d *Denial) []byte {
	b = append(b, `{"deny":{"status":`...)
	b = wire.AppendInt(b, int64(d.Status))
	b = append(b, `,"message":`...)
	b = wire.AppendString(b, d.Message)
	return append(b, "}}"...)
}

func appendError(b []byte, msg string) []byte {
	b = append(b[:0], `{"error":`...)
	b = wire.AppendString(b, msg)
	return append(b, '}')
}
