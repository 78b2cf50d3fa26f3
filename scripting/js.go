package scripting

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// JSEngine runs JavaScript (ECMAScript 5.1 and most of ES2015+, by goja),
// files ending in ".js". See the package documentation for hooks, data and
// gw.
//
// A script is a plain script, not a module: no import or export; bundle
// dependencies into one file. A hook may be an async function as long as
// its promise settles before it returns (there is no event loop).
//
// Available: the standard built-ins (Object, Array, JSON, Math, Date,
// RegExp, Map, Set, Promise, Proxy, Reflect, typed arrays, ...), print,
// console.log/info/warn/error/debug, and gw. Absent: require, process,
// fetch, setTimeout and any module loader. eval is removed and the Function
// constructors (also reached as (function(){}).constructor, and for
// generators and async functions; goja has no async generators) throw: a
// script cannot compile code from strings. Source maps named by a file path
// in a sourceMappingURL comment are not read (inline data: maps are).
//
// Globals: after the top level, the built-in globals, gw and console are
// read-only (assigning one fails: silently, or with an error in strict
// code). A global a hook creates is deleted when the hook returns, and a
// global the top level defined is put back to its value.
//
// req and chunk are objects that behave as plain ones for reading,
// writing, deleting, listing (Object.keys, for-in, JSON.stringify) and
// spreading, but cannot be frozen or given accessors.
type JSEngine struct{}

func (JSEngine) Name() string         { return "js" }
func (JSEngine) Extensions() []string { return []string{".js"} }

// noSourceMapFiles keeps the parser from reading a source map named in a
// sourceMappingURL comment (inline data: maps still work).
func noSourceMapFiles(string) ([]byte, error) {
	return nil, errors.New("source map files are not read")
}

// Compile parses source and runs its top level once on a first VM, so that
// syntax errors, errors thrown by the top level and a script that defines
// no hook are all reported here, with name:line.
func (JSEngine) Compile(name string, source []byte, limits Limits, log Logger) (Program, error) {
	limits = limits.withDefaults()
	ast, err := parser.ParseFile(nil, name, string(source), 0, parser.WithSourceMapLoader(noSourceMapFiles))
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return nil, compileErrorf(name, list[0].Position.Line, "SyntaxError: %s", list[0].Message)
		}
		return nil, compileErrorf(name, 0, "%v", err)
	}
	prg, err := goja.CompileAST(ast, false)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) && se.File != nil {
			return nil, compileErrorf(name, se.File.Position(se.Offset).Line, "SyntaxError: %s", se.Message)
		}
		return nil, compileErrorf(name, 0, "%v", err)
	}
	p := &program[*jsVM]{name: name, limits: limits}
	shared := &jsShared{name: name, prg: prg, limits: limits, log: orNop(log)}
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
		return nil, compileErrorf(name, 0, "defines none of the hooks on_request, route, on_response, on_chunk (global functions)")
	}
	p.pool = newPool(limits.PoolSize, shared.newVM, func(*jsVM) {})
	p.pool.seed(first)
	return p, nil
}

// jsShared is what every VM of one Program shares: read-only.
type jsShared struct {
	name   string
	prg    *goja.Program
	limits Limits
	log    Logger
}

// jsVM is one goja runtime running one Program.
type jsVM struct {
	*jsShared
	rt     *goja.Runtime
	budget *budget
	hooks  [len(allHooks)]goja.Callable
	global *goja.Object
	// globals holds the enumerable globals as the top level left them.
	globals map[string]goja.Value

	denial *Denial
}

// jsHarden runs before a script's top level: no eval, and each Function
// constructor is replaced by one that throws, with the same prototype (so
// instanceof Function still works).
var jsHarden = goja.MustCompile("harden.js", `(function (g) {
	"use strict";
	delete g.eval;
	var protos = [
		Function.prototype,
		Object.getPrototypeOf(function* () {}),
		Object.getPrototypeOf(async function () {}),
	];
	for (var i = 0; i < protos.length; i++) {
		var ctor = function Function() { throw new EvalError("code generation from strings is disabled"); };
		Object.defineProperty(ctor, "prototype", { value: protos[i], writable: false, configurable: false });
		Object.defineProperty(protos[i], "constructor", { value: ctor, writable: false, configurable: false });
		if (i === 0) {
			Object.defineProperty(g, "Function", { value: ctor, writable: true, configurable: true });
		}
	}
})(globalThis);`, false)

func (s *jsShared) newVM() (*jsVM, error) {
	rt := goja.New()
	rt.SetMaxCallStackSize(s.limits.MaxCallDepth)
	rt.SetParserOptions(parser.WithDisableSourceMaps)
	vm := &jsVM{jsShared: s, rt: rt}
	vm.budget = newBudget(func() { rt.Interrupt(ErrTimeout) })
	if _, err := rt.RunProgram(jsHarden); err != nil {
		return nil, fmt.Errorf("scripting: preparing the JavaScript runtime: %w", err)
	}
	vm.installGW()
	// The script's global object is a new, empty one whose prototype holds
	// the built-ins (frozen after the top level): listing its own keys after
	// each call, to remove new globals, is then cheap.
	builtins := rt.GlobalObject()
	vm.global = rt.CreateObject(builtins)
	_ = vm.global.DefineDataProperty("globalThis", vm.global, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	rt.SetGlobalObject(vm.global)

	vm.budget.start(context.Background(), s.limits.Timeout)
	_, err := rt.RunProgram(s.prg)
	fired := vm.budget.stop()
	switch {
	case fired:
		return nil, compileErrorf(s.name, 0, "top level timed out after %v", s.limits.Timeout)
	case vm.denial != nil:
		return nil, compileErrorf(s.name, 0, "gw.deny called outside a hook")
	case err != nil:
		msg, _ := jsErrorText(err)
		return nil, &CompileError{Script: s.name, Line: lineOf(msg, s.name), Message: msg}
	}
	for i, h := range allHooks {
		if fn, ok := goja.AssertFunction(vm.global.Get(string(h))); ok {
			vm.hooks[i] = fn
		}
	}
	freeze, _ := goja.AssertFunction(builtins.Get("Object").ToObject(rt).Get("freeze"))
	if _, err := freeze(goja.Undefined(), builtins); err != nil {
		return nil, fmt.Errorf("scripting: preparing the JavaScript runtime: %w", err)
	}
	keys := vm.global.Keys()
	vm.globals = make(map[string]goja.Value, len(keys))
	for _, k := range keys {
		vm.globals[k] = vm.global.Get(k)
	}
	return vm, nil
}

// run runs one hook call.
func (vm *jsVM) run(ctx context.Context, c *hookCall) (err error, broken bool) {
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
	req := &jsReq{vm: vm, r: c.req}
	reqObj := vm.rt.NewDynamicObject(req)
	var extra *goja.Object
	var chunk *jsChunk
	switch c.hook {
	case HookOnResponse:
		extra = vm.newRes(c.res)
	case HookOnChunk:
		chunk = &jsChunk{vm: vm, c: c.chunk}
		extra = vm.rt.NewDynamicObject(chunk)
	}
	var ret goja.Value
	var cerr error
	if extra != nil {
		ret, cerr = fn(goja.Undefined(), reqObj, extra)
	} else {
		ret, cerr = fn(goja.Undefined(), reqObj)
	}
	if cerr == nil {
		ret, cerr = settle(ret)
	}
	fired := vm.budget.stop()

	var kind error
	switch {
	case fired:
		err, broken = timeoutError(ctx, jsWhere(cerr), vm.limits.Timeout), true
	case vm.denial != nil:
		err = vm.denial
	case cerr != nil:
		var msg string
		msg, kind = jsErrorText(cerr)
		err = &runError{msg: msg, kind: kind}
		// An uncatchable error (stack overflow) may leave the VM half-way.
		broken = kind != nil
	default:
		err = vm.collect(c, req, ret, extra, chunk)
	}
	if err != nil && err != vm.denial {
		err = &ScriptError{Script: vm.name, Hook: c.hook, Err: err}
	}
	req.vm = nil // a req (or chunk) kept past its call reads as empty
	if chunk != nil {
		chunk.vm = nil
	}
	vm.denial = nil
	vm.resetGlobals()
	return err, broken
}

var promiseType = reflect.TypeFor[*goja.Promise]()

// settle unwraps a promise an async hook returned: its value, or its
// rejection as an error; a promise still pending is an error.
func settle(ret goja.Value) (goja.Value, error) {
	obj, ok := ret.(*goja.Object)
	if !ok || obj.ExportType() != promiseType {
		return ret, nil
	}
	p := obj.Export().(*goja.Promise)
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return p.Result(), nil
	case goja.PromiseStateRejected:
		return nil, &runError{msg: "the hook's promise was rejected: " + p.Result().String()}
	}
	return nil, &runError{msg: "the hook returned a promise that is still pending (there is no event loop)"}
}

// collect copies what the hook may change back into the Go values.
func (vm *jsVM) collect(c *hookCall, req *jsReq, ret goja.Value, extra *goja.Object, chunk *jsChunk) error {
	switch c.hook {
	case HookOnRequest:
		return req.readBack()
	case HookRoute:
		var err error
		c.route, err = jsRouteResult(ret)
		return err
	case HookOnResponse:
		s, ok := extra.Get("content").(goja.String)
		if !ok {
			return shapeError("res.content must be a string, got %s", jsType(extra.Get("content")))
		}
		c.res.Content = s.String()
	case HookOnChunk:
		return chunk.readBack()
	}
	return nil
}

func jsRouteResult(ret goja.Value) ([]string, error) {
	if ret == nil || goja.IsUndefined(ret) || goja.IsNull(ret) {
		return nil, nil
	}
	if s, ok := ret.(goja.String); ok {
		if s.Length() == 0 {
			return nil, nil
		}
		return []string{s.String()}, nil
	}
	if obj, ok := ret.(*goja.Object); ok && obj.ClassName() == "Array" {
		items, _ := obj.Export().([]any)
		if len(items) == 0 {
			return nil, nil
		}
		out := make([]string, len(items))
		for i, it := range items {
			s, ok := it.(string)
			if !ok || s == "" {
				return nil, shapeError(`route must return "provider/model", a list of them, or nothing; item %d is %T`, i+1, it)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, shapeError(`route must return "provider/model", a list of them, or nothing; got %s`, jsType(ret))
}

// resetGlobals deletes the globals a call created and puts back the ones it
// changed or deleted.
func (vm *jsVM) resetGlobals() {
	g := vm.global
	keys := g.Keys()
	seen := 0
	for _, k := range keys {
		orig, ok := vm.globals[k]
		if !ok {
			_ = g.Delete(k)
			continue
		}
		seen++
		if v := g.Get(k); v == nil || !v.SameAs(orig) {
			_ = g.Set(k, orig)
		}
	}
	if seen < len(vm.globals) { // some were deleted
		present := make(map[string]bool, len(keys))
		for _, k := range keys {
			present[k] = true
		}
		for k, v := range vm.globals {
			if !present[k] {
				_ = g.Set(k, v)
			}
		}
	}
}

// jsErrorText formats a goja error as "name:line: message", and says which
// sentinel it matches.
func jsErrorText(err error) (string, error) {
	var (
		so *goja.StackOverflowError
		ie *goja.InterruptedError
		ex *goja.Exception
	)
	switch {
	case errors.As(err, &so):
		return jsAt(so.Stack()) + "call stack overflow (nested deeper than the limit)", ErrStackOverflow
	case errors.As(err, &ie):
		return jsAt(ie.Stack()) + "interrupted", ErrTimeout
	case errors.As(err, &ex):
		if ex.Value() == nil {
			return jsAt(ex.Stack()) + "exception", nil
		}
		return jsAt(ex.Stack()) + ex.Value().String(), nil
	}
	return err.Error(), nil
}

// jsAt is "name:line: " of the innermost script frame of a stack.
func jsAt(stack []goja.StackFrame) string {
	for i := range stack {
		if p := stack[i].Position(); p.Filename != "" && p.Line > 0 {
			return fmt.Sprintf("%s:%d: ", p.Filename, p.Line)
		}
	}
	return ""
}

// jsWhere is "name:line" of where an interrupted hook was.
func jsWhere(err error) string {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		at := jsAt(ie.Stack())
		if len(at) > 2 {
			return at[:len(at)-2]
		}
	}
	return ""
}
