package limits

import (
	"math/bits"
	"time"
)

// The GCRA arithmetic, shared by both stores. The Lua scripts in
// redis_scripts.go repeat the few steps that must run inside Redis (plus,
// fitsWindow, the clamp to now); everything derived from their result
// (remaining, reset, retry-after) is computed here, so both stores report
// the same numbers.
//
// For a rule of N units per window W, one unit takes T = W/N of the
// timeline. T is rarely a whole number of microseconds (1 minute / 7), and
// rounding it would either refuse the 7th of 7 calls or let an 8th through.
// So a point on the timeline is kept exactly, as whole microseconds plus a
// fraction in 1/N of a microsecond, and every sum is carried like a
// mixed number. All values stay below 2^53, so Lua's doubles hold them
// exactly too.

// instant is a point on one rule's timeline: us microseconds since the
// Unix epoch plus frac/limit of a microsecond, 0 <= frac < limit.
type instant struct {
	us, frac int64
}

// maxSpanUS caps one span (about 35 years) so sums stay below 2^53.
const maxSpanUS = 1 << 50

// span is the time cost units take on the timeline of a rule with limit
// units per windowUS: cost*windowUS/limit microseconds, as a floored whole
// part and a remainder in 1/limit µs. A negative cost (a refund) gives a
// negative whole part and a non-negative remainder, so plus works alike.
func span(cost, windowUS, limit int64) (us, frac int64) {
	neg := cost < 0
	c := uint64(cost)
	if neg {
		c = uint64(-cost)
	}
	hi, lo := bits.Mul64(c, uint64(windowUS))
	var q, r uint64
	if hi >= uint64(limit) { // the quotient would not fit 64 bits
		q = maxSpanUS
	} else {
		q, r = bits.Div64(hi, lo, uint64(limit))
		if q >= maxSpanUS {
			q, r = maxSpanUS, 0
		}
	}
	if !neg {
		return int64(q), int64(r)
	}
	if r == 0 {
		return -int64(q), 0
	}
	return -int64(q) - 1, limit - int64(r)
}

// plus moves t by a span of the same rule.
func (t instant) plus(us, frac, limit int64) instant {
	t.us += us
	t.frac += frac
	if t.frac >= limit {
		t.us++
		t.frac -= limit
	}
	return t
}

// after reports whether t is later than now (a whole microsecond).
func (t instant) after(now int64) bool {
	return t.us > now || (t.us == now && t.frac > 0)
}

// notBefore is max(t, now): a TAT in the past means the rule is full, the
// same as a TAT of now.
func (t instant) notBefore(now int64) instant {
	if t.after(now) {
		return t
	}
	return instant{us: now}
}

// fitsWindow is GCRA's test: a call is admitted iff its new TAT is at most
// one window ahead of now.
func fitsWindow(next instant, now, windowUS int64) bool {
	d := next.us - now
	return d < windowUS || (d == windowUS && next.frac == 0)
}

// remainingAt is how many units fit at once at TAT t:
// floor((W - (t - now)) / T), clamped to [0, limit].
func remainingAt(t instant, now, windowUS, limit int64) int64 {
	if !t.after(now) {
		return limit
	}
	d := t.us - now
	if d >= windowUS {
		return 0
	}
	// ((W-d)*N - frac) / W, in 128 bits: the product can pass 2^63.
	hi, lo := bits.Mul64(uint64(windowUS-d), uint64(limit))
	lo, borrow := bits.Sub64(lo, uint64(t.frac), 0)
	hi -= borrow
	q, _ := bits.Div64(hi, lo, uint64(windowUS)) // q < limit, so hi < W
	return min(int64(q), limit)
}

// until is how long from now until t, rounded up to the nanosecond; 0 when
// t is not after now.
func until(t instant, now, limit int64) time.Duration {
	if !t.after(now) {
		return 0
	}
	d := time.Duration(t.us-now) * time.Microsecond
	if t.frac > 0 {
		// frac/limit µs in ns, rounded up: frac*1000 < limit*1000 fits.
		hi, lo := bits.Mul64(uint64(t.frac), 1000)
		q, r := bits.Div64(hi, lo, uint64(limit))
		if r > 0 {
			q++
		}
		d += time.Duration(q)
	}
	return d
}

// retryAfter is how long until a refused call whose TAT would be next fits:
// next - now - W.
func retryAfter(next instant, now, windowUS, limit int64) time.Duration {
	return until(next, now+windowUS, limit)
}

// windowStart is the start of the budget window (of periodUS, aligned to
// the Unix epoch) that holds now.
func windowStart(now, periodUS int64) int64 {
	return now - now%periodUS
}

// budgetGrace is how long a budget window is kept after it ends, so a call
// admitted in it that settles late still lands its spend there.
const budgetGrace = time.Hour

// budgetFits is the budget's test: admit iff what is spent and reserved
// leaves room for the ask. A spent budget refuses even a free call.
func budgetFits(spent, reserved, ask, amount int64) bool {
	used := spent + reserved
	return used < amount && used+ask <= amount
}

// tatForgotten reports whether a stored TAT is so far in the past (over a
// window) that a store may have dropped it: Settle then treats it as now,
// whether or not the store still holds it, so both stores agree.
func tatForgotten(t instant, now, windowUS int64) bool {
	return t.us+windowUS < now
}
