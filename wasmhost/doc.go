// Package wasmhost runs Sluice plugins compiled to WebAssembly, on wazero:
// the same four hooks as Lua and JavaScript scripts (on_request, route,
// on_response, on_chunk), in any language that compiles to WebAssembly.
//
// # Using it
//
// An Engine is a scripting.Engine for files ending in ".wasm": add it to
// the engines a script is opened with, and a plugin is watched, hot
// reloaded, pinned per request and chained exactly like a script.
//
//	wasm, err := wasmhost.NewEngine(wasmhost.Options{
//		CacheDir:         "/var/cache/sluice/wasm", // compiled code survives restarts
//		MemoryLimitBytes: 64 << 20,                 // per instance; the default
//	})
//	engines := append(scripting.Engines(), wasm)
//	script, err := scripting.Open("plugins/router.wasm", engines, limits, log)
//
// Keep one Engine for the life of the process: it holds the compilation
// cache, and compiles a module that several scripts (or a reload and a
// config load) open at once only once.
//
// # Writing a plugin
//
// In Go, with the standard toolchain and the SDK in package
// wasmhost/guest:
//
//	package main
//
//	import "github.com/sluicegw/sluice/wasmhost/guest"
//
//	func main() {}
//
//	func init() {
//		guest.OnRequest(func(req *guest.Request) error {
//			if req.Headers["x-team"] == "" {
//				return guest.Deny(403, "say which team you are")
//			}
//			req.Metadata["team"] = req.Headers["x-team"]
//			return nil
//		})
//	}
//
// built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o team.wasm .
//
// In any other language, implement the ABI (ABI.md in this directory): a
// few exports taking and returning JSON. examples/wasm/fixed_route.wat is a
// complete plugin in under 40 lines of WebAssembly text; examples/wasm has a
// router and a personal-data redactor in Go.
//
// # What a hook sees and returns
//
// The same data as a script, as JSON: req, res and chunk with the same
// fields and the same rules (package scripting, "What a hook sees"). A
// hook changes fields (on_request: model, messages, system, tools,
// max_tokens, temperature, top_p, metadata; on_response: the content;
// on_chunk: the text, or drop), names targets (route), refuses the call
// (deny, with a status from 400 to 599), or reports an error. A plugin says
// which fields of req each hook reads, and gets only those: a chunk hook
// that reads none does not receive a copy of the prompt with every delta.
//
// # Limits and failures
//
// Each instance runs one hook call at a time, under the script's time limit
// (50ms unless configured, and never past the request's deadline): a call
// that overruns is stopped, even in an endless loop, and its instance
// thrown away. Each instance's memory is capped (64 MiB by default); a
// guest that grows past it fails, and its instance is thrown away too, as
// after a trap, a proc_exit or a stack overflow. A hook's input is bounded
// by Limits.MaxInputBytes (4 MiB of text by default), its result by twice
// that. Every failure is a *scripting.ScriptError (or a *scripting.Denial
// for a refusal) that says what happened: the trap, or the guest's own
// "panic: ..." line; errors.Is matches scripting.ErrTimeout and
// scripting.ErrStackOverflow. A module that does not speak the ABI is
// refused when it is compiled, with a *scripting.CompileError that names
// each missing or wrong export and import, so a reload of a broken plugin
// keeps the previous version serving.
//
// The guest is sandboxed by construction: it sees its own memory, the
// host functions of the ABI (log, hash, now, detect_injection, redact) and
// a WASI with no files, arguments, environment or network. Its standard
// output and error are logged.
//
// # Cost
//
// A hook call's fixed cost is one or two microseconds of CPU: encoding req,
// one call into the guest, decoding the result. A plugin in Go adds some
// microseconds for the SDK, and its own work (the router example's route,
// which reads the prompt: about 9 µs in all): Go's WebAssembly code
// dispatches every jump through a table at its function's head and makes
// calls and allocations costly, so Go runs about ten times slower inside a
// guest than natively, and decoding req is most of a small hook's time.
// Declare the fields a hook reads (guest.Route(fn, guest.FieldModel, ...)),
// and allocate little (the SDK reuses req's slices and maps from call to
// call for the same reason).
// The time limit is enforced by counting, in the guest's own code, the
// function entries and loop iterations, and meeting the host every so many
// (see ABI.md, "Why the host rewrites a module to meter it"); that costs
// little, where wazero's own checks would multiply a Go plugin's time by
// five. Each instance of a Go plugin holds some 3 to 8 MiB of linear memory
// (its Go runtime and heap, which grows to its GC goal) and about 1 MiB of
// the host's heap, and takes a few milliseconds to start; the
// pool keeps at most Limits.PoolSize of them per version. A module is
// compiled once per version; with Options.CacheDir a restart loads the
// compiled code from disk instead of compiling again.
package wasmhost
