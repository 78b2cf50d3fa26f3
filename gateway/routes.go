package gateway

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/pricing"
	"github.com/sluicegw/sluice/providers"
)

// Routing strategies: how a model's targets are ordered for a call.
const (
	StrategyWeighted     = "weighted"      // one picked at random by weight (or by a sticky key), then the rest by weight
	StrategyPriority     = "priority"      // in the order declared
	StrategyLeastBusy    = "least_busy"    // fewest calls in flight first
	StrategyLeastLatency = "least_latency" // lowest recent time to first token (streams) or total time first
	StrategyLeastCost    = "least_cost"    // lowest estimated cost of the call at the price table's prices first
)

// route is a resolved public model: where its calls may go and how.
type route struct {
	name        string
	wildcard    bool
	strategy    string
	targets     []*target
	fallbacks   []*target
	totalWeight int
	retries     int // attempts after the first; -1: each target and fallback once
	retryOn     retryPolicy
	timeout     time.Duration // per attempt; 0: the provider's
	deadline    time.Duration // whole call; 0: none
	firstToken  time.Duration // streams: until the first event; 0: none
	sticky      string        // "", "consumer", "client_ip", or a header name
	prices      *pricing.Table
}

type target struct {
	provider providers.Provider
	model    string // may hold {model}
	weight   int
	stats    *targetStats
}

// candidate is one provider/model a call may be sent to.
type candidate struct {
	provider providers.Provider
	model    string
	stats    *targetStats // nil for a target a script named
}

// retryPolicy says which failures hand the call to the next attempt.
type retryPolicy struct {
	connect, timeout, tooMany, serverErrors bool
	statuses                                []int
}

// defaultRetryOn is what fails over when a model sets no retry_on.
var defaultRetryOn = retryPolicy{connect: true, timeout: true, tooMany: true, serverErrors: true}

func parseRetryOn(words []string) (retryPolicy, error) {
	if len(words) == 0 {
		return defaultRetryOn, nil
	}
	var p retryPolicy
	for _, w := range words {
		switch w {
		case "connect":
			p.connect = true
		case "timeout":
			p.timeout = true
		case "429":
			p.tooMany = true
		case "5xx":
			p.serverErrors = true
		default:
			code, err := strconv.Atoi(w)
			if err != nil || code < 400 || code > 599 {
				return p, fmt.Errorf("retry_on %q is not connect, timeout, 429, 5xx or a status from 400 to 599", w)
			}
			p.statuses = append(p.statuses, code)
		}
	}
	return p, nil
}

// retries reports whether a failure of this class (and status, for
// status_* classes) hands over to the next attempt.
func (p retryPolicy) retries(class string, status int) bool {
	switch class {
	case "connect":
		return p.connect
	case "timeout":
		return p.timeout
	case "stream_broken", "malformed":
		return p.serverErrors // the upstream failed before any byte reached the client
	}
	if status == http.StatusTooManyRequests && p.tooMany {
		return true
	}
	if status >= 500 && p.serverErrors {
		return true
	}
	return slices.Contains(p.statuses, status)
}

// routeTable resolves a requested model name: an exact name first, then the
// wildcard names in the order they were declared.
type routeTable struct {
	exact     map[string]*route
	wildcards []*route
	listed    []*route // exact names, in declaration order, for GET /v1/models
}

func newRouteTable(models []ModelConfig, byName map[string]providers.Provider, breakers BreakerConfig, prices *pricing.Table) (*routeTable, error) {
	t := &routeTable{exact: make(map[string]*route, len(models))}
	seen := make(map[string]bool, len(models))
	for _, m := range models {
		r, err := newRoute(m, byName, breakers, prices)
		if err != nil {
			return nil, err
		}
		if seen[m.Name] {
			return nil, fmt.Errorf("model %s is declared twice", m.Name)
		}
		seen[m.Name] = true
		if r.wildcard {
			t.wildcards = append(t.wildcards, r)
		} else {
			t.exact[m.Name] = r
			t.listed = append(t.listed, r)
		}
	}
	return t, nil
}

func newRoute(m ModelConfig, byName map[string]providers.Provider, breakers BreakerConfig, prices *pricing.Table) (*route, error) {
	metrics.Init() // targets publish their circuit state
	if m.Name == "" {
		return nil, fmt.Errorf("a model has no name")
	}
	if len(m.Targets) == 0 {
		return nil, fmt.Errorf("model %s has no target", m.Name)
	}
	r := &route{
		name: m.Name, wildcard: strings.Contains(m.Name, "*"), strategy: m.Strategy, retries: -1,
		timeout: m.Timeout, deadline: m.Deadline, firstToken: m.FirstTokenTimeout, sticky: m.Sticky, prices: prices,
	}
	switch r.strategy {
	case "":
		r.strategy = StrategyWeighted
	case StrategyWeighted, StrategyPriority, StrategyLeastBusy, StrategyLeastLatency, StrategyLeastCost:
	default:
		return nil, fmt.Errorf("model %s: unknown strategy %q (known: weighted, priority, least_busy, least_latency, least_cost)", m.Name, r.strategy)
	}
	if m.Retries != nil {
		if *m.Retries < 0 {
			return nil, fmt.Errorf("model %s: retries must not be negative", m.Name)
		}
		r.retries = *m.Retries
	}
	var err error
	if r.retryOn, err = parseRetryOn(m.RetryOn); err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	build := func(tc TargetConfig, kind string) (*target, error) {
		p, ok := byName[tc.Provider]
		if !ok {
			return nil, fmt.Errorf("model %s: %s %s/%s names a provider that is not declared", m.Name, kind, tc.Provider, tc.Model)
		}
		if tc.Model == "" {
			return nil, fmt.Errorf("model %s: %s %s/ has no model", m.Name, kind, tc.Provider)
		}
		if tc.Weight < 0 {
			return nil, fmt.Errorf("model %s: %s %s/%s has a negative weight", m.Name, kind, tc.Provider, tc.Model)
		}
		w := tc.Weight
		if w == 0 {
			w = 1
		}
		st := &targetStats{}
		st.breaker.cfg = breakers
		gauge := metrics.CircuitState.WithLabelValues(m.Name, tc.Provider, tc.Model)
		gauge.Set(circuitClosed)
		st.breaker.onChange = func(state int32) { gauge.Set(float64(state)) }
		return &target{provider: p, model: tc.Model, weight: w, stats: st}, nil
	}
	for _, tc := range m.Targets {
		t, err := build(tc, "target")
		if err != nil {
			return nil, err
		}
		r.targets = append(r.targets, t)
		r.totalWeight += t.weight
	}
	for _, tc := range m.Fallbacks {
		t, err := build(tc, "fallback")
		if err != nil {
			return nil, err
		}
		r.fallbacks = append(r.fallbacks, t)
	}
	return r, nil
}

// resolve finds the route of a requested model name.
func (t *routeTable) resolve(model string) (*route, bool) {
	if r, ok := t.exact[model]; ok {
		return r, true
	}
	for _, r := range t.wildcards {
		if matchWildcard(r.name, model) {
			return r, true
		}
	}
	return nil, false
}

// plan orders the route's targets for one call by its strategy, then its
// fallbacks in the order declared, leaving out targets whose circuit is
// open (unless every one is: then all are tried, in order). stickyKey, when
// not empty, makes the weighted pick the same for the same key; estimate is
// the call's expected usage, for least_cost.
func (r *route) plan(requested, stickyKey string, stream bool, estimate pricing.Usage, now time.Time) []candidate {
	ordered := make([]*target, 0, len(r.targets)+len(r.fallbacks))
	ordered = append(ordered, r.targets...)
	switch r.strategy {
	case StrategyWeighted:
		if len(ordered) > 1 {
			first := r.pickWeighted(stickyKey)
			// The rest by weight, heaviest first, each once.
			slices.SortStableFunc(ordered, func(a, b *target) int { return b.weight - a.weight })
			i := slices.Index(ordered, first)
			copy(ordered[1:i+1], ordered[:i])
			ordered[0] = first
		}
	case StrategyLeastBusy:
		// Ties go to a random target, not always to the first declared.
		if k := rand.IntN(len(ordered)); k > 0 {
			ordered = append(ordered[k:], ordered[:k]...)
		}
		slices.SortStableFunc(ordered, func(a, b *target) int {
			return int(a.stats.inFlight.Load() - b.stats.inFlight.Load())
		})
	case StrategyLeastLatency:
		slices.SortStableFunc(ordered, func(a, b *target) int {
			return cmp.Compare(a.stats.latency(stream), b.stats.latency(stream))
		})
	case StrategyLeastCost:
		// A target the price table does not know goes last.
		cost := func(t *target) float64 {
			if p, ok := r.prices.Lookup(r.candidate(t, requested).model); ok {
				return p.Cost(estimate)
			}
			return math.Inf(1)
		}
		slices.SortStableFunc(ordered, func(a, b *target) int { return cmp.Compare(cost(a), cost(b)) })
	}
	ordered = append(ordered, r.fallbacks...)

	out := make([]candidate, 0, len(ordered))
	for _, t := range ordered {
		if !t.stats.breaker.blocked(now) {
			out = append(out, r.candidate(t, requested))
		}
	}
	if len(out) == 0 {
		for _, t := range ordered {
			out = append(out, r.candidate(t, requested))
		}
	}
	return out
}

func (r *route) candidate(t *target, requested string) candidate {
	model := t.model
	if strings.Contains(model, "{model}") {
		model = strings.ReplaceAll(model, "{model}", requested)
	}
	return candidate{provider: t.provider, model: model, stats: t.stats}
}

// pickWeighted chooses a target in proportion to the weights: at random, or
// by the hash of a sticky key, so that the same key lands on the same target
// while the weights stay the same.
func (r *route) pickWeighted(stickyKey string) *target {
	var n int
	if stickyKey != "" {
		h := fnv.New64a()
		h.Write([]byte(stickyKey))
		n = int(h.Sum64() % uint64(r.totalWeight))
	} else {
		n = rand.IntN(r.totalWeight)
	}
	for _, t := range r.targets {
		if n < t.weight {
			return t
		}
		n -= t.weight
	}
	return r.targets[len(r.targets)-1]
}

// attempts is how many attempts a call with this many candidates may make.
func (r *route) attempts(candidates int) int {
	if r.retries < 0 {
		return candidates
	}
	return r.retries + 1
}

// stickyKey is the call's key for a sticky split, "" when the route has none
// or the call lacks it.
func (r *route) stickyKey(req *http.Request, consumer string) string {
	switch r.sticky {
	case "":
		return ""
	case "consumer":
		return consumer
	case "client_ip":
		return clientIP(req)
	default:
		return req.Header.Get(r.sticky)
	}
}

// matchWildcard reports whether name matches pattern, where each * stands
// for any run of characters (slashes included: model names hold them).
func matchWildcard(pattern, name string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == name
	}
	prefix := pattern[:star]
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	rest := pattern[star+1:]
	name = name[len(prefix):]
	if rest == "" {
		return true
	}
	for i := 0; i <= len(name); i++ {
		if matchWildcard(rest, name[i:]) {
			return true
		}
	}
	return false
}
