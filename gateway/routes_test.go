package gateway

import (
	"testing"

	"github.com/sluicegw/sluice/pricing"
	"time"

	"github.com/sluicegw/sluice/providers"
	"github.com/sluicegw/sluice/providers/openai"
)

func TestMatchWildcard(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"mock-*", "mock-1", true},
		{"mock-*", "mock-", true},
		{"mock-*", "mock", false},
		{"*", "anything/at-all", true},
		{"meta-llama/*-Instruct", "meta-llama/Llama-3.1-8B-Instruct", true},
		{"meta-llama/*-Instruct", "meta-llama/Llama-3.1-8B", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	} {
		if got := matchWildcard(tc.pattern, tc.name); got != tc.want {
			t.Errorf("matchWildcard(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func testProviders(t *testing.T, names ...string) map[string]providers.Provider {
	t.Helper()
	m := map[string]providers.Provider{}
	for _, n := range names {
		p, err := openai.New(openai.Config{Name: n, BaseURL: "http://127.0.0.1:9/v1"})
		if err != nil {
			t.Fatal(err)
		}
		m[n] = p
	}
	return m
}

func TestResolvePrefersExactThenFirstWildcard(t *testing.T) {
	table, err := newRouteTable([]ModelConfig{
		{Name: "gpt-*", Targets: []TargetConfig{{Provider: "a", Model: "wild-{model}"}}},
		{Name: "g*", Targets: []TargetConfig{{Provider: "b", Model: "{model}"}}},
		{Name: "gpt-4o", Targets: []TargetConfig{{Provider: "b", Model: "exact"}}},
	}, testProviders(t, "a", "b"), BreakerConfig{}.withDefaults(), pricing.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ req, provider, model string }{
		{"gpt-4o", "b", "exact"},
		{"gpt-5", "a", "wild-gpt-5"},
		{"gemma", "b", "gemma"},
	} {
		r, ok := table.resolve(tc.req)
		if !ok {
			t.Fatalf("%s not resolved", tc.req)
		}
		c := r.plan(tc.req, "", false, pricing.Usage{}, time.Now())[0]
		if c.provider.Name() != tc.provider || c.model != tc.model {
			t.Errorf("%s -> %s/%s, want %s/%s", tc.req, c.provider.Name(), c.model, tc.provider, tc.model)
		}
	}
	if _, ok := table.resolve("claude"); ok {
		t.Error("claude resolved")
	}
}

func TestPickFollowsWeights(t *testing.T) {
	table, err := newRouteTable([]ModelConfig{{Name: "m", Targets: []TargetConfig{
		{Provider: "a", Model: "x", Weight: 90}, {Provider: "b", Model: "y", Weight: 10},
	}}}, testProviders(t, "a", "b"), BreakerConfig{}.withDefaults(), pricing.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := table.resolve("m")
	counts := map[string]int{}
	const n = 20000
	for i := 0; i < n; i++ {
		counts[r.plan("m", "", false, pricing.Usage{}, time.Now())[0].provider.Name()]++
	}
	// 90% of 20000 = 18000; six standard deviations (±254) keep this from
	// ever flaking while still catching a broken split.
	if a := counts["a"]; a < 17746 || a > 18254 {
		t.Errorf("weighted split: %v", counts)
	}
}
