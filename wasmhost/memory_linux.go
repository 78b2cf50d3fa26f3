//go:build linux

package wasmhost

import "syscall"

// mapNoReserve: reserve no swap for the untouched part of a mapping.
const mapNoReserve = syscall.MAP_NORESERVE
