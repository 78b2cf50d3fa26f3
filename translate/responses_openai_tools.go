package translate

import (
	"strconv"

	"github.com/sluicegw/sluice/apierror"
	"github.com/tidwall/gjson"
)

// responsesTools writes the function tools as chat tools, and their echo
// (the tools as a response object repeats them) into w.echo. It returns how
// many tools there are.
func (w *responsesWriter) responsesTools(tools gjson.Result) (int, *apierror.Error) {
	if set(tools) && !tools.IsArray() {
		return 0, invalid("tools", "must be a list of tools, got %s.", typeName(tools))
	}
	var err *apierror.Error
	n := 0
	forEach(tools, func(_, t gjson.Result) bool {
		if !t.IsObject() {
			err = invalid(toolAt(n), "must be an object, got %s.", typeName(t))
			return false
		}
		var typ, name, desc, params, strict gjson.Result
		forEach(t, func(k, v gjson.Result) bool {
			switch k.Str {
			case "type":
				typ = v
			case "name":
				name = v
			case "description":
				desc = v
			case "parameters":
				params = v
			case "strict":
				strict = v
			}
			return true
		})
		switch {
		case typ.Type != gjson.String:
			err = invalid(toolAt(n)+".type", "field required (a string).")
		case typ.Str == "custom":
			err = invalid(toolAt(n)+".type", "custom tools (free-form input) are not supported; this gateway's chat completions upstreams take function tools only: declare a function tool with a JSON schema.")
		case typ.Str != "function":
			err = invalid(toolAt(n)+".type", "tool type %s is not supported: it is one of OpenAI's built-in tools, which a chat completions upstream cannot run; this gateway translates function tools only.", typ.Raw)
		case name.Type != gjson.String || name.Str == "":
			err = invalid(toolAt(n)+".name", "must be a non-empty string, got %s.", typeName(name))
		case set(params) && !params.IsObject():
			err = invalid(toolAt(n)+".parameters", "must be a JSON schema object, got %s.", typeName(params))
		case set(desc) && desc.Type != gjson.String:
			err = invalid(toolAt(n)+".description", "must be a string, got %s.", typeName(desc))
		case set(strict) && strict.Type != gjson.True && strict.Type != gjson.False:
			err = invalid(toolAt(n)+".strict", "must be a boolean, got %s.", typeName(strict))
		}
		if err != nil {
			return false
		}
		if n == 0 {
			w.out = append(w.out, `,"tools":[`...)
		} else {
			w.out = append(w.out, ',')
			w.echo = append(w.echo, ',')
		}
		n++
		w.out = append(w.out, `{"type":"function","function":{"name":`...)
		w.out = append(w.out, name.Raw...)
		w.echo = append(w.echo, `{"type":"function","name":`...)
		w.echo = append(w.echo, name.Raw...)
		w.echo = append(w.echo, `,"description":`...)
		if desc.Type == gjson.String {
			w.out = append(w.out, `,"description":`...)
			w.out = append(w.out, desc.Raw...)
			w.echo = append(w.echo, desc.Raw...)
		} else {
			w.echo = append(w.echo, "null"...)
		}
		w.echo = append(w.echo, `,"parameters":`...)
		if params.IsObject() {
			w.out = append(w.out, `,"parameters":`...)
			w.out = append(w.out, params.Raw...)
			w.echo = append(w.echo, params.Raw...)
		} else {
			w.echo = append(w.echo, "null"...)
		}
		w.echo = append(w.echo, `,"strict":`...)
		if strict.Type == gjson.True || strict.Type == gjson.False {
			w.out = append(w.out, `,"strict":`...)
			w.out = append(w.out, strict.Raw...)
			w.echo = append(w.echo, strict.Raw...)
		} else {
			w.echo = append(w.echo, "null"...)
		}
		w.out = append(w.out, "}}"...)
		w.echo = append(w.echo, '}')
		return true
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		w.out = append(w.out, ']')
	}
	return n, nil
}

// toolAt names tools[i], for error messages.
func toolAt(i int) string { return "tools[" + strconv.Itoa(i) + "]" }

// responsesToolChoice writes tool_choice, when there are tools.
func (w *responsesWriter) responsesToolChoice(choice gjson.Result, ntools int) *apierror.Error {
	if !set(choice) {
		return nil
	}
	var mapped string
	switch {
	case choice.Type == gjson.String:
		switch choice.Str {
		case "auto", "none", "required":
			mapped = choice.Raw
		default:
			return invalid("tool_choice", "must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"name\":...}, got %s.", choice.Raw)
		}
	case choice.IsObject():
		typ := choice.Get("type")
		switch {
		case typ.Type != gjson.String:
			return invalid("tool_choice.type", "field required (a string).")
		case typ.Str == "function":
			name := choice.Get("name")
			if name.Type != gjson.String || name.Str == "" {
				return invalid("tool_choice.name", "must be a non-empty string, got %s.", typeName(name))
			}
			mapped = `{"type":"function","function":{"name":` + name.Raw + `}}`
		case typ.Str == "allowed_tools":
			return invalid("tool_choice.type", "tool_choice \"allowed_tools\" is not supported; send only the allowed tools in tools instead.")
		default:
			return invalid("tool_choice.type", "tool_choice type %s is not supported: this gateway translates function tools only.", typ.Raw)
		}
	default:
		return invalid("tool_choice", "must be a string or an object, got %s.", typeName(choice))
	}
	if ntools == 0 {
		return nil // chat completions rejects tool_choice without tools
	}
	w.out = append(w.out, `,"tool_choice":`...)
	w.out = append(w.out, mapped...)
	return nil
}

// textConfig writes text.format as response_format, and text.verbosity as
// verbosity.
func (w *responsesWriter) textConfig(text gjson.Result) *apierror.Error {
	if !set(text) {
		return nil
	}
	if !text.IsObject() {
		return invalid("text", "must be an object, got %s.", typeName(text))
	}
	if v := text.Get("verbosity"); set(v) {
		if v.Type != gjson.String {
			return invalid("text.verbosity", "must be a string, got %s.", typeName(v))
		}
		w.out = append(w.out, `,"verbosity":`...)
		w.out = append(w.out, v.Raw...)
	}
	format := text.Get("format")
	if !set(format) {
		return nil
	}
	if !format.IsObject() {
		return invalid("text.format", "must be an object, got %s.", typeName(format))
	}
	var typ, name, schema, strict, desc gjson.Result
	forEach(format, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "name":
			name = v
		case "schema":
			schema = v
		case "strict":
			strict = v
		case "description":
			desc = v
		}
		return true
	})
	switch typ.Str {
	case "text":
		return nil // the default
	case "json_object":
		w.out = append(w.out, `,"response_format":{"type":"json_object"}`...)
		return nil
	case "json_schema":
	default:
		return invalid("text.format.type", "must be \"text\", \"json_object\" or \"json_schema\", got %s.", typ.Raw)
	}
	switch {
	case name.Type != gjson.String || name.Str == "":
		return invalid("text.format.name", "must be a non-empty string, got %s.", typeName(name))
	case !schema.IsObject():
		return invalid("text.format.schema", "must be a JSON schema object, got %s.", typeName(schema))
	case set(strict) && strict.Type != gjson.True && strict.Type != gjson.False:
		return invalid("text.format.strict", "must be a boolean, got %s.", typeName(strict))
	case set(desc) && desc.Type != gjson.String:
		return invalid("text.format.description", "must be a string, got %s.", typeName(desc))
	}
	w.out = append(w.out, `,"response_format":{"type":"json_schema","json_schema":{"name":`...)
	w.out = append(w.out, name.Raw...)
	if desc.Type == gjson.String {
		w.out = append(w.out, `,"description":`...)
		w.out = append(w.out, desc.Raw...)
	}
	w.out = append(w.out, `,"schema":`...)
	w.out = append(w.out, schema.Raw...)
	if strict.Type == gjson.True || strict.Type == gjson.False {
		w.out = append(w.out, `,"strict":`...)
		w.out = append(w.out, strict.Raw...)
	}
	w.out = append(w.out, "}}"...)
	return nil
}

// reasoningConfig writes reasoning.effort as reasoning_effort; the rest of
// reasoning (summary) is dropped.
func (w *responsesWriter) reasoningConfig(r gjson.Result) *apierror.Error {
	if !set(r) {
		return nil
	}
	if !r.IsObject() {
		return invalid("reasoning", "must be an object, got %s.", typeName(r))
	}
	effort := r.Get("effort")
	if !set(effort) {
		return nil
	}
	if effort.Type != gjson.String {
		return invalid("reasoning.effort", "must be a string, got %s.", typeName(effort))
	}
	w.out = append(w.out, `,"reasoning_effort":`...)
	w.out = append(w.out, effort.Raw...)
	return nil
}
