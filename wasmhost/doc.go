// Package wasmhost will hold the WebAssembly engine on wazero: the same hook
// API as package scripting over a small, versioned ABI, and a Go guest SDK.
// It is empty until the Wasm issue lands.
package wasmhost
