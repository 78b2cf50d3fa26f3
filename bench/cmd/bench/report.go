package main

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/sluicegw/sluice/bench/load"
)

// stats is one workload against one endpoint over all rounds: medians of
// the rounds' figures, except where said.
type stats struct {
	rounds                  int
	rps, p50, p99           float64 // p50/p99: whole request (a stream: to its last event), ms
	hdr50, first50, first99 float64
	gap50, gap99, maxGap    float64 // maxGap: the longest over all rounds
	events                  int
	cpuPerK, fakePerK       float64 // CPU seconds per 1,000 requests, over all rounds
	peakMB                  float64 // the highest over all rounds
	requests, errors, total int     // sums over the rounds (total: requests sent; errors: over all rounds)
	stalled, slowed         int     // sums over the rounds
	spread                  float64 // (max − min) / median of the rounds' RPS, %
	others                  float64 // the highest of the rounds' others' CPU, cores
	retries                 int
	clean                   int // rounds whose cell others did not disturb (the figures come from these)
	slowMachine             int // rounds left out because the machine itself ran slow (see slowCells)
}

func (r *runner) stats(w workload, e *endpoint) *stats {
	var cs []*cell
	for _, c := range r.cells {
		if c.w.name == w.name && c.e == e {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	// Rounds whose cell other processes disturbed (over -max-others even
	// when run again) are left out of the figures, unless none is clean.
	// Errors count in every round: a wrong answer is never noise.
	s := &stats{rounds: len(cs)}
	var clean []*cell
	for _, c := range cs {
		s.errors += c.res.Errors
		s.others = max(s.others, c.others)
		s.retries += c.retries
		if c.others <= r.opts.maxOthers {
			clean = append(clean, c)
		}
	}
	if kept := r.withoutSlowCells(w, clean); len(kept) > 0 {
		s.slowMachine = len(clean) - len(kept)
		clean = kept
	}
	s.clean = len(clean)
	if len(clean) > 0 {
		cs = clean
	}
	var rps, p50, p99, hdr, f50, f99, g50, g99 []float64
	var events []int
	var cpu, fake time.Duration
	for _, c := range cs {
		res := c.res
		rps = append(rps, res.RPS())
		p50 = append(p50, ms(load.Percentile(res.Latency, 50)))
		p99 = append(p99, ms(load.Percentile(res.Latency, 99)))
		hdr = append(hdr, ms(load.Percentile(res.Headers, 50)))
		f50 = append(f50, ms(load.Percentile(res.FirstEvent, 50)))
		f99 = append(f99, ms(load.Percentile(res.FirstEvent, 99)))
		g50 = append(g50, ms(load.Percentile(res.Gaps, 50)))
		g99 = append(g99, ms(load.Percentile(res.Gaps, 99)))
		s.maxGap = max(s.maxGap, ms(res.MaxGap))
		events = append(events, load.MedianInt(res.Events))
		cpu += c.cpu
		fake += c.fake
		s.peakMB = max(s.peakMB, float64(c.peak)/(1<<20))
		s.requests += res.Requests
		s.stalled += res.Stalled
		s.slowed += res.Slowed
		s.total += res.Requests + res.Errors
	}
	s.rps, s.p50, s.p99 = median(rps), median(p50), median(p99)
	s.hdr50, s.first50, s.first99, s.gap50, s.gap99 = median(hdr), median(f50), median(f99), median(g50), median(g99)
	s.events = load.MedianInt(events)
	if s.requests > 0 {
		s.cpuPerK = cpu.Seconds() / float64(s.requests) * 1000
		s.fakePerK = fake.Seconds() / float64(s.requests) * 1000
	}
	if m := median(rps); m > 0 {
		lo, hi := rps[0], rps[0]
		for _, v := range rps {
			lo, hi = min(lo, v), max(hi, v)
		}
		s.spread = (hi - lo) / m * 100
	}
	return s
}

// slowMachine is how much more CPU the fake may spend per request in one
// round than in the endpoint's cheapest round of the same workload before
// that round counts as run on a slow machine.
const slowMachine = 1.2

// withoutSlowCells leaves out, for a throughput workload, the cells during
// which the machine itself ran slow. This VM's speed drifts by tens of per
// cent for minutes at a time without any other process running (no steal
// time is reported), which moves RPS by as much; the fake's CPU time per
// request, the same work in every cell of a workload, rises with it, so a
// cell whose fake spent over slowMachine × the endpoint's lowest per-request
// CPU in that workload is left out. Paced workloads are not bound by speed.
func (r *runner) withoutSlowCells(w workload, cs []*cell) []*cell {
	if w.paced || len(cs) < 2 {
		return cs
	}
	perRequest := func(c *cell) float64 { return c.fake.Seconds() / float64(max(c.res.Requests, 1)) }
	least := perRequest(cs[0])
	for _, c := range cs[1:] {
		least = min(least, perRequest(c))
	}
	var out []*cell
	for _, c := range cs {
		if perRequest(c) <= slowMachine*least {
			out = append(out, c)
		}
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// byName finds an active endpoint.
func (r *runner) byName(name string) *endpoint {
	for _, e := range r.endpoints {
		if e.name == name && e.skip == "" {
			return e
		}
	}
	return nil
}

func (r *runner) statsOf(workloadName, endpointName string) *stats {
	e := r.byName(endpointName)
	if e == nil {
		return nil
	}
	for _, w := range r.activeWorkloads {
		if w.name == workloadName {
			return r.stats(w, e)
		}
	}
	return nil
}

// ratio formats a ÷ b, or "–" when b is missing.
func ratio(a float64, b *stats) string {
	if b == nil || b.rps == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b.rps)
}

// plus formats a − base (added over direct), or "–" for direct itself.
func plus(e *endpoint, a, base float64) string {
	if e.kind == "direct" {
		return "–"
	}
	return fmt.Sprintf("%+.2f", a-base)
}

// cpuCell formats CPU per 1,000 requests; direct's own process is the fake,
// so its figure is given in parentheses, as the upstream's.
func cpuCell(e *endpoint, v float64) string {
	if e.kind == "direct" {
		return fmt.Sprintf("(%.3f)", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// report renders RESULTS.md.
func (r *runner) report() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	commit := r.commit
	p("# Benchmark results\n\n")
	p("Measured %s by `make bench` (`go run ./bench/cmd/bench`, see [README.md](README.md)) at commit `%s`:\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), commit)
	p("%d interleaved rounds, %v per cell (the 512-stream cell: 1,024 streams), %v warm-up per endpoint, endpoint order rotating.\n",
		r.opts.rounds, r.opts.seconds, r.opts.warmup)
	p("Figures are medians of the clean rounds (see the last column); CPU, stalls and streams are summed over them, errors over all rounds; RSS peak is the highest.\n\n")
	p("- Machine: %s.\n", r.machine.summary())
	p("- Load average (1, 5, 15 min) before: %s; after: %s.\n", r.loadBefore, r.loadAfter)
	p("- Caddy %s (Sluice and plain Caddy are the same binary), %s, Node %s, Portkey %s.\n", r.caddyVersion, runtime.Version(), r.nodeVer, portkeyVersion)
	p("- The load generator (Go, in the runner), the two fake upstreams and the endpoint share all the cores; nothing is pinned.\n")
	p("  Request: a 989-byte chat completion (system prompt and a user message); the fake answers it in 20 chunks")
	p(" (paced: 64 chunks %v apart).\n\n", r.pacedDelayInEffect)

	p("## Endpoints\n\n| endpoint | what |\n|---|---|\n")
	for _, e := range r.endpoints {
		what := e.what
		if e.skip != "" {
			what += " — **not measured**: " + oneLine(e.skip)
		}
		p("| %s | %s |\n", e.name, what)
	}
	p("\n")

	caddyName, portkeyName := "caddy", "portkey"
	for _, w := range r.activeWorkloads {
		direct := r.statsOf(w.name, "direct")
		caddy := r.statsOf(w.name, caddyName)
		portkey := r.statsOf(w.name, portkeyName)
		if direct == nil {
			direct = &stats{}
		}
		p("## %s\n\n", w.title)
		switch w.kind {
		case "chat":
			p("| endpoint | RPS | p50 ms | p99 ms | +p50 ms | +p99 ms | ÷ caddy | ÷ portkey | CPU s / 1k req | fake CPU s / 1k | RSS peak MB | errors | RPS spread | clean rounds |\n")
			p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		case "stream":
			p("| endpoint | streams/s | headers p50 ms | first event p50 ms | first event p99 ms | +first p50 ms | total p50 ms | total p99 ms | events/stream | ÷ caddy | ÷ portkey | CPU s / 1k streams | fake CPU s / 1k | RSS peak MB | errors | clean rounds |\n")
			p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		case "paced":
			p("| endpoint | streams | first event p50 ms | first event p99 ms | +first p50 ms | +first p99 ms | gap p50 ms | gap p99 ms | +gap p99 ms | max gap ms | total p50 ms | events/stream | slowed | stalled | CPU s / 1k streams | RSS peak MB | errors | clean rounds |\n")
			p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		case "many":
			p("| endpoint | streams sent | completed stall-free | slowed | stalled | failed | first event p50 ms | first event p99 ms | gap p99 ms | max gap ms | total p99 ms | CPU s / 1k streams | RSS peak MB | clean rounds |\n")
			p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		}
		for _, e := range r.active() {
			s := r.stats(w, e)
			if s == nil {
				continue
			}
			switch w.kind {
			case "chat":
				p("| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %.3f | %.0f | %d | %.0f %% | %s |\n",
					e.name, s.rps, s.p50, s.p99, plus(e, s.p50, direct.p50), plus(e, s.p99, direct.p99),
					ratio(s.rps, caddy), ratio(s.rps, portkey), cpuCell(e, s.cpuPerK), s.fakePerK, s.peakMB, s.errors, s.spread, s.othersCell())
			case "stream":
				p("| %s | %.0f | %.2f | %.2f | %.2f | %s | %.2f | %.2f | %d | %s | %s | %s | %.3f | %.0f | %d | %s |\n",
					e.name, s.rps, s.hdr50, s.first50, s.first99, plus(e, s.first50, direct.first50), s.p50, s.p99, s.events,
					ratio(s.rps, caddy), ratio(s.rps, portkey), cpuCell(e, s.cpuPerK), s.fakePerK, s.peakMB, s.errors, s.othersCell())
			case "paced":
				p("| %s | %d | %.2f | %.2f | %s | %s | %.2f | %.2f | %s | %.1f | %.1f | %d | %d | %d | %s | %.0f | %d | %s |\n",
					e.name, s.total, s.first50, s.first99, plus(e, s.first50, direct.first50), plus(e, s.first99, direct.first99),
					s.gap50, s.gap99, plus(e, s.gap99, direct.gap99), s.maxGap, s.p50, s.events, s.slowed, s.stalled, cpuCell(e, s.cpuPerK), s.peakMB, s.errors, s.othersCell())
			case "many":
				p("| %s | %d | %d | %d | %d | %d | %.2f | %.2f | %.2f | %.1f | %.1f | %s | %.0f | %s |\n",
					e.name, s.total, s.requests-s.stalled, s.slowed, s.stalled, s.errors, s.first50, s.first99, s.gap99, s.maxGap, s.p99, cpuCell(e, s.cpuPerK), s.peakMB, s.othersCell())
			}
		}
		p("\n")
	}

	p("## Memory (RSS)\n\n| endpoint | idle after start MB | peak under load MB |")
	for _, d := range r.settles() {
		p(" %v after the run MB |", d)
	}
	p(" ÷ idle |\n|---|--:|--:|%s--:|\n", strings.Repeat("--:|", len(r.settles())))
	for _, e := range r.active() {
		var peak float64
		for _, c := range r.cells {
			if c.e == e {
				peak = max(peak, float64(c.peak)/(1<<20))
			}
		}
		name := e.name
		if e.kind == "direct" {
			name = "direct (the fake)"
		}
		p("| %s | %.0f | %.0f |", name, mb(e.idleRSS), peak)
		for _, v := range e.settledRSS {
			p(" %.0f |", mb(v))
		}
		p(" %.2f |\n", mb(e.afterRSS)/max(mb(e.idleRSS), 1))
	}
	p("\n## Targets (bench/README.md)\n\n| target | measured | holds |\n|---|---|---|\n")
	for _, t := range r.targets() {
		p("| %s | %s | %s |\n", t.target, t.measured, t.verdict())
	}
	p("\n## How to read the tables\n\n")
	p("- **+p50, +p99, +first, +gap**: the endpoint's figure minus direct's in the same workload: what the hop adds.\n")
	p("- **÷ caddy, ÷ portkey**: RPS (streams/s) relative to plain Caddy's and Portkey's in the same workload.\n")
	p("- **CPU s / 1k req**: CPU seconds (user + system, from /proc/PID/stat) of the endpoint's own process per 1,000 answered requests,\n")
	p("  which is also milliseconds per request; for direct, the fake's own. **fake CPU**: the fake upstream's, for the same requests.\n")
	p("- **RPS spread**: (highest − lowest) ÷ median of the rounds' RPS: the run's noise for that cell.\n")
	p("- **clean rounds**: the rounds whose cell other processes did not disturb: the CPU they used during it (/proc/stat less the\n")
	p("  runner's, the fakes' and the endpoints' own) stayed under %.2f cores. A disturbed cell is run again (up to %d times, at most\n", r.opts.maxOthers, r.opts.retries)
	p("  an eighth of all cells); the figures come from the clean rounds only (all rounds when none was clean, with the most\n")
	p("  CPU others used shown). Errors are counted in every round. In the workloads that measure throughput, a round in which\n")
	p("  the fake spent over %.1f × its lowest CPU per request for that endpoint and workload ran on a slow machine (this VM's\n", slowMachine)
	p("  speed drifts for minutes with no other process running) and is left out too (\"slow machine\").\n")
	p("- **gap**: the time between two events of a stream. **slowed**: a paced stream with a gap over %v.\n", slowGap)
	p("  **stalled**: one that sent nothing for %v or whose first event came after %v. **failed**: one that broke, ended early, or answered an error.\n", stallGap, stallFirst)
	p("- **RSS peak**: the endpoint process's highest RSS during the workload's cells; a process keeps memory an earlier cell made it\n")
	p("  take, so later workloads inherit earlier peaks.\n")
	p("- **RSS after the run**: Go and Node give freed memory back to the system lazily. An idle Go process collects garbage every\n")
	p("  2 minutes; the buffers sync.Pool caches go at the second collection and their memory is returned soon after, so the last\n")
	p("  reading (÷ idle) tells what a process keeps, the earlier ones what it had not given back yet.\n")
	return b.String()
}

// othersCell tells how many rounds were clean (the figures come from
// those) and, when one was not, the most CPU other processes used.
func (s *stats) othersCell() string {
	out := fmt.Sprintf("%d/%d", s.clean, s.rounds)
	if s.clean+s.slowMachine < s.rounds {
		out += fmt.Sprintf(" (others %.2f)", s.others)
	}
	if s.slowMachine > 0 {
		out += fmt.Sprintf(" (%d slow machine)", s.slowMachine)
	}
	return out
}

func mb(v int64) float64 { return float64(v) / (1 << 20) }

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
