package wasmhost

import (
	"encoding/json"

	"github.com/sluicegw/sluice/scripting"
	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// The input of a hook, as JSON (ABI.md, "Input"): {"req": ...} for
// on_request and route, plus "res" for on_response and "chunk" for
// on_chunk. req holds only the fields the hook asked for (sluice_fields).

// appendInput appends the input of a hook call.
func appendInput(b []byte, c *hookCall, fields uint32) []byte {
	b = append(b, `{"req":`...)
	b = appendRequest(b, c.req, fields)
	switch c.hook {
	case scripting.HookOnResponse:
		b = append(b, `,"res":`...)
		b = appendResponse(b, c.res)
	case scripting.HookOnChunk:
		b = append(b, `,"chunk":{"text":`...)
		b = wire.AppendString(b, c.chunk.Text)
		b = append(b, `,"drop":`...)
		b = wire.AppendBool(b, c.chunk.Drop)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendRequest appends req with the fields in the mask; an absent
// max_tokens, temperature or top_p is left out.
func appendRequest(b []byte, r *scripting.Request, fields uint32) []byte {
	b = append(b, '{')
	start := len(b)
	key := func(b []byte, id int) []byte {
		if len(b) > start {
			b = append(b, ',')
		}
		return wire.AppendKey(b, wire.FieldNames[id])
	}
	for id := 0; id < wire.NumFields; id++ {
		if fields&(1<<id) == 0 {
			continue
		}
		switch id {
		case wire.FieldModel:
			b = key(b, id)
			b = wire.AppendString(b, r.Model)
		case wire.FieldSystem:
			b = key(b, id)
			b = wire.AppendString(b, r.System)
		case wire.FieldMessages:
			b = key(b, id)
			b = appendMessages(b, r.Messages)
		case wire.FieldTools:
			b = key(b, id)
			b = appendTools(b, r.Tools)
		case wire.FieldMaxTokens:
			if r.MaxTokens != nil {
				b = key(b, id)
				b = wire.AppendInt(b, int64(*r.MaxTokens))
			}
		case wire.FieldTemperature:
			if r.Temperature != nil {
				b = key(b, id)
				b = wire.AppendFloat(b, *r.Temperature)
			}
		case wire.FieldTopP:
			if r.TopP != nil {
				b = key(b, id)
				b = wire.AppendFloat(b, *r.TopP)
			}
		case wire.FieldStream:
			b = key(b, id)
			b = wire.AppendBool(b, r.Stream)
		case wire.FieldConsumer:
			b = key(b, id)
			b = append(b, `{"name":`...)
			b = wire.AppendString(b, r.Consumer.Name)
			b = append(b, `,"metadata":`...)
			b = appendStringMap(b, r.Consumer.Metadata)
			b = append(b, '}')
		case wire.FieldHeaders:
			b = key(b, id)
			b = appendStringMap(b, r.Headers)
		case wire.FieldClientIP:
			b = key(b, id)
			b = wire.AppendString(b, r.ClientIP)
		case wire.FieldEstimatedInputTokens:
			b = key(b, id)
			b = wire.AppendInt(b, int64(r.EstimatedInputTokens))
		case wire.FieldMetadata:
			b = key(b, id)
			b = appendStringMap(b, r.Metadata)
		}
	}
	return append(b, '}')
}

// appendMessages appends messages: content is a string, or a list of parts
// when the message has parts.
func appendMessages(b []byte, msgs []scripting.Message) []byte {
	b = append(b, '[')
	for i := range msgs {
		m := &msgs[i]
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
			for j := range m.Parts {
				p := &m.Parts[j]
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"type":`...)
				b = wire.AppendString(b, p.Type)
				if p.Type == "image" || p.URL != "" {
					b = append(b, `,"url":`...)
					b = wire.AppendString(b, p.URL)
				}
				if p.Type != "image" || p.Text != "" {
					b = append(b, `,"text":`...)
					b = wire.AppendString(b, p.Text)
				}
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendTools(b []byte, tools []scripting.Tool) []byte {
	b = append(b, '[')
	for i := range tools {
		t := &tools[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = wire.AppendString(b, t.Name)
		b = append(b, `,"description":`...)
		b = wire.AppendString(b, t.Description)
		b = append(b, `,"parameters":`...)
		params, err := json.Marshal(t.Parameters)
		if err != nil {
			params = []byte("null")
		}
		b = append(b, params...)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendStringMap appends a map of strings; nil is {}.
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

func appendResponse(b []byte, r *scripting.Response) []byte {
	b = append(b, `{"content":`...)
	b = wire.AppendString(b, r.Content)
	b = append(b, `,"model":`...)
	b = wire.AppendString(b, r.Model)
	b = append(b, `,"provider":`...)
	b = wire.AppendString(b, r.Provider)
	b = append(b, `,"status":`...)
	b = wire.AppendInt(b, int64(r.Status))
	b = append(b, `,"usage":{"input_tokens":`...)
	b = wire.AppendInt(b, int64(r.Usage.InputTokens))
	b = append(b, `,"output_tokens":`...)
	b = wire.AppendInt(b, int64(r.Usage.OutputTokens))
	b = append(b, `},"cost_usd":`...)
	b = wire.AppendFloat(b, r.CostUSD)
	return append(b, '}')
}
