package gateway

import (
	"math"
	"sync/atomic"
	"time"
)

// targetStats is what the gateway knows of one declared target's recent
// behaviour: calls in flight (least_busy), decaying averages of its time to
// first token and total time (least_latency), and its circuit breaker. All
// of it is updated with atomics: no lock on the request path.
type targetStats struct {
	inFlight atomic.Int64
	ttft     ewma // seconds
	total    ewma // seconds
	breaker  breaker
}

// ewmaWeight is the weight of a new sample: the average forgets a sample's
// influence by half in about seven samples.
const ewmaWeight = 0.1

// ewma is an exponentially weighted moving average, lock-free. Zero means no
// sample yet.
type ewma struct{ bits atomic.Uint64 }

func (e *ewma) observe(v float64) {
	for {
		old := e.bits.Load()
		cur := math.Float64frombits(old)
		next := v
		if old != 0 {
			next = cur + ewmaWeight*(v-cur)
		}
		if e.bits.CompareAndSwap(old, math.Float64bits(next)) {
			return
		}
	}
}

func (e *ewma) value() float64 { return math.Float64frombits(e.bits.Load()) }

// latency is the figure least_latency compares: the time to first token for
// streams, the total time otherwise. A target with no sample yet scores 0,
// so it is tried and measured.
func (s *targetStats) latency(stream bool) float64 {
	if stream {
		if v := s.ttft.value(); v != 0 {
			return v
		}
	}
	return s.total.value()
}

// observe records a finished attempt's times.
func (s *targetStats) observe(ttft, total time.Duration) {
	if ttft > 0 {
		s.ttft.observe(ttft.Seconds())
	}
	if total > 0 {
		s.total.observe(total.Seconds())
	}
}
