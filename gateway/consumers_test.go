package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluicegw/sluice/limits"
)

func TestConsumerTableIdentifies(t *testing.T) {
	table, err := newConsumerTable([]ConsumerConfig{
		{Name: "a", Keys: []string{"key-a1", "key-a2"}, Models: []string{"gpt-*"}},
		{Name: "b", Keys: []string{"key-b"}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		header, value, want string
		status              int
	}{
		{"Authorization", "Bearer key-a1", "a", 0},
		{"Authorization", "bearer key-a2", "a", 0},
		{"X-Api-Key", "key-b", "b", 0},
		{"Authorization", "Bearer nope", "", 401},
		{"Authorization", "Basic key-a1", "", 401},
		{"", "", "", 401},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
		if c.header != "" {
			r.Header.Set(c.header, c.value)
		}
		got, aerr := table.identify(r)
		switch {
		case c.status != 0 && (aerr == nil || aerr.Status != c.status || aerr.Code != "invalid_api_key"):
			t.Errorf("%s: %q: want %d, got %v", c.header, c.value, c.status, aerr)
		case c.status == 0 && (aerr != nil || got.name != c.want):
			t.Errorf("%s: %q: want %s, got %v %v", c.header, c.value, c.want, got, aerr)
		}
	}
	a, _ := table.identify(func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("X-Api-Key", "key-a1")
		return r
	}())
	if !a.allows("gpt-4o") || a.allows("claude-3") {
		t.Error("models patterns not applied")
	}
}

func TestConsumerTableRejectsBadConfig(t *testing.T) {
	bad := [][]ConsumerConfig{
		{{Name: "", Keys: []string{"k"}}},
		{{Name: "a"}},
		{{Name: "a", Keys: []string{""}}},
		{{Name: "a", Keys: []string{"k"}}, {Name: "a", Keys: []string{"j"}}},
		{{Name: "a", Keys: []string{"k"}}, {Name: "b", Keys: []string{"k"}}},
		{{Name: "a", Keys: []string{"k"}, Rules: []limits.Rule{{Kind: limits.Tokens, Limit: 0, Window: time.Minute}}}},
		{{Name: "a", Keys: []string{"k"}, Budget: &limits.Budget{AmountUSD: -1, Period: time.Hour}}},
	}
	for i, cfgs := range bad {
		if _, err := newConsumerTable(cfgs, ""); err == nil {
			t.Errorf("case %d: accepted", i)
		}
	}
}

func TestLimitHeaders(t *testing.T) {
	h := http.Header{}
	setLimitHeaders(h, &limits.Decision{States: []limits.RuleState{
		{Rule: limits.Rule{Kind: limits.Requests, Limit: 60, Window: time.Minute}, Remaining: 59, Reset: time.Second},
		{Rule: limits.Rule{Kind: limits.Tokens, Limit: 1000, Window: time.Minute}, Remaining: 400, Reset: 36 * time.Second},
		{Rule: limits.Rule{Kind: limits.Tokens, Limit: 90000, Window: time.Hour, Model: "gpt-*"}, Remaining: 300, Reset: 6 * time.Minute},
	}, BudgetRemainingUSD: 1.5}, true)
	want := map[string]string{
		"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "59", "X-Ratelimit-Reset-Requests": "1s",
		"X-Ratelimit-Limit-Tokens": "90000", "X-Ratelimit-Remaining-Tokens": "300", "X-Ratelimit-Reset-Tokens": "6m0s",
		"X-Sluice-Budget-Remaining-Usd": "1.500000",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if got := formatReset(20 * time.Millisecond); got != "20ms" {
		t.Errorf("formatReset(20ms) = %q", got)
	}
}

func TestConsumerLabelModes(t *testing.T) {
	cfgs := []ConsumerConfig{
		{Name: "a", Keys: []string{"ka"}, Metadata: map[string]string{"team": "research"}},
		{Name: "b", Keys: []string{"kb"}},
	}
	for mode, want := range map[string][2]string{
		"": {"a", "b"}, "name": {"a", "b"}, "none": {"_all", "_all"}, "metadata:team": {"research", "_unset"},
	} {
		table, err := newConsumerTable(cfgs, mode)
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]string{table.all[0].label, table.all[1].label}; got != want {
			t.Errorf("mode %q: labels %v, want %v", mode, got, want)
		}
	}
	if _, err := newConsumerTable(cfgs, "metadata:"); err == nil {
		t.Error("metadata: without a key accepted")
	}
}
