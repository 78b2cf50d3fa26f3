package scripting

import (
	"bytes"
	"encoding/json"

	lua "github.com/yuin/gopher-lua"
)

// installGW sets the global gw (read-only) and gw.json.
func (vm *luaVM) installGW() {
	L := vm.L
	js := L.CreateTable(0, 3)
	js.RawSetString("encode", L.NewFunction(vm.jsonEncode))
	js.RawSetString("decode", L.NewFunction(vm.jsonDecode))
	js.RawSetString("array", L.NewFunction(vm.jsonArray))
	gw := L.CreateTable(0, 6)
	gw.RawSetString("deny", L.NewFunction(vm.deny))
	gw.RawSetString("log", L.NewFunction(vm.logFn))
	gw.RawSetString("hash", L.NewFunction(luaHash))
	gw.RawSetString("now", L.NewFunction(luaNow))
	gw.RawSetString("json", vm.readOnly(js, "gw.json"))
	gw.RawSetString("detect_injection", L.NewFunction(luaDetectInjection))
	gw.RawSetString("redact", L.NewFunction(luaRedact))
	L.G.Global.RawSetString("gw", vm.readOnly(gw, "gw"))
}

// readOnly is an empty table reading through to t and refusing writes.
func (vm *luaVM) readOnly(t *lua.LTable, name string) *lua.LTable {
	L := vm.L
	proxy := L.CreateTable(0, 0)
	mt := L.CreateTable(0, 3)
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s is read-only", name)
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	proxy.Metatable = mt
	return proxy
}

// deny is gw.deny(status, message): it records the denial, which stands
// even if the script catches the error raised to end the hook.
func (vm *luaVM) deny(L *lua.LState) int {
	d, err := newDenial(float64(L.CheckNumber(1)), L.OptString(2, ""))
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if vm.denial == nil {
		vm.denial = d
	}
	L.RaiseError("%s", d.Error())
	return 0
}

// logFn is gw.log([level,] message).
func (vm *luaVM) logFn(L *lua.LState) int {
	level, msg := "info", L.Get(1)
	if L.GetTop() >= 2 {
		var err error
		if level, err = logLevel(L.CheckString(1)); err != nil {
			L.RaiseError("%s", err.Error())
		}
		msg = L.Get(2)
	}
	vm.log.Log(level, L.ToStringMeta(msg).String())
	return 0
}

func (vm *luaVM) print(L *lua.LState) int {
	vm.log.Log("info", joinArgs(L.GetTop(), func(i int) string {
		return L.ToStringMeta(L.Get(i + 1)).String()
	}))
	return 0
}

// next and pairs fill req and its messages (see buildAll) before walking
// them.
func (vm *luaVM) next(L *lua.LState) int {
	t := L.CheckTable(1)
	vm.buildAll(t)
	k, v := t.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

func (vm *luaVM) pairs(L *lua.LState) int {
	t := L.CheckTable(1)
	vm.buildAll(t)
	L.Push(L.Get(lua.UpvalueIndex(1)))
	L.Push(t)
	L.Push(lua.LNil)
	return 3
}

func luaHash(L *lua.LState) int {
	L.Push(lua.LNumber(hash53(L.ToStringMeta(L.CheckAny(1)).String())))
	return 1
}

func luaNow(L *lua.LState) int {
	L.Push(lua.LNumber(nowSeconds()))
	return 1
}

func (vm *luaVM) jsonEncode(L *lua.LState) int {
	v, err := vm.fromLua(L.CheckAny(1), 0)
	if err != nil {
		L.RaiseError("gw.json.encode: %s", err.Error())
	}
	s, err := encodeJSON(v)
	if err != nil {
		L.RaiseError("gw.json.encode: %s", err.Error())
	}
	L.Push(lua.LString(s))
	return 1
}

func (vm *luaVM) jsonDecode(L *lua.LState) int {
	var v any
	if err := json.Unmarshal([]byte(L.CheckString(1)), &v); err != nil {
		L.RaiseError("gw.json.decode: %s", err.Error())
	}
	L.Push(vm.toLua(v, 0))
	return 1
}

// jsonArray is gw.json.array([t]): t (or a new table) marked to encode as
// a JSON array even when empty.
func (vm *luaVM) jsonArray(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		t = L.NewTable()
	}
	t.Metatable = vm.arrayMT
	L.Push(t)
	return 1
}

// encodeJSON is json.Marshal without HTML escaping (as JavaScript's
// JSON.stringify) and without the trailing newline.
func encodeJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte{'\n'})), nil
}

// luaDetectInjection is gw.detect_injection(text [, "tool"]) ->
// {injection = bool, score = number, signals = {names}}.
func luaDetectInjection(L *lua.LState) int {
	r := detectInjection(L.CheckString(1), L.OptString(2, "prompt"))
	t := L.CreateTable(0, 3)
	t.RawSetString("injection", lua.LBool(r.Injection))
	t.RawSetString("score", lua.LNumber(r.Score))
	signals := L.CreateTable(len(r.Signals), 0)
	for _, s := range r.Signals {
		signals.Append(lua.LString(s))
	}
	t.RawSetString("signals", signals)
	L.Push(t)
	return 1
}

// luaRedact is gw.redact(text) -> redacted text, {kinds found}.
func luaRedact(L *lua.LState) int {
	out, kinds := redactText(L.CheckString(1))
	L.Push(lua.LString(out))
	t := L.CreateTable(len(kinds), 0)
	for _, k := range kinds {
		t.Append(lua.LString(k))
	}
	L.Push(t)
	return 2
}
