package limits

import (
	"testing"
	"time"
)

func TestRuleMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, model string
		want           bool
	}{
		{"", "anything", true},
		{"gpt-4o", "gpt-4o", true},
		{"gpt-4o", "gpt-4o-mini", false},
		{"gpt-4o*", "gpt-4o-mini", true},
		{"gpt-4o*", "gpt-4o", true},
		{"*-mini", "gpt-4o-mini", true},
		{"*-mini", "gpt-4o-mini-2024", false},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a*a*a", "aaaa", true},
		{"a*a*a", "aa", false},
		{"GPT*", "gpt-4o", false},
		{"claude-*-sonnet*", "claude-3-5-sonnet-latest", true},
	} {
		r := Rule{Kind: Requests, Limit: 1, Window: time.Minute, Model: c.pattern}
		if got := r.Matches(c.model); got != c.want {
			t.Errorf("%q matches %q: %v, want %v", c.pattern, c.model, got, c.want)
		}
	}
}

func TestRuleID(t *testing.T) {
	if id := (Rule{Kind: Tokens, Limit: 100000, Window: time.Minute, Model: "gpt-4o*"}).ID(); id != "tokens/100000/1m0s/gpt-4o*" {
		t.Fatal(id)
	}
	if id := (Rule{Kind: Requests, Limit: 600, Window: 24 * time.Hour}).ID(); id != "requests/600/24h0m0s" {
		t.Fatal(id)
	}
}

func TestValidate(t *testing.T) {
	bad := []Rule{
		{Kind: "calls", Limit: 1, Window: time.Minute},
		{Kind: Tokens, Limit: 0, Window: time.Minute},
		{Kind: Tokens, Limit: MaxLimit + 1, Window: time.Minute},
		{Kind: Tokens, Limit: 1, Window: time.Microsecond},
		{Kind: Tokens, Limit: 1, Window: MaxWindow + 1},
	}
	for _, r := range bad {
		if r.Validate() == nil {
			t.Errorf("%+v: want an error", r)
		}
	}
	if err := (Rule{Kind: Tokens, Limit: MaxLimit, Window: MaxWindow}).Validate(); err != nil {
		t.Error(err)
	}
	for _, b := range []Budget{{AmountUSD: -1, Period: time.Hour}, {AmountUSD: 1, Period: 0}, {AmountUSD: MaxBudgetUSD + 1, Period: time.Hour}} {
		if b.Validate() == nil {
			t.Errorf("%+v: want an error", b)
		}
	}
}

func TestMoney(t *testing.T) {
	if n := askNano(0.3); n != 300_000_000 {
		t.Fatal(n)
	}
	if n := askNano(0.0000000011); n != 2 {
		t.Fatal(n) // rounded up
	}
	if n := spentNano(0.0000000014); n != 1 {
		t.Fatal(n) // to the nearest
	}
	if askNano(-1) != 0 || spentNano(-1) != 0 {
		t.Fatal("negative costs count as 0")
	}
}

func TestSpan(t *testing.T) {
	// 1 of 7 per minute: 8571428 4/7 µs.
	if us, frac := span(1, 60_000_000, 7); us != 8571428 || frac != 4 {
		t.Fatal(us, frac)
	}
	// A refund of the same is -8571429 + 3/7.
	if us, frac := span(-1, 60_000_000, 7); us != -8571429 || frac != 3 {
		t.Fatal(us, frac)
	}
	at := instant{us: 1000, frac: 0}
	fwdUS, fwdFrac := span(1, 60_000_000, 7)
	backUS, backFrac := span(-1, 60_000_000, 7)
	if back := at.plus(fwdUS, fwdFrac, 7).plus(backUS, backFrac, 7); back != at {
		t.Fatalf("there and back: %+v", back)
	}
	// Large products do not overflow.
	w := int64(MaxWindow / time.Microsecond)
	if us, _ := span(MaxLimit, w, MaxLimit); us != w {
		t.Fatal(us, w)
	}
	if us, _ := span(1<<62, w, 1); us != maxSpanUS {
		t.Fatal(us)
	}
	if r := remainingAt(instant{us: 1 + w/2}, 1, w, MaxLimit); r != MaxLimit/2 {
		t.Fatal(r)
	}
}
