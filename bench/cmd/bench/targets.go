package main

import "fmt"

// check is one target of bench/README.md and what the run measured.
type check struct {
	target   string
	measured string
	ok       *bool // nil: could not be checked (the measured column says why)
}

func (c check) verdict() string {
	switch {
	case c.ok == nil:
		return "n/a"
	case *c.ok:
		return "yes"
	default:
		return "**no**"
	}
}

func holds(b bool) *bool { return &b }

// Thresholds of the targets.
const (
	rssNearIdle = 1.5 // "back near idle": RSS after the run ≤ 1.5 × RSS idle after start
)

// targets checks the README's targets against the run.
func (r *runner) targets() []check {
	var out []check
	// rpsVs compares an endpoint's RPS with a reference's in a workload.
	rpsVs := func(target, workload, name, ref string, want float64) check {
		c := check{target: target}
		s, base := r.statsOf(workload, name), r.statsOf(workload, ref)
		switch {
		case s == nil:
			c.measured = name + " not measured" + r.why(name)
		case base == nil:
			c.measured = ref + " not measured" + r.why(ref)
		default:
			v := s.rps / base.rps
			c.measured = fmt.Sprintf("%.0f vs %.0f RPS: %.0f %%", s.rps, base.rps, v*100)
			c.ok = holds(v >= want)
		}
		return c
	}
	out = append(out,
		rpsVs("Sluice, no scripts ≥ 100 % of plain Caddy's RPS (chat, c=32)", "chat-c32", "sluice", "caddy", 1.00),
		rpsVs("Sluice + Lua route hook ≥ 85 % of plain Caddy's RPS (chat, c=32)", "chat-c32", "sluice+lua", "caddy", 0.85),
		rpsVs("Sluice + JS route hook ≥ 75 % of plain Caddy's RPS (chat, c=32)", "chat-c32", "sluice+js", "caddy", 0.75),
		rpsVs("Sluice + Wasm route hook ≥ 75 % of plain Caddy's RPS (chat, c=32)", "chat-c32", "sluice+wasm", "caddy", 0.75),
		rpsVs("Translation (Anthropic client → OpenAI upstream) ≥ 90 % of passthrough RPS (chat, c=32)", "chat-c32", "sluice anthropic→openai", "sluice", 0.90),
	)
	for _, w := range []string{"chat-c32", "stream-c32"} {
		c := rpsVs("Sluice ≥ 5× Portkey's RPS ("+w+")", w, "sluice", "portkey", 5)
		if s, pk := r.statsOf(w, "sluice"), r.statsOf(w, "portkey"); s != nil && pk != nil {
			c.measured = fmt.Sprintf("%.0f vs %.0f: %.1f×", s.rps, pk.rps, s.rps/pk.rps)
		}
		out = append(out, c)
	}

	added := check{target: "Sluice's added p50 at c=1 ≤ plain Caddy's (chat)"}
	if s, c, d := r.statsOf("chat-c1", "sluice"), r.statsOf("chat-c1", "caddy"), r.statsOf("chat-c1", "direct"); s != nil && c != nil && d != nil {
		added.measured = fmt.Sprintf("+%.3f ms vs +%.3f ms", s.p50-d.p50, c.p50-d.p50)
		added.ok = holds(s.p50-d.p50 <= c.p50-d.p50)
	} else {
		added.measured = "sluice, caddy or the chat-c1 workload not measured"
	}
	out = append(out, added)

	many := check{target: "512 concurrent paced streams through Sluice, none stalled or failed"}
	if s := r.statsOf("paced-512", "sluice"); s != nil {
		many.measured = fmt.Sprintf("%d of %d stall-free, %d stalled, %d failed, max gap %.0f ms", s.requests-s.stalled, s.total, s.stalled, s.errors, s.maxGap)
		many.ok = holds(s.stalled == 0 && s.errors == 0 && s.requests == s.total)
	} else {
		many.measured = "sluice or the paced-512 workload not measured"
	}
	out = append(out, many)

	mem := check{target: fmt.Sprintf("Sluice's RSS back near idle after the run (≤ %.1f × idle after start)", rssNearIdle)}
	if e := r.byName("sluice"); e != nil && e.idleRSS > 0 && e.afterRSS > 0 {
		v := float64(e.afterRSS) / float64(e.idleRSS)
		mem.measured = fmt.Sprintf("%.0f MB after vs %.0f MB idle: %.2f×", mb(e.afterRSS), mb(e.idleRSS), v)
		mem.ok = holds(v <= rssNearIdle)
	} else {
		mem.measured = "sluice not measured"
	}
	out = append(out, mem)
	return out
}

// why is ": <reason>" for a skipped endpoint, else "".
func (r *runner) why(name string) string {
	for _, e := range r.endpoints {
		if e.name == name && e.skip != "" {
			return ": " + oneLine(firstLine(e.skip))
		}
	}
	return ""
}
