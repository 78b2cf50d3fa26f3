package guest

import (
	"strings"

	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// Level is a log level.
type Level int32

// The levels of Log.
const (
	LevelDebug Level = wire.LevelDebug
	LevelInfo  Level = wire.LevelInfo
	LevelWarn  Level = wire.LevelWarn
	LevelError Level = wire.LevelError
)

// Log logs message through the gateway at level (gw.log in scripts).
func Log(level Level, message string) {
	if level < LevelDebug || level > LevelError {
		level = LevelInfo
	}
	hostLog(int32(level), message)
}

// Print logs its arguments, joined by spaces, at LevelInfo (print in
// scripts). It formats strings, errors, Stringers, booleans, numbers and
// byte slices; format anything else with fmt.Sprint first.
func Print(args ...any) {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = describe(a)
	}
	hostLog(wire.LevelInfo, strings.Join(parts, " "))
}

// Hash is gw.hash: a stable hash of s, an integer in [0, 2^53), the same
// in Lua, JavaScript and every Wasm plugin, and across restarts: for sticky
// splits such as guest.Hash(req.Consumer.Name)%100 < 10. It is 64-bit
// FNV-1a over the bytes of s, keeping the low 53 bits.
func Hash(s string) uint64 { return wire.Hash(s) }

// Now is gw.now: the time as Unix seconds, with milliseconds, from the
// host's clock.
func Now() float64 { return hostNow() }
