package guard

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"testing"
)

type corpusLine struct {
	Text   string `json:"text"`
	Label  string `json:"label"`
	Lang   string `json:"lang"`
	Source string `json:"source"`
	Trick  string `json:"trick"`
}

func loadCorpus(t *testing.T, path string) []corpusLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l corpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		if (l.Label != "attack" && l.Label != "benign") || l.Source != "written for sluice" || l.Lang == "" {
			t.Fatalf("%s:%d: bad line %+v", path, n, l)
		}
		out = append(out, l)
	}
	return out
}

// confusion counts outcomes for one slice of a corpus.
type confusion struct{ tp, fp, tn, fn int }

func (c confusion) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c confusion) recall() float64    { return ratio(c.tp, c.tp+c.fn) }
func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// evaluate scores every line (tool-result lines, trick "indirect", with
// ScoreToolResult), logs the errors and the breakdown by language and by
// trick, and returns the totals.
func evaluate(t *testing.T, name string, lines []corpusLine) confusion {
	d := NewInjectionDetector(InjectionOptions{})
	var total confusion
	byKey := map[string]*confusion{}
	for _, l := range lines {
		r := d.Score(l.Text)
		if l.Trick == "indirect" {
			r = d.ScoreToolResult(l.Text)
		}
		attack := l.Label == "attack"
		for _, key := range []string{"lang=" + l.Lang, "trick=" + l.Trick} {
			if byKey[key] == nil {
				byKey[key] = &confusion{}
			}
			count(byKey[key], attack, r.Injection)
		}
		count(&total, attack, r.Injection)
		if attack != r.Injection {
			t.Logf("%s: MISS %s score=%.2f %v: %q", name, l.Label, r.Score, r.Signals, l.Text)
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := byKey[k]
		t.Logf("%s %-18s attacks %3d recall %.3f | benign %3d false positives %d", name, k, c.tp+c.fn, c.recall(), c.tn+c.fp, c.fp)
	}
	t.Logf("%s: %d lines, precision %.3f recall %.3f (tp %d fp %d tn %d fn %d)",
		name, len(lines), total.precision(), total.recall(), total.tp, total.fp, total.tn, total.fn)
	return total
}

func count(c *confusion, attack, flagged bool) {
	switch {
	case attack && flagged:
		c.tp++
	case attack:
		c.fn++
	case flagged:
		c.fp++
	default:
		c.tn++
	}
}

// TestInjectionCorpus measures the detector on the corpus it was tuned on
// (349 lines: 176 attacks, 173 benign look-alikes, seven languages, ten
// tricks). It scores 1.000 / 1.000 today. The floors are what a guard in
// the request path must keep: precision 0.95 because a false positive
// refuses a legitimate request (at most about one benign line in twenty
// of the flagged ones), recall 0.90 so that a lexicon change that loses a
// whole language or trick (each is 5 to 12 lines) fails the test.
func TestInjectionCorpus(t *testing.T) {
	lines := loadCorpus(t, "testdata/injection_corpus.jsonl")
	c := evaluate(t, "corpus", lines)
	if c.precision() < 0.95 || c.recall() < 0.90 {
		t.Errorf("corpus precision %.3f recall %.3f below floor", c.precision(), c.recall())
	}
}

// TestInjectionHoldout measures the detector on 51 lines (27 attacks, 24
// benign) written before the detector existed and never tuned on. Its
// first measurement, before any tuning on the corpus, was precision 1.000
// recall 0.889; it is 1.000 / 0.926 now. The floors are lower than the
// corpus ones because the set is small (one attack is 3.7 points of
// recall) and its misses are the paraphrases a lexicon does not know:
// precision 0.80, recall 0.60.
func TestInjectionHoldout(t *testing.T) {
	lines := loadCorpus(t, "testdata/injection_holdout.jsonl")
	c := evaluate(t, "holdout", lines)
	if c.precision() < 0.8 || c.recall() < 0.6 {
		t.Errorf("holdout precision %.3f recall %.3f below floor", c.precision(), c.recall())
	}
}
