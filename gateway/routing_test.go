package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/pricing"
	"github.com/sluicegw/sluice/providers/mock"
)

// routed is a harness whose models exercise the routing rules against the
// fake upstream ("up"), a dead port ("dead") and the mock.
func routed(t *testing.T, models ...ModelConfig) *harness {
	t.Helper()
	return newHarness(t, func(c *Config) {
		c.Providers = append(c.Providers, ProviderConfig{Name: "dead", Type: "openai", BaseURL: "http://127.0.0.1:1/v1"})
		c.Models = models
		c.Breakers = BreakerConfig{ConsecutiveFailures: 2, Cooldown: 200 * time.Millisecond}
	})
}

func tc(provider, model string) TargetConfig { return TargetConfig{Provider: provider, Model: model} }

func intp(n int) *int { return &n }

func TestFallbacks(t *testing.T) {
	h := routed(t,
		ModelConfig{Name: "after-500", Targets: []TargetConfig{tc("up", "status-500")}, Fallbacks: []TargetConfig{tc("up", "fixture")}},
		ModelConfig{Name: "after-429", Targets: []TargetConfig{tc("up", "status-429")}, Fallbacks: []TargetConfig{tc("mock", "m")}},
		ModelConfig{Name: "after-refused", Targets: []TargetConfig{tc("dead", "x")}, Fallbacks: []TargetConfig{tc("up", "fixture")}},
		ModelConfig{Name: "after-stall", Targets: []TargetConfig{tc("up", "stall")}, Fallbacks: []TargetConfig{tc("up", "fixture")}, FirstTokenTimeout: 150 * time.Millisecond},
		ModelConfig{Name: "no-fallback-on-400", Targets: []TargetConfig{tc("up", "status-400")}, Fallbacks: []TargetConfig{tc("up", "fixture")}},
		ModelConfig{Name: "only-5xx", Targets: []TargetConfig{tc("up", "status-429")}, Fallbacks: []TargetConfig{tc("up", "fixture")}, RetryOn: []string{"5xx"}},
	)
	for _, c := range []struct {
		model, stream  string
		status         int
		attempts, from string
	}{
		{"after-500", "false", 200, "2", "fixture"},
		{"after-429", "false", 200, "2", "m"},
		{"after-refused", "false", 200, "2", "fixture"},
		{"after-refused", "true", 200, "2", "fixture"},
		{"after-stall", "true", 200, "2", "fixture"},
		{"no-fallback-on-400", "false", 400, "1", "status-400"},
		{"only-5xx", "false", 429, "1", "status-429"},
	} {
		fallbacks := testutil.ToFloat64(metrics.Fallbacks.WithLabelValues(c.model, "up")) + testutil.ToFloat64(metrics.Fallbacks.WithLabelValues(c.model, "mock"))
		resp, b := h.post(t, `{"model":"`+c.model+`","stream":`+c.stream+`,`+hi+`}`)
		if resp.StatusCode != c.status || resp.Header.Get("X-Sluice-Attempts") != c.attempts || resp.Header.Get("X-Sluice-Model") != c.from && c.status == 200 {
			t.Errorf("%s stream=%s: %d attempts %s model %s: %.200s", c.model, c.stream, resp.StatusCode,
				resp.Header.Get("X-Sluice-Attempts"), resp.Header.Get("X-Sluice-Model"), b)
		}
		after := testutil.ToFloat64(metrics.Fallbacks.WithLabelValues(c.model, "up")) + testutil.ToFloat64(metrics.Fallbacks.WithLabelValues(c.model, "mock"))
		if want := map[string]float64{"1": 0, "2": 1}[c.attempts]; after-fallbacks != want {
			t.Errorf("%s: fallbacks grew by %v, want %v", c.model, after-fallbacks, want)
		}
	}
}

func TestStreamBrokenAfterBytesIsNotRetried(t *testing.T) {
	h := routed(t, ModelConfig{Name: "cut", Targets: []TargetConfig{tc("up", "cut")}, Fallbacks: []TargetConfig{tc("up", "fixture")}})
	resp, b := h.post(t, `{"model":"cut","stream":true,`+hi+`}`)
	events := readStream(t, b)
	if resp.StatusCode != 200 || resp.Header.Get("X-Sluice-Attempts") != "1" || events[len(events)-1] != "[DONE]" ||
		!strings.Contains(events[len(events)-2], `"upstream_error"`) {
		t.Errorf("%d %v %q", resp.StatusCode, resp.Header, events)
	}
	if n := len(h.up.Requests()); n != 1 {
		t.Errorf("%d upstream requests, want 1 (no retry once bytes reached the client)", n)
	}
}

func TestRetriesWalkTheChainAndBackOff(t *testing.T) {
	h := routed(t,
		ModelConfig{Name: "again", Targets: []TargetConfig{tc("up", "status-500")}, Retries: intp(2)},
		ModelConfig{Name: "short-deadline", Targets: []TargetConfig{tc("up", "status-429")}, Retries: intp(3), Deadline: time.Second},
	)
	retries := testutil.ToFloat64(metrics.Retries.WithLabelValues("again", "up"))
	resp, _ := h.post(t, `{"model":"again",`+hi+`}`)
	if resp.StatusCode != 500 || resp.Header.Get("X-Sluice-Attempts") != "3" {
		t.Errorf("again: %d after %s attempts", resp.StatusCode, resp.Header.Get("X-Sluice-Attempts"))
	}
	if got := testutil.ToFloat64(metrics.Retries.WithLabelValues("again", "up")) - retries; got != 2 {
		t.Errorf("retries grew by %v, want 2", got)
	}
	// The upstream asks for 7s (Retry-After): more than the deadline leaves,
	// so the gateway gives up at once with the upstream's answer.
	resp, _ = h.post(t, `{"model":"short-deadline",`+hi+`}`)
	if resp.StatusCode != 429 || resp.Header.Get("X-Sluice-Attempts") != "1" || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("short-deadline: %d after %s attempts", resp.StatusCode, resp.Header.Get("X-Sluice-Attempts"))
	}
}

func TestDeadlineGives504(t *testing.T) {
	h := routed(t, ModelConfig{Name: "slow", Targets: []TargetConfig{tc("up", "slow")}, Deadline: 100 * time.Millisecond})
	resp, b := h.post(t, `{"model":"slow",`+hi+`}`)
	if e := decodeError(t, b); resp.StatusCode != 504 || e.Error.Code != "upstream_timeout" {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

func TestCircuitBreakerOpensProbesAndCloses(t *testing.T) {
	var healthy atomic.Bool
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"x","object":"chat.completion","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`))
	}))
	defer flaky.Close()
	h := newHarness(t, func(c *Config) {
		c.Providers = append(c.Providers, ProviderConfig{Name: "flaky", Type: "openai", BaseURL: flaky.URL})
		c.Models = []ModelConfig{{Name: "chat", Strategy: StrategyPriority, Targets: []TargetConfig{tc("flaky", "f"), tc("up", "fixture")}}}
		c.Breakers = BreakerConfig{ConsecutiveFailures: 2, Cooldown: 150 * time.Millisecond}
	})
	state := func() float64 { return testutil.ToFloat64(metrics.CircuitState.WithLabelValues("chat", "flaky", "f")) }
	ask := func() string {
		resp, _ := h.post(t, `{"model":"chat",`+hi+`}`)
		return resp.Header.Get("X-Sluice-Attempts") + "/" + resp.Header.Get("X-Sluice-Provider")
	}
	if a, b := ask(), ask(); a != "2/up" || b != "2/up" {
		t.Fatalf("while flaky fails: %s, %s", a, b)
	}
	if state() != circuitOpen {
		t.Fatalf("circuit state %v after 2 failures, want open", state())
	}
	if got := ask(); got != "1/up" {
		t.Errorf("open circuit: %s, want the flaky target skipped", got)
	}
	time.Sleep(200 * time.Millisecond) // cooldown over: the next call probes
	if got := ask(); got != "2/up" || state() != circuitOpen {
		t.Errorf("failed probe: %s, state %v", got, state())
	}
	healthy.Store(true)
	time.Sleep(200 * time.Millisecond)
	if got := ask(); got != "1/flaky" || state() != circuitClosed {
		t.Errorf("successful probe: %s, state %v", got, state())
	}
}

func routeFor(t *testing.T, m ModelConfig) *route {
	t.Helper()
	r, err := newRoute(m, testProviders(t, "a", "b", "c"), BreakerConfig{}.withDefaults(), pricing.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWeightedSplitAndSticky(t *testing.T) {
	r := routeFor(t, ModelConfig{Name: "m", Targets: []TargetConfig{
		{Provider: "a", Model: "x", Weight: 70}, {Provider: "b", Model: "y", Weight: 20}, {Provider: "c", Model: "z", Weight: 10},
	}})
	counts := map[string]int{}
	now := time.Now()
	for i := 0; i < 10000; i++ {
		plan := r.plan("m", "", false, pricing.Usage{}, now)
		counts[plan[0].provider.Name()]++
		if len(plan) != 3 {
			t.Fatalf("plan %d long", len(plan))
		}
	}
	for name, want := range map[string]int{"a": 7000, "b": 2000, "c": 1000} {
		if d := counts[name] - want; d < -200 || d > 200 {
			t.Errorf("target %s got %d of 10000, want %d ±2%%", name, counts[name], want)
		}
	}
	// Sticky: a key always lands on the same target; many keys still split.
	sticky := map[string]int{}
	for k := 0; k < 2000; k++ {
		key := "user-" + string(rune('a'+k%26)) + string(rune('a'+k/26%26)) + string(rune('a'+k/676))
		first := r.plan("m", key, false, pricing.Usage{}, now)[0].provider.Name()
		for i := 0; i < 3; i++ {
			if again := r.plan("m", key, false, pricing.Usage{}, now)[0].provider.Name(); again != first {
				t.Fatalf("key %s moved from %s to %s", key, first, again)
			}
		}
		sticky[first]++
	}
	if sticky["a"] < 1200 || sticky["a"] > 1600 || sticky["c"] < 100 {
		t.Errorf("sticky split %v does not follow the weights", sticky)
	}
}

func TestLeastLatencyAndLeastBusyPreferTheBetterTarget(t *testing.T) {
	for _, strategy := range []string{StrategyLeastLatency, StrategyLeastBusy} {
		t.Run(strategy, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.Providers = []ProviderConfig{
					{Name: "fast", Type: "mock", Mock: mock.Options{Latency: 2 * time.Millisecond}},
					{Name: "slow", Type: "mock", Mock: mock.Options{Latency: 60 * time.Millisecond}},
				}
				c.Models = []ModelConfig{{Name: "m", Strategy: strategy, Targets: []TargetConfig{tc("slow", "s"), tc("fast", "f")}}}
			})
			var mu sync.Mutex
			counts := map[string]int{}
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 15; i++ {
						resp, _ := h.post(t, `{"model":"m",`+hi+`}`)
						mu.Lock()
						counts[resp.Header.Get("X-Sluice-Provider")]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if counts["fast"] < 42 { // of 60: a blind split would give 30
				t.Errorf("%s sent %v", strategy, counts)
			}
		})
	}
}

func BenchmarkPlan(b *testing.B) {
	providers := map[string]bool{}
	_ = providers
	for _, strategy := range []string{StrategyWeighted, StrategyLeastBusy, StrategyLeastLatency} {
		b.Run(strategy, func(b *testing.B) {
			r := routeFor(&testing.T{}, ModelConfig{Name: "m", Strategy: strategy,
				Targets:   []TargetConfig{{Provider: "a", Model: "x", Weight: 3}, {Provider: "b", Model: "y", Weight: 1}},
				Fallbacks: []TargetConfig{{Provider: "c", Model: "z"}}})
			b.ReportAllocs()
			now := time.Now()
			for b.Loop() {
				_ = r.plan("m", "", false, pricing.Usage{}, now)
			}
		})
	}
}

func TestLeastCostOrdersByEstimatedCost(t *testing.T) {
	r := routeFor(t, ModelConfig{Name: "m", Strategy: StrategyLeastCost, Targets: []TargetConfig{
		{Provider: "a", Model: "gpt-4o"}, {Provider: "b", Model: "llama-local"}, {Provider: "c", Model: "gpt-4o-mini-2024-07-18"},
	}})
	plan := r.plan("m", "", false, pricing.Usage{InputTokens: 1000, OutputTokens: 500}, time.Now())
	var order []string
	for _, c := range plan {
		order = append(order, c.model)
	}
	if strings.Join(order, ",") != "gpt-4o-mini-2024-07-18,gpt-4o,llama-local" {
		t.Errorf("least_cost order %v", order)
	}
}

func TestCostOfACall(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Prices = pricing.NewTable(map[string]pricing.Price{"fixture": {Input: 2.5, Output: 10, CachedInput: 1.25}}, "test")
	})
	cost := metrics.Cost.WithLabelValues("gpt-4o", "up", "anonymous")
	before := testutil.ToFloat64(cost)
	h.post(t, `{"model":"gpt-4o",`+hi+`}`)
	want := (93*2.5 + 1024*1.25 + 46*10) / 1e6
	if o := h.lastOutcome(t); !o.CostKnown || o.CostUSD < want-1e-12 || o.CostUSD > want+1e-12 {
		t.Errorf("cost %v (known %v), want %v", o.CostUSD, o.CostKnown, want)
	}
	if got := testutil.ToFloat64(cost) - before; got < want-1e-12 || got > want+1e-12 {
		t.Errorf("cost metric grew by %v, want %v", got, want)
	}
}

func TestDeadlineMidStreamEndsWithTimeoutEvent(t *testing.T) {
	h := routed(t, ModelConfig{Name: "hang", Targets: []TargetConfig{tc("up", "hang")}, Deadline: 200 * time.Millisecond})
	resp, b := h.post(t, `{"model":"hang","stream":true,`+hi+`}`)
	body := string(b)
	if resp.StatusCode != 200 || !strings.Contains(body, `"code":"upstream_timeout"`) || !strings.HasSuffix(strings.TrimSpace(body), "data: [DONE]") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}
