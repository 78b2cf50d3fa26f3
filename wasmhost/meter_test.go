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

// A rewritten module that does not compile falls back to the original:
// a valid original runs (unmetered), an invalid one is reported with its
// own error, not the rewrite's.
func TestRewriteThatDoesNotCompile(t *testing.T) {
	instrument = func(src []byte) ([]byte, error) { return src[:len(src)-1], nil } // truncated
	defer func() { instrument = meterInstrument }()
	p := compile(t, wat(t, "../examples/wasm/fixed_route.wat"), scripting.Limits{}, nil)
	if p.(*program).g.metered {
		t.Fatal("metered")
	}
	if got := mustRoute(t, p, sampleRequest("m")); len(got) != 1 {
		t.Errorf("route = %v", got)
	}
	// A function () -> i32 whose body leaves an i64.
	invalid := []byte("\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x42\x00\x0b")
	_, err := engine(t).Compile("bad.wasm", invalid, scripting.Limits{}, nil)
	var ce *scripting.CompileError
	if !errors.As(err, &ce) || err.Error() != "bad.wasm: invalid function[0]: cannot use i64 as result[0] type i32" {
		t.Errorf("err = %v", err)
	}
}
