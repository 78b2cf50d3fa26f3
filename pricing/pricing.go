// Package pricing holds what tokens cost: a built-in table of list prices for
// the common OpenAI, Anthropic, Gemini and Bedrock models, which a JSON file
// may extend or override, and the cost of a call's usage.
package pricing

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Price is what a model charges, in US dollars per million tokens.
type Price struct {
	Input       float64 `json:"input"`
	Output      float64 `json:"output"`
	CachedInput float64 `json:"cached_input,omitempty"` // input served from the provider's prompt cache
	CacheWrite  float64 `json:"cache_write,omitempty"`  // input written to the provider's prompt cache
}

// Usage is a call's token counts. CachedTokens is the part of InputTokens
// the provider served from its cache, CacheWriteTokens the part it wrote to
// it (Anthropic and Bedrock bill those at a premium).
type Usage struct {
	InputTokens, OutputTokens, CachedTokens, CacheWriteTokens int
}

// Cost is what usage costs at price p, in US dollars. Cached input and
// cache writes are billed at their own prices when the model has them,
// else as ordinary input.
func (p Price) Cost(u Usage) float64 {
	cached := min(max(u.CachedTokens, 0), max(u.InputTokens, 0))
	written := min(max(u.CacheWriteTokens, 0), max(u.InputTokens, 0)-cached)
	plain := max(u.InputTokens, 0) - cached - written
	return (float64(plain)*p.Input + float64(cached)*or(p.CachedInput, p.Input) +
		float64(written)*or(p.CacheWrite, p.Input) + float64(max(u.OutputTokens, 0))*p.Output) / 1e6
}

func or(price, otherwise float64) float64 {
	if price == 0 {
		return otherwise
	}
	return price
}

// Table finds a model's price by name. Names are matched exactly, then by
// the longest known name the model's name starts with (so a dated snapshot
// such as gpt-4o-2024-08-06 is priced as gpt-4o, and gpt-4o-mini-... as
// gpt-4o-mini), after Bedrock's region and vendor prefixes
// ("us.anthropic.") are dropped. Safe for concurrent use once built.
type Table struct {
	prices map[string]Price
	names  []string // by length, longest first, for prefix matching
	// Source says where the prices come from (built-in and its date, or a file).
	Source string
}

// NewTable makes a table from a name -> price map.
func NewTable(prices map[string]Price, source string) *Table {
	t := &Table{prices: make(map[string]Price, len(prices)), Source: source}
	for name, p := range prices {
		t.prices[strings.ToLower(name)] = p
	}
	t.index()
	return t
}

func (t *Table) index() {
	t.names = t.names[:0]
	for name := range t.prices {
		t.names = append(t.names, name)
	}
	sort.Slice(t.names, func(i, j int) bool {
		if len(t.names[i]) != len(t.names[j]) {
			return len(t.names[i]) > len(t.names[j])
		}
		return t.names[i] < t.names[j]
	})
}

// Lookup returns the price of a model, and whether the table knows it.
func (t *Table) Lookup(model string) (Price, bool) {
	if t == nil {
		return Price{}, false
	}
	name := normalize(model)
	if p, ok := t.prices[name]; ok {
		return p, true
	}
	for _, known := range t.names {
		if strings.HasPrefix(name, known) {
			return t.prices[known], true
		}
	}
	return Price{}, false
}

// normalize lower-cases a model name and drops the prefixes Bedrock and
// routers put before the model's own name.
func normalize(model string) string {
	name := strings.ToLower(model)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:] // "openai/gpt-4o", "models/gemini-2.5-pro"
	}
	for _, region := range []string{"us.", "eu.", "apac.", "global."} {
		name = strings.TrimPrefix(name, region)
	}
	for _, vendor := range []string{"anthropic.", "amazon.", "meta.", "mistral.", "cohere."} {
		name = strings.TrimPrefix(name, vendor)
	}
	return name
}

// WithFile returns a table of t's prices with those of a JSON file laid over
// them: {"model-name": {"input": 2.5, "output": 10, "cached_input": 1.25,
// "cache_write": 3.75}, ...}.
func (t *Table) WithFile(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading prices: %w", err)
	}
	var file map[string]Price
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("prices file %s: %w", path, err)
	}
	merged := make(map[string]Price, len(t.prices)+len(file))
	for name, p := range t.prices {
		merged[name] = p
	}
	for name, p := range file {
		if p.Input < 0 || p.Output < 0 || p.CachedInput < 0 || p.CacheWrite < 0 {
			return nil, fmt.Errorf("prices file %s: %s has a negative price", path, name)
		}
		merged[strings.ToLower(name)] = p
	}
	return NewTable(merged, t.Source+" + "+path), nil
}
