//go:build !unix

package wasmhost

import "github.com/tetratelabs/wazero/experimental"

// newAllocator is nil where there is no mmap: wazero's default memory (a
// []byte that grows by copying) serves.
func newAllocator(uint64) experimental.MemoryAllocator { return nil }
