//go:build !wasip1

package guest

import (
	"os"
	"time"

	"github.com/sluicegw/sluice/guard"
	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// Outside WebAssembly (a plugin's own unit tests, run with plain go test),
// Log writes to standard error, Now reads the local clock, and the guards
// run in process, as the host runs them. logHook, when
// set, receives the log instead (the package's tests).
var logHook func(level int32, message string)

func hostLog(level int32, message string) {
	if logHook != nil {
		logHook(level, message)
		return
	}
	os.Stderr.WriteString(wire.LevelNames[level] + ": " + message + "\n")
}

func hostNow() float64 { return float64(time.Now().UnixMilli()) / 1000 }

func hostDetectInjection(text string, tool int32, out []byte) int {
	r := guard.DetectInjection(text, tool == 1)
	return putResult(out, wire.AppendInjection(nil, r.Injection, r.Score, r.Signals))
}

func hostRedact(text string, out []byte) int {
	redacted, kinds := guard.RedactText(text)
	return putResult(out, wire.AppendRedaction(nil, redacted, kinds))
}

// putResult is what the host does with a result: write it when it fits.
func putResult(out, result []byte) int {
	if len(result) <= len(out) {
		copy(out, result)
	}
	return len(result)
}
