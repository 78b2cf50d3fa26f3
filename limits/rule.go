package limits

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Kind says what a rule counts, and which limit refused a call.
type Kind string

const (
	// Requests rules count calls: each admitted call costs 1, never given back.
	Requests Kind = "requests"
	// Tokens rules count tokens: a call reserves its estimate (Ask.Tokens) and
	// settles with what it really used.
	Tokens Kind = "tokens"
	// BudgetExceeded is Decision.Reason when the money budget refused the
	// call. It is not a rule kind.
	BudgetExceeded Kind = "budget"
)

// Bounds that keep every number exact: the Redis store computes in Lua,
// whose numbers are doubles (exact integers up to 2^53).
const (
	// MaxLimit is the largest Rule.Limit.
	MaxLimit = 1_000_000_000_000_000
	// MinWindow and MaxWindow bound Rule.Window and Budget.Period.
	MinWindow = time.Millisecond
	MaxWindow = 10 * 366 * 24 * time.Hour
	// MaxBudgetUSD is the largest Budget.AmountUSD (2^53 nano-dollars).
	MaxBudgetUSD = 9_000_000
)

// Rule is one `limit requests|tokens N/WINDOW [model PATTERN]`: at most
// Limit units in any Window, with bursts of up to Limit at once.
type Rule struct {
	Kind   Kind
	Limit  int64
	Window time.Duration
	// Model is "" to apply to every model, else a pattern of the public model
	// name where * matches any run of characters ("gpt-4o*", "*-mini").
	// Matching is case-sensitive.
	Model string
}

// Matches reports whether the rule applies to a call for model.
func (r Rule) Matches(model string) bool {
	return r.Model == "" || matchPattern(r.Model, model)
}

// ID is the rule's stable identity: kind, limit, window and model, as in
// "tokens/100000/1m0s/gpt-4o*". State is kept per consumer and ID, so a
// changed limit starts afresh and an unchanged one keeps its state across
// config reloads and restarts.
func (r Rule) ID() string {
	id := string(r.Kind) + "/" + strconv.FormatInt(r.Limit, 10) + "/" + r.Window.String()
	if r.Model != "" {
		id += "/" + r.Model
	}
	return id
}

// Validate reports what makes the rule unusable. Admit refuses to decide on
// an invalid rule (it returns the error), so check rules when loading the
// configuration.
func (r Rule) Validate() error {
	switch {
	case r.Kind != Requests && r.Kind != Tokens:
		return fmt.Errorf("limits: rule kind %q is not requests or tokens", r.Kind)
	case r.Limit < 1 || r.Limit > MaxLimit:
		return fmt.Errorf("limits: rule %s: the limit must be between 1 and %d", r.ID(), int64(MaxLimit))
	case r.Window < MinWindow || r.Window > MaxWindow:
		return fmt.Errorf("limits: rule %s: the window must be between %s and %s", r.ID(), MinWindow, MaxWindow)
	}
	return nil
}

// windowUS is the window in whole microseconds, the unit of all rate state.
func (r Rule) windowUS() int64 { return int64(r.Window / time.Microsecond) }

// cost is what one call with this many tokens costs against the rule.
func (r Rule) cost(tokens int64) int64 {
	if r.Kind == Requests {
		return 1
	}
	return max(tokens, 0)
}

// Budget is one `budget AMOUNTusd/PERIOD`: at most AmountUSD spent in each
// period. Periods are fixed windows aligned to the Unix epoch, so a 24h
// budget renews at 00:00 UTC and a 1h budget on the hour.
type Budget struct {
	AmountUSD float64
	Period    time.Duration
}

// Validate reports what makes the budget unusable.
func (b Budget) Validate() error {
	switch {
	case math.IsNaN(b.AmountUSD) || b.AmountUSD < 0 || b.AmountUSD > MaxBudgetUSD:
		return fmt.Errorf("limits: budget amount %v USD must be between 0 and %d", b.AmountUSD, MaxBudgetUSD)
	case b.Period < MinWindow || b.Period > MaxWindow:
		return fmt.Errorf("limits: budget period %s must be between %s and %s", b.Period, MinWindow, MaxWindow)
	}
	return nil
}

func (b Budget) periodUS() int64 { return int64(b.Period / time.Microsecond) }

// amountNano is the budget in nano-dollars.
func (b Budget) amountNano() int64 { return int64(math.Round(b.AmountUSD * 1e9)) }

// askNano converts a worst-case cost to nano-dollars, rounding up so the
// reservation is never below the cost (a tolerance absorbs float noise
// such as 0.3*1e9 = 300000000.00000006).
func askNano(usd float64) int64 {
	if !(usd > 0) {
		return 0
	}
	return int64(math.Ceil(usd*1e9 - 1e-3))
}

// spentNano converts an actual cost to nano-dollars, to the nearest.
func spentNano(usd float64) int64 {
	if !(usd > 0) {
		return 0
	}
	return int64(math.Round(usd * 1e9))
}

// usd converts nano-dollars back to dollars.
func usd(nano int64) float64 { return float64(nano) / 1e9 }

// matchPattern reports whether name matches pattern, where * matches any
// run of characters and every other byte matches itself. It backtracks to
// the last star only, so it runs in O(len(pattern)*len(name)) at worst and
// allocates nothing.
func matchPattern(pattern, name string) bool {
	px, nx := 0, 0
	starPx, starNx := -1, 0
	for px < len(pattern) || nx < len(name) {
		if px < len(pattern) {
			if c := pattern[px]; c == '*' {
				starPx, starNx = px, nx+1
				px++
				continue
			} else if nx < len(name) && name[nx] == c {
				px++
				nx++
				continue
			}
		}
		if starPx >= 0 && starNx <= len(name) {
			px, nx = starPx+1, starNx
			starNx++
			continue
		}
		return false
	}
	return true
}
