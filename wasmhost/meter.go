package wasmhost

import (
	"context"
	"errors"
	"runtime"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/sluicegw/sluice/wasmhost/internal/meter"
)

// A guest must be stoppable at its time limit, even in a loop that calls
// nothing: compiled WebAssembly cannot be preempted. wazero's
// WithCloseOnContextDone compiles in a check at every loop header that
// leaves the machine code for Go, tens of nanoseconds each time, and Go's
// WebAssembly code passes a loop header at every function entry and taken
// jump, thousands of times in a small hook. So Compile rewrites the module
// instead (package meter): every function entry and loop header counts a
// budget down in place, and calls sluice_meter.yield when it runs out,
// every meterBudget checks. yield stops the call when its time is up (it
// traps, and the instance is dropped as after any timeout); it also lets
// the Go scheduler run other goroutines now and then, among them the timer
// that ends the call, which could otherwise wait forever for a processor
// when every one runs a looping guest.
//
// A module that package meter cannot rewrite runs with wazero's checks.
const (
	meterModule = "sluice_meter"
	meterYield  = "yield"
	// meterBudget is the number of checks between two yields: some tens of
	// microseconds of a Go guest's code, a few nanoseconds' cost per call
	// of a hook.
	meterBudget = 1 << 14
	// goschedEvery yields, one gives up the processor.
	goschedEvery = 8
)

// instrument is meterInstrument, or a stand-in in tests.
var instrument = meterInstrument

func meterInstrument(wasm []byte) ([]byte, error) {
	return meter.Instrument(wasm, meterModule, meterYield, meterBudget)
}

// errStopped is the trap of a call stopped at its time limit: the caller
// sees its timer fired, and reports a timeout.
var errStopped = errors.New("stopped at the time limit")

// instantiateMeter instantiates the host module sluice_meter in rt, which
// only metered modules import (the import is added by the rewrite).
func instantiateMeter(ctx context.Context, rt wazero.Runtime) (api.Module, error) {
	return rt.NewHostModuleBuilder(meterModule).
		NewFunctionBuilder().
		WithGoFunction(api.GoFunc(yield), nil, []api.ValueType{i32}).
		Export(meterYield).
		Instantiate(ctx)
}

// yield is sluice_meter.yield() -> i32: it traps when the call's time is
// up, and returns the next budget.
func yield(ctx context.Context, stack []uint64) {
	if c, _ := ctx.Value(callContextKey{}).(*callContext); c != nil {
		if c.fired.Load() {
			panic(errStopped)
		}
		c.yields++
		if c.yields%goschedEvery == 0 {
			runtime.Gosched()
		}
	}
	stack[0] = meterBudget
}
