package scripting

import (
	"github.com/dop251/goja"
)

// installGW defines the read-only, non-enumerable globals gw, print and
// console.
func (vm *jsVM) installGW() {
	rt := vm.rt
	freeze, _ := goja.AssertFunction(rt.Get("Object").ToObject(rt).Get("freeze"))
	frozen := func(o *goja.Object) *goja.Object {
		_, _ = freeze(goja.Undefined(), o)
		return o
	}
	JSON := rt.Get("JSON").ToObject(rt)
	js := rt.NewObject()
	_ = js.Set("encode", JSON.Get("stringify"))
	_ = js.Set("decode", JSON.Get("parse"))
	_ = js.Set("array", func(call goja.FunctionCall) goja.Value {
		if o, ok := call.Argument(0).(*goja.Object); ok && o.ClassName() == "Array" {
			return o
		}
		return rt.NewArray()
	})
	gw := rt.NewObject()
	_ = gw.Set("deny", vm.deny)
	_ = gw.Set("log", vm.logFn)
	_ = gw.Set("hash", func(call goja.FunctionCall) goja.Value {
		return rt.ToValue(hash53(call.Argument(0).String()))
	})
	_ = gw.Set("now", func(goja.FunctionCall) goja.Value { return rt.ToValue(nowSeconds()) })
	_ = gw.Set("json", frozen(js))
	_ = gw.Set("detect_injection", func(call goja.FunctionCall) goja.Value {
		source := "prompt"
		if s := call.Argument(1); !absent(s) {
			source = s.String()
		}
		r := detectInjection(call.Argument(0).String(), source)
		o := rt.NewObject()
		_ = o.Set("injection", r.Injection)
		_ = o.Set("score", r.Score)
		signals := make([]any, len(r.Signals))
		for i, s := range r.Signals {
			signals[i] = s
		}
		_ = o.Set("signals", rt.NewArray(signals...))
		return o
	})
	_ = gw.Set("redact", func(call goja.FunctionCall) goja.Value {
		out, _ := redactText(call.Argument(0).String())
		return rt.ToValue(out)
	})

	console := rt.NewObject()
	for _, level := range []string{"debug", "info", "warn", "error"} {
		_ = console.Set(level, vm.printer(level))
	}
	_ = console.Set("log", vm.printer("info"))

	g := rt.GlobalObject()
	for name, v := range map[string]*goja.Object{
		"gw":      frozen(gw),
		"console": frozen(console),
		"print":   rt.ToValue(vm.printer("info")).ToObject(rt),
	} {
		_ = g.DefineDataProperty(name, v, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
}

// deny is gw.deny(status, message): it records the denial, which stands
// even if the script catches the exception thrown to end the hook.
func (vm *jsVM) deny(call goja.FunctionCall) goja.Value {
	status := call.Argument(0)
	if !goja.IsNumber(status) {
		panic(vm.rt.NewTypeError("%s", "gw.deny: status must be a number, got "+jsType(status)))
	}
	msg := ""
	if m := call.Argument(1); !absent(m) {
		msg = m.String()
	}
	d, err := newDenial(status.ToFloat(), msg)
	if err != nil {
		panic(vm.rt.NewTypeError("%s", err.Error()))
	}
	if vm.denial == nil {
		vm.denial = d
	}
	panic(vm.rt.NewGoError(d))
}

// logFn is gw.log([level,] message).
func (vm *jsVM) logFn(call goja.FunctionCall) goja.Value {
	level, msg := "info", call.Argument(0)
	if len(call.Arguments) >= 2 {
		var err error
		if level, err = logLevel(call.Argument(0).String()); err != nil {
			panic(vm.rt.NewTypeError("%s", err.Error()))
		}
		msg = call.Argument(1)
	}
	vm.log.Log(level, msg.String())
	return goja.Undefined()
}

func (vm *jsVM) printer(level string) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		vm.log.Log(level, joinArgs(len(call.Arguments), func(i int) string {
			return call.Arguments[i].String()
		}))
		return goja.Undefined()
	}
}
