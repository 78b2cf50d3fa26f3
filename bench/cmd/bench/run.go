package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sluicegw/sluice/bench/load"
)

// cell is one workload against one endpoint in one round.
type cell struct {
	round int
	w     workload
	e     *endpoint
	res   *load.Result
	cpu   time.Duration // the endpoint process's CPU time during the cell
	fake  time.Duration // the fake upstream's (for direct: the same process)
	peak  int64         // the endpoint process's peak RSS during the cell
	// others is how many cores' worth of CPU processes other than the
	// run's own (runner, fakes, endpoints) used during the cell: noise.
	others  float64
	retries int
}

// active are the endpoints that are measured.
func (r *runner) active() []*endpoint {
	var out []*endpoint
	for _, e := range r.endpoints {
		if e.skip == "" {
			out = append(out, e)
		}
	}
	return out
}

// measure warms every endpoint up, then runs the interleaved rounds: in
// each round every workload runs against every endpoint, in an order that
// rotates from one round and workload to the next, so that slow drift of
// the machine falls on all endpoints alike.
func (r *runner) measure(ctx context.Context) error {
	eps := r.active()
	// Cells run again for noise are capped at an eighth of all cells, so a
	// machine that never quiets down costs at most about 15 % more time.
	budget := r.opts.rounds * len(r.activeWorkloads) * len(eps) / 8
	if r.opts.warmup > 0 {
		for _, e := range eps {
			s := e.spec(workloads[1])
			s.Duration = r.opts.warmup
			load.Run(ctx, s)
		}
		r.logf("warmed up %d endpoints (%v each)", len(eps), r.opts.warmup)
	}
	for round := 1; round <= r.opts.rounds; round++ {
		if round > 1 {
			r.waitQuiet(ctx, 30*time.Second)
		}
		for wi, w := range r.activeWorkloads {
			shift := (round - 1 + wi) % len(eps)
			order := append(append([]*endpoint{}, eps[shift:]...), eps[:shift]...)
			for _, e := range order {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c := r.runCell(ctx, round, w, e, r.opts.seconds)
				for c.others > r.opts.maxOthers && c.retries < r.opts.retries && budget > 0 && ctx.Err() == nil {
					budget--
					r.logf("round %d/%d %-10s %-24s other processes used %.2f cores: again", round, r.opts.rounds, w.name, e.name, c.others)
					time.Sleep(2 * time.Second)
					retries := c.retries + 1
					c = r.runCell(ctx, round, w, e, r.opts.seconds)
					c.retries = retries
				}
				r.cells = append(r.cells, c)
				r.logf("round %d/%d %-10s %-24s %s", round, r.opts.rounds, w.name, e.name, c.summary())
				time.Sleep(100 * time.Millisecond) // let sockets and timers settle
			}
		}
	}
	r.logf("all cells done; idling %v before reading RSS again (Go frees memory after its periodic GC)", r.opts.settle)
	idle := time.Now()
	for _, after := range r.settles() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(idle.Add(after))):
		}
		for _, e := range eps {
			v, err := rss(r.procFor(e, workloads[0]).pid())
			if err != nil {
				v = 0
			}
			e.settledRSS = append(e.settledRSS, v)
			e.afterRSS = v
		}
	}
	r.loadAfter = loadAvg()
	return nil
}

// settles are the times after the last cell at which RSS is read again:
// settleEarly, settleMid and -settle, those under -settle.
func (r *runner) settles() []time.Duration {
	var out []time.Duration
	for _, d := range []time.Duration{settleEarly, settleMid} {
		if d < r.opts.settle {
			out = append(out, d)
		}
	}
	return append(out, r.opts.settle)
}

// runCell runs one cell: the load, and the endpoint's and the fake's CPU
// time and RSS around it.
func (r *runner) runCell(ctx context.Context, round int, w workload, e *endpoint, d time.Duration) *cell {
	s := e.spec(w)
	if w.streams > 0 {
		s.Requests = w.streams
	} else {
		s.Duration = d
	}
	p, f := r.procFor(e, w), r.fakeFor(w)
	cpu0, _ := cpuTime(p.pid())
	fake0, _ := cpuTime(f.pid())
	ours0, busy0, t0 := r.ourCPU(), must(machineBusy()), time.Now()
	sampler := sampleRSS(p.pid(), 100*time.Millisecond)
	res := load.Run(ctx, s)
	peak := sampler.peak()
	cpu1, _ := cpuTime(p.pid())
	fake1, _ := cpuTime(f.pid())
	others := (must(machineBusy()) - busy0 - (r.ourCPU() - ours0)).Seconds() / time.Since(t0).Seconds()
	return &cell{round: round, w: w, e: e, res: res, cpu: cpu1 - cpu0, fake: fake1 - fake0, peak: peak, others: max(others, 0)}
}

// ourCPU is the CPU time of the run's own processes: the runner (with its
// load generator), the fakes and every endpoint.
func (r *runner) ourCPU() time.Duration {
	total := must(cpuTime(os.Getpid()))
	for _, p := range []*proc{r.fast, r.paced} {
		if p != nil {
			total += must(cpuTime(p.pid()))
		}
	}
	for _, e := range r.endpoints {
		if e.proc != nil && !e.proc.exited() {
			total += must(cpuTime(e.proc.pid()))
		}
	}
	return total
}

// must drops the error of a /proc reading: a missing figure counts as 0.
func must(d time.Duration, _ error) time.Duration { return d }

func (c *cell) summary() string {
	r := c.res
	s := fmt.Sprintf("%5d in %4.1fs %7.0f/s p50 %6.2fms p99 %7.2fms", r.Requests, r.Elapsed.Seconds(), r.RPS(), ms(load.Percentile(r.Latency, 50)), ms(load.Percentile(r.Latency, 99)))
	if c.w.stream {
		s += fmt.Sprintf(" first %6.2fms", ms(load.Percentile(r.FirstEvent, 50)))
	}
	if c.w.paced {
		s += fmt.Sprintf(" slowed %d stalled %d", r.Slowed, r.Stalled)
	}
	if r.Errors > 0 {
		s += fmt.Sprintf(" ERRORS %d (%s)", r.Errors, r.ErrorText[0])
	}
	if c.others >= 0.05 {
		s += fmt.Sprintf(" (others %.2f cores)", c.others)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// smoke runs every workload briefly (bounded by count) against every
// endpoint, in strict mode, and fails on any wrong answer. It never looks
// at speed.
func (r *runner) smoke(ctx context.Context) error {
	passed, failed, skipped := 0, 0, 0
	for _, e := range r.endpoints {
		if e.skip != "" {
			if e.missing {
				skipped++
				r.logf("SKIP %-24s %s", e.name, firstLine(e.skip))
			} else {
				failed++
				r.logf("FAIL %-24s %s", e.name, e.skip)
			}
			continue
		}
		var problems []string
		for _, w := range r.activeWorkloads {
			s := e.spec(w)
			s.Strict, s.Timeout, s.Ramp = true, 20*time.Second, 0
			s.Requests = 2 * w.concurrency
			if w.concurrency > 64 {
				s.Concurrency, s.Requests = 64, 128
			}
			if w.concurrency == 1 {
				s.Requests = 20
			}
			res := load.Run(ctx, s)
			switch {
			case res.Errors > 0:
				problems = append(problems, fmt.Sprintf("%s: %d errors, first: %s", w.name, res.Errors, res.ErrorText[0]))
			case res.Requests != s.Requests:
				problems = append(problems, fmt.Sprintf("%s: %d of %d answered", w.name, res.Requests, s.Requests))
			case res.Text != r.wantText:
				problems = append(problems, fmt.Sprintf("%s: answer %q, the fake's is %q", w.name, res.Text, r.wantText))
			}
			if w.stream && e.shape == load.OpenAI {
				want := fastChunks + 3
				if w.paced {
					want = pacedChunks + 3
				}
				for _, n := range res.Events {
					if n != want {
						problems = append(problems, fmt.Sprintf("%s: a stream had %d events, want %d", w.name, n, want))
						break
					}
				}
			}
		}
		if len(problems) > 0 {
			failed++
			for _, p := range problems {
				r.logf("FAIL %-24s %s", e.name, p)
			}
		} else {
			passed++
			r.logf("ok   %-24s every workload answered correctly", e.name)
		}
	}
	fmt.Printf("smoke: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 {
		return fmt.Errorf("%d endpoints failed the smoke run", failed)
	}
	return nil
}
