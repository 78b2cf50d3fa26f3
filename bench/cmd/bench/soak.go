package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluicegw/sluice/bench/load"
)

// The soak (-soak N): N requests through one Sluice with every request-path
// feature a long-running gateway keeps state for switched on — a consumer
// key with a token limit (memory store), a Lua route hook, a guard, streams
// and the Anthropic translation — in phases of soakPhase requests, reading
// the process's RSS, goroutines and live heap after each. A leak shows as a
// count that grows phase after phase; flat means the last phases are no
// higher than the first warm one by more than the soak's tolerances.
const (
	soakPhases      = 20
	soakConcurrency = 32
	// Tolerances of the verdict: the last phase against the second (the
	// first warm one; the first phase grows pools and caches).
	soakRSSGrowth       = 1.20 // RSS may grow 20 % (allocator and GC pacing noise)
	soakGoroutineGrowth = 10   // goroutines may differ by this many (timers, idle conns)
)

// soakExtra is what the soak's Sluice adds to the bench's (sluiceCaddy):
// the consumer variant plus a Lua route hook and a guard; the soak also
// turns the admin endpoint on (soakAdmin) for the goroutine count and a
// forced GC. The hook's time limit is 1s, not the default 50ms: the limit
// counts wall-clock time, and a soak shares the machine with its own load
// generator at full tilt; it looks for leaks, not for speed.
const soakExtra = `		script SCRIPTS/route.lua {
			timeout 1s
		}
		guard {
			max_input_tokens 100000
			prompt_injection block
		}
` + consumerExtra

// soakAdmin replaces the bench's "admin off"; ADMIN is the port.
const soakAdmin = "admin 127.0.0.1:ADMIN"

// soakSample is what the soak reads after a phase.
type soakSample struct {
	requests, errors int
	rps              float64
	rssMB            float64
	goroutines       int
	heapMB           float64
	firstError       string
}

func (r *runner) soak(ctx context.Context) error {
	adminPort, err := freePort()
	if err != nil {
		return err
	}
	tmpl := strings.Replace(sluiceCaddy, "admin off", strings.ReplaceAll(soakAdmin, "ADMIN", strconv.Itoa(adminPort)), 1)
	p, port, err := r.startCaddy("sluice-soak", tmpl, soakExtra)
	if err != nil {
		return err
	}
	defer p.stop()
	admin := fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	auth := http.Header{"Authorization": {"Bearer " + consumerKey}}
	specs := []load.Spec{
		{URL: base + "/v1/chat/completions", Header: auth, Body: chatBody("bench", false), Shape: load.OpenAI},
		{URL: base + "/v1/chat/completions", Header: auth, Body: chatBody("bench", true), Shape: load.OpenAI, Stream: true},
		{URL: base + "/v1/messages", Header: auth, Body: messagesBody("bench", true), Shape: load.Anthropic, Stream: true},
	}

	idle, err := r.soakRead(ctx, p, admin)
	if err != nil {
		return err
	}
	r.logf("soak: idle: RSS %.1f MB, %d goroutines, heap %.1f MB", idle.rssMB, idle.goroutines, idle.heapMB)
	var samples []soakSample
	total, errors := 0, 0
	for phase := 0; total < r.opts.soak && ctx.Err() == nil; phase++ {
		n := min(max(r.opts.soak/soakPhases, 300), r.opts.soak-total)
		// Each phase sends the three kinds of call in equal parts, one
		// after the other, so every phase does the same work.
		var s soakSample
		start := time.Now()
		for i, spec := range specs {
			spec.Concurrency = soakConcurrency
			spec.Requests = n / len(specs)
			if i == 0 {
				spec.Requests += n % len(specs)
			}
			res := load.Run(ctx, spec)
			s.requests += res.Requests + res.Errors
			s.errors += res.Errors
			if res.Errors > 0 && s.firstError == "" {
				s.firstError = res.ErrorText[0]
			}
		}
		s.rps = float64(s.requests) / time.Since(start).Seconds()
		read, err := r.soakRead(ctx, p, admin)
		if err != nil {
			return err
		}
		s.rssMB, s.goroutines, s.heapMB = read.rssMB, read.goroutines, read.heapMB
		total += s.requests
		errors += s.errors
		samples = append(samples, s)
		r.logf("soak: phase %d: %d requests (%d errors), %.0f RPS; total %d; RSS %.1f MB, %d goroutines, heap %.1f MB",
			phase+1, s.requests, s.errors, s.rps, total, s.rssMB, s.goroutines, s.heapMB)
		if s.firstError != "" {
			r.logf("soak: first error: %s", s.firstError)
		}
	}
	report, flat := soakReport(r, idle, samples, total, errors)
	fmt.Print("\n" + report)
	out := r.opts.out
	if out == "" {
		out = filepath.Join(r.root, "bench", "SOAK.md")
	}
	if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		return err
	}
	r.logf("wrote %s", out)
	if !flat || errors > 0 {
		return fmt.Errorf("the soak did not hold: flat=%v, %d errors", flat, errors)
	}
	return nil
}

// soakRead forces a GC through the admin endpoint's pprof handler (so the
// heap read is the live heap, not garbage waiting for collection), then
// reads RSS from /proc and goroutines and heap from the admin metrics.
func (r *runner) soakRead(ctx context.Context, p *proc, admin string) (soakSample, error) {
	var s soakSample
	if _, err := httpGet(ctx, admin+"/debug/pprof/heap?gc=1"); err != nil {
		return s, fmt.Errorf("forcing a GC: %w", err)
	}
	metrics, err := httpGet(ctx, admin+"/metrics")
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(strings.NewReader(metrics))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch name {
		case "go_goroutines":
			s.goroutines = int(v)
		case "go_memstats_heap_alloc_bytes":
			s.heapMB = v / (1 << 20)
		}
	}
	if s.goroutines == 0 {
		return s, fmt.Errorf("the admin metrics have no go_goroutines")
	}
	rv, err := rss(p.pid())
	if err != nil {
		return s, err
	}
	s.rssMB = mb(rv)
	return s, nil
}

func httpGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&b); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b.String(), nil
}

// soakReport writes the soak's table and verdict.
func soakReport(r *runner, idle soakSample, samples []soakSample, total, errors int) (string, bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "# Sluice soak run\n\n%s, %s; %s; Caddy %s.\n\n", r.started.UTC().Format("2006-01-02 15:04 MST"),
		r.machine.summary(), "load "+loadAvg(), r.caddyVersion)
	fmt.Fprintf(&b, "%d requests at concurrency %d through one Sluice (consumer key + token limit on the memory store, "+
		"Lua route hook, guard with injection blocking), in %d phases: a third non-streaming chat, a third "+
		"streamed chat (20 chunks), a third streamed Anthropic Messages translated to the OpenAI upstream. After each "+
		"phase a GC is forced through the admin pprof endpoint, then RSS (/proc), goroutines and the live heap "+
		"(admin /metrics) are read. Produced by `make soak` (bench/cmd/bench -soak).\n\n",
		total, soakConcurrency, len(samples))
	fmt.Fprintf(&b, "| phase | requests so far | errors | RPS | RSS MB | goroutines | live heap MB |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| idle | 0 | 0 | – | %.1f | %d | %.1f |\n", idle.rssMB, idle.goroutines, idle.heapMB)
	so := 0
	for i, s := range samples {
		so += s.requests
		fmt.Fprintf(&b, "| %d | %d | %d | %.0f | %.1f | %d | %.1f |\n", i+1, so, s.errors, s.rps, s.rssMB, s.goroutines, s.heapMB)
	}
	flat := len(samples) >= 3
	if flat {
		warm, last := samples[1], samples[len(samples)-1]
		rssOK := last.rssMB <= warm.rssMB*soakRSSGrowth
		gorOK := last.goroutines <= warm.goroutines+soakGoroutineGrowth
		heapOK := last.heapMB <= warm.heapMB*soakRSSGrowth+1
		flat = rssOK && gorOK && heapOK
		fmt.Fprintf(&b, "\nLast phase against the first warm one (phase 2): RSS %.1f → %.1f MB (%s, tolerance +%.0f %%), "+
			"goroutines %d → %d (%s, tolerance +%d), live heap %.1f → %.1f MB (%s).\n",
			warm.rssMB, last.rssMB, okWord(rssOK), (soakRSSGrowth-1)*100, warm.goroutines, last.goroutines, okWord(gorOK),
			soakGoroutineGrowth, warm.heapMB, last.heapMB, okWord(heapOK))
	} else {
		fmt.Fprintf(&b, "\nFewer than three phases: no verdict.\n")
	}
	verdict := "FLAT"
	if !flat {
		verdict = "NOT FLAT"
	}
	fmt.Fprintf(&b, "\nVerdict: %s; %d errors in %d requests.\n", verdict, errors, total)
	return b.String(), flat
}

func okWord(ok bool) string {
	if ok {
		return "holds"
	}
	return "GROWS"
}
