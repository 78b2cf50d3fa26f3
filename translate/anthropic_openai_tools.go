package translate

import (
	"github.com/sluicegw/sluice/apierror"
	"github.com/tidwall/gjson"
)

// toolUse adds an assistant tool_use block as a tool call.
func (w *requestWriter) toolUse(at loc, b gjson.Result) *apierror.Error {
	id, name, input := b.Get("id"), b.Get("name"), b.Get("input")
	if id.Type != gjson.String {
		return at.errorf(".id", "must be a string, got %s.", typeName(id))
	}
	if name.Type != gjson.String {
		return at.errorf(".name", "must be a string, got %s.", typeName(name))
	}
	if input.Exists() && !input.IsObject() {
		return at.errorf(".input", "must be an object, got %s.", typeName(input))
	}
	if w.ncalls > 0 {
		w.calls = append(w.calls, ',')
	}
	w.ncalls++
	w.calls = append(w.calls, `{"id":`...)
	w.calls = append(w.calls, id.Raw...)
	w.calls = append(w.calls, `,"type":"function","function":{"name":`...)
	w.calls = append(w.calls, name.Raw...)
	w.calls = append(w.calls, `,"arguments":"`...)
	if input.Exists() {
		w.calls = appendCompactEscaped(w.calls, input.Raw)
	} else {
		w.calls = append(w.calls, "{}"...)
	}
	w.calls = append(w.calls, `"}}`...)
	return nil
}

// toolResult writes a tool_result block as a tool message, at once: tool
// messages go before the rest of the user message. Its images and documents
// cannot ride in a tool message, so they join the user message's parts.
func (w *requestWriter) toolResult(at loc, b gjson.Result) *apierror.Error {
	var id, content gjson.Result
	isErr := false
	forEach(b, func(k, v gjson.Result) bool {
		switch k.Str {
		case "tool_use_id":
			id = v
		case "content":
			content = v
		case "is_error":
			isErr = v.Type == gjson.True
		}
		return true
	})
	if id.Type != gjson.String {
		return at.errorf(".tool_use_id", "must be a string, got %s.", typeName(id))
	}
	if content.Exists() && content.Type != gjson.Null && content.Type != gjson.String && !content.IsArray() {
		return at.errorf(".content", "must be a string or a list of content blocks, got %s.", typeName(content))
	}
	if w.nmsg > 0 {
		w.out = append(w.out, ',')
	}
	w.nmsg++
	w.out = append(w.out, `{"role":"tool","tool_call_id":`...)
	w.out = append(w.out, id.Raw...)
	w.out = append(w.out, `,"content":"`...)
	if isErr {
		w.out = append(w.out, "Error"...)
	}
	texts := 0
	addText := func(raw string) {
		switch {
		case texts > 0:
			w.out = append(w.out, `\n`...)
		case isErr:
			w.out = append(w.out, ": "...)
		}
		texts++
		w.out = append(w.out, inner(raw)...)
	}
	var err *apierror.Error
	if content.Type == gjson.String {
		addText(content.Raw)
	} else if content.IsArray() {
		forEach(content, func(_, c gjson.Result) bool {
			at.k++
			switch t := c.Get("type"); t.Str {
			case "text":
				text := c.Get("text")
				if text.Type != gjson.String {
					err = at.errorf(".text", "must be a string, got %s.", typeName(text))
					return false
				}
				addText(text.Raw)
			case "image", "document":
				err = w.mediaPart(at, t.Str, c)
			default:
				err = at.errorf(".type", "tool_result content type %s is not supported; use text, image or document blocks.", t.Raw)
			}
			return err == nil
		})
	}
	w.out = append(w.out, `"}`...)
	return err
}

// tools writes tools as function tools, and tool_choice.
func (w *requestWriter) tools(tools, choice gjson.Result) *apierror.Error {
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return invalid("tools", "must be a list of tools, got %s.", typeName(tools))
	}
	var err *apierror.Error
	n := 0
	forEach(tools, func(_, t gjson.Result) bool {
		at := loc{name: "tools", i: n, j: -1, k: -1}
		if !t.IsObject() {
			err = at.errorf("", "must be an object, got %s.", typeName(t))
			return false
		}
		var typ, name, desc, schema, strict gjson.Result
		forEach(t, func(k, v gjson.Result) bool {
			switch k.Str {
			case "type":
				typ = v
			case "name":
				name = v
			case "description":
				desc = v
			case "input_schema":
				schema = v
			case "strict":
				strict = v
			}
			return true
		})
		switch {
		case typ.Exists() && typ.Str != "custom":
			err = at.errorf(".type", "tool type %s is not supported; only custom tools (name, description, input_schema) reach an OpenAI-compatible upstream.", typ.Raw)
		case name.Type != gjson.String || name.Str == "":
			err = at.errorf(".name", "must be a non-empty string, got %s.", typeName(name))
		case !schema.IsObject():
			err = at.errorf(".input_schema", "must be a JSON schema object, got %s.", typeName(schema))
		case desc.Exists() && desc.Type != gjson.String:
			err = at.errorf(".description", "must be a string, got %s.", typeName(desc))
		}
		if err != nil {
			return false
		}
		if n == 0 {
			w.out = append(w.out, `,"tools":[`...)
		} else {
			w.out = append(w.out, ',')
		}
		n++
		w.out = append(w.out, `{"type":"function","function":{"name":`...)
		w.out = append(w.out, name.Raw...)
		if desc.Exists() {
			w.out = append(w.out, `,"description":`...)
			w.out = append(w.out, desc.Raw...)
		}
		w.out = append(w.out, `,"parameters":`...)
		w.out = append(w.out, schema.Raw...)
		if strict.Type == gjson.True || strict.Type == gjson.False {
			w.out = append(w.out, `,"strict":`...)
			w.out = append(w.out, strict.Raw...)
		}
		w.out = append(w.out, "}}"...)
		return true
	})
	if err != nil {
		return err
	}
	if n > 0 {
		w.out = append(w.out, ']')
	}
	if !choice.Exists() || choice.Type == gjson.Null {
		return nil
	}
	typ := choice.Get("type")
	if !choice.IsObject() || typ.Type != gjson.String {
		return invalid("tool_choice", "must be an object with a type, got %s.", typeName(choice))
	}
	var mapped string
	switch typ.Str {
	case "auto":
		mapped = `"auto"`
	case "any":
		mapped = `"required"`
	case "none":
		mapped = `"none"`
	case "tool":
		name := choice.Get("name")
		if name.Type != gjson.String {
			return invalid("tool_choice.name", "must be a string for tool_choice type \"tool\", got %s.", typeName(name))
		}
		mapped = `{"type":"function","function":{"name":` + name.Raw + `}}`
	default:
		return invalid("tool_choice.type", "must be \"auto\", \"any\", \"tool\" or \"none\", got %s.", typ.Raw)
	}
	if n == 0 {
		return nil // OpenAI rejects tool_choice and parallel_tool_calls without tools
	}
	w.out = append(w.out, `,"tool_choice":`...)
	w.out = append(w.out, mapped...)
	if choice.Get("disable_parallel_tool_use").Type == gjson.True && typ.Str != "none" {
		w.out = append(w.out, `,"parallel_tool_calls":false`...)
	}
	return nil
}
