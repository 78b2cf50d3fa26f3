// Package wire is what the host (package wasmhost) and the Go guest SDK
// (package wasmhost/guest) share of the Wasm ABI: its names and numbers, and
// the small JSON reader and writer both sides use for the data that crosses
// the boundary. ABI.md in the parent directory is the specification.
//
// It imports nothing beyond strconv, unicode/utf8 and unsafe, so a guest
// that links it stays small and needs no reflection.
package wire

// Version is the ABI version this code speaks: a guest's
// sluice_abi_version must return it.
const Version = 1

// The names a guest exports.
const (
	ExportMemory     = "memory"
	ExportABIVersion = "sluice_abi_version" // () -> i32
	ExportAlloc      = "sluice_alloc"       // (size i32) -> i32
	ExportHooks      = "sluice_hooks"       // () -> i32, optional
	ExportFields     = "sluice_fields"      // (hook i32) -> i32, optional
	ExportInitialize = "_initialize"        // WASI reactor initialisation, optional
	ExportStart      = "_start"             // a WASI command: refused
)

// ImportModule is the module name of the host functions: sluice.log,
// sluice.hash, sluice.now, sluice.detect_injection and sluice.redact.
const ImportModule = "sluice"

// The hooks, by index: bit i of sluice_hooks and the argument of
// sluice_fields. A hook export has the type (ptr i32, len i32) -> i64.
const (
	HookOnRequest = iota
	HookRoute
	HookOnResponse
	HookOnChunk
	NumHooks
)

// HookNames are the hooks' export names, by index.
var HookNames = [NumHooks]string{"on_request", "route", "on_response", "on_chunk"}

// AllHooks is the sluice_hooks mask of a guest that implements every hook.
const AllHooks = 1<<NumHooks - 1

// The fields of req, by bit of a sluice_fields mask.
const (
	FieldModel = iota
	FieldSystem
	FieldMessages
	FieldTools
	FieldMaxTokens
	FieldTemperature
	FieldTopP
	FieldStream
	FieldConsumer
	FieldHeaders
	FieldClientIP
	FieldEstimatedInputTokens
	FieldMetadata
	NumFields
)

// FieldNames are the JSON keys of req's fields, by bit.
var FieldNames = [NumFields]string{"model", "system", "messages", "tools", "max_tokens", "temperature",
	"top_p", "stream", "consumer", "headers", "client_ip", "estimated_input_tokens", "metadata"}

// AllFields is the sluice_fields mask that asks for every field.
const AllFields = 1<<NumFields - 1

// FieldID is the bit of a req key, or -1. (A switch, not a loop over
// FieldNames: inside WebAssembly every loop iteration costs.)
func FieldID(key string) int {
	switch key {
	case "model":
		return FieldModel
	case "system":
		return FieldSystem
	case "messages":
		return FieldMessages
	case "tools":
		return FieldTools
	case "max_tokens":
		return FieldMaxTokens
	case "temperature":
		return FieldTemperature
	case "top_p":
		return FieldTopP
	case "stream":
		return FieldStream
	case "consumer":
		return FieldConsumer
	case "headers":
		return FieldHeaders
	case "client_ip":
		return FieldClientIP
	case "estimated_input_tokens":
		return FieldEstimatedInputTokens
	case "metadata":
		return FieldMetadata
	}
	return -1
}

// Log levels: the first argument of sluice.log.
const (
	LevelDebug = iota
	LevelInfo
	LevelWarn
	LevelError
	NumLevels
)

// LevelNames are the levels as the gateway's Logger names them.
var LevelNames = [NumLevels]string{"debug", "info", "warn", "error"}

// The keys of a hook's input object.
const (
	KeyReq   = "req"
	KeyRes   = "res"
	KeyChunk = "chunk"
)

// The keys of a hook's result object, besides req, res and chunk.
const (
	KeyRoute = "route"
	KeyDeny  = "deny"
	KeyError = "error"
)

// Pack packs a result's address and length into a hook's i64 result.
func Pack(ptr, n uint32) uint64 { return uint64(ptr)<<32 | uint64(n) }

// Unpack splits a hook's i64 result into the result's address and length.
func Unpack(v uint64) (ptr, n uint32) { return uint32(v >> 32), uint32(v) }

// Hash is gw.hash: 64-bit FNV-1a over the bytes of s, keeping the low 53
// bits so that the number is exact in a float64 (and so in Lua and
// JavaScript).
func Hash[T string | []byte](s T) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h & (1<<53 - 1)
}
