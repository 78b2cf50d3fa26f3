package wasmhost

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicegw/sluice/scripting"
)

// Guests that break the ABI, each refused with a CompileError that says
// what is wrong.
func TestCompileErrors(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"missing_exports.wat", []string{
			"not a Sluice plugin (ABI version 1)",
			"missing the export sluice_abi_version () -> (i32)",
			"missing the export sluice_alloc (i32) -> (i32)",
			"the hook route has the type (i32) -> (i32), want (i32, i32) -> (i64)",
		}},
		{"wrong_version.wat", []string{"it speaks ABI version 2 (sluice_abi_version returned 2); this host speaks version 1"}},
		{"no_hooks.wat", []string{"defines none of the hooks on_request, route, on_response, on_chunk"}},
		{"hooks_zero.wat", []string{"defines none of the hooks", "sluice_hooks returned 0"}},
		{"bad_imports.wat", []string{
			"imports env.abort, but the host provides only the modules sluice and wasi_snapshot_preview1",
			"imports sluice.nope, which does not exist (sluice has detect_injection, hash, log, now, redact)",
			"imports sluice.log with the type (i32, i32) -> (), want (i32, i32, i32) -> ()",
		}},
		{"command.wat", []string{"it is a WASI command (it exports _start), not a reactor", "-buildmode=c-shared"}},
		{"init_traps.wat", []string{"initialisation (_initialize) failed: trap: unreachable"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			_, err := engine(t).Compile(tc.file, wat(t, "testdata/wat/"+tc.file), scripting.Limits{}, nil)
			var ce *scripting.CompileError
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), tc.file+": ") {
				t.Fatalf("err = %v, want a CompileError naming the file", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to say %q", err, w)
				}
			}
		})
	}
}

func TestNotWebAssembly(t *testing.T) {
	for src, want := range map[string]string{
		"function route() end":               "not a WebAssembly binary",
		"(module (func (export \"route\")))": "assemble it with wat2wasm first",
		"\x00asm\x01\x00\x00\x00\xff":        "plugin.wasm: ",
	} {
		_, err := engine(t).Compile("plugin.wasm", []byte(src), scripting.Limits{}, nil)
		var ce *scripting.CompileError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want a CompileError saying %q", src, err, want)
		}
	}
}

func TestMemoryDeclaredOverTheLimit(t *testing.T) {
	e, err := NewEngine(Options{MemoryLimitBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// fixed_route.wat asks for one page at first: fine. A module asking for
	// 32 pages (2 MiB) at first is not.
	if _, err := e.Compile("ok.wasm", wat(t, "../examples/wasm/fixed_route.wat"), scripting.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	big := []byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x20") // a memory section: min 32 pages
	_, err = e.Compile("big.wasm", big, scripting.Limits{}, nil)
	if err == nil || !strings.Contains(err.Error(), "the memory limit is 1 MiB") {
		t.Fatalf("err = %v, want one about the memory limit", err)
	}
}

// The hooks of runaway.wat: a loop, a trap, a memory blow-up and a bad
// host call; each an error, each instance replaced, none a crash.
func TestRunawayGuest(t *testing.T) {
	log := &memLogger{}
	p := compile(t, wat(t, "testdata/wat/runaway.wat"), scripting.Limits{Timeout: 30 * time.Millisecond, PoolSize: 1}, log)
	ctx := context.Background()
	check := func(name string, err error, want string, kind error) {
		t.Helper()
		var se *scripting.ScriptError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) || (kind != nil && !errors.Is(err, kind)) {
			t.Errorf("%s: err = %v, want a ScriptError saying %q", name, err, want)
		}
	}
	before := idleInstance(p)
	start := time.Now()
	_, err := p.Route(ctx, &scripting.Request{})
	check("loop", err, "timed out after 30ms", scripting.ErrTimeout)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the loop ran %v", took)
	}
	check("trap", p.OnRequest(ctx, &scripting.Request{}), "trap: unreachable", nil)
	check("memory", p.OnChunk(ctx, &scripting.Request{}, &scripting.Chunk{}), "(its memory is at the limit of 64 MiB)", nil)
	check("log level", p.OnResponse(ctx, &scripting.Request{}, &scripting.Response{}), "sluice.log: unknown level 9", nil)
	if after := idleInstance(p); after == before {
		t.Error("a broken instance went back to the pool")
	}
}

// A request whose context has a deadline sooner than the time limit is
// stopped at the deadline, with the context's error.
func TestRequestDeadline(t *testing.T) {
	p := compile(t, wat(t, "testdata/wat/runaway.wat"), scripting.Limits{Timeout: 5 * time.Second}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Route(ctx, &scripting.Request{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want the context's deadline", err, time.Since(start))
	}
}

// Every way a result can be wrong, from results.wat, and the right ones.
func TestResults(t *testing.T) {
	p := compile(t, wat(t, "testdata/wat/results.wat"), scripting.Limits{PoolSize: 1}, nil)
	setCase := func(n int) {
		t.Helper()
		in := idleInstance(p)
		if in == nil { // the last case broke it: make a new one
			if _, err := p.Route(context.Background(), &scripting.Request{}); err != nil {
				t.Log(err)
			}
			in = idleInstance(p)
		}
		in.bufPtr = 0 // so that the next call asks sluice_alloc again
		in.stack[0] = uint64(n)
		if err := in.mod.ExportedFunction("set_case").CallWithStack(context.Background(), in.stack[:1]); err != nil {
			t.Fatal(err)
		}
	}
	routeErr := []struct {
		n    int
		want string
	}{
		{0, "the result is not valid JSON: invalid JSON at byte 0"},
		{1, `route must be "provider/model", a list of them, or null, got number`},
		{2, "route[1] must be a non-empty string"},
		{4, `the result must have one key; it has "route" and "extra"`},
		{5, "deny: status must be an integer from 400 to 599, got 200"},
		{6, "boom"},
		{7, "the result must be a JSON object, got array"},
		{8, "the result (16 bytes at 0x100000) is outside the guest's memory of 65536 bytes"},
		{9, "the result is 16777216 bytes, over the limit of 8388608"},
		{11, `route returned a "chunk" result; it may return "route", "deny" or "error"`},
		{12, "the result is not valid JSON: invalid JSON at byte 16: unexpected 't' after the document"},
		{16, "the result is not valid JSON"},
		{99, "sluice_alloc("},
	}
	for _, c := range routeErr {
		setCase(c.n)
		out, err := p.Route(context.Background(), &scripting.Request{})
		var se *scripting.ScriptError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) || out != nil {
			t.Errorf("case %d: route = %v, %v; want a ScriptError saying %q", c.n, out, err, c.want)
		}
	}

	setCase(10)
	if out := mustRoute(t, p, &scripting.Request{}); !reflect.DeepEqual(out, []string{"openai/gpt-4o"}) {
		t.Errorf("a bare string: route = %q", out)
	}
	setCase(15)
	if out := mustRoute(t, p, &scripting.Request{}); out != nil {
		t.Errorf("{}: route = %q", out)
	}
	setCase(13)
	if _, err := p.Route(context.Background(), &scripting.Request{}); !reflect.DeepEqual(err, &scripting.Denial{Status: 451, Message: "Unavailable For Legal Reasons"}) {
		t.Errorf("deny without a message: err = %#v", err)
	}

	// A value of the wrong type changes nothing (scripting's conformance
	// case "a value of the wrong type is a script error").
	setCase(3)
	req := sampleRequest("m")
	err := p.OnRequest(context.Background(), req)
	if !strings.Contains(fmtErr(err), "req.max_tokens must be a number or null, got string") || *req.MaxTokens != 256 {
		t.Errorf("err = %v, max_tokens = %d", err, *req.MaxTokens)
	}
	// Changes to read-only fields are ignored; numbers and booleans in
	// metadata become strings; null removes temperature.
	setCase(14)
	req = sampleRequest("m")
	if err := p.OnRequest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want := sampleRequest("m2")
	want.Temperature = nil
	want.Metadata = map[string]string{"n": "3", "b": "true"}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("req = %+v\nwant %+v", req, want)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// sluice_hooks narrows the exported hooks; sluice_fields trims req.
func TestHooksAndFieldsMasks(t *testing.T) {
	p := compile(t, wat(t, "testdata/wat/hooks_mask.wat"), scripting.Limits{}, nil)
	if !p.Has(scripting.HookRoute) || p.Has(scripting.HookOnChunk) || p.Has(scripting.HookOnRequest) {
		t.Fatalf("Has: route %v, on_chunk %v, on_request %v", p.Has(scripting.HookRoute), p.Has(scripting.HookOnChunk), p.Has(scripting.HookOnRequest))
	}
	// on_chunk traps if called: it is not, since the mask leaves it out.
	if err := p.OnChunk(context.Background(), sampleRequest("m"), &scripting.Chunk{}); err != nil {
		t.Fatal(err)
	}
	// route sees exactly {"req":{"model":"m"}}.
	if out := mustRoute(t, p, sampleRequest("m")); !reflect.DeepEqual(out, []string{"a/b"}) {
		t.Fatalf("route = %q: the guest did not get only the model", out)
	}
}

// The host functions from a guest in another language: sluice.log and
// sluice.hash, whose value equals gw.hash in Lua.
func TestHostFunctionsFromWat(t *testing.T) {
	log := &memLogger{}
	p := compile(t, wat(t, "testdata/wat/hash.wat"), scripting.Limits{}, log)
	got := mustRoute(t, p, &scripting.Request{})
	if want := scriptHashes(t)[2]; len(got) != 1 || got[0] != want {
		t.Fatalf("sluice.hash(alice) = %q, gw.hash = %s", got, want)
	}
	if entries := log.all(); !reflect.DeepEqual(entries, []string{"info: hello from wat"}) {
		t.Fatalf("log = %q", entries)
	}
}

func TestClosedProgram(t *testing.T) {
	p, err := engine(t).Compile("fixed.wasm", wat(t, "../examples/wasm/fixed_route.wat"), scripting.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	if _, err := p.Route(context.Background(), &scripting.Request{}); !errors.Is(err, scripting.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
	if m := p.(*program).g.rt.Module(wasiModule); m != nil && !m.IsClosed() {
		t.Fatal("the runtime of a closed program is still open")
	}
}

// A Go guest that allocates past the memory limit dies of it ("fatal
// error: out of memory"); the error says so and names the limit, and the
// next call runs on a new instance.
func TestGoGuestOutOfMemory(t *testing.T) {
	p := compile(t, conformanceGuest(t), scripting.Limits{Timeout: 10 * time.Second, PoolSize: 1}, nil)
	start := time.Now()
	_, err := p.Route(context.Background(), sampleRequest("oom"))
	var se *scripting.ScriptError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "fatal error: out of memory") || !strings.Contains(err.Error(), "64 MiB") {
		t.Fatalf("err = %v, want a ScriptError about running out of memory", err)
	}
	t.Logf("out of memory after %v: %v", time.Since(start), err)
	if got := mustRoute(t, p, sampleRequest("route-string")); len(got) != 1 {
		t.Fatalf("route after running out of memory = %v", got)
	}
}

// A guest that exits (os.Exit here; a Go runtime's fatal error too) ends
// the call with its exit code; the instance is replaced.
func TestGoGuestExit(t *testing.T) {
	p := compile(t, conformanceGuest(t), scripting.Limits{PoolSize: 1}, nil)
	_, err := p.Route(context.Background(), sampleRequest("exit"))
	if err == nil || !strings.Contains(err.Error(), "the guest exited with code 3") {
		t.Fatalf("err = %v", err)
	}
	if got := mustRoute(t, p, sampleRequest("route-string")); len(got) != 1 {
		t.Fatalf("route after exit = %v", got)
	}
}

// A prompt of megabytes goes through (the input buffer grows), and the
// next small request gets a small buffer again.
func TestLargeInput(t *testing.T) {
	p := compile(t, conformanceGuest(t), scripting.Limits{PoolSize: 1}, nil)
	big := sampleRequest("route-length")
	big.Messages = append(big.Messages, scripting.Message{Role: "user", Content: strings.Repeat("é\n\"x", 1<<19)})
	if got := mustRoute(t, p, big); !reflect.DeepEqual(got, []string{"openai/gpt-4o"}) {
		t.Fatalf("route = %q", got)
	}
	in := idleInstance(p)
	if in.bufSize < 2<<20 {
		t.Fatalf("input buffer of %d bytes for a 2.5 MiB prompt", in.bufSize)
	}
	short := &scripting.Request{Model: "route-length", Messages: []scripting.Message{{Role: "user", Content: "hi"}}}
	if got := mustRoute(t, p, short); !reflect.DeepEqual(got, []string{"openai/gpt-4o-mini"}) {
		t.Fatalf("route = %q", got)
	}
	if in.bufSize > 1<<20 {
		t.Fatalf("the input buffer stayed at %d bytes", in.bufSize)
	}
}
