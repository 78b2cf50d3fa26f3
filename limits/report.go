package limits

import (
	"math"
	"sort"
	"strings"
	"time"
)

// Report is what GET /ai_gateway/usage answers. Counters are cumulative
// since the store was created; they are not reset by budget periods.
type Report struct {
	// Consumers are sorted by name. Every consumer with counters is listed,
	// configured or not (calls without a consumer count as whatever name the
	// caller settles them under, e.g. "anonymous"), and so is every
	// configured consumer, with zeros if it made no call yet.
	Consumers []ConsumerReport `json:"consumers"`
	Totals    TotalsReport     `json:"totals"`
}

// ConsumerReport is one consumer's counters and limits.
type ConsumerReport struct {
	Name         string  `json:"name"`
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CachedTokens int64   `json:"cached_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	// BudgetRemainingUSD is what is left in the current budget period, or
	// null when the consumer has no budget.
	BudgetRemainingUSD *float64 `json:"budget_remaining_usd"`
	// Models are sorted by name.
	Models []ModelReport `json:"models"`
	// Limits are the consumer's rules as they stand now, in configuration
	// order (empty for a consumer that is not configured).
	Limits []LimitReport `json:"limits"`
}

// ModelReport is one consumer's counters for one public model name.
type ModelReport struct {
	Model        string  `json:"model"`
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
}

// LimitReport is one rule's state now.
type LimitReport struct {
	Kind Kind `json:"kind"`
	// Model is the rule's model pattern, "*" for every model.
	Model     string `json:"model"`
	Limit     int64  `json:"limit"`
	Window    string `json:"window"` // "1m", "24h", "1h30m"
	Remaining int64  `json:"remaining"`
	// ResetSeconds is the time until the rule is fully replenished, in
	// seconds to the millisecond.
	ResetSeconds float64 `json:"reset_seconds"`
}

// TotalsReport sums every consumer's counters.
type TotalsReport struct {
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
}

// reportInput is what a store gathered for a report: its clock, the
// counters per consumer and model, and lookups of rule and budget state.
type reportInput struct {
	now    int64
	usage  map[string]map[string]usageCounters
	tat    func(consumer string, r Rule) instant
	budget func(consumer string, periodUS, windowStartUS int64) budgetWindow
}

// buildReport assembles the report; money is summed in nano-dollars and
// converted once, so totals carry no float drift.
func buildReport(in *reportInput, consumers []ConsumerLimits) Report {
	configured := make(map[string]*ConsumerLimits, len(consumers))
	names := make([]string, 0, len(in.usage)+len(consumers))
	for name := range in.usage {
		names = append(names, name)
	}
	for i := range consumers {
		c := &consumers[i]
		if _, dup := configured[c.Name]; dup {
			continue
		}
		configured[c.Name] = c
		if _, counted := in.usage[c.Name]; !counted {
			names = append(names, c.Name)
		}
	}
	sort.Strings(names)

	rep := Report{Consumers: make([]ConsumerReport, 0, len(names))}
	var totalCost int64
	for _, name := range names {
		cr := ConsumerReport{Name: name, Models: []ModelReport{}, Limits: []LimitReport{}}
		var cost int64
		models := in.usage[name]
		modelNames := make([]string, 0, len(models))
		for model := range models {
			modelNames = append(modelNames, model)
		}
		sort.Strings(modelNames)
		for _, model := range modelNames {
			u := models[model]
			cr.Requests += u.requests
			cr.InputTokens += u.input
			cr.OutputTokens += u.output
			cr.CachedTokens += u.cached
			cost += u.costNano
			cr.Models = append(cr.Models, ModelReport{
				Model: model, Requests: u.requests, InputTokens: u.input, OutputTokens: u.output, CostUSD: usd(u.costNano),
			})
		}
		cr.CostUSD = usd(cost)
		if c := configured[name]; c != nil {
			cr.Limits = limitReports(in, c)
			if b := c.Budget; b != nil && b.Validate() == nil {
				p := b.periodUS()
				w := in.budget(name, p, windowStart(in.now, p))
				left := usd(max(b.amountNano()-w.spent-w.reserved, 0))
				cr.BudgetRemainingUSD = &left
			}
		}
		rep.Totals.Requests += cr.Requests
		rep.Totals.InputTokens += cr.InputTokens
		rep.Totals.OutputTokens += cr.OutputTokens
		totalCost += cost
		rep.Consumers = append(rep.Consumers, cr)
	}
	rep.Totals.CostUSD = usd(totalCost)
	return rep
}

func limitReports(in *reportInput, c *ConsumerLimits) []LimitReport {
	out := make([]LimitReport, 0, len(c.Rules))
	for _, r := range c.Rules {
		if r.Validate() != nil {
			continue
		}
		t := in.tat(c.Name, r).notBefore(in.now)
		model := r.Model
		if model == "" {
			model = "*"
		}
		reset := until(t, in.now, r.Limit)
		out = append(out, LimitReport{
			Kind:         r.Kind,
			Model:        model,
			Limit:        r.Limit,
			Window:       formatWindow(r.Window),
			Remaining:    remainingAt(t, in.now, r.windowUS(), r.Limit),
			ResetSeconds: math.Round(reset.Seconds()*1000) / 1000,
		})
	}
	return out
}

// formatWindow writes a duration without trailing zero units: "1m", "24h",
// "1h30m", "30s".
func formatWindow(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
