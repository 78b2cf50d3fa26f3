package limits

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// usageGolden is the document GET /ai_gateway/usage answers for the calls
// in TestUsageReport, whichever the store.
const usageGolden = `{"consumers":[` +
	`{"name":"alice","requests":2,"input_tokens":110,"output_tokens":55,"cached_tokens":20,"cost_usd":0.0133,"budget_remaining_usd":4.9867,` +
	`"models":[{"model":"claude-x","requests":1,"input_tokens":10,"output_tokens":5,"cost_usd":0.001},` +
	`{"model":"gpt-4o-mini","requests":1,"input_tokens":100,"output_tokens":50,"cost_usd":0.0123}],` +
	`"limits":[{"kind":"requests","model":"*","limit":10,"window":"1m","remaining":8,"reset_seconds":11},` +
	`{"kind":"tokens","model":"gpt-4o*","limit":1000,"window":"1m","remaining":866,"reset_seconds":8}]},` +
	`{"name":"anonymous","requests":1,"input_tokens":1,"output_tokens":1,"cached_tokens":0,"cost_usd":0.000002,"budget_remaining_usd":null,` +
	`"models":[{"model":"gpt-4o","requests":1,"input_tokens":1,"output_tokens":1,"cost_usd":0.000002}],"limits":[]},` +
	`{"name":"bob","requests":1,"input_tokens":7,"output_tokens":3,"cached_tokens":0,"cost_usd":0,"budget_remaining_usd":null,` +
	`"models":[{"model":"gpt-4o","requests":1,"input_tokens":7,"output_tokens":3,"cost_usd":0}],"limits":[]},` +
	`{"name":"carol","requests":0,"input_tokens":0,"output_tokens":0,"cached_tokens":0,"cost_usd":0,"budget_remaining_usd":20,` +
	`"models":[],"limits":[{"kind":"requests","model":"*","limit":5,"window":"1h30m","remaining":5,"reset_seconds":0}]}],` +
	`"totals":{"requests":4,"input_tokens":118,"output_tokens":59,"cost_usd":0.013302}}`

func TestUsageReport(t *testing.T) {
	alice := ConsumerLimits{Name: "alice", Budget: &Budget{AmountUSD: 5, Period: 24 * time.Hour}, Rules: []Rule{
		{Kind: Requests, Limit: 10, Window: time.Minute},
		{Kind: Tokens, Limit: 1000, Window: time.Minute, Model: "gpt-4o*"},
	}}
	consumers := []ConsumerLimits{
		alice,
		{Name: "bob"},
		{Name: "carol", Rules: []Rule{{Kind: Requests, Limit: 5, Window: 90 * time.Minute}}, Budget: &Budget{AmountUSD: 20, Period: time.Hour}},
	}
	for _, kind := range storeKinds(t) {
		t.Run(kind.name, func(t *testing.T) {
			clock := newFakeClock()
			s := kind.open(t, clock)
			ask := Ask{Consumer: "alice", Model: "gpt-4o-mini", Rules: alice.Rules, Budget: alice.Budget, Tokens: 500, CostUSD: 0.5}
			_, res := mustAdmit(t, s, ask, true)
			mustSettle(t, s, "alice", "gpt-4o-mini", res, Used{InputTokens: 100, OutputTokens: 50, CachedTokens: 20, CostUSD: 0.0123})
			ask.Model, ask.CostUSD = "claude-x", 0.2
			_, res = mustAdmit(t, s, ask, true)
			mustSettle(t, s, "alice", "claude-x", res, Used{InputTokens: 10, OutputTokens: 5, CostUSD: 0.001})
			mustSettle(t, s, "bob", "gpt-4o", nil, Used{InputTokens: 7, OutputTokens: 3})
			mustSettle(t, s, "anonymous", "gpt-4o", nil, Used{InputTokens: 1, OutputTokens: 1, CostUSD: 0.000002})
			clock.Advance(time.Second)

			rep, err := s.Usage(context.Background(), consumers)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != usageGolden {
				t.Fatalf("usage report:\n%s\nwant:\n%s", got, usageGolden)
			}
		})
	}
}

func TestFormatWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", time.Hour: "1h", 24 * time.Hour: "24h", 90 * time.Minute: "1h30m",
		30 * time.Second: "30s", 90 * time.Second: "1m30s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := formatWindow(d); got != want {
			t.Errorf("formatWindow(%s) = %q, want %q", d, got, want)
		}
	}
}
