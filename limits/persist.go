package limits

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The memory store's snapshot: a JSON file holding the usage counters, the
// spent part of each budget window and each rule's TAT. Reservations of
// calls in flight are not kept: a restart ends those calls anyway.

const snapshotVersion = 1

type snapshotFile struct {
	Version   int                         `json:"version"`
	SavedAt   time.Time                   `json:"saved_at"`
	Consumers map[string]snapshotConsumer `json:"consumers"`
}

type snapshotConsumer struct {
	Usage   map[string]snapshotUsage `json:"usage,omitempty"`
	Rates   []snapshotRate           `json:"rates,omitempty"`
	Budgets []snapshotBudget         `json:"budgets,omitempty"`
}

type snapshotUsage struct {
	Requests     int64 `json:"requests"`
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	CachedTokens int64 `json:"cached_tokens"`
	CostNanoUSD  int64 `json:"cost_nano_usd"`
}

// snapshotRate is one rule's TAT: µs since the epoch plus frac/limit µs.
type snapshotRate struct {
	Kind     Kind   `json:"kind"`
	Limit    int64  `json:"limit"`
	WindowUS int64  `json:"window_us"`
	Model    string `json:"model,omitempty"`
	TATUS    int64  `json:"tat_us"`
	TATFrac  int64  `json:"tat_frac,omitempty"`
}

type snapshotBudget struct {
	PeriodUS      int64 `json:"period_us"`
	WindowStartUS int64 `json:"window_start_us"`
	SpentNanoUSD  int64 `json:"spent_nano_usd"`
}

// load reads the snapshot into the (empty) store. A missing file is a
// fresh start.
func (m *Memory) load() error {
	data, err := os.ReadFile(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("limits: reading the snapshot %s: %w", m.path, err)
	}
	var snap snapshotFile
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("limits: the snapshot %s is corrupt (move it away to start afresh): %w", m.path, err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("limits: the snapshot %s has version %d; this build reads version %d", m.path, snap.Version, snapshotVersion)
	}
	for name, c := range snap.Consumers {
		s := m.shard(name)
		cs := s.consumer(name, true)
		for model, u := range c.Usage {
			cs.usage[model] = usageCounters{
				requests: u.Requests, input: u.InputTokens, output: u.OutputTokens,
				cached: u.CachedTokens, costNano: u.CostNanoUSD,
			}
		}
		for _, r := range c.Rates {
			rule := Rule{Kind: r.Kind, Limit: r.Limit, Window: time.Duration(r.WindowUS) * time.Microsecond, Model: r.Model}
			if rule.Validate() != nil || r.TATFrac < 0 || r.TATFrac >= r.Limit {
				return fmt.Errorf("limits: the snapshot %s is corrupt: consumer %q has an invalid rule state %+v", m.path, name, r)
			}
			cs.rates[rule] = instant{us: r.TATUS, frac: r.TATFrac}
		}
		for _, b := range c.Budgets {
			if b.PeriodUS <= 0 {
				return fmt.Errorf("limits: the snapshot %s is corrupt: consumer %q has a budget period of %d µs", m.path, name, b.PeriodUS)
			}
			cs.budgets[budgetKey{b.PeriodUS, b.WindowStartUS}] = budgetWindow{spent: b.SpentNanoUSD}
		}
	}
	return nil
}

// save writes the snapshot atomically: to a temporary file in the same
// directory, synced, then renamed over the old one, so a crash leaves
// either the old or the new snapshot, never half of one.
func (m *Memory) save() error {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	m.dirty.Store(false) // changes from here on are caught by the next save
	data, err := json.Marshal(m.snapshot())
	if err == nil {
		err = writeFileAtomic(m.path, data)
	}
	if err != nil {
		m.dirty.Store(true)
		return fmt.Errorf("limits: writing the snapshot %s: %w", m.path, err)
	}
	return nil
}

// snapshot copies the state, leaving out what no longer matters (TATs a
// window in the past, budget windows past their grace period).
func (m *Memory) snapshot() *snapshotFile {
	now := m.nowUS()
	snap := &snapshotFile{Version: snapshotVersion, SavedAt: time.UnixMicro(now).UTC(), Consumers: map[string]snapshotConsumer{}}
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for name, cs := range s.consumers {
			var c snapshotConsumer
			if len(cs.usage) > 0 {
				c.Usage = make(map[string]snapshotUsage, len(cs.usage))
				for model, u := range cs.usage {
					c.Usage[model] = snapshotUsage{u.requests, u.input, u.output, u.cached, u.costNano}
				}
			}
			for r, t := range cs.rates {
				if !tatForgotten(t, now, r.windowUS()) {
					c.Rates = append(c.Rates, snapshotRate{r.Kind, r.Limit, r.windowUS(), r.Model, t.us, t.frac})
				}
			}
			for k, w := range cs.budgets {
				if budgetKeep(k.windowStartUS+k.periodUS, now) && w.spent != 0 {
					c.Budgets = append(c.Budgets, snapshotBudget{k.periodUS, k.windowStartUS, w.spent})
				}
			}
			if c.Usage != nil || c.Rates != nil || c.Budgets != nil {
				snap.Consumers[name] = c
			}
		}
		s.mu.Unlock()
	}
	return snap
}

func writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	// Make the rename itself durable; not every system can sync a directory.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
