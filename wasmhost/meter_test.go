package wasmhost

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sluicegw/sluice/scripting"
)

// Every guest of the tests can be metered (rewritten by package meter),
// none left to wazero's slower checks, and Compile meters.
func TestGuestsAreMetered(t *testing.T) {
	for name, wasm := range map[string][]byte{
		"router":       goGuest(t, "../examples/wasm/router"),
		"redact":       goGuest(t, "../examples/wasm/redact"),
		"conformance":  conformanceGuest(t),
		"go-floor":     goGuest(t, "testdata/floor"),
		"go-sdk-floor": goGuest(t, "testdata/sdkfloor"),
		"fixed_route":  wat(t, "../examples/wasm/fixed_route.wat"),
		"runaway":      wat(t, "testdata/wat/runaway.wat"),
		"hash":         wat(t, "testdata/wat/hash.wat"),
		"calls":        wat(t, "testdata/wat/calls.wat"),
		"results":      wat(t, "testdata/wat/results.wat"),
		"hooks_mask":   wat(t, "testdata/wat/hooks_mask.wat"),
	} {
		if _, err := instrument(wasm); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if p := compile(t, wat(t, "../examples/wasm/fixed_route.wat"), scripting.Limits{}, nil).(*program); !p.g.metered {
		t.Error("Compile did not meter fixed_route.wat")
	}
}

// Runaway guests are stopped at their time limit even when they hold every
// processor the Go scheduler has (one here), so that the timer that stops
// them has none to run on but theirs: a loop that calls nothing, and a
// call tree that never loops.
func TestRunawayOnOneProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, guest := range []string{"testdata/wat/runaway.wat", "testdata/wat/calls.wat"} {
		p := compile(t, wat(t, guest), scripting.Limits{Timeout: 30 * time.Millisecond, PoolSize: 4}, nil)
		start := time.Now()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				_, err := p.Route(context.Background(), &scripting.Request{})
				if !errors.Is(err, scripting.ErrTimeout) {
					t.Errorf("%s: err = %v, want a timeout", guest, err)
				}
			})
		}
		wg.Wait()
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s: the calls ran %v", guest, took)
		}
	}
}

// A module package meter cannot rewrite runs with wazero's own checks, and
// is stopped at its time limit as surely.
func TestUnmeteredFallback(t *testing.T) {
	instrument = func([]byte) ([]byte, error) { return nil, errors.New("no") }
	defer func() { instrument = meterInstrument }()
	p := compile(t, wat(t, "testdata/wat/runaway.wat"), scripting.Limits{Timeout: 30 * time.Millisecond, PoolSize: 1}, nil)
	if p.(*program).g.metered {
		t.Fatal("metered")
	}
	start := time.Now()
	if _, err := p.Route(context.Background(), &scripting.Request{}); !errors.Is(err, scripting.ErrTimeout) {
		t.Errorf("err = %v, want a timeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the loop ran %v", took)
	}
	if got := mustRoute(t, compile(t, wat(t, "../examples/wasm/fixed_route.wat"), scripting.Limits{}, nil), sampleRequest("m")); len(got) != 1 {
		t.Errorf("route = %v", got)
	}
}
