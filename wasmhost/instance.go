package wasmhost

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/sluicegw/sluice/scripting"
	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// guestModule is one compiled version of a plugin and what every instance
// of it shares: read-only once Compile returns.
type guestModule struct {
	name     string
	limits   scripting.Limits
	log      scripting.Logger
	memLimit int64 // bytes
	initTime time.Duration
	metered  bool // rewritten by meter (else run with wazero's checks)

	rt       wazero.Runtime
	compiled wazero.CompiledModule
	exports  exportSet
	hooks    uint8                 // the hooks it implements, by bit
	fields   [wire.NumHooks]uint32 // the req fields each hook reads
}

// instance is one instantiated module: it runs one hook call at a time.
// An instance whose call trapped, exited or timed out is never reused.
type instance struct {
	g     *guestModule
	mod   api.Module
	mem   api.Memory
	alloc api.Function
	hooks [wire.NumHooks]api.Function

	stack  [2]uint64 // the parameters and results of a call
	input  []byte    // the input of the call in progress, reused
	reader wire.Reader

	// The guest's input buffer, from sluice_alloc: reused while inputs fit.
	bufPtr, bufSize uint32

	ctx    *callContext
	timer  *time.Timer
	stdout lineLog
	stderr lineLog
}

// callContext is the context every call into one instance runs under. The
// instance's timer fires it when a call overruns its budget: a metered
// module's next sluice_meter.yield then traps (meter.go), and wazero closes
// an unmetered one when Done is closed. The instance is then thrown away,
// so Done never needs to reopen. One per instance, so a call allocates no
// context.
type callContext struct {
	done   chan struct{}
	fired  atomic.Bool
	yields uint32 // calls of sluice_meter.yield, by the calling goroutine only
}

// callContextKey is the key under which a callContext is its own value, so
// that a host function finds it under the contexts wazero adds.
type callContextKey struct{}

func (c *callContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *callContext) Done() <-chan struct{}       { return c.done }

func (c *callContext) Value(key any) any {
	if key == (callContextKey{}) {
		return c
	}
	return nil
}

func (c *callContext) Err() error {
	if c.fired.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *callContext) fire() {
	if !c.fired.Swap(true) {
		close(c.done)
	}
}

// initError is an instance that failed to initialise.
type initError struct{ msg string }

func (e *initError) Error() string { return e.msg }

// newInstance instantiates the module: an anonymous instance (so any number
// can live side by side), with its _initialize run once, WASI with no
// files, arguments or environment, real clocks, and stdout and stderr going
// to the Logger.
func (g *guestModule) newInstance() (*instance, error) {
	in := &instance{g: g, ctx: &callContext{done: make(chan struct{})}}
	in.timer = time.AfterFunc(time.Hour, in.ctx.fire)
	in.timer.Stop()
	in.stdout = lineLog{log: g.log, level: "info"}
	in.stderr = lineLog{log: g.log, level: "warn", keep: true}
	config := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(wire.ExportInitialize).
		WithStdout(&in.stdout).
		WithStderr(&in.stderr).
		WithSysWalltime().
		WithRandSource(rand.Reader)
	in.startBudget(nil, g.initTime)
	ctx := experimental.WithMemoryAllocator(in.ctx, newAllocator(uint64(g.memLimit)))
	mod, err := g.rt.InstantiateModule(ctx, g.compiled, config)
	fired := in.stopBudget()
	in.flushOutput(err != nil || fired)
	switch {
	case fired:
		if mod != nil {
			_ = mod.Close(context.Background())
		}
		return nil, &initError{fmt.Sprintf("initialisation (_initialize) timed out after %v", g.initTime)}
	case err != nil:
		return nil, &initError{"initialisation (_initialize) failed: " + in.describeFailure(err)}
	}
	in.mod = mod
	in.mem = mod.ExportedMemory(wire.ExportMemory)
	in.alloc = mod.ExportedFunction(wire.ExportAlloc)
	for i, name := range wire.HookNames {
		if g.exports.hooks&(1<<i) != 0 {
			in.hooks[i] = mod.ExportedFunction(name)
		}
	}
	return in, nil
}

// free closes the instance and its timer.
func (in *instance) free() {
	in.timer.Stop()
	if in.mod != nil {
		_ = in.mod.Close(context.Background())
	}
}

// startBudget arms the timer for min(limit, ctx's deadline); it returns
// false (and arms nothing) when that time has already passed. A nil ctx has
// no deadline.
func (in *instance) startBudget(ctx context.Context, limit time.Duration) bool {
	if ctx != nil {
		if dl, ok := ctx.Deadline(); ok {
			limit = min(limit, time.Until(dl))
		}
	}
	if limit <= 0 {
		return false
	}
	in.timer.Reset(limit)
	return true
}

// stopBudget disarms the timer and reports whether it fired (the instance
// must then be dropped: its context is done for good).
func (in *instance) stopBudget() bool {
	return !in.timer.Stop() || in.ctx.fired.Load()
}

// run runs one hook call: it writes the input into the guest (through
// sluice_alloc), calls the hook, and applies its result to c.
func (in *instance) run(ctx context.Context, c *hookCall) (err error, broken bool) {
	g := in.g
	h := hookIndex(c.hook)
	in.input = appendInput(in.input[:0], c, g.fields[h])
	size := len(in.input)
	if !in.startBudget(ctx, g.limits.Timeout) {
		return context.DeadlineExceeded, false
	}
	var callErr, abiErr error
	if in.needBuffer(size) {
		ask := max(uint32(size), minInputBuffer)
		in.stack[0] = uint64(ask)
		if callErr = in.alloc.CallWithStack(in.ctx, in.stack[:1]); callErr == nil {
			ptr := uint32(in.stack[0])
			if _, ok := in.mem.Read(ptr, ask); ptr == 0 || !ok {
				abiErr = fmt.Errorf("sluice_alloc(%d) returned %#x, not %d bytes of the guest's memory", ask, ptr, ask)
			}
			in.bufPtr, in.bufSize = ptr, ask
		}
	}
	if callErr == nil && abiErr == nil {
		in.mem.Write(in.bufPtr, in.input)
		in.stack[0], in.stack[1] = uint64(in.bufPtr), uint64(size)
		callErr = in.hooks[h].CallWithStack(in.ctx, in.stack[:2])
	}
	fired := in.stopBudget()
	in.flushOutput(callErr != nil || fired)
	if cap(in.input) > 1<<20 { // do not keep a huge prompt's encoding for good
		in.input = nil
	}
	switch {
	case fired:
		return timeoutError(ctx, g.limits.Timeout), true
	case callErr != nil:
		return in.failure(callErr), true
	case abiErr != nil:
		return abiErr, true
	}
	rptr, rlen := wire.Unpack(in.stack[0])
	if rlen == 0 {
		return nil, false // nothing to change
	}
	if limit := maxResultBytes(g.limits); int(rlen) > limit {
		return fmt.Errorf("the result is %d bytes, over the limit of %d (twice Limits.MaxInputBytes)", rlen, limit), false
	}
	result, ok := in.mem.Read(rptr, rlen)
	if !ok {
		return fmt.Errorf("the result (%d bytes at %#x) is outside the guest's memory of %d bytes", rlen, rptr, in.mem.Size()), true
	}
	return in.apply(c, result), false
}

// minInputBuffer is the least the host asks sluice_alloc for, so that small
// inputs of varying sizes reuse one buffer.
const minInputBuffer = 4 << 10

// needBuffer reports whether an input of size bytes needs a new buffer from
// sluice_alloc: the first, one too small, or one over 1 MiB when the input
// is under a quarter of it (so that the guest can drop a huge buffer).
func (in *instance) needBuffer(size int) bool {
	n := uint32(size)
	return in.bufPtr == 0 || n > in.bufSize || (in.bufSize > 1<<20 && n < in.bufSize/4)
}

// flushOutput logs what the guest wrote to stdout and stderr during a call.
// When the call failed, stderr is kept for describeFailure instead.
func (in *instance) flushOutput(failed bool) {
	in.stdout.flush(false)
	in.stderr.flush(failed)
}

// failure turns the error of a call that trapped or exited into the
// hook's error.
func (in *instance) failure(err error) error {
	msg := in.describeFailure(err)
	var kind error
	switch {
	case strings.Contains(msg, "stack overflow") || strings.Contains(msg, "stack exceeds"):
		kind = scripting.ErrStackOverflow
	}
	return &runError{msg: msg, kind: kind}
}

// describeFailure says why a call trapped or exited: the trap (without
// wazero's stack trace), or the exit code and the line of stderr that says
// why (a Go guest's "panic: ..." or "fatal error: ..."), and whether the
// memory is at its limit.
func (in *instance) describeFailure(err error) string {
	var msg string
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		msg = fmt.Sprintf("the guest exited with code %d", exit.ExitCode())
	} else {
		msg, _, _ = strings.Cut(err.Error(), "\n")
		if _, after, ok := strings.Cut(msg, "wasm error: "); ok {
			msg = after
		}
		msg = "trap: " + strings.TrimSuffix(msg, " (recovered by wazero)")
	}
	if why := in.stderr.reason(); why != "" {
		msg += ": " + why
	}
	in.stderr.reset()
	if in.mem != nil && int64(in.mem.Size())+max(in.g.memLimit/16, 1<<20) > in.g.memLimit {
		msg += fmt.Sprintf(" (its memory is at the limit of %s)", sizeText(in.g.memLimit))
	} else if in.mem == nil && strings.Contains(msg, "out of memory") {
		msg += fmt.Sprintf(" (the memory limit is %s)", sizeText(in.g.memLimit))
	}
	return msg
}

// runError is a hook's error as the gateway reports it; kind, when set, is
// the scripting sentinel it matches (scripting.ErrTimeout, ...).
type runError struct {
	msg  string
	kind error
}

func (e *runError) Error() string { return e.msg }
func (e *runError) Unwrap() error { return e.kind }

// timeoutError is the error of a call stopped by its budget; when the
// request's own context ended first, that is the cause instead.
func timeoutError(ctx context.Context, limit time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return &runError{msg: fmt.Sprintf("timed out after %v", limit), kind: scripting.ErrTimeout}
}

func shapeError(format string, args ...any) error {
	return &runError{msg: fmt.Sprintf(format, args...)}
}
