//go:build unix

package wasmhost

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock measures the CPU time (user and system) the process spends
// during a benchmark, reported as cpu-ns/op: on a machine loaded by other
// work, wall-clock ns/op counts the time the benchmark waited for a
// processor, and CPU time does not.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

func (c cpuClock) report(b *testing.B) {
	if c.start != 0 && b.N > 0 {
		b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
	}
}
