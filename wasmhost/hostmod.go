package wasmhost

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/sluicegw/sluice/guard"
	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// maxLogBytes bounds one sluice.log message; longer ones are cut.
const maxLogBytes = 16 << 10

// abiViolation is a host function called with arguments the ABI does not
// allow. The host function panics with it, which traps the guest: the hook
// fails and the instance is dropped.
type abiViolation struct{ msg string }

func (e *abiViolation) Error() string { return e.msg }

func violation(format string, args ...any) {
	panic(&abiViolation{fmt.Sprintf(format, args...)})
}

// instantiateHost instantiates the host module "sluice" in rt: the
// functions a guest may import (see ABI.md).
func instantiateHost(ctx context.Context, rt wazero.Runtime, g *guestModule) (api.Module, error) {
	return rt.NewHostModuleBuilder(wire.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(g.hostLog), []api.ValueType{i32, i32, i32}, nil).
		WithParameterNames("level", "ptr", "len").
		Export("log").
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(hostHash), []api.ValueType{i32, i32}, []api.ValueType{i64}).
		WithParameterNames("ptr", "len").
		Export("hash").
		NewFunctionBuilder().
		WithGoFunction(api.GoFunc(hostNow), nil, []api.ValueType{api.ValueTypeF64}).
		Export("now").
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(hostDetectInjection), []api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("ptr", "len", "tool", "out", "cap").
		Export(wire.ImportDetectInjection).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(hostRedact), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("ptr", "len", "out", "cap").
		Export(wire.ImportRedact).
		Instantiate(ctx)
}

// guestBytes is a view of len bytes at ptr of the caller's memory; it traps
// the guest when they are outside it.
func guestBytes(m api.Module, fn string, ptr, n uint32) []byte {
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		violation("%s: %d bytes at %#x are outside the guest's memory", fn, n, ptr)
	}
	return b
}

// hostLog is sluice.log(level, ptr, len).
func (g *guestModule) hostLog(_ context.Context, m api.Module, stack []uint64) {
	level, ptr, n := uint32(stack[0]), uint32(stack[1]), uint32(stack[2])
	if level >= wire.NumLevels {
		violation("sluice.log: unknown level %d (0 debug, 1 info, 2 warn, 3 error)", int32(level))
	}
	msg := guestBytes(m, "sluice.log", ptr, n)
	if len(msg) > maxLogBytes {
		g.log.Log(wire.LevelNames[level], string(msg[:maxLogBytes])+fmt.Sprintf("... (%d bytes cut)", len(msg)-maxLogBytes))
		return
	}
	g.log.Log(wire.LevelNames[level], string(msg))
}

// hostHash is sluice.hash(ptr, len) -> i64: gw.hash of the bytes.
func hostHash(_ context.Context, m api.Module, stack []uint64) {
	stack[0] = wire.Hash(guestBytes(m, "sluice.hash", uint32(stack[0]), uint32(stack[1])))
}

// hostNow is sluice.now() -> f64: gw.now, Unix seconds with milliseconds.
func hostNow(_ context.Context, stack []uint64) {
	stack[0] = api.EncodeF64(float64(time.Now().UnixMilli()) / 1000)
}

// hostDetectInjection is sluice.detect_injection(ptr, len, tool, out, cap)
// -> i32: gw.detect_injection of the text at ptr (tool: 0 a prompt, 1 a
// tool result or retrieved content), written at out when it fits in cap
// bytes; its length either way.
func hostDetectInjection(_ context.Context, m api.Module, stack []uint64) {
	const fn = "sluice.detect_injection"
	text := guestBytes(m, fn, uint32(stack[0]), uint32(stack[1]))
	tool := uint32(stack[2])
	if tool > 1 {
		violation("%s: tool is %d; want 0 (a prompt) or 1 (a tool result)", fn, int32(tool))
	}
	r := guard.DetectInjection(string(text), tool == 1)
	stack[0] = uint64(putResult(m, fn, uint32(stack[3]), uint32(stack[4]), wire.AppendInjection(nil, r.Injection, r.Score, r.Signals)))
}

// hostRedact is sluice.redact(ptr, len, out, cap) -> i32: gw.redact of the
// text at ptr, written at out when it fits in cap bytes; its length either
// way.
func hostRedact(_ context.Context, m api.Module, stack []uint64) {
	const fn = "sluice.redact"
	text, kinds := guard.RedactText(string(guestBytes(m, fn, uint32(stack[0]), uint32(stack[1]))))
	stack[0] = uint64(putResult(m, fn, uint32(stack[2]), uint32(stack[3]), wire.AppendRedaction(nil, text, kinds)))
}

// putResult writes a host function's result at out when it fits in
// capacity bytes, and returns its length. A result longer than the ABI
// can express (over 2 GiB) traps.
func putResult(m api.Module, fn string, out, capacity uint32, result []byte) uint32 {
	if len(result) > math.MaxInt32 {
		violation("%s: a result of %d bytes", fn, len(result))
	}
	if uint32(len(result)) <= capacity && !m.Memory().Write(out, result) {
		violation("%s: %d bytes at %#x are outside the guest's memory", fn, len(result), out)
	}
	return uint32(len(result))
}
