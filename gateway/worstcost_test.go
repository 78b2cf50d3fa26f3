package gateway

import (
	"math"
	"testing"

	"github.com/sluicegw/sluice/pricing"
)

// A budget's reservation assumes the whole prompt may be written to the
// cache when that is dearer than plain input (Claude's cache writes cost
// 1.25 × input), so what a call then costs never exceeds it.
func TestWorstCostAssumesCacheWrites(t *testing.T) {
	g := &Gateway{prices: pricing.NewTable(map[string]pricing.Price{
		"claude": {Input: 3, Output: 15, CachedInput: 0.30, CacheWrite: 3.75},
		"gpt":    {Input: 2.5, Output: 10},
	}, "test")}
	u := pricing.Usage{InputTokens: 1000, OutputTokens: 100}
	for _, c := range []struct {
		models []string
		want   float64
	}{
		{[]string{"claude"}, (1000*3.75 + 100*15) / 1e6},
		{[]string{"gpt"}, (1000*2.5 + 100*10) / 1e6},
		{[]string{"gpt", "claude"}, (1000*3.75 + 100*15) / 1e6},
	} {
		plan := &attemptPlan{}
		for _, m := range c.models {
			plan.candidates = append(plan.candidates, candidate{model: m})
		}
		if got := g.worstCost(plan, u); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%v: worst cost %v, want %v", c.models, got, c.want)
		}
	}
}
