package limits

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisOptions configure NewRedis.
type RedisOptions struct {
	// URL is redis://[[user]:password@]host:port[/db], rediss:// for TLS, or
	// unix://path; go-redis's query options (dial_timeout=...) apply.
	URL string
	// Prefix starts every key (default "sluice:"), so several gateways or
	// environments can share one Redis.
	Prefix string
	// Timeout bounds dialing, and each read and write, so an unreachable
	// Redis fails a call quickly (default 500ms, unless the URL sets them).
	Timeout time.Duration
	// QueueSize bounds the settlements kept while Redis is unreachable
	// (default 100000); past it they are dropped and counted.
	QueueSize int
	// OnError is told of every failure: op is "admit", "settle" (the
	// settlement was queued or dropped), "replay" (a queued settlement still
	// cannot be delivered), "usage" or "close". nil ignores them.
	OnError func(op string, err error)

	// now overrides the Redis server's clock; only tests set it.
	now func() time.Time
}

// Redis is the store shared through Redis by every gateway that names the
// same Redis and prefix. It needs a single Redis server (with or without
// replicas), not Redis Cluster: a budget's key is chosen inside the script.
type Redis struct {
	client  *redis.Client
	prefix  string
	onError func(op string, err error)
	timeout time.Duration
	now     func() time.Time

	queue settleQueue

	closed    atomic.Bool
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// NewRedis opens a Redis store. It does not wait for Redis: while Redis is
// unreachable, Admit fails (quickly) and settlements queue. Call Ping to
// check the connection at start.
//
// go-redis's own log lines (one per failed dial, written to stderr) are
// silenced for the whole process, since OnError already reports every
// failure, in the caller's log format.
func NewRedis(opts RedisOptions) (*Redis, error) {
	silenceGoRedis.Do(func() { redis.SetLogger(discardLogger{}) })
	o, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("limits: redis URL: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	if opts.Timeout > 0 || o.DialTimeout == 0 {
		o.DialTimeout = timeout
	}
	if opts.Timeout > 0 || o.ReadTimeout == 0 {
		o.ReadTimeout = timeout
	}
	if opts.Timeout > 0 || o.WriteTimeout == 0 {
		o.WriteTimeout = timeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = 2 * timeout
	}
	if o.MaxRetries == 0 {
		// No retries: a script that timed out may have run, and running an
		// admission twice would reserve twice.
		o.MaxRetries = -1
	}
	// One dial per attempt: a refused connection fails at once rather than
	// after five tries. go-redis stops dialing once every pool slot failed,
	// and probes in the background (every second) until Redis answers again.
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true // no CLIENT SETINFO, which Redis before 7.2 refuses
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}

	s := &Redis{
		client:  redis.NewClient(o),
		prefix:  opts.Prefix,
		onError: opts.OnError,
		timeout: timeout,
		now:     opts.now,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if s.prefix == "" {
		s.prefix = "sluice:"
	}
	s.queue.init(opts.QueueSize)
	go s.replay()
	return s, nil
}

var silenceGoRedis sync.Once

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// Ping checks that Redis answers.
func (s *Redis) Ping(ctx context.Context) error {
	return s.client.Ping(ctx).Err()
}

// Queued is how many settlements wait for Redis to answer again.
func (s *Redis) Queued() int { return s.queue.len() }

// Dropped is how many settlements were lost because the queue was full
// (or still held some at Close).
func (s *Redis) Dropped() int64 { return s.queue.dropped.Load() }

// Key layout, under the prefix:
//
//	rate:CONSUMER:RULE_ID            TAT string "US:FRAC"; expires one window after the TAT
//	budget:CONSUMER:PERIOD_US:START  hash spent, reserved (nano-USD); expires an hour after the window
//	usage:CONSUMER                   hash MODEL\0FIELD -> counter; never expires
//	consumers                        set of consumer names with usage
func (s *Redis) rateKey(consumer string, r Rule) string {
	return s.prefix + "rate:" + consumer + ":" + r.ID()
}

func (s *Redis) budgetKeyPrefix(consumer string, periodUS int64) string {
	return s.prefix + "budget:" + consumer + ":" + strconv.FormatInt(periodUS, 10) + ":"
}

func (s *Redis) usageKey(consumer string) string { return s.prefix + "usage:" + consumer }

func (s *Redis) consumersKey() string { return s.prefix + "consumers" }

// timeArg is ARGV[1] of the scripts: "" to use the server's clock.
func (s *Redis) timeArg() string {
	if s.now == nil {
		return ""
	}
	return strconv.FormatInt(s.now().UnixMicro(), 10)
}

func (s *Redis) fail(op string, err error) {
	if s.onError != nil {
		s.onError(op, err)
	}
}

// Admit decides and reserves in one script; see Store.
func (s *Redis) Admit(ctx context.Context, ask Ask) (Decision, *Reservation, error) {
	if s.closed.Load() {
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
	keys := make([]string, 0, n+1)
	args := make([]any, 0, 3+4*n+4)
	args = append(args, s.timeArg(), n)
	applied := make([]Rule, 0, n)
	for i := range ask.Rules {
		if !applies(&ask, i) {
			continue
		}
		r := ask.Rules[i]
		applied = append(applied, r)
		keys = append(keys, s.rateKey(ask.Consumer, r))
		us, frac := span(r.cost(ask.Tokens), r.windowUS(), r.Limit)
		args = append(args, us, frac, r.Limit, r.windowUS())
	}
	var budget *budgetCheck
	if b := ask.Budget; b != nil {
		budget = &budgetCheck{amount: b.amountNano(), ask: askNano(ask.CostUSD), periodUS: b.periodUS()}
		keys = append(keys, s.budgetKeyPrefix(ask.Consumer, budget.periodUS))
		args = append(args, "1", budget.periodUS, budget.amount, budget.ask)
	} else {
		args = append(args, "0")
	}

	reply, err := admitScript.Run(ctx, s.client, keys, args...).Int64Slice()
	if err == nil && len(reply) != 2+4*n+boolInt(budget != nil)*3 {
		err = fmt.Errorf("limits: admit script answered %d values", len(reply))
	}
	if err != nil {
		err = fmt.Errorf("limits: redis admit: %w", err)
		s.fail("admit", err)
		return Decision{}, nil, err
	}
	allowed, now := reply[0] == 1, reply[1]
	checks := make([]ruleCheck, n)
	for i, r := range applied {
		v := reply[2+4*i:]
		checks[i] = ruleCheck{rule: r, cost: r.cost(ask.Tokens), cur: instant{v[0], v[1]}, next: instant{v[2], v[3]}}
	}
	if budget != nil {
		v := reply[2+4*n:]
		budget.windowStartUS, budget.spent, budget.reserved = v[0], v[1], v[2]
	}
	d := decide(now, checks, budget, states)
	if d.Allowed != allowed {
		// Cannot happen while the script and gcra.go agree; if it did, the
		// script's answer is what Redis holds.
		err := fmt.Errorf("limits: redis admit: the script decided allowed=%v, Go %v", allowed, d.Allowed)
		s.fail("admit", err)
		return Decision{}, nil, err
	}
	if !d.Allowed {
		return d, nil, nil
	}
	return d, reserve(res, &ask, checks, budget), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// settlement is one prepared run of the settle script, kept as is while
// it waits in the queue. args[0] is the time slot, filled at each run.
type settlement struct {
	keys []string
	args []any
}

// Settle closes a call in one script; see Store. It ignores ctx's
// cancellation (a client that went away still used what it used) but not
// its values. When Redis cannot be reached, the settlement is queued and
// Settle returns nil; it returns ErrSettlementDropped when the queue is
// full.
func (s *Redis) Settle(ctx context.Context, consumer, model string, res *Reservation, used Used) error {
	if s.closed.Load() {
		return ErrClosed
	}
	job := s.prepareSettle(consumer, model, res, used)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.timeout)
	err := s.runSettle(ctx, job)
	cancel()
	if err == nil {
		return nil
	}
	err = fmt.Errorf("limits: redis settle: %w", err)
	if !s.queue.push(job) {
		s.fail("settle", fmt.Errorf("%w (%w)", ErrSettlementDropped, err))
		return ErrSettlementDropped
	}
	s.fail("settle", fmt.Errorf("%w; queued for replay", err))
	return nil
}

func (s *Redis) prepareSettle(consumer, model string, res *Reservation, used Used) settlement {
	var job settlement
	n := 0
	if res != nil {
		n = len(res.tokenRules)
	}
	job.keys = make([]string, 0, n+3)
	job.args = make([]any, 0, 3+4*n+4+6)
	job.args = append(job.args, "", n)
	if res != nil {
		actual := usedTokens(used)
		for _, r := range res.tokenRules {
			job.keys = append(job.keys, s.rateKey(res.consumer, r))
			us, frac := span(actual-res.tokens, r.windowUS(), r.Limit)
			job.args = append(job.args, us, frac, r.Limit, r.windowUS())
		}
	}
	if res != nil && res.budget.periodUS > 0 {
		b := res.budget
		job.keys = append(job.keys, s.budgetKeyPrefix(res.consumer, b.periodUS)+strconv.FormatInt(b.windowStartUS, 10))
		job.args = append(job.args, "1", b.windowStartUS+b.periodUS, -b.reservedNano, spentNano(used.CostUSD))
	} else {
		job.args = append(job.args, "0", 0, 0, 0)
	}
	job.keys = append(job.keys, s.usageKey(consumer), s.consumersKey())
	job.args = append(job.args, consumer, model,
		max(used.InputTokens, 0), max(used.OutputTokens, 0), max(used.CachedTokens, 0), spentNano(used.CostUSD))
	return job
}

func (s *Redis) runSettle(ctx context.Context, job settlement) error {
	args := append([]any(nil), job.args...)
	args[0] = s.timeArg()
	return settleScript.Run(ctx, s.client, job.keys, args...).Err()
}

// Usage reads every counter and the given consumers' state; see Store.
func (s *Redis) Usage(ctx context.Context, consumers []ConsumerLimits) (Report, error) {
	if s.closed.Load() {
		return Report{}, ErrClosed
	}
	rep, err := s.usage(ctx, consumers)
	if err != nil {
		err = fmt.Errorf("limits: redis usage: %w", err)
		s.fail("usage", err)
	}
	return rep, err
}

func (s *Redis) usage(ctx context.Context, consumers []ConsumerLimits) (Report, error) {
	var now int64
	if s.now != nil {
		now = s.now().UnixMicro()
	} else {
		t, err := s.client.Time(ctx).Result()
		if err != nil {
			return Report{}, err
		}
		now = t.UnixMicro()
	}
	names, err := s.client.SMembers(ctx, s.consumersKey()).Result()
	if err != nil {
		return Report{}, err
	}

	pipe := s.client.Pipeline()
	counters := make(map[string]*redis.MapStringStringCmd, len(names))
	for _, name := range names {
		counters[name] = pipe.HGetAll(ctx, s.usageKey(name))
	}
	type ruleRef struct {
		consumer string
		rule     Rule
	}
	type budgetRef struct {
		consumer        string
		periodUS, start int64
	}
	tats := map[ruleRef]*redis.StringCmd{}
	budgets := map[budgetRef]*redis.SliceCmd{}
	for _, c := range consumers {
		for _, r := range c.Rules {
			if ref := (ruleRef{c.Name, r}); tats[ref] == nil && r.Validate() == nil {
				tats[ref] = pipe.Get(ctx, s.rateKey(c.Name, r))
			}
		}
		if b := c.Budget; b != nil && b.Validate() == nil {
			ref := budgetRef{c.Name, b.periodUS(), windowStart(now, b.periodUS())}
			if budgets[ref] == nil {
				budgets[ref] = pipe.HMGet(ctx, s.budgetKeyPrefix(c.Name, ref.periodUS)+strconv.FormatInt(ref.start, 10), "spent", "reserved")
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Report{}, err
	}

	in := reportInput{now: now, usage: make(map[string]map[string]usageCounters, len(names))}
	for name, cmd := range counters {
		fields, err := cmd.Result()
		if err != nil {
			return Report{}, err
		}
		if len(fields) > 0 {
			in.usage[name] = parseUsage(fields)
		}
	}
	in.tat = func(consumer string, r Rule) instant {
		cmd := tats[ruleRef{consumer, r}]
		if cmd == nil {
			return instant{}
		}
		t, _ := parseTAT(cmd.Val())
		return t
	}
	in.budget = func(consumer string, periodUS, start int64) budgetWindow {
		cmd := budgets[budgetRef{consumer, periodUS, start}]
		if cmd == nil {
			return budgetWindow{}
		}
		v := cmd.Val()
		return budgetWindow{spent: parseInt(v, 0), reserved: parseInt(v, 1)}
	}
	return buildReport(&in, consumers), nil
}

// parseUsage turns a usage hash ("MODEL\0FIELD" -> count) into counters.
func parseUsage(fields map[string]string) map[string]usageCounters {
	models := map[string]usageCounters{}
	for f, v := range fields {
		i := strings.LastIndexByte(f, 0)
		if i < 0 {
			continue
		}
		model, field := f[:i], f[i+1:]
		n, _ := strconv.ParseInt(v, 10, 64)
		u := models[model]
		switch field {
		case fieldRequests:
			u.requests = n
		case fieldInput:
			u.input = n
		case fieldOutput:
			u.output = n
		case fieldCached:
			u.cached = n
		case fieldCostNano:
			u.costNano = n
		}
		models[model] = u
	}
	return models
}

// parseTAT reads a stored "US:FRAC".
func parseTAT(v string) (instant, bool) {
	us, frac, ok := strings.Cut(v, ":")
	if !ok {
		return instant{}, false
	}
	a, err1 := strconv.ParseInt(us, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return instant{}, false
	}
	return instant{a, b}, true
}

func parseInt(v []any, i int) int64 {
	if i >= len(v) {
		return 0
	}
	s, _ := v[i].(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// Close stops the replayer, tries once more (for up to two timeouts) to
// deliver the queued settlements, and closes the connections. Settlements
// still queued then are lost: counted in Dropped and reported as an error.
func (s *Redis) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		<-s.done
		ctx, cancel := context.WithTimeout(context.Background(), 2*s.timeout)
		defer cancel()
		for {
			job, ok := s.queue.peek()
			if !ok {
				break
			}
			if err := s.runSettle(ctx, job); err != nil {
				lost := s.queue.drop()
				s.closeErr = fmt.Errorf("limits: closing the redis store: %d queued settlements lost: %w", lost, err)
				s.fail("close", s.closeErr)
				break
			}
			s.queue.pop()
		}
		if err := s.client.Close(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}
