// Command floor is the least a Go guest can be: the ABI's exports written
// by hand, without the SDK, and a route that reads nothing and returns a
// constant. BenchmarkRoute's "go-floor" measures it: what a //go:wasmexport
// call costs by itself (the Go runtime's entry and exit), the floor under
// every Go plugin.
package main

import "unsafe"

func main() {}

var (
	input  []byte
	result = []byte(`{"route":"mock/cheap-1"}`)
)

//go:wasmexport sluice_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport sluice_alloc
func alloc(size int32) unsafe.Pointer {
	input = make([]byte, size)
	return unsafe.Pointer(unsafe.SliceData(input))
}

//go:wasmexport route
func route(unsafe.Pointer, int32) int64 {
	return int64(uintptr(unsafe.Pointer(unsafe.SliceData(result))))<<32 | int64(len(result))
}
