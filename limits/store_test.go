package limits

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The shared suite: every scenario runs against the memory store and the
// Redis store, with the same hand-moved clock and the same expectations,
// so both stores are shown to decide identically.

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// newFakeClock starts at 10:00 UTC, 14 hours before a daily budget renews.
func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type errorLog struct {
	mu  sync.Mutex
	log []string
}

func (e *errorLog) add(op string, _ error) {
	e.mu.Lock()
	e.log = append(e.log, op)
	e.mu.Unlock()
}

func (e *errorLog) count(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, o := range e.log {
		if o == op {
			n++
		}
	}
	return n
}

func (e *errorLog) ops() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.log...)
}

// storeKind opens a fresh store of one kind on the given clock.
type storeKind struct {
	name string
	open func(t *testing.T, clock *fakeClock) Store
}

// storeKinds returns the memory store and a Redis store on one server for
// the calling test.
func storeKinds(t *testing.T) []storeKind {
	srv := startRedis(t)
	return []storeKind{
		{"memory", func(t *testing.T, clock *fakeClock) Store {
			m, err := NewMemory(MemoryOptions{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = m.Close() })
			return m
		}},
		{"redis", func(t *testing.T, clock *fakeClock) Store {
			return openRedis(t, srv, clock, "")
		}},
	}
}

func mustAdmit(t testing.TB, s Store, ask Ask, allowed bool) (Decision, *Reservation) {
	t.Helper()
	d, res, err := s.Admit(context.Background(), ask)
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	if d.Allowed != allowed {
		t.Fatalf("Admit(%d tokens, $%v): allowed %v, want %v (%+v)", ask.Tokens, ask.CostUSD, d.Allowed, allowed, d)
	}
	if !allowed && res != nil {
		t.Fatal("a refused call got a reservation")
	}
	return d, res
}

func mustSettle(t testing.TB, s Store, consumer, model string, res *Reservation, used Used) {
	t.Helper()
	if err := s.Settle(context.Background(), consumer, model, res, used); err != nil {
		t.Fatalf("Settle: %v", err)
	}
}

// wantState checks one rule state.
func wantState(t *testing.T, d Decision, i int, remaining int64, reset time.Duration) {
	t.Helper()
	if len(d.States) <= i {
		t.Fatalf("%d states, want state %d", len(d.States), i)
	}
	if s := d.States[i]; s.Remaining != remaining || s.Reset != reset {
		t.Fatalf("state %d (%s): remaining %d reset %s, want %d and %s", i, s.Rule.ID(), s.Remaining, s.Reset, remaining, reset)
	}
}

func wantRefusal(t *testing.T, d Decision, reason Kind, neverFits bool, retry time.Duration) {
	t.Helper()
	if d.Allowed || d.Reason != reason || d.NeverFits != neverFits || d.RetryAfter != retry {
		t.Fatalf("decision %+v, want refused by %s (never fits %v) retry after %s", d, reason, neverFits, retry)
	}
	if (reason == BudgetExceeded) != (d.Refused == nil) {
		t.Fatalf("refused rule %v for reason %s", d.Refused, reason)
	}
	if d.Refused != nil && d.Refused.Kind != reason {
		t.Fatalf("refused by rule %s, reason %s", d.Refused.ID(), reason)
	}
}

func wantBudget(t *testing.T, d Decision, remaining float64, reset time.Duration) {
	t.Helper()
	if !d.HasBudget || d.BudgetRemainingUSD != remaining || d.BudgetReset != reset {
		t.Fatalf("budget: has %v remaining %v reset %s, want %v and %s", d.HasBudget, d.BudgetRemainingUSD, d.BudgetReset, remaining, reset)
	}
}

var (
	perMinute5    = Rule{Kind: Requests, Limit: 5, Window: time.Minute}
	perMinute7    = Rule{Kind: Requests, Limit: 7, Window: time.Minute}
	tokens1000    = Rule{Kind: Tokens, Limit: 1000, Window: time.Minute} // T = 60ms
	daily1USD     = &Budget{AmountUSD: 1, Period: 24 * time.Hour}
	untilMidnight = 14 * time.Hour
)

// scenarios is the shared table.
var scenarios = []struct {
	name string
	run  func(t *testing.T, s Store, clock *fakeClock)
}{
	{"request burst then steady rate", func(t *testing.T, s Store, clock *fakeClock) {
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{perMinute5}}
		for i := range 5 {
			d, res := mustAdmit(t, s, ask, true)
			wantState(t, d, 0, int64(4-i), time.Duration(i+1)*12*time.Second)
			if res != nil {
				t.Fatal("request rules need no reservation")
			}
		}
		d, _ := mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Requests, false, 12*time.Second)
		wantState(t, d, 0, 0, time.Minute)
		clock.Advance(11 * time.Second)
		d, _ = mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Requests, false, time.Second)
		clock.Advance(time.Second)
		d, _ = mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 0, time.Minute)
		clock.Advance(time.Hour)
		d, _ = mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 4, 12*time.Second)
	}},
	{"a fractional interval admits exactly N at once", func(t *testing.T, s Store, clock *fakeClock) {
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{perMinute7}}
		for i := range 7 {
			d, _ := mustAdmit(t, s, ask, true)
			if d.States[0].Remaining != int64(6-i) {
				t.Fatalf("call %d: remaining %d", i, d.States[0].Remaining)
			}
		}
		d, _ := mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Requests, false, 8571428572) // 60s/7, rounded up to the ns
		clock.Advance(8571428 * time.Microsecond)
		mustAdmit(t, s, ask, false)
		clock.Advance(time.Microsecond)
		d, _ = mustAdmit(t, s, ask, true)
		// The TAT is 8/7 of a minute after the burst, now is 8571429µs after it.
		wantState(t, d, 0, 0, 59999999572)
	}},
	{"token refund and debt", func(t *testing.T, s Store, clock *fakeClock) {
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{tokens1000}, Tokens: 600}
		d, res1 := mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 400, 36*time.Second)
		if res1.Tokens() != 600 {
			t.Fatalf("reserved %d", res1.Tokens())
		}
		d, _ = mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Tokens, false, 12*time.Second) // 200 tokens over
		// Used 100 of 600: 500 come back at once.
		mustSettle(t, s, "a", "m", res1, Used{InputTokens: 60, OutputTokens: 40})
		ask.Tokens = 100
		d, res2 := mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 800, 12*time.Second)
		// Used 700 of 100: a debt of 600 tokens (36s).
		mustSettle(t, s, "a", "m", res2, Used{InputTokens: 500, OutputTokens: 200, CachedTokens: 400})
		ask.Tokens = 300
		d, _ = mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Tokens, false, 6*time.Second)
		wantState(t, d, 0, 200, 48*time.Second)
		ask.Tokens = 200
		d, res3 := mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 0, time.Minute)
		// A refund never moves the TAT before now.
		clock.Advance(2 * time.Minute)
		mustSettle(t, s, "a", "m", res3, Used{})
		ask.Tokens = 1000
		d, _ = mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 0, time.Minute)
	}},
	{"debt after the reservation lapsed", func(t *testing.T, s Store, clock *fakeClock) {
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{tokens1000}, Tokens: 100}
		_, res := mustAdmit(t, s, ask, true) // TAT now+6s
		clock.Advance(30 * time.Second)
		// A long call used 900: its TAT would be t0+54s, 24s from now.
		mustSettle(t, s, "a", "m", res, Used{OutputTokens: 900})
		ask.Tokens = 0
		d, _ := mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 600, 24*time.Second)
	}},
	{"a call larger than the limit never fits", func(t *testing.T, s Store, clock *fakeClock) {
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{perMinute5, tokens1000}, Tokens: 1001}
		d, _ := mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Tokens, true, 0)
		if *d.Refused != tokens1000 {
			t.Fatalf("refused by %v", d.Refused)
		}
		wantState(t, d, 0, 5, 0)
		wantState(t, d, 1, 1000, 0)
		ask.Tokens = 1000
		d, _ = mustAdmit(t, s, ask, true)
		wantState(t, d, 1, 0, time.Minute)
	}},
	{"all or nothing", func(t *testing.T, s Store, clock *fakeClock) {
		req := Rule{Kind: Requests, Limit: 10, Window: time.Minute}
		tok := Rule{Kind: Tokens, Limit: 100, Window: time.Minute} // T = 600ms
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{req, tok}, Tokens: 80}
		d, _ := mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 9, 6*time.Second)
		wantState(t, d, 1, 20, 48*time.Second)
		ask.Tokens = 50
		d, _ = mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Tokens, false, 18*time.Second)
		wantState(t, d, 0, 9, 6*time.Second) // the request was not taken
		ask.Tokens = 20
		d, _ = mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 8, 12*time.Second)
		wantState(t, d, 1, 0, time.Minute)
	}},
	{"the refusal that frees up last is reported", func(t *testing.T, s Store, clock *fakeClock) {
		hourly := Rule{Kind: Requests, Limit: 1, Window: time.Hour}
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{tokens1000, hourly}, Tokens: 1000}
		mustAdmit(t, s, ask, true)
		d, _ := mustAdmit(t, s, ask, false)
		wantRefusal(t, d, Requests, false, time.Hour)
	}},
	{"model patterns and repeated rules", func(t *testing.T, s Store, clock *fakeClock) {
		gpt := Rule{Kind: Requests, Limit: 2, Window: time.Minute, Model: "gpt-4o*"}
		all := Rule{Kind: Requests, Limit: 100, Window: time.Minute}
		rules := []Rule{gpt, all, gpt}
		mini := Ask{Consumer: "a", Model: "gpt-4o-mini", Rules: rules}
		claude := Ask{Consumer: "a", Model: "claude-sonnet", Rules: rules}
		d, _ := mustAdmit(t, s, mini, true)
		if len(d.States) != 2 {
			t.Fatalf("states %+v", d.States)
		}
		wantState(t, d, 0, 1, 30*time.Second)
		d, _ = mustAdmit(t, s, claude, true)
		if len(d.States) != 1 || d.States[0].Rule != all {
			t.Fatalf("states %+v", d.States)
		}
		wantState(t, d, 0, 98, 1200*time.Millisecond)
		mustAdmit(t, s, mini, true)
		d, _ = mustAdmit(t, s, mini, false)
		wantRefusal(t, d, Requests, false, 30*time.Second)
		if *d.Refused != gpt {
			t.Fatalf("refused by %s", d.Refused.ID())
		}
		mustAdmit(t, s, claude, true)
	}},
	{"a changed rule starts afresh", func(t *testing.T, s Store, clock *fakeClock) {
		old := Rule{Kind: Requests, Limit: 1, Window: time.Minute}
		mustAdmit(t, s, Ask{Consumer: "a", Rules: []Rule{old}}, true)
		mustAdmit(t, s, Ask{Consumer: "a", Rules: []Rule{old}}, false)
		d, _ := mustAdmit(t, s, Ask{Consumer: "a", Rules: []Rule{{Kind: Requests, Limit: 2, Window: time.Minute}}}, true)
		wantState(t, d, 0, 1, 30*time.Second)
		// Other consumers have their own state.
		mustAdmit(t, s, Ask{Consumer: "b", Rules: []Rule{old}}, true)
	}},
	{"budget is strict and renews at midnight UTC", func(t *testing.T, s Store, clock *fakeClock) {
		ask := Ask{Consumer: "a", Model: "m", Budget: daily1USD, CostUSD: 0.3}
		var held []*Reservation
		for _, left := range []float64{0.7, 0.4, 0.1} {
			d, res := mustAdmit(t, s, ask, true)
			wantBudget(t, d, left, untilMidnight)
			held = append(held, res)
		}
		d, _ := mustAdmit(t, s, ask, false)
		wantRefusal(t, d, BudgetExceeded, false, untilMidnight)
		wantBudget(t, d, 0.1, untilMidnight)
		// The first call cost 0.1 of its 0.3: 0.2 comes back.
		mustSettle(t, s, "a", "m", held[0], Used{CostUSD: 0.1})
		d, _ = mustAdmit(t, s, ask, true)
		wantBudget(t, d, 0, untilMidnight)
		// Nothing left: even a free call waits.
		ask.CostUSD = 0
		d, _ = mustAdmit(t, s, ask, false)
		wantRefusal(t, d, BudgetExceeded, false, untilMidnight)
		ask.CostUSD = 1.5
		d, _ = mustAdmit(t, s, ask, false)
		wantRefusal(t, d, BudgetExceeded, true, 0)

		clock.Advance(untilMidnight)
		ask.CostUSD = 0.3
		d, _ = mustAdmit(t, s, ask, true)
		wantBudget(t, d, 0.7, 24*time.Hour)
		// Yesterday's call settles in yesterday's window.
		mustSettle(t, s, "a", "m", held[1], Used{CostUSD: 0.3})
		ask.CostUSD = 0.1
		d, _ = mustAdmit(t, s, ask, true)
		wantBudget(t, d, 0.6, 24*time.Hour)
	}},
	{"a budget refusal takes no request", func(t *testing.T, s Store, clock *fakeClock) {
		ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{perMinute5}, Budget: daily1USD, CostUSD: 0.6}
		d, _ := mustAdmit(t, s, ask, true)
		wantState(t, d, 0, 4, 12*time.Second)
		d, _ = mustAdmit(t, s, ask, false)
		wantRefusal(t, d, BudgetExceeded, false, untilMidnight)
		wantState(t, d, 0, 4, 12*time.Second)
	}},
	{"no limits: nothing reserved, usage still counted", func(t *testing.T, s Store, clock *fakeClock) {
		d, res, err := s.Admit(context.Background(), Ask{Consumer: "a", Model: "m"})
		if err != nil || !d.Allowed || res != nil || d.States != nil || d.HasBudget {
			t.Fatalf("%+v %v %v", d, res, err)
		}
		mustSettle(t, s, "a", "m", nil, Used{InputTokens: 3, OutputTokens: 4, CostUSD: 0.5})
		rep, err := s.Usage(context.Background(), nil)
		if err != nil || len(rep.Consumers) != 1 || rep.Consumers[0].Requests != 1 || rep.Totals.CostUSD != 0.5 {
			t.Fatalf("%+v %v", rep, err)
		}
	}},
	{"an invalid rule is an error", func(t *testing.T, s Store, clock *fakeClock) {
		_, _, err := s.Admit(context.Background(), Ask{Consumer: "a", Rules: []Rule{{Kind: Tokens, Limit: 0, Window: time.Minute}}})
		if err == nil {
			t.Fatal("want an error")
		}
	}},
}

func TestStoresDecideAlike(t *testing.T) {
	for _, kind := range storeKinds(t) {
		t.Run(kind.name, func(t *testing.T) {
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					clock := newFakeClock()
					sc.run(t, kind.open(t, clock), clock)
				})
			}
		})
	}
}

// checkSharedLimit has 50 goroutines per store race for one consumer's
// token limit (of a day, so it barely refills during the test). Together
// they may admit at most the limit plus one reservation.
func checkSharedLimit(t *testing.T, stores []Store) {
	const limit, each = 10_000, 100
	rule := Rule{Kind: Tokens, Limit: limit, Window: 24 * time.Hour}
	ask := Ask{Consumer: "shared", Model: "m", Rules: []Rule{rule}, Tokens: each}
	var mu sync.Mutex
	admitted, settled := 0, 0
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 50 {
			wg.Go(func() {
				for range 5 {
					d, res, err := s.Admit(context.Background(), ask)
					if err != nil {
						t.Error(err)
						return
					}
					if !d.Allowed {
						continue
					}
					mu.Lock()
					admitted += each
					mu.Unlock()
					// Use it all: nothing comes back.
					if err := s.Settle(context.Background(), "shared", "m", res, Used{InputTokens: each}); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					settled++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	// 100 goroutines ask 5*100 tokens each: 50,000 for 10,000.
	if admitted > limit+each || admitted < limit-each {
		t.Fatalf("admitted %d tokens for a limit of %d", admitted, limit)
	}
	rep, err := stores[0].Usage(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Consumers[0]; c.Requests != int64(settled) || c.InputTokens != int64(admitted) {
		t.Fatalf("usage %+v; admitted %d in %d calls", c, admitted, settled)
	}
}
