//go:build wasip1

package guest

import (
	"unsafe"

	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// The ABI's exports (ABI.md). Every hook is exported; sluice_hooks tells
// the host which ones the plugin registered, and sluice_fields which req
// fields each reads.

//go:wasmexport sluice_abi_version
func exportABIVersion() int32 { return wire.Version }

//go:wasmexport sluice_hooks
func exportHooks() int32 { return int32(registry.hooks) }

//go:wasmexport sluice_fields
func exportFields(hook int32) int32 {
	if hook < 0 || hook >= wire.NumHooks {
		return 0
	}
	return int32(registry.fields[hook])
}

// exportAlloc gives the host a new input buffer of size bytes, which the
// host reuses for every input that fits until it asks again (the previous
// one is then garbage). A hook copies its input out of it first thing.
//
//go:wasmexport sluice_alloc
func exportAlloc(size int32) unsafe.Pointer {
	if size <= 0 {
		return nil
	}
	registry.in = make([]byte, size)
	return unsafe.Pointer(unsafe.SliceData(registry.in))
}

//go:wasmexport on_request
func exportOnRequest(ptr unsafe.Pointer, size int32) int64 {
	return call(wire.HookOnRequest, ptr, size)
}

//go:wasmexport route
func exportRoute(ptr unsafe.Pointer, size int32) int64 { return call(wire.HookRoute, ptr, size) }

//go:wasmexport on_response
func exportOnResponse(ptr unsafe.Pointer, size int32) int64 {
	return call(wire.HookOnResponse, ptr, size)
}

//go:wasmexport on_chunk
func exportOnChunk(ptr unsafe.Pointer, size int32) int64 { return call(wire.HookOnChunk, ptr, size) }

// call runs a hook on the input at ptr and packs the address and length of
// its result (0: no change).
func call(hook int, ptr unsafe.Pointer, size int32) int64 {
	if registry.hooks&(1<<hook) == 0 {
		return 0
	}
	out := handle(hook, unsafe.Slice((*byte)(ptr), size))
	if len(out) == 0 {
		return 0
	}
	return int64(wire.Pack(uint32(uintptr(unsafe.Pointer(unsafe.SliceData(out)))), uint32(len(out))))
}

//go:wasmimport sluice log
func importLog(level int32, message string)

//go:wasmimport sluice now
func importNow() float64

//go:wasmimport sluice detect_injection
func importDetectInjection(text string, tool int32, out unsafe.Pointer, capacity int32) int32

//go:wasmimport sluice redact
func importRedact(text string, out unsafe.Pointer, capacity int32) int32

func hostLog(level int32, message string) { importLog(level, message) }

func hostDetectInjection(text string, tool int32, out []byte) int {
	return int(uint32(importDetectInjection(text, tool, unsafe.Pointer(unsafe.SliceData(out)), int32(len(out)))))
}

func hostRedact(text string, out []byte) int {
	return int(uint32(importRedact(text, unsafe.Pointer(unsafe.SliceData(out)), int32(len(out)))))
}

func hostNow() float64 { return importNow() }
