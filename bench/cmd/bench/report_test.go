package main

import (
	"testing"
	"time"

	"github.com/sluicegw/sluice/bench/load"
)

func TestWithoutSlowCells(t *testing.T) {
	mk := func(fake time.Duration, requests int) *cell {
		return &cell{fake: fake, res: &load.Result{Requests: requests}}
	}
	cs := []*cell{mk(time.Second, 1000), mk(1100*time.Millisecond, 1000), mk(900*time.Millisecond, 600)}
	r := &runner{}
	// Per request: 1.0, 1.1 and 1.5 ms: the last is over 1.2 × 1.0.
	if got := r.withoutSlowCells(workload{name: "chat-c32"}, cs); len(got) != 2 || got[0] != cs[0] || got[1] != cs[1] {
		t.Errorf("kept %d cells", len(got))
	}
	if got := r.withoutSlowCells(workload{name: "paced-c32", paced: true}, cs); len(got) != 3 {
		t.Errorf("paced: kept %d cells", len(got))
	}
}
