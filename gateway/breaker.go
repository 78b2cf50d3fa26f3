package gateway

import (
	"sync/atomic"
	"time"
)

// Circuit breaker states, as the ai_gateway_circuit_state gauge shows them.
const (
	circuitClosed   = 0
	circuitHalfOpen = 1
	circuitOpen     = 2
)

// BreakerConfig sets when a target's circuit opens and for how long.
type BreakerConfig struct {
	// Failures in a row that open the circuit. Default 5.
	ConsecutiveFailures int
	// ErrorRate (0–1) over Window that opens the circuit once at least
	// MinRequests calls were seen in it. Default 0.5 over 30s, 20 calls.
	ErrorRate   float64
	Window      time.Duration
	MinRequests int
	// Cooldown is how long an open circuit stays open before one probe call
	// is let through (half-open). Default 30s.
	Cooldown time.Duration
}

func (c BreakerConfig) withDefaults() BreakerConfig {
	if c.ConsecutiveFailures <= 0 {
		c.ConsecutiveFailures = 5
	}
	if c.ErrorRate <= 0 {
		c.ErrorRate = 0.5
	}
	if c.Window <= 0 {
		c.Window = 30 * time.Second
	}
	if c.MinRequests <= 0 {
		c.MinRequests = 20
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 30 * time.Second
	}
	return c
}

// breaker is one target's circuit. Its fast path (a closed circuit) is a
// few atomic operations and takes no lock, so it adds no contention between
// concurrent calls to a busy target.
type breaker struct {
	cfg         BreakerConfig
	state       atomic.Int32
	consecutive atomic.Int32
	windowStart atomic.Int64 // unix nanoseconds
	calls       atomic.Int32
	failures    atomic.Int32
	openUntil   atomic.Int64 // unix nanoseconds
	onChange    func(state int32)
}

// blocked reports whether the circuit keeps calls away from the target now:
// it is open and its cooldown is not over, or it is half-open and its probe
// is still out (a probe that never reported frees the way after a cooldown).
func (b *breaker) blocked(now time.Time) bool {
	switch b.state.Load() {
	case circuitOpen:
		return now.UnixNano() < b.openUntil.Load()
	case circuitHalfOpen:
		return now.UnixNano() < b.openUntil.Load()+int64(b.cfg.Cooldown)
	}
	return false
}

// attempting is called when a call goes to the target: an open circuit whose
// cooldown is over turns half-open, and this call is its probe.
func (b *breaker) attempting(now time.Time) {
	if b.state.Load() == circuitOpen && now.UnixNano() >= b.openUntil.Load() &&
		b.state.CompareAndSwap(circuitOpen, circuitHalfOpen) {
		b.openUntil.Store(now.UnixNano())
		b.changed(circuitHalfOpen)
	}
}

// record counts a finished call. ok is false for failures that speak of the
// target's health: connect errors, timeouts, 5xx, broken streams.
func (b *breaker) record(now time.Time, ok bool) {
	if b.state.Load() == circuitHalfOpen {
		if ok {
			if b.state.CompareAndSwap(circuitHalfOpen, circuitClosed) {
				b.consecutive.Store(0)
				b.resetWindow(now)
				b.changed(circuitClosed)
			}
		} else {
			b.open(now, circuitHalfOpen)
		}
		return
	}
	start := b.windowStart.Load()
	if now.UnixNano()-start > int64(b.cfg.Window) && b.windowStart.CompareAndSwap(start, now.UnixNano()) {
		b.calls.Store(0)
		b.failures.Store(0)
	}
	calls := b.calls.Add(1)
	if ok {
		if b.consecutive.Load() != 0 {
			b.consecutive.Store(0)
		}
		return
	}
	failures := b.failures.Add(1)
	inARow := b.consecutive.Add(1)
	if int(inARow) >= b.cfg.ConsecutiveFailures ||
		(int(calls) >= b.cfg.MinRequests && float64(failures) >= b.cfg.ErrorRate*float64(calls)) {
		b.open(now, circuitClosed)
	}
}

func (b *breaker) open(now time.Time, from int32) {
	if b.state.CompareAndSwap(from, circuitOpen) {
		b.openUntil.Store(now.Add(b.cfg.Cooldown).UnixNano())
		b.consecutive.Store(0)
		b.resetWindow(now)
		b.changed(circuitOpen)
	}
}

func (b *breaker) resetWindow(now time.Time) {
	b.windowStart.Store(now.UnixNano())
	b.calls.Store(0)
	b.failures.Store(0)
}

func (b *breaker) changed(state int32) {
	if b.onChange != nil {
		b.onChange(state)
	}
}
