//go:build !wasip1

package guest

import (
	"os"
	"time"

	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// Outside WebAssembly (a plugin's own unit tests, run with plain go test),
// Log writes to standard error and Now reads the local clock. logHook, when
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
