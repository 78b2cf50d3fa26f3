// Package guest is the Go SDK for Sluice plugins: a plugin is an ordinary
// Go main package, built for WebAssembly with the standard toolchain, that
// registers its hooks in an init function.
//
//	package main
//
//	import "github.com/sluicegw/sluice/wasmhost/guest"
//
//	func main() {} // never run: a plugin only registers hooks
//
//	func init() {
//		guest.Route(func(req *guest.Request) ([]string, error) {
//			if guest.Hash(req.Consumer.Name)%100 < 10 {
//				return []string{"openai/gpt-4o"}, nil // a sticky 10 % canary
//			}
//			return nil, nil // let the config decide
//		}, guest.FieldConsumer)
//	}
//
// Build it as a WASI reactor (a library, whose main is not run):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o canary.wasm .
//
// # Hooks
//
// OnRequest, Route, OnResponse and OnChunk register the four hooks a Lua or
// JavaScript script defines as functions, with the same meaning (package
// scripting, "Writing scripts"). A hook returns an error to fail (a script
// error: logged and counted, and the site's on_error decides), or
// Deny(status, message) to refuse the call. A panic is recovered and
// reported as an error that says where it happened. Each takes, after the
// function, the fields of Request it reads: the host then sends only those.
// Name them for hooks that run often (OnChunk runs for every streamed
// delta); without them a hook gets every field.
//
// # Helpers
//
// Log and Print are gw.log, Hash is gw.hash and Now is gw.now. The guards
// are the gateway's own, run by the host with the defaults scripts get:
// DetectInjection (gw.detect_injection(text)), DetectToolInjection (its
// "tool" form, for tool results and retrieved content) and Redact
// (gw.redact).
//
// # Data
//
// Request, Response and Chunk are plain Go values, copies of the host's:
// change them in place and the SDK sends back what changed, once the hook
// returns (only OnRequest's changes to Request count, as in scripts).
//
// They are the hook's for the call only: the SDK reuses the structs, the
// Messages slice and the maps (Headers, Metadata, Consumer.Metadata) for
// the next call, because allocating is slow inside WebAssembly. Copy what
// you keep past the hook's return (the struct, slices.Clone, maps.Clone).
// Strings are never reused: a string from req stays as it is, so it can be
// kept, or used as a map key, as it is.
//
// # State and concurrency
//
// The host runs several instances of a plugin side by side, each with its
// own memory, and replaces them at times (after a trap or a timeout, on a
// reload): package-level variables live as long as one instance, and are
// not shared between instances. Keep nothing in them that must be right.
// An instance runs one hook at a time; a hook must not block (there is
// nothing to wait for: no network, no files, no timers).
//
// # Limits
//
// A hook runs under the host's time limit (50ms by default): Go inside
// WebAssembly is several times slower than native (see package wasmhost,
// "Cost"), so keep hooks small, name the fields they read, and allocate
// little. Memory is capped per instance (64 MiB by default): running out
// is fatal to the instance ("fatal error: out of memory"), which the host
// replaces. Goroutine stacks are limited to 1 MiB (runtime/debug.SetMaxStack):
// a runaway recursion is a stack overflow error.
//
// Outside WebAssembly (go test in the plugin's directory) the package works
// too: Log writes to standard error, Now reads the local clock and the
// guards run in process, so a plugin's logic can be tested natively.
package guest
