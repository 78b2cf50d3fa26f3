package scripting

import (
	"maps"
	"slices"
	"strconv"

	"github.com/dop251/goja"
)

// Conversions between Go values and native JavaScript values.

// message builds one of req.messages.
func (vm *jsVM) message(m *Message) *goja.Object {
	o := vm.rt.NewObject()
	_ = o.Set("role", m.Role)
	if m.Parts == nil {
		_ = o.Set("content", m.Content)
		return o
	}
	parts := make([]any, len(m.Parts))
	for i, p := range m.Parts {
		po := vm.rt.NewObject()
		_ = po.Set("type", p.Type)
		if p.Type == "image" {
			_ = po.Set("url", p.URL)
		} else {
			_ = po.Set("text", p.Text)
		}
		parts[i] = po
	}
	_ = o.Set("content", vm.rt.NewArray(parts...))
	return o
}

// stringMap is a map as an object, keys in sorted order.
func (vm *jsVM) stringMap(m map[string]string) *goja.Object {
	o := vm.rt.NewObject()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		_ = o.Set(k, m[k])
	}
	return o
}

func (vm *jsVM) newRes(res *Response) *goja.Object {
	rt := vm.rt
	o := rt.NewObject()
	_ = o.Set("content", res.Content)
	_ = o.Set("model", res.Model)
	_ = o.Set("provider", res.Provider)
	_ = o.Set("status", res.Status)
	u := rt.NewObject()
	_ = u.Set("input_tokens", res.Usage.InputTokens)
	_ = u.Set("output_tokens", res.Usage.OutputTokens)
	_ = o.Set("usage", u)
	_ = o.Set("cost_usd", res.CostUSD)
	return o
}

func absent(v goja.Value) bool { return v == nil || goja.IsUndefined(v) || goja.IsNull(v) }

func jsStr(v goja.Value, field string, absentOK bool) (string, error) {
	if s, ok := v.(goja.String); ok {
		return s.String(), nil
	}
	if absentOK && absent(v) {
		return "", nil
	}
	return "", shapeError("%s must be a string, got %s", field, jsType(v))
}

func jsOptNumber(v goja.Value, field string) (float64, bool, error) {
	if absent(v) {
		return 0, false, nil
	}
	if !goja.IsNumber(v) {
		return 0, false, shapeError("%s must be a number or undefined, got %s", field, jsType(v))
	}
	return v.ToFloat(), true, nil
}

func jsOptFloat(v goja.Value, field string) (*float64, error) {
	f, set, err := jsOptNumber(v, field)
	if err != nil || !set {
		return nil, err
	}
	return &f, nil
}

// exportList exports an array (undefined or null: empty).
func exportList(v goja.Value, field string) ([]any, error) {
	if absent(v) {
		return nil, nil
	}
	if o, ok := v.(*goja.Object); ok && o.ClassName() == "Array" {
		items, _ := o.Export().([]any)
		return items, nil
	}
	return nil, shapeError("%s must be an array, got %s", field, jsType(v))
}

func readJSMessages(v goja.Value) ([]Message, error) {
	items, err := exportList(v, "req.messages")
	if err != nil || len(items) == 0 {
		return nil, err
	}
	out := make([]Message, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, shapeError("req.messages[%d] must be an object, got %s", i, goType(it))
		}
		role, ok := m["role"].(string)
		if !ok {
			return nil, shapeError("req.messages[%d].role must be a string, got %s", i, goType(m["role"]))
		}
		out[i].Role = role
		switch c := m["content"].(type) {
		case string:
			out[i].Content = c
		case nil:
		case []any:
			out[i].Parts = make([]Part, len(c))
			for j, p := range c {
				pm, ok := p.(map[string]any)
				if !ok {
					return nil, shapeError("req.messages[%d].content[%d] must be an object, got %s", i, j, goType(p))
				}
				part := &out[i].Parts[j]
				part.Type, _ = pm["type"].(string)
				part.Text, _ = pm["text"].(string)
				part.URL, _ = pm["url"].(string)
				if part.Type == "" {
					return nil, shapeError("req.messages[%d].content[%d].type must be a string", i, j)
				}
			}
		default:
			return nil, shapeError("req.messages[%d].content must be a string or an array of parts, got %s", i, goType(c))
		}
	}
	return out, nil
}

func readJSTools(v goja.Value) ([]Tool, error) {
	items, err := exportList(v, "req.tools")
	if err != nil || len(items) == 0 {
		return nil, err
	}
	out := make([]Tool, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, shapeError("req.tools[%d] must be an object, got %s", i, goType(it))
		}
		name, ok := m["name"].(string)
		if !ok {
			return nil, shapeError("req.tools[%d].name must be a string, got %s", i, goType(m["name"]))
		}
		out[i].Name = name
		out[i].Description, _ = m["description"].(string)
		if out[i].Parameters, err = normalizeJSON(m["parameters"], 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func jsStringMap(v goja.Value, field string) (map[string]string, error) {
	if absent(v) {
		return nil, nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, shapeError("%s must be an object, got %s", field, jsType(v))
	}
	raw, ok := o.Export().(map[string]any)
	if !ok {
		return nil, shapeError("%s must be a plain object", field)
	}
	m := make(map[string]string, len(raw))
	for k, e := range raw {
		switch e := e.(type) {
		case string:
			m[k] = e
		case int64:
			m[k] = strconv.FormatInt(e, 10)
		case float64:
			m[k] = strconv.FormatFloat(e, 'g', -1, 64)
		case bool:
			m[k] = strconv.FormatBool(e)
		default:
			return nil, shapeError("%s.%s must be a string, got %s", field, k, goType(e))
		}
	}
	return m, nil
}

// normalizeJSON turns an exported JavaScript value into its JSON form
// (numbers as float64, as encoding/json decodes them).
func normalizeJSON(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, shapeError("value nested over %d levels deep (or a cycle)", maxDepth)
	}
	switch v := v.(type) {
	case nil, string, bool, float64:
		return v, nil
	case int64:
		return float64(v), nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			n, err := normalizeJSON(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			n, err := normalizeJSON(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	return nil, shapeError("a %s has no JSON form", goType(v))
}

// toJS converts a decoded JSON value to native JavaScript values (object
// keys in sorted order).
func (vm *jsVM) toJS(v any, depth int) goja.Value {
	if depth > maxDepth {
		return goja.Null()
	}
	rt := vm.rt
	switch v := v.(type) {
	case nil:
		return goja.Null()
	case bool, string:
		return rt.ToValue(v)
	case map[string]any:
		o := rt.NewObject()
		for _, k := range slices.Sorted(maps.Keys(v)) {
			_ = o.Set(k, vm.toJS(v[k], depth+1))
		}
		return o
	case []any:
		items := make([]any, len(v))
		for i, e := range v {
			items[i] = vm.toJS(e, depth+1)
		}
		return rt.NewArray(items...)
	}
	if f, ok := number(v); ok {
		return rt.ToValue(f)
	}
	if d, ok := jsonShape(v); ok {
		return vm.toJS(d, depth+1)
	}
	return goja.Null()
}

func jsType(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	case goja.IsString(v):
		return "string"
	case goja.IsNumber(v):
		return "number"
	}
	if o, ok := v.(*goja.Object); ok {
		if o.ClassName() == "Array" {
			return "array"
		}
		if _, ok := goja.AssertFunction(o); ok {
			return "function"
		}
		return "object"
	}
	return v.ExportType().String()
}

// goType names the JSON type of an exported value.
func goType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "a non-JSON value"
}
