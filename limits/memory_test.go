package limits

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMemorySnapshotRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "usage.json")
	clock := newFakeClock()
	m, err := NewMemory(MemoryOptions{Path: path, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rules := []Rule{perMinute5, tokens1000}
	limits := []ConsumerLimits{{Name: "alice", Rules: rules, Budget: daily1USD}}
	ask := Ask{Consumer: "alice", Model: "gpt", Rules: rules, Budget: daily1USD, Tokens: 300, CostUSD: 0.2}
	_, res := mustAdmit(t, m, ask, true)
	mustSettle(t, m, "alice", "gpt", res, Used{InputTokens: 100, OutputTokens: 50, CachedTokens: 10, CostUSD: 0.15})
	mustSettle(t, m, "anonymous", "other", nil, Used{InputTokens: 1})
	before, err := m.Usage(context.Background(), limits)
	if err != nil {
		t.Fatal(err)
	}
	// A call in flight at shutdown: its reservation is not kept.
	mustAdmit(t, m, ask, true)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Admit(context.Background(), ask); err != ErrClosed {
		t.Fatalf("Admit after Close: %v", err)
	}

	m2, err := NewMemory(MemoryOptions{Path: path, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	after, err := m2.Usage(context.Background(), limits)
	if err != nil {
		t.Fatal(err)
	}
	// The in-flight call's rule use stays (its TAT was saved) ...
	before.Consumers[0].Limits = after.Consumers[0].Limits
	if r := after.Consumers[0].Limits; r[0].Remaining != 3 || r[1].Remaining != 1000-150-300 {
		t.Fatalf("limits after reopening: %+v", r)
	}
	// ... but not its budget reservation.
	if *after.Consumers[0].BudgetRemainingUSD != 0.85 {
		t.Fatalf("budget after reopening: %v", *after.Consumers[0].BudgetRemainingUSD)
	}
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if string(a) != string(b) {
		t.Fatalf("after reopening:\n%s\nbefore:\n%s", a, b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestMemoryCorruptSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.json")
	for _, content := range []string{`{"version":1,"consumers":`, `{"version":7}`, `{"version":1,"consumers":{"a":{"rates":[{"kind":"tokens","limit":0,"window_us":1,"tat_us":1}]}}}`} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := NewMemory(MemoryOptions{Path: path})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: error %v should name %s", content, err, path)
		}
	}
}

func TestMemoryFlushesWhenChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.json")
	m, err := NewMemory(MemoryOptions{Path: path, FlushEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	time.Sleep(50 * time.Millisecond)
	if _, err := os.Stat(path); err == nil {
		t.Fatal("an unchanged store wrote a snapshot")
	}
	mustSettle(t, m, "a", "m", nil, Used{OutputTokens: 42})
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), `"output_tokens":42`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshot not written: %q", data)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMemoryUnwritableSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "usage.json")
	m, err := NewMemory(MemoryOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	mustSettle(t, m, "a", "m", nil, Used{})
	// A directory where the file should be: the rename fails.
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Close: %v", err)
	}
}

func TestMemoryPrune(t *testing.T) {
	clock := newFakeClock()
	m, err := NewMemory(MemoryOptions{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ask := Ask{Consumer: "a", Model: "m", Rules: []Rule{perMinute5}, Budget: daily1USD, CostUSD: 0.5}
	_, res := mustAdmit(t, m, ask, true)
	clock.Advance(2 * time.Minute)
	m.prune()
	cs := m.shard("a").consumers["a"]
	if len(cs.rates) != 0 || len(cs.budgets) != 1 {
		t.Fatalf("after 2 minutes: %d rates, %d budget windows", len(cs.rates), len(cs.budgets))
	}
	clock.Advance(untilMidnight - 2*time.Minute + budgetGrace) // the grace's last µs
	mustSettle(t, m, "a", "m", res, Used{CostUSD: 0.5})        // just in time
	if w := cs.budgets[budgetKey{86_400_000_000, windowStart(clock.Now().Add(-25*time.Hour).UnixMicro(), 86_400_000_000)}]; w.spent != 500_000_000 {
		t.Fatalf("late settlement: %+v", cs.budgets)
	}
	clock.Advance(time.Microsecond)
	m.prune()
	if len(cs.budgets) != 0 {
		t.Fatalf("budget windows kept past their grace: %+v", cs.budgets)
	}
	if m.shard("a").consumers["a"] == nil {
		t.Fatal("a consumer with counters was pruned")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m, err := NewMemory(MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	checkSharedLimit(t, []Store{m, m})
}
