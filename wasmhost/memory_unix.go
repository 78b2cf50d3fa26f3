//go:build unix

package wasmhost

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapAllocator backs each instance's linear memory with its own
// anonymous mapping, reserved up front at the memory limit. Growing the
// memory then only lengthens a slice: no copy, and no trip through the Go
// heap (wazero's default appends to a []byte, copying the whole memory and
// allocating a new large object each time a guest grows it). Pages cost RAM
// only once the guest touches them, and an instance's memory goes back to
// the OS the moment the instance is closed.
type mmapAllocator struct{ limit uint64 }

func newAllocator(limit uint64) experimental.MemoryAllocator { return mmapAllocator{limit} }

func (a mmapAllocator) Allocate(_, max uint64) experimental.LinearMemory {
	size := min(max, a.limit)
	if size == 0 {
		size = pageSize
	}
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return nil
	}
	return &mmapMemory{buf: b}
}

type mmapMemory struct{ buf []byte }

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size:size]
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		_ = syscall.Munmap(m.buf)
		m.buf = nil
	}
}
