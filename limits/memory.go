package limits

import (
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryOptions configure NewMemory.
type MemoryOptions struct {
	// Path is the JSON snapshot file: read at creation, written every
	// FlushEvery when something changed, and on Close. "" keeps nothing.
	Path string
	// FlushEvery is how often a changed state is written (default 1s).
	FlushEvery time.Duration
	// Now is the clock (default time.Now); tests move it by hand.
	Now func() time.Time
	// OnError is told of every failure of background work (writing the
	// snapshot); nil ignores them.
	OnError func(op string, err error)
}

// Memory is the in-process store: state lives in this process, sharded by
// consumer so calls of different consumers rarely wait for each other. Its
// methods are safe for concurrent use.
type Memory struct {
	path       string
	flushEvery time.Duration
	now        func() time.Time
	onError    func(op string, err error)

	seed   maphash.Seed
	shards [memoryShards]memoryShard

	dirty     atomic.Bool
	closed    atomic.Bool
	writeMu   sync.Mutex // one snapshot write at a time
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

const (
	memoryShards = 32
	// pruneEvery is how often state that no longer matters is dropped.
	pruneEvery = time.Minute
)

type memoryShard struct {
	mu        sync.Mutex
	consumers map[string]*consumerState
	_         [48]byte // keep shards on separate cache lines
}

// consumerState is everything kept for one consumer.
type consumerState struct {
	rates   map[Rule]instant // TAT per rule
	budgets map[budgetKey]budgetWindow
	usage   map[string]usageCounters // per model
}

type budgetKey struct{ periodUS, windowStartUS int64 }

type budgetWindow struct{ spent, reserved int64 } // nano-dollars

type usageCounters struct {
	requests, input, output, cached, costNano int64
}

func (u *usageCounters) add(v usageCounters) {
	u.requests += v.requests
	u.input += v.input
	u.output += v.output
	u.cached += v.cached
	u.costNano += v.costNano
}

// NewMemory opens an in-process store, loading the snapshot at opts.Path if
// there is one. A snapshot that cannot be read is an error naming the file
// (a missing file is a fresh start).
func NewMemory(opts MemoryOptions) (*Memory, error) {
	m := &Memory{
		path:       opts.Path,
		flushEvery: opts.FlushEvery,
		now:        opts.Now,
		onError:    opts.OnError,
		seed:       maphash.MakeSeed(),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if m.flushEvery <= 0 {
		m.flushEvery = time.Second
	}
	if m.now == nil {
		m.now = time.Now
	}
	for i := range m.shards {
		m.shards[i].consumers = make(map[string]*consumerState)
	}
	if m.path != "" {
		if err := os.MkdirAll(filepath.Dir(m.path), 0o700); err != nil {
			return nil, fmt.Errorf("limits: snapshot directory for %s: %w", m.path, err)
		}
		if err := m.load(); err != nil {
			return nil, err
		}
	}
	go m.background()
	return m, nil
}

func (m *Memory) nowUS() int64 { return m.now().UnixMicro() }

func (m *Memory) shard(consumer string) *memoryShard {
	return &m.shards[maphash.String(m.seed, consumer)%memoryShards]
}

// consumer returns the consumer's state, creating it when create is set
// (else nil if there is none). The shard's lock must be held.
func (s *memoryShard) consumer(name string, create bool) *consumerState {
	cs := s.consumers[name]
	if cs == nil && create {
		cs = &consumerState{
			rates:   make(map[Rule]instant),
			budgets: make(map[budgetKey]budgetWindow),
			usage:   make(map[string]usageCounters),
		}
		s.consumers[name] = cs
	}
	return cs
}

// Admit decides and reserves; see Store.
func (m *Memory) Admit(_ context.Context, ask Ask) (Decision, *Reservation, error) {
	if m.closed.Load() {
		return Decision{}, nil, ErrClosed
	}
	n, _, err := inspect(&ask)
	if err != nil {
		return Decision{}, nil, err
	}
	if n == 0 && ask.Budget == nil {
		return Decision{Allowed: true}, nil, nil
	}
	res, states := newAdmission(n)
	var buf [8]ruleCheck
	checks := buf[:0]
	var bc *budgetCheck
	var budget budgetCheck

	s := m.shard(ask.Consumer)
	s.mu.Lock()
	now := m.nowUS() // read under the lock, so TATs only see time go forward
	cs := s.consumer(ask.Consumer, false)
	for i := range ask.Rules {
		if !applies(&ask, i) {
			continue
		}
		var stored instant
		if cs != nil {
			stored = cs.rates[ask.Rules[i]]
		}
		checks = append(checks, newRuleCheck(ask.Rules[i], ask.Tokens, stored, now))
	}
	if b := ask.Budget; b != nil {
		budget = budgetCheck{amount: b.amountNano(), ask: askNano(ask.CostUSD), periodUS: b.periodUS()}
		budget.windowStartUS = windowStart(now, budget.periodUS)
		if cs != nil {
			w := cs.budgets[budgetKey{budget.periodUS, budget.windowStartUS}]
			budget.spent, budget.reserved = w.spent, w.reserved
		}
		bc = &budget
	}
	d := decide(now, checks, bc, states)
	if d.Allowed {
		cs = s.consumer(ask.Consumer, true)
		for i := range checks {
			cs.rates[checks[i].rule] = checks[i].next
		}
		if bc != nil {
			k := budgetKey{bc.periodUS, bc.windowStartUS}
			w := cs.budgets[k]
			w.reserved += bc.ask
			cs.budgets[k] = w
		}
	}
	s.mu.Unlock()

	if !d.Allowed {
		return d, nil, nil
	}
	m.dirty.Store(true)
	return d, reserve(res, &ask, checks, bc), nil
}

// Settle closes a call; see Store.
func (m *Memory) Settle(_ context.Context, consumer, model string, res *Reservation, used Used) error {
	if m.closed.Load() {
		return ErrClosed
	}
	if res != nil && res.consumer != consumer {
		m.settleReservation(res, used)
		res = nil
	}
	s := m.shard(consumer)
	s.mu.Lock()
	cs := s.consumer(consumer, true)
	if res != nil {
		m.giveBack(cs, res, used)
	}
	u := cs.usage[model]
	u.add(usageCounters{
		requests: 1,
		input:    max(used.InputTokens, 0),
		output:   max(used.OutputTokens, 0),
		cached:   max(used.CachedTokens, 0),
		costNano: spentNano(used.CostUSD),
	})
	cs.usage[model] = u
	s.mu.Unlock()
	m.dirty.Store(true)
	return nil
}

// settleReservation settles res under its own consumer's lock.
func (m *Memory) settleReservation(res *Reservation, used Used) {
	s := m.shard(res.consumer)
	s.mu.Lock()
	m.giveBack(s.consumer(res.consumer, true), res, used)
	s.mu.Unlock()
}

// giveBack replaces the reservation with the usage: token rules' TATs move
// by the difference, and the budget window trades reserved for spent. The
// consumer's shard lock must be held.
func (m *Memory) giveBack(cs *consumerState, res *Reservation, used Used) {
	now := m.nowUS()
	actual := usedTokens(used)
	for _, r := range res.tokenRules {
		stored, found := cs.rates[r]
		if t, keep := settleTAT(r, stored, found, res.tokens, actual, now); keep {
			cs.rates[r] = t
		} else {
			delete(cs.rates, r)
		}
	}
	if b := res.budget; b.periodUS > 0 && budgetKeep(b.windowStartUS+b.periodUS, now) {
		k := budgetKey{b.periodUS, b.windowStartUS}
		w := cs.budgets[k]
		w.reserved = max(w.reserved-b.reservedNano, 0)
		w.spent += spentNano(used.CostUSD)
		cs.budgets[k] = w
	}
}

// Usage reports the counters and the given consumers' limits; see Store.
func (m *Memory) Usage(_ context.Context, consumers []ConsumerLimits) (Report, error) {
	if m.closed.Load() {
		return Report{}, ErrClosed
	}
	now := m.nowUS()
	var in reportInput
	in.now = now
	in.usage = make(map[string]map[string]usageCounters)
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for name, cs := range s.consumers {
			if len(cs.usage) == 0 {
				continue
			}
			models := make(map[string]usageCounters, len(cs.usage))
			for model, u := range cs.usage {
				models[model] = u
			}
			in.usage[name] = models
		}
		s.mu.Unlock()
	}
	in.tat = func(consumer string, r Rule) instant {
		s := m.shard(consumer)
		s.mu.Lock()
		defer s.mu.Unlock()
		if cs := s.consumer(consumer, false); cs != nil {
			return cs.rates[r]
		}
		return instant{}
	}
	in.budget = func(consumer string, periodUS, windowStartUS int64) budgetWindow {
		s := m.shard(consumer)
		s.mu.Lock()
		defer s.mu.Unlock()
		if cs := s.consumer(consumer, false); cs != nil {
			return cs.budgets[budgetKey{periodUS, windowStartUS}]
		}
		return budgetWindow{}
	}
	return buildReport(&in, consumers), nil
}

// Close stops the background writer and writes the snapshot a last time.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		m.closed.Store(true)
		close(m.stop)
		<-m.done
		if m.path != "" {
			m.closeErr = m.save()
		}
	})
	return m.closeErr
}

// background writes the snapshot when the state changed and prunes what no
// longer matters, until Close.
func (m *Memory) background() {
	defer close(m.done)
	tick := time.NewTicker(m.flushEvery)
	defer tick.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		if time.Since(lastPrune) >= pruneEvery {
			m.prune()
			lastPrune = time.Now()
		}
		if m.path != "" && m.dirty.Load() {
			if err := m.save(); err != nil && m.onError != nil {
				m.onError("snapshot", err)
			}
		}
	}
}

// prune drops TATs a window in the past (a full rule needs no state) and
// budget windows past their grace period.
func (m *Memory) prune() {
	now := m.nowUS()
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for name, cs := range s.consumers {
			for r, t := range cs.rates {
				if tatForgotten(t, now, r.windowUS()) {
					delete(cs.rates, r)
				}
			}
			for k := range cs.budgets {
				if !budgetKeep(k.windowStartUS+k.periodUS, now) {
					delete(cs.budgets, k)
				}
			}
			if len(cs.rates) == 0 && len(cs.budgets) == 0 && len(cs.usage) == 0 {
				delete(s.consumers, name)
			}
		}
		s.mu.Unlock()
	}
}
