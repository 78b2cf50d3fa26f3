package scripting

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// newReq makes the req table of a call: empty, its fields served by
// reqIndex until they live in the table (vm.built): a table field from its
// first read, any field once assigned.
func (vm *luaVM) newReq() *lua.LTable {
	t := vm.L.CreateTable(0, 4)
	t.Metatable = vm.reqMT
	return t
}

// reqIndex is req's __index: it serves a field that does not live in the
// table yet. A req table kept past its call reads as empty.
func (vm *luaVM) reqIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	name, ok := L.Get(2).(lua.LString)
	if !ok || t != vm.reqTable {
		return 0
	}
	id := reqFieldID(string(name))
	if id < 0 || vm.built.has(id) {
		return 0
	}
	v := vm.buildField(id)
	if _, ok := v.(*lua.LTable); ok {
		// A table is kept, so that changes made in place are seen; a
		// string or a number is cheaper to serve again on each read.
		vm.built |= 1 << id
		t.RawSetString(string(name), v)
	}
	L.Push(v)
	return 1
}

// reqNewIndex is req's __newindex: assigning a field before reading it
// replaces it.
func (vm *luaVM) reqNewIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	k, v := L.Get(2), L.Get(3)
	if name, ok := k.(lua.LString); ok && t == vm.reqTable {
		if id := reqFieldID(string(name)); id >= 0 {
			vm.built |= 1 << id
		}
	}
	t.RawSet(k, v)
	return 0
}

// buildAll builds every field of t if t is the current req or one of its
// messages (pairs, next and gw.json.encode see all of it).
func (vm *luaVM) buildAll(t *lua.LTable) {
	if t.Metatable == vm.msgs.mt {
		vm.fillMessage(t)
		return
	}
	if t != vm.reqTable || vm.built == allFields {
		return
	}
	for id, name := range reqFieldNames {
		if !vm.built.has(id) {
			t.RawSetString(name, vm.buildField(id))
			vm.built |= 1 << id
		}
	}
}

// buildField makes the Lua value of a field of the current request: nil
// for an absent number.
func (vm *luaVM) buildField(id int) lua.LValue {
	L, r := vm.L, vm.req
	switch id {
	case fModel:
		return lua.LString(r.Model)
	case fSystem:
		return lua.LString(r.System)
	case fMessages:
		return vm.messageList()
	case fTools:
		t := L.CreateTable(len(r.Tools), 0)
		for i := range r.Tools {
			tool := &r.Tools[i]
			tt := L.CreateTable(0, 3)
			tt.RawSetString("name", lua.LString(tool.Name))
			tt.RawSetString("description", lua.LString(tool.Description))
			tt.RawSetString("parameters", vm.toLua(tool.Parameters, 0))
			t.RawSetInt(i+1, tt)
		}
		return t
	case fMaxTokens:
		if r.MaxTokens != nil {
			return lua.LNumber(*r.MaxTokens)
		}
	case fTemperature:
		if r.Temperature != nil {
			return lua.LNumber(*r.Temperature)
		}
	case fTopP:
		if r.TopP != nil {
			return lua.LNumber(*r.TopP)
		}
	case fStream:
		return lua.LBool(r.Stream)
	case fConsumer:
		t := L.CreateTable(0, 2)
		t.RawSetString("name", lua.LString(r.Consumer.Name))
		t.RawSetString("metadata", vm.stringMap(r.Consumer.Metadata))
		return t
	case fHeaders:
		return vm.stringMap(r.Headers)
	case fClientIP:
		return lua.LString(r.ClientIP)
	case fEstimated:
		return lua.LNumber(r.EstimatedInputTokens)
	case fMetadata:
		return vm.stringMap(r.Metadata)
	}
	return lua.LNil
}

func (vm *luaVM) stringMap(m map[string]string) *lua.LTable {
	t := vm.L.CreateTable(0, len(m))
	for k, v := range m {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}

func (vm *luaVM) newRes(res *Response) *lua.LTable {
	L := vm.L
	t := L.CreateTable(0, 7)
	t.RawSetString("content", lua.LString(res.Content))
	t.RawSetString("model", lua.LString(res.Model))
	t.RawSetString("provider", lua.LString(res.Provider))
	t.RawSetString("status", lua.LNumber(res.Status))
	u := L.CreateTable(0, 2)
	u.RawSetString("input_tokens", lua.LNumber(res.Usage.InputTokens))
	u.RawSetString("output_tokens", lua.LNumber(res.Usage.OutputTokens))
	t.RawSetString("usage", u)
	t.RawSetString("cost_usd", lua.LNumber(res.CostUSD))
	return t
}

// readBackRequest copies on_request's changes to the fields it may change
// into dst, all or (on error) nothing: the fields that live in the table
// (assigned, or tables the hook read and may have changed in place).
func (vm *luaVM) readBackRequest(dst *Request) error {
	t, built := vm.reqTable, vm.built
	out := *dst
	r := &out
	var err error
	if built.has(fModel) {
		if r.Model, err = luaStr(t.RawGetString("model"), "req.model", false); err != nil {
			return err
		}
	}
	if built.has(fSystem) {
		if r.System, err = luaStr(t.RawGetString("system"), "req.system", true); err != nil {
			return err
		}
	}
	if built.has(fMaxTokens) {
		if r.MaxTokens, err = luaOptInt(t.RawGetString("max_tokens"), r.MaxTokens, "req.max_tokens"); err != nil {
			return err
		}
	}
	if built.has(fTemperature) {
		if r.Temperature, err = luaOptFloat(t.RawGetString("temperature"), r.Temperature, "req.temperature"); err != nil {
			return err
		}
	}
	if built.has(fTopP) {
		if r.TopP, err = luaOptFloat(t.RawGetString("top_p"), r.TopP, "req.top_p"); err != nil {
			return err
		}
	}
	if built.has(fMessages) {
		if r.Messages, err = vm.readMessages(t.RawGetString("messages")); err != nil {
			return err
		}
	}
	if built.has(fTools) {
		if r.Tools, err = vm.readTools(t.RawGetString("tools")); err != nil {
			return err
		}
	}
	if built.has(fMetadata) {
		m, err := luaStringMap(t.RawGetString("metadata"), "req.metadata")
		if err != nil {
			return err
		}
		if len(m) == 0 && len(r.Metadata) == 0 {
			m = r.Metadata
		}
		r.Metadata = m
	}
	*dst = out
	return nil
}

func luaStr(v lua.LValue, field string, nilOK bool) (string, error) {
	switch s := v.(type) {
	case lua.LString:
		return string(s), nil
	case *lua.LNilType:
		if nilOK {
			return "", nil
		}
	}
	return "", shapeError("%s must be a string, got %s", field, v.Type())
}

func luaOptInt(v lua.LValue, old *int, field string) (*int, error) {
	switch n := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LNumber:
		i, err := toInt(float64(n), field)
		if err != nil {
			return nil, err
		}
		return sameInt(old, i), nil
	}
	return nil, shapeError("%s must be a number or nil, got %s", field, v.Type())
}

func luaOptFloat(v lua.LValue, old *float64, field string) (*float64, error) {
	switch n := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LNumber:
		return sameFloat(old, float64(n)), nil
	}
	return nil, shapeError("%s must be a number or nil, got %s", field, v.Type())
}

// luaList is v as a list table (nil: empty).
func luaList(v lua.LValue, field string) (*lua.LTable, int, error) {
	switch t := v.(type) {
	case *lua.LNilType:
		return nil, 0, nil
	case *lua.LTable:
		return t, t.Len(), nil
	}
	return nil, 0, shapeError("%s must be a list, got %s", field, v.Type())
}

func (vm *luaVM) readMessages(v lua.LValue) ([]Message, error) {
	t, n, err := luaList(v, "req.messages")
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]Message, n)
	for i := range out {
		mt, ok := t.RawGetInt(i + 1).(*lua.LTable)
		if !ok {
			return nil, shapeError("req.messages[%d] must be a table, got %s", i+1, t.RawGetInt(i+1).Type())
		}
		if out[i], err = vm.readMessage(mt, i+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readLuaParts(t *lua.LTable) ([]Part, error) {
	n := t.Len()
	parts := make([]Part, n)
	for i := range parts {
		pt, ok := t.RawGetInt(i + 1).(*lua.LTable)
		if !ok {
			return nil, shapeError("a message part must be a table, got %s", t.RawGetInt(i+1).Type())
		}
		var err error
		p := &parts[i]
		if p.Type, err = luaStr(pt.RawGetString("type"), "part.type", false); err != nil {
			return nil, err
		}
		if p.Text, err = luaStr(pt.RawGetString("text"), "part.text", true); err != nil {
			return nil, err
		}
		if p.URL, err = luaStr(pt.RawGetString("url"), "part.url", true); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

func (vm *luaVM) readTools(v lua.LValue) ([]Tool, error) {
	t, n, err := luaList(v, "req.tools")
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]Tool, n)
	for i := range out {
		tt, ok := t.RawGetInt(i + 1).(*lua.LTable)
		if !ok {
			return nil, shapeError("req.tools[%d] must be a table, got %s", i+1, t.RawGetInt(i+1).Type())
		}
		tool := &out[i]
		if tool.Name, err = luaStr(tt.RawGetString("name"), "req.tools[].name", false); err != nil {
			return nil, err
		}
		if tool.Description, err = luaStr(tt.RawGetString("description"), "req.tools[].description", true); err != nil {
			return nil, err
		}
		if tool.Parameters, err = vm.fromLua(tt.RawGetString("parameters"), 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// luaStringMap reads a table of strings; numbers and booleans are
// converted, nil is an empty map.
func luaStringMap(v lua.LValue, field string) (map[string]string, error) {
	t, ok := v.(*lua.LTable)
	if !ok {
		if v == lua.LNil {
			return nil, nil
		}
		return nil, shapeError("%s must be a table, got %s", field, v.Type())
	}
	m := make(map[string]string)
	var err error
	t.ForEach(func(k, e lua.LValue) {
		switch e.(type) {
		case lua.LString, lua.LNumber, lua.LBool:
			m[k.String()] = e.String()
		default:
			if err == nil {
				err = shapeError("%s.%s must be a string, got %s", field, k.String(), e.Type())
			}
		}
	})
	return m, err
}

// toLua converts a decoded JSON value (tool parameters, gw.json.decode).
// Lists get arrayMT so they encode back as arrays.
func (vm *luaVM) toLua(v any, depth int) lua.LValue {
	if depth > maxDepth {
		return lua.LNil
	}
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case map[string]any:
		t := vm.L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, vm.toLua(e, depth+1))
		}
		return t
	case []any:
		t := vm.L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, vm.toLua(e, depth+1))
		}
		t.Metatable = vm.arrayMT
		return t
	}
	if f, ok := number(v); ok {
		return lua.LNumber(f)
	}
	if d, ok := jsonShape(v); ok {
		return vm.toLua(d, depth+1)
	}
	return lua.LNil
}

// fromLua converts a Lua value to its JSON form: a table is a list when
// marked by arrayMT or when its keys are exactly 1..n (n > 0), else an
// object.
func (vm *luaVM) fromLua(v lua.LValue, depth int) (any, error) {
	if depth > maxDepth {
		return nil, shapeError("value nested over %d levels deep (or a cycle)", maxDepth)
	}
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, shapeError("%v has no JSON form", f)
		}
		return f, nil
	case *lua.LTable:
		vm.buildAll(v)
		n, keys := v.Len(), 0
		v.ForEach(func(lua.LValue, lua.LValue) { keys++ })
		if v.Metatable == vm.arrayMT || (n > 0 && keys == n) {
			out := make([]any, n)
			for i := range out {
				e, err := vm.fromLua(v.RawGetInt(i+1), depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = e
			}
			return out, nil
		}
		out := make(map[string]any, keys)
		var err error
		v.ForEach(func(k, e lua.LValue) {
			if err != nil {
				return
			}
			var key string
			switch k := k.(type) {
			case lua.LString:
				key = string(k)
			case lua.LNumber:
				key = keyString(float64(k))
			default:
				err = shapeError("a %s key has no JSON form", k.Type())
				return
			}
			out[key], err = vm.fromLua(e, depth+1)
		})
		return out, err
	}
	return nil, shapeError("a %s has no JSON form", v.Type())
}
