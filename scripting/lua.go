package scripting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// LuaEngine runs Lua 5.1 scripts (gopher-lua), files ending in ".lua". See
// the package documentation for hooks, data and gw.
//
// Available: the base functions assert, error, ipairs, next, pairs, pcall,
// print, rawequal, rawget, rawset, select, getmetatable, setmetatable,
// tonumber, tostring, type, unpack, xpcall; the string, table and math
// libraries; and gw. Absent: the io, os, package, debug and coroutine
// libraries, and dofile, loadfile, load, loadstring, require, module,
// collectgarbage, getfenv, setfenv and newproxy. string.rep refuses results
// over 16 MiB. gw and gw.json are read-only; _G's metatable is protected.
//
// Globals: a hook's assignments to globals are undone when it returns, so
// the next call sees the globals as the top level left them. (Within a
// hook, assigning nil to a global the top level defined has no effect.)
//
// Tables: JSON arrays from tool parameters and gw.json.decode keep their
// array-ness when encoded again, even when empty; an empty table a script
// builds encodes as {} unless marked with gw.json.array. req and each of
// req.messages start as empty tables whose fields are served through their
// (protected) metatable until assigned: pairs, next and gw.json.encode see
// every field; rawget only what lives in the table (assigned fields, and
// tables already read).
type LuaEngine struct{}

func (LuaEngine) Name() string         { return "lua" }
func (LuaEngine) Extensions() []string { return []string{".lua"} }

// Compile parses source and runs its top level once on a first VM, so that
// syntax errors, errors raised by the top level and a script that defines
// no hook are all reported here, with name:line.
func (LuaEngine) Compile(name string, source []byte, limits Limits, log Logger) (Program, error) {
	limits = limits.withDefaults()
	chunk, err := parse.Parse(bytes.NewReader(source), name)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			line := pe.Pos.Line
			if line < 0 { // at EOF
				line = bytes.Count(source, []byte{'\n'}) + 1
			}
			near := ""
			if pe.Token != "" {
				near = " near '" + pe.Token + "'"
			}
			return nil, compileErrorf(name, line, "%s%s", strings.TrimSpace(pe.Message), near)
		}
		return nil, compileErrorf(name, 0, "%s", strings.TrimSpace(err.Error()))
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		var ce *lua.CompileError
		if errors.As(err, &ce) {
			return nil, compileErrorf(name, ce.Line, "%s", ce.Message)
		}
		return nil, compileErrorf(name, 0, "%s", err.Error())
	}
	p := &program[*luaVM]{name: name, limits: limits}
	shared := &luaShared{name: name, proto: proto, limits: limits, log: orNop(log)}
	first, err := shared.newVM()
	if err != nil {
		return nil, err
	}
	for i, fn := range first.hooks {
		if fn != nil {
			p.hooks |= 1 << i
		}
	}
	if p.hooks == 0 {
		first.free()
		return nil, compileErrorf(name, 0, "defines none of the hooks on_request, route, on_response, on_chunk (global functions)")
	}
	p.pool = newPool(limits.PoolSize, shared.newVM, (*luaVM).free)
	p.pool.seed(first)
	return p, nil
}

// luaShared is what every VM of one Program shares: read-only.
type luaShared struct {
	name   string
	proto  *lua.FunctionProto
	limits Limits
	log    Logger
}

// maxRep bounds string.rep's result: a native call the time limit cannot
// stop, so it must not be able to allocate gigabytes.
const maxRep = 16 << 20

// luaVM is one Lua state running one Program.
type luaVM struct {
	*luaShared
	L        *lua.LState
	deadline *luaDeadline
	budget   *budget
	hooks    [len(allHooks)]*lua.LFunction

	global  *lua.LTable // _G: empty during calls; reads fall through to base
	cleared int         // globals removed after calls, over the VM's life

	reqMT   *lua.LTable // metatable of req tables (see newReq)
	msgs    luaMessages // req.messages' views
	arrayMT *lua.LTable // marks a table that encodes as a JSON array

	// The call in progress.
	req      *Request
	reqTable *lua.LTable
	built    fieldSet // fields that live in reqTable (see newReq)
	denial   *Denial
}

func (s *luaShared) newVM() (*luaVM, error) {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:    true,
		CallStackSize:   s.limits.MaxCallDepth + 8,
		RegistrySize:    4096,
		RegistryMaxSize: 1 << 18,
	})
	vm := &luaVM{luaShared: s, L: L, deadline: newLuaDeadline()}
	vm.budget = newBudget(vm.deadline.fire)
	vm.openLibs()
	vm.reqMT = L.NewTable()
	vm.reqMT.RawSetString("__index", L.NewFunction(vm.reqIndex))
	vm.reqMT.RawSetString("__newindex", L.NewFunction(vm.reqNewIndex))
	vm.reqMT.RawSetString("__metatable", lua.LFalse)
	vm.arrayMT = L.NewTable()
	vm.arrayMT.RawSetString("__metatable", lua.LFalse)
	vm.initMessages()
	vm.installGW()

	// Run the top level, under the same time limit as a hook.
	vm.budget.start(context.Background(), s.limits.Timeout)
	L.SetContext(vm.deadline)
	L.Push(L.NewFunctionFromProto(s.proto))
	err := L.PCall(0, 0, nil)
	fired := vm.budget.stop()
	L.RemoveContext()
	switch {
	case fired:
		L.Close()
		return nil, compileErrorf(s.name, 0, "top level timed out after %v", s.limits.Timeout)
	case vm.denial != nil:
		L.Close()
		return nil, compileErrorf(s.name, 0, "gw.deny called outside a hook")
	case err != nil:
		L.Close()
		msg := luaErrorText(err)
		return nil, &CompileError{Script: s.name, Line: lineOf(msg, s.name), Message: msg}
	}
	L.SetTop(0)
	for i, h := range allHooks {
		if fn, ok := vm.global.RawGetString(string(h)).(*lua.LFunction); ok {
			vm.hooks[i] = fn
		}
	}
	vm.isolateGlobals()
	return vm, nil
}

func (vm *luaVM) free() { vm.L.Close() }

// openLibs opens the safe subset of the standard library.
func (vm *luaVM) openLibs() {
	L := vm.L
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	vm.global = g
	for _, name := range []string{"dofile", "loadfile", "load", "loadstring", "require", "module",
		"collectgarbage", "getfenv", "setfenv", "newproxy", "_printregs"} {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("print", L.NewFunction(vm.print))
	next := L.NewFunction(vm.next)
	g.RawSetString("next", next)
	g.RawSetString("pairs", L.NewClosure(vm.pairs, next))
	if str, ok := g.RawGetString("string").(*lua.LTable); ok {
		str.RawSetString("rep", L.NewFunction(luaRep))
	}
}

// luaRep is string.rep(s, n), refusing results over maxRep bytes.
func luaRep(L *lua.LState) int {
	s, n := L.CheckString(1), L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > maxRep/len(s) {
		L.RaiseError("string.rep: a result over %d bytes is refused", maxRep)
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// isolateGlobals moves every global into a base table that _G's metatable
// reads through, leaving _G empty: a hook's assignments land in _G, and
// resetGlobals empties it after the call.
func (vm *luaVM) isolateGlobals() {
	g := vm.global
	base := vm.L.CreateTable(0, 64)
	var keys []lua.LValue
	g.ForEach(func(k, v lua.LValue) {
		base.RawSet(k, v)
		keys = append(keys, k)
	})
	for _, k := range keys {
		g.RawSet(k, lua.LNil)
	}
	mt := vm.L.CreateTable(0, 2)
	mt.RawSetString("__index", base)
	mt.RawSetString("__metatable", lua.LFalse)
	g.Metatable = mt
}

// maxCleared bounds the globals removed over a VM's life: Lua tables keep
// a slot per key ever set, so a script inventing global names on every call
// would grow _G forever; such a VM is replaced.
const maxCleared = 10000

// resetGlobals removes what the call assigned to _G; false means the VM
// should be replaced.
func (vm *luaVM) resetGlobals() bool {
	g := vm.global
	if k, _ := g.Next(lua.LNil); k == lua.LNil {
		return true
	}
	var keys []lua.LValue
	g.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		g.RawSet(k, lua.LNil)
	}
	vm.cleared += len(keys)
	return vm.cleared < maxCleared
}

// run runs one hook call.
func (vm *luaVM) run(ctx context.Context, c *hookCall) (err error, broken bool) {
	L := vm.L
	defer func() {
		if r := recover(); r != nil {
			err, broken = &ScriptError{Script: vm.name, Hook: c.hook, Err: shapeError("internal error: %v", r)}, true
		}
	}()
	fn := vm.hooks[hookIndex(c.hook)]
	if fn == nil { // a top level that defines hooks only sometimes
		return &ScriptError{Script: vm.name, Hook: c.hook, Err: shapeError("%s is not defined on this VM", c.hook)}, true
	}
	if !vm.budget.start(ctx, vm.limits.Timeout) {
		return &ScriptError{Script: vm.name, Hook: c.hook, Err: context.DeadlineExceeded}, false
	}
	L.SetContext(vm.deadline)
	vm.req = c.req
	vm.reqTable = vm.newReq()
	L.Push(fn)
	L.Push(vm.reqTable)
	nargs, nret := 1, 0
	var extra *lua.LTable
	switch c.hook {
	case HookRoute:
		nret = 1
	case HookOnResponse:
		extra = vm.newRes(c.res)
		L.Push(extra)
		nargs = 2
	case HookOnChunk:
		extra = L.CreateTable(0, 2)
		extra.RawSetString("text", lua.LString(c.chunk.Text))
		extra.RawSetString("drop", lua.LBool(c.chunk.Drop))
		L.Push(extra)
		nargs = 2
	}
	perr := L.PCall(nargs, nret, nil)
	fired := vm.budget.stop()
	L.RemoveContext()

	switch {
	case fired:
		err, broken = timeoutError(ctx, vm.where(perr), vm.limits.Timeout), true
	case vm.denial != nil:
		err = vm.denial
	case perr != nil:
		err = luaRunError(perr)
		var ae *lua.ApiError
		broken = errors.As(perr, &ae) && ae.Type == lua.ApiErrorPanic
	default:
		err = vm.collect(c, extra)
	}
	if err != nil && err != vm.denial {
		err = &ScriptError{Script: vm.name, Hook: c.hook, Err: err}
	}
	L.SetTop(0)
	vm.endMessages()
	vm.req, vm.reqTable, vm.built, vm.denial = nil, nil, 0, nil
	if !vm.resetGlobals() {
		broken = true
	}
	return err, broken
}

// collect copies what the hook may change back into the Go values.
func (vm *luaVM) collect(c *hookCall, extra *lua.LTable) error {
	switch c.hook {
	case HookOnRequest:
		return vm.readBackRequest(c.req)
	case HookRoute:
		ret := vm.L.Get(-1)
		var err error
		c.route, err = vm.routeResult(ret)
		return err
	case HookOnResponse:
		s, ok := extra.RawGetString("content").(lua.LString)
		if !ok {
			return shapeError("res.content must be a string, got %s", extra.RawGetString("content").Type())
		}
		c.res.Content = string(s)
	case HookOnChunk:
		s, ok := extra.RawGetString("text").(lua.LString)
		if !ok {
			return shapeError("chunk.text must be a string, got %s", extra.RawGetString("text").Type())
		}
		c.chunk.Text = string(s)
		c.chunk.Drop = lua.LVAsBool(extra.RawGetString("drop"))
	}
	return nil
}

func (vm *luaVM) routeResult(ret lua.LValue) ([]string, error) {
	switch v := ret.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LString:
		if v == "" {
			return nil, nil
		}
		return []string{string(v)}, nil
	case *lua.LTable:
		n := v.Len()
		if n == 0 {
			return nil, nil
		}
		out := make([]string, n)
		for i := 1; i <= n; i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok || s == "" {
				return nil, shapeError(`route must return "provider/model", a list of them, or nil; item %d is %s`, i, v.RawGetInt(i).Type())
			}
			out[i-1] = string(s)
		}
		return out, nil
	}
	return nil, shapeError(`route must return "provider/model", a list of them, or nil; got %s`, ret.Type())
}

// luaErrorText is the message of a Lua error, without the Go trace.
func luaErrorText(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) && ae.Object != nil {
		return ae.Object.String()
	}
	return err.Error()
}

func luaRunError(err error) error {
	msg := luaErrorText(err)
	if strings.HasSuffix(msg, "stack overflow") || strings.HasSuffix(msg, "registry overflow") {
		return &runError{msg: msg, kind: ErrStackOverflow}
	}
	return &runError{msg: msg}
}

// where is the "name:line" a Lua error message starts with, if any.
func (vm *luaVM) where(err error) string {
	if err == nil {
		return ""
	}
	if line := lineOf(luaErrorText(err), vm.name); line > 0 {
		return fmt.Sprintf("%s:%d", vm.name, line)
	}
	return ""
}

// lineOf reads the line of a "name:line: ..." message.
func lineOf(msg, name string) int {
	rest, ok := strings.CutPrefix(msg, name+":")
	if !ok {
		return 0
	}
	n := 0
	for _, r := range rest {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// luaDeadline is the context a Lua state checks on every instruction while
// a hook runs: its Done channel closes when the VM's budget fires (and the
// VM is then dropped, so one channel serves the VM's whole life).
type luaDeadline struct {
	done  chan struct{}
	fired atomic.Bool
}

func newLuaDeadline() *luaDeadline { return &luaDeadline{done: make(chan struct{})} }

func (d *luaDeadline) fire() {
	d.fired.Store(true)
	close(d.done)
}

func (d *luaDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }
func (d *luaDeadline) Done() <-chan struct{}       { return d.done }
func (d *luaDeadline) Value(any) any               { return nil }
func (d *luaDeadline) Err() error {
	if d.fired.Load() {
		return ErrTimeout
	}
	return nil
}
