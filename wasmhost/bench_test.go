package wasmhost

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/sluicegw/sluice/scripting"
)

// benchLimits give hooks a generous time limit: a benchmark measures, and
// a loaded machine should not fail it with a timeout.
var benchLimits = scripting.Limits{Timeout: time.Second}

// The route hook, as scripting's BenchmarkRoute measures Lua and
// JavaScript, on three guests:
//
//   - wat: fixed_route.wat, the cost of the boundary itself (the host's
//     encoding of req, the call, the result);
//   - go: the router example in Go, which reads the prompt, declaring the
//     fields it reads (guest.Route(fn, fields...));
//   - go-all-fields: the Go conformance guest's route by prompt length,
//     which gets every field of req;
//   - go-floor: testdata/floor, a Go guest without the SDK whose route
//     reads nothing and returns a constant: what a //go:wasmexport call
//     costs by itself, the floor under every Go plugin;
//   - go-sdk-floor: testdata/sdkfloor, the same through the SDK (a route
//     hook that asks for no field): the SDK's own cost over go-floor.
func BenchmarkRoute(b *testing.B) { benchmarkRoute(b) }

// BenchmarkRouteUnmetered is BenchmarkRoute with the modules left as they
// are and wazero's own termination checks (WithCloseOnContextDone), what
// a module that package meter cannot rewrite gets: the cost meter saves.
func BenchmarkRouteUnmetered(b *testing.B) {
	instrument = func([]byte) ([]byte, error) { return nil, errors.New("unmetered") }
	defer func() { instrument = meterInstrument }()
	benchmarkRoute(b)
}

func benchmarkRoute(b *testing.B) {
	guests := []struct {
		name  string
		wasm  func(testing.TB) []byte
		model string
	}{
		{"wat", func(tb testing.TB) []byte { return wat(tb, "../examples/wasm/fixed_route.wat") }, "auto"},
		{"go", func(tb testing.TB) []byte { return goGuest(tb, "../examples/wasm/router") }, "auto"},
		{"go-all-fields", conformanceGuest, "route-length"},
		{"go-floor", func(tb testing.TB) []byte { return goGuest(tb, "testdata/floor") }, "auto"},
		{"go-sdk-floor", func(tb testing.TB) []byte { return goGuest(tb, "testdata/sdkfloor") }, "auto"},
	}
	for _, g := range guests {
		b.Run(g.name, func(b *testing.B) {
			p := compile(b, g.wasm(b), benchLimits, nil)
			req := sampleRequest(g.model)
			ctx := context.Background()
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				out, err := p.Route(ctx, req)
				if err != nil || len(out) == 0 {
					b.Fatal(out, err)
				}
			}
			cpu.report(b)
		})
	}
}

func BenchmarkRouteParallel(b *testing.B) {
	p := compile(b, goGuest(b, "../examples/wasm/router"), benchLimits, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := sampleRequest("auto")
		for pb.Next() {
			if _, err := p.Route(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkChainRoute is the gateway's path: pin, route, release.
func BenchmarkChainRoute(b *testing.B) {
	engines := append(scripting.Engines(), engine(b))
	s, err := scripting.NewInline("bench", "wasm", goGuest(b, "../examples/wasm/router"), engines, benchLimits, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	chain := scripting.NewChain(func(scripting.HookEvent) {}, scripting.Step{Script: s})
	req := sampleRequest("auto")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		run := chain.Begin()
		out, err := run.Route(ctx, req)
		run.Release()
		if err != nil || len(out) == 0 {
			b.Fatal(out, err)
		}
	}
}

// BenchmarkOnChunk is the redact example's chunk hook on one streamed
// delta, which asks for no field of req.
func BenchmarkOnChunk(b *testing.B) {
	p := compile(b, goGuest(b, "../examples/wasm/redact"), benchLimits, nil)
	req := sampleRequest("m")
	ctx := context.Background()
	for _, c := range []struct{ name, text, want string }{
		{"clean", "well, that is a delta", "well, that is a delta"},
		{"email", "write to ann@example.com now", "write to [EMAIL] now"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				chunk := scripting.Chunk{Text: c.text}
				if err := p.OnChunk(ctx, req, &chunk); err != nil || chunk.Text != c.want {
					b.Fatal(chunk, err)
				}
			}
		})
	}
}

// BenchmarkInstance measures what one pooled instance costs: the time to
// make one, its linear memory once initialised and after 10,000 route
// calls (guest-KiB), and the Go heap it holds on the host (host-KiB; the
// linear memory is a mapping of its own, outside the Go heap).
func BenchmarkInstance(b *testing.B) {
	for _, g := range []struct {
		name string
		wasm func(testing.TB) []byte
	}{
		{"wat", func(tb testing.TB) []byte { return wat(tb, "../examples/wasm/fixed_route.wat") }},
		{"go", func(tb testing.TB) []byte { return goGuest(tb, "../examples/wasm/router") }},
	} {
		b.Run(g.name, func(b *testing.B) {
			p := compile(b, g.wasm(b), benchLimits, nil).(*program)
			var instances []*instance
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				in, err := p.newInstance()
				if err != nil {
					b.Fatal(err)
				}
				instances = append(instances, in)
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			n := float64(len(instances))
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n/1024, "host-KiB/instance")
			b.ReportMetric(float64(instances[0].mem.Size())/1024, "guest-KiB/instance")
			// The guest's memory once its heap has been through a few garbage
			// collections: it grows until the guest's GC settles.
			for range 10000 {
				c := hookCall{hook: scripting.HookRoute, req: sampleRequest("auto")}
				if err, _ := instances[0].run(context.Background(), &c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(instances[0].mem.Size())/1024, "guest-KiB-after-10k-calls")
			for _, in := range instances {
				p.freeInstance(in)
			}
		})
	}
}
