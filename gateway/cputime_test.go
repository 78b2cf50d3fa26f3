package gateway

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter reports the process's CPU time per operation (user + system,
// every thread, GC included) next to ns/op. On a machine shared with other
// work, wall time per op swings with what else runs; CPU time spent by the
// process itself much less, so before/after comparisons read it.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{start: processCPU()} }

func (m cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-m.start)/float64(b.N), "cpu-ns/op")
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
