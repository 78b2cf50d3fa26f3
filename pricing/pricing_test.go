package pricing

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestLookup(t *testing.T) {
	tbl := Builtin()
	for _, tc := range []struct {
		model string
		want  Price
		ok    bool
	}{
		{"gpt-4o", builtin["gpt-4o"], true},
		{"gpt-4o-2024-08-06", builtin["gpt-4o"], true},
		{"gpt-4o-mini-2024-07-18", builtin["gpt-4o-mini"], true},
		{"GPT-4o-Mini", builtin["gpt-4o-mini"], true},
		{"openai/gpt-4.1-nano", builtin["gpt-4.1-nano"], true},
		{"claude-sonnet-4-5-20250929", builtin["claude-sonnet-4-5"], true},
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", builtin["claude-sonnet-4-5"], true},
		{"anthropic.claude-3-5-haiku-20241022-v1:0", builtin["claude-3-5-haiku"], true},
		{"models/gemini-2.5-flash-lite", builtin["gemini-2.5-flash-lite"], true},
		{"amazon.nova-pro-v1:0", builtin["nova-pro"], true},
		{"llama-3.1-8b", Price{}, false},
	} {
		got, ok := tbl.Lookup(tc.model)
		if ok != tc.ok || got != tc.want {
			t.Errorf("Lookup(%q) = %+v %v, want %+v %v", tc.model, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCost(t *testing.T) {
	p := Price{Input: 2.5, Output: 10, CachedInput: 1.25}
	// 1117 input of which 1024 cached, 46 output (the OpenAI fixture).
	got := p.Cost(Usage{InputTokens: 1117, OutputTokens: 46, CachedTokens: 1024})
	want := (93*2.5 + 1024*1.25 + 46*10) / 1e6
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("cost %v, want %v", got, want)
	}
	if got := (Price{Input: 1, Output: 2}).Cost(Usage{InputTokens: 10, CachedTokens: 10}); math.Abs(got-10e-6) > 1e-15 {
		t.Errorf("cached without a cached price is ordinary input: %v", got)
	}
}

func TestWithFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, []byte(`{"gpt-4o": {"input": 1, "output": 2}, "Llama-3.1-8B": {"input": 0.05, "output": 0.08}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tbl, err := Builtin().WithFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := tbl.Lookup("gpt-4o-2024-08-06"); p.Input != 1 {
		t.Errorf("override not applied: %+v", p)
	}
	if p, ok := tbl.Lookup("llama-3.1-8b-instruct"); !ok || p.Output != 0.08 {
		t.Errorf("added model: %+v %v", p, ok)
	}
	if p, _ := tbl.Lookup("claude-haiku-4-5"); p != builtin["claude-haiku-4-5"] {
		t.Errorf("built-in lost: %+v", p)
	}
	for _, bad := range []string{`{`, `{"m": {"input": -1}}`, `["x"]`} {
		_ = os.WriteFile(path, []byte(bad), 0o644)
		if _, err := Builtin().WithFile(path); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestCostWithCacheWrites(t *testing.T) {
	p := Price{Input: 3, Output: 15, CachedInput: 0.30, CacheWrite: 3.75}
	got := p.Cost(Usage{InputTokens: 1000, OutputTokens: 100, CachedTokens: 600, CacheWriteTokens: 300})
	want := (100*3 + 600*0.30 + 300*3.75 + 100*15) / 1e6
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("cost %v, want %v", got, want)
	}
	// Without a cache_write price, writes cost as input; counts past the
	// prompt are clamped to it.
	if got, want := (Price{Input: 2, Output: 8}).Cost(Usage{InputTokens: 10, CachedTokens: 4, CacheWriteTokens: 50}), 10*2/1e6; math.Abs(got-want) > 1e-12 {
		t.Errorf("cost %v, want %v", got, want)
	}
	if p, ok := Builtin().Lookup("us.anthropic.claude-sonnet-4-5-20250929-v1:0"); !ok || p.CacheWrite != 3.75 {
		t.Errorf("bedrock claude price %+v %v", p, ok)
	}
}
