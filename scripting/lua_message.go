package scripting

import (
	lua "github.com/yuin/gopher-lua"
)

// The messages of req in Lua are views: each is a table that starts empty
// and reads role and content from the Go message (through its metatable)
// until the hook assigns them; a list of parts is copied into the table on
// first read, since a hook may change it in place. A message costs one
// table instead of a filled one, which in gopher-lua is the bulk of a
// small request's conversion.

// The fields of a message view that live in the table itself: assigned by
// the hook, or copied in.
const (
	msgRole uint8 = 1 << iota
	msgContent
)

// luaMessages tracks the message views of the call in progress.
type luaMessages struct {
	mt    *lua.LTable         // the views' metatable
	index map[*lua.LTable]int // view → index in the request's Messages
	raw   []uint8             // per message: which fields live in the table
}

// luaRoles are the common roles as Lua values, boxed once.
var luaRoles = map[string]lua.LValue{"user": lua.LString("user"), "assistant": lua.LString("assistant"),
	"system": lua.LString("system"), "tool": lua.LString("tool"), "developer": lua.LString("developer")}

func luaRole(role string) lua.LValue {
	if v, ok := luaRoles[role]; ok {
		return v
	}
	return lua.LString(role)
}

func (vm *luaVM) initMessages() {
	L := vm.L
	mt := L.CreateTable(0, 3)
	mt.RawSetString("__index", L.NewFunction(vm.messageIndex))
	mt.RawSetString("__newindex", L.NewFunction(vm.messageNewIndex))
	mt.RawSetString("__metatable", lua.LFalse)
	vm.msgs = luaMessages{mt: mt, index: make(map[*lua.LTable]int)}
}

// messageList builds req.messages: a list of views.
func (vm *luaVM) messageList() *lua.LTable {
	n := len(vm.req.Messages)
	vm.msgs.raw = append(vm.msgs.raw[:0], make([]uint8, n)...)
	t := vm.L.CreateTable(n, 0)
	for i := 0; i < n; i++ {
		view := vm.L.CreateTable(0, 0)
		view.Metatable = vm.msgs.mt
		vm.msgs.index[view] = i
		t.RawSetInt(i+1, view)
	}
	return t
}

// endMessages forgets the call's views: kept past the call, they read as
// empty.
func (vm *luaVM) endMessages() {
	if n := len(vm.msgs.index); n > 256 {
		vm.msgs.index = make(map[*lua.LTable]int) // do not keep clearing a big map
	} else if n > 0 {
		clear(vm.msgs.index)
	}
}

// messageValue is a field of message i as the hook first sees it; ok is
// false for other keys.
func (vm *luaVM) messageValue(i int, key string) (v lua.LValue, inTable, ok bool) {
	m := &vm.req.Messages[i]
	switch key {
	case "role":
		return luaRole(m.Role), false, true
	case "content":
		if m.Parts == nil {
			return lua.LString(m.Content), false, true
		}
		return vm.parts(m.Parts), true, true
	}
	return lua.LNil, false, false
}

func messageBit(key string) uint8 {
	switch key {
	case "role":
		return msgRole
	case "content":
		return msgContent
	}
	return 0
}

// messageIndex is a view's __index.
func (vm *luaVM) messageIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	key, _ := L.Get(2).(lua.LString)
	i, ok := vm.msgs.index[t]
	bit := messageBit(string(key))
	if !ok || bit == 0 || vm.msgs.raw[i]&bit != 0 {
		return 0
	}
	v, inTable, _ := vm.messageValue(i, string(key))
	if inTable {
		t.RawSetString(string(key), v)
		vm.msgs.raw[i] |= bit
	}
	L.Push(v)
	return 1
}

// messageNewIndex is a view's __newindex: an assigned field lives in the
// table from then on.
func (vm *luaVM) messageNewIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	k, v := L.Get(2), L.Get(3)
	if key, ok := k.(lua.LString); ok {
		if i, ok := vm.msgs.index[t]; ok {
			vm.msgs.raw[i] |= messageBit(string(key))
		}
	}
	t.RawSet(k, v)
	return 0
}

// fillMessage copies a view's fields into it (for pairs, next and
// gw.json.encode).
func (vm *luaVM) fillMessage(t *lua.LTable) {
	i, ok := vm.msgs.index[t]
	if !ok {
		return
	}
	for _, key := range [...]string{"role", "content"} {
		if bit := messageBit(key); vm.msgs.raw[i]&bit == 0 {
			v, _, _ := vm.messageValue(i, key)
			t.RawSetString(key, v)
			vm.msgs.raw[i] |= bit
		}
	}
}

// readMessage reads back one element of req.messages: a view keeps what
// the hook did not assign from the Go message.
func (vm *luaVM) readMessage(mt *lua.LTable, pos int) (Message, error) {
	var m Message
	raw := msgRole | msgContent
	if i, ok := vm.msgs.index[mt]; ok {
		m, raw = vm.req.Messages[i], vm.msgs.raw[i]
	}
	var err error
	if raw&msgRole != 0 {
		if m.Role, err = luaStr(mt.RawGetString("role"), "req.messages[].role", false); err != nil {
			return m, err
		}
	}
	if raw&msgContent != 0 {
		m.Content, m.Parts = "", nil
		switch c := mt.RawGetString("content").(type) {
		case lua.LString:
			m.Content = string(c)
		case *lua.LNilType:
		case *lua.LTable:
			if m.Parts, err = readLuaParts(c); err != nil {
				return m, err
			}
		default:
			return m, shapeError("req.messages[%d].content must be a string or a list of parts, got %s", pos, c.Type())
		}
	}
	return m, nil
}

func (vm *luaVM) parts(parts []Part) *lua.LTable {
	t := vm.L.CreateTable(len(parts), 0)
	for i, p := range parts {
		pt := vm.L.CreateTable(0, 2)
		pt.RawSetString("type", lua.LString(p.Type))
		if p.Type == "image" {
			pt.RawSetString("url", lua.LString(p.URL))
		} else {
			pt.RawSetString("text", lua.LString(p.Text))
		}
		t.RawSetInt(i+1, pt)
	}
	return t
}
