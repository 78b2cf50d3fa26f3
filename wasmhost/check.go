package wasmhost

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// exportSet is what a module exports of the ABI, once checked.
type exportSet struct {
	hooks      uint8 // hooks exported with the right type, by bit
	hooksMask  bool  // sluice_hooks is exported
	fieldsMask bool  // sluice_fields is exported
}

// signature is a function type, as the ABI names it.
type signature struct {
	params, results []api.ValueType
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64

	sigVersion = signature{nil, []api.ValueType{i32}}
	sigAlloc   = signature{[]api.ValueType{i32}, []api.ValueType{i32}}
	sigHook    = signature{[]api.ValueType{i32, i32}, []api.ValueType{i64}}
	sigHooks   = signature{nil, []api.ValueType{i32}}
	sigFields  = signature{[]api.ValueType{i32}, []api.ValueType{i32}}
	sigInit    = signature{}
)

func (s signature) String() string {
	return "(" + typeList(s.params) + ") -> (" + typeList(s.results) + ")"
}

func typeList(ts []api.ValueType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = api.ValueTypeName(t)
	}
	return strings.Join(names, ", ")
}

func sigOf(d api.FunctionDefinition) signature {
	return signature{d.ParamTypes(), d.ResultTypes()}
}

func (s signature) equal(o signature) bool {
	return typeList(s.params) == typeList(o.params) && typeList(s.results) == typeList(o.results)
}

// checkModule checks a compiled module against the ABI: the exports it
// must have, the types of those it has, and that it imports only what the
// host provides. It returns every problem found, each in words a plugin's
// author can act on.
func checkModule(rt wazero.Runtime, m wazero.CompiledModule) (exportSet, []string) {
	var set exportSet
	var problems []string
	funcs := m.ExportedFunctions()

	if _, ok := m.ExportedMemories()[wire.ExportMemory]; !ok {
		problems = append(problems, `missing the export "memory" (the module's linear memory)`)
	}
	required := []struct {
		name string
		sig  signature
	}{{wire.ExportABIVersion, sigVersion}, {wire.ExportAlloc, sigAlloc}}
	for _, r := range required {
		d, ok := funcs[r.name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing the export %s %s", r.name, r.sig))
		case !sigOf(d).equal(r.sig):
			problems = append(problems, fmt.Sprintf("%s has the type %s, want %s", r.name, sigOf(d), r.sig))
		}
	}
	for i, name := range wire.HookNames {
		d, ok := funcs[name]
		if !ok {
			continue
		}
		if !sigOf(d).equal(sigHook) {
			problems = append(problems, fmt.Sprintf("the hook %s has the type %s, want %s", name, sigOf(d), sigHook))
			continue
		}
		set.hooks |= 1 << i
	}
	optional := []struct {
		name string
		sig  signature
		flag *bool
	}{{wire.ExportHooks, sigHooks, &set.hooksMask}, {wire.ExportFields, sigFields, &set.fieldsMask}, {wire.ExportInitialize, sigInit, nil}}
	for _, o := range optional {
		d, ok := funcs[o.name]
		if !ok {
			continue
		}
		if !sigOf(d).equal(o.sig) {
			problems = append(problems, fmt.Sprintf("%s has the type %s, want %s", o.name, sigOf(d), o.sig))
		} else if o.flag != nil {
			*o.flag = true
		}
	}
	if _, ok := funcs[wire.ExportStart]; ok {
		if _, ok := funcs[wire.ExportInitialize]; !ok {
			problems = append(problems, "it is a WASI command (it exports _start), not a reactor: "+
				"build it as a library (Go: go build -buildmode=c-shared; Rust: crate-type cdylib)")
		}
	}
	if set.hooks == 0 && len(problems) == 0 {
		problems = append(problems, "defines none of the hooks on_request, route, on_response, on_chunk "+
			"(exported functions of the type "+sigHook.String()+")")
	}
	problems = append(problems, checkImports(rt, m)...)
	return set, problems
}

// checkImports checks that every function the module imports is one the
// host provides, with the same type.
func checkImports(rt wazero.Runtime, m wazero.CompiledModule) []string {
	provided := map[string]map[string]api.FunctionDefinition{}
	for _, name := range []string{wire.ImportModule, wasiModule, meterModule} {
		if mod := rt.Module(name); mod != nil {
			provided[name] = mod.ExportedFunctionDefinitions()
		}
	}
	var problems []string
	for _, d := range m.ImportedFunctions() {
		module, name, _ := d.Import()
		defs, ok := provided[module]
		if !ok {
			problems = append(problems, fmt.Sprintf("imports %s.%s, but the host provides only the modules %s and %s",
				module, name, wire.ImportModule, wasiModule))
			continue
		}
		want, ok := defs[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("imports %s.%s, which does not exist (%s has %s)",
				module, name, module, strings.Join(sortedKeys(defs), ", ")))
			continue
		}
		if !sigOf(d).equal(sigOf(want)) {
			problems = append(problems, fmt.Sprintf("imports %s.%s with the type %s, want %s", module, name, sigOf(d), sigOf(want)))
		}
	}
	for _, d := range m.ImportedMemories() {
		module, name, _ := d.Import()
		problems = append(problems, fmt.Sprintf("imports a memory (%s.%s): a plugin defines and exports its own", module, name))
	}
	return problems
}

const wasiModule = "wasi_snapshot_preview1"

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readABI asks a first, initialised instance for its ABI version, the
// hooks it implements (sluice_hooks) and the req fields each reads
// (sluice_fields), and records them in g.
func (g *guestModule) readABI(in *instance) error {
	call := func(name string, arg ...uint64) (uint32, error) {
		stack := append(make([]uint64, 0, 1), arg...)
		if len(stack) == 0 {
			stack = stack[:1]
		}
		fn := in.mod.ExportedFunction(name)
		// These calls return a constant: the initialisation limit, not a
		// hook's, bounds them, so that a busy machine does not fail a
		// compile.
		in.startBudget(nil, g.initTime)
		err := fn.CallWithStack(in.ctx, stack)
		fired := in.stopBudget()
		in.flushOutput(err != nil || fired)
		if fired {
			return 0, fmt.Errorf("%s timed out after %v", name, g.initTime)
		}
		if err != nil {
			return 0, fmt.Errorf("%s failed: %s", name, in.describeFailure(err))
		}
		return uint32(stack[0]), nil
	}
	v, err := call(wire.ExportABIVersion)
	if err != nil {
		return err
	}
	if v != wire.Version {
		return fmt.Errorf("it speaks ABI version %d (sluice_abi_version returned %d); this host speaks version %d", int32(v), int32(v), wire.Version)
	}
	g.hooks = g.exports.hooks
	if g.exports.hooksMask {
		mask, err := call(wire.ExportHooks)
		if err != nil {
			return err
		}
		if mask&^wire.AllHooks != 0 {
			return fmt.Errorf("sluice_hooks returned %#x, which has bits beyond the four hooks (0x1 on_request, 0x2 route, 0x4 on_response, 0x8 on_chunk)", mask)
		}
		for i, name := range wire.HookNames {
			if mask&(1<<i) != 0 && g.exports.hooks&(1<<i) == 0 {
				return fmt.Errorf("sluice_hooks names %s, which the module does not export", name)
			}
		}
		g.hooks &= uint8(mask)
		if g.hooks == 0 {
			return fmt.Errorf("defines none of the hooks on_request, route, on_response, on_chunk (sluice_hooks returned 0)")
		}
	}
	for i := range wire.HookNames {
		g.fields[i] = wire.AllFields
		if g.exports.fieldsMask && g.hooks&(1<<i) != 0 {
			mask, err := call(wire.ExportFields, uint64(i))
			if err != nil {
				return err
			}
			g.fields[i] = mask & wire.AllFields
		}
	}
	return nil
}
