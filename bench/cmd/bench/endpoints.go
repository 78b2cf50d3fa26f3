package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicegw/sluice/bench/load"
)

// endpoint is one thing the load is sent to.
type endpoint struct {
	name string // table row
	what string // a sentence for the endpoints table
	kind string // "direct", "caddy", "sluice", "portkey"
	skip string // why it is not measured ("" when it is)
	// missing is set with skip when the feature the endpoint needs is not
	// in Sluice yet (the config is refused, the endpoint is not served):
	// a smoke run passes then, but fails on any other skip.
	missing bool

	proc   *proc // the process whose CPU and RSS are measured (nil for direct: the fake of the workload)
	base   string
	shape  load.Shape
	header http.Header
	// path gives the request path for a workload.
	path func(w workload) string
	// workloadHeader, when set, adds a header that depends on the workload.
	workloadHeader func(w workload) (name, value string)

	idleRSS int64 // after start, before any request
	// settledRSS are the readings at r.settles() after the last cell;
	// the last is afterRSS.
	settledRSS []int64
	afterRSS   int64
}

// spec is the load for one workload against e.
func (e *endpoint) spec(w workload) load.Spec {
	s := load.Spec{
		URL:         e.base + e.path(w),
		Header:      e.header.Clone(),
		Shape:       e.shape,
		Stream:      w.stream,
		Concurrency: w.concurrency,
		Gaps:        w.paced,
	}
	if e.shape == load.Anthropic {
		s.Body = messagesBody(modelFor(w), w.stream)
	} else {
		s.Body = chatBody(modelFor(w), w.stream)
	}
	if w.paced {
		s.StallGap, s.StallFirst, s.SlowGap = stallGap, stallFirst, slowGap
		s.Ramp = pacedChunks * pacedDelay
	}
	if e.workloadHeader != nil {
		if s.Header == nil {
			s.Header = http.Header{}
		}
		name, value := e.workloadHeader(w)
		s.Header.Set(name, value)
	}
	return s
}

// Caddyfile templates. PORT, FAST and PACED are replaced; the site listens
// on 127.0.0.1 only, with no admin endpoint and no automatic HTTPS.
const caddyGlobal = `{
	admin off
	auto_https off
	persist_config off
}
`

// plainCaddy is the floor for any Caddy module: reverse_proxy only.
const plainCaddy = caddyGlobal + `
http://127.0.0.1:PORT {
	bind 127.0.0.1
	handle_path /paced/* {
		reverse_proxy 127.0.0.1:PACED
	}
	handle {
		reverse_proxy 127.0.0.1:FAST
	}
}
`

// sluiceCaddy serves the two fakes as models "bench" and "paced"; EXTRA is
// the variant's scripts or consumers.
const sluiceCaddy = caddyGlobal + `
http://127.0.0.1:PORT {
	bind 127.0.0.1
	ai_gateway {
		provider up {
			type openai_compatible
			base_url http://127.0.0.1:FAST/v1
		}
		provider paced {
			type openai_compatible
			base_url http://127.0.0.1:PACED/v1
		}
		model bench {
			target up/bench
		}
		model paced {
			target paced/bench
		}
EXTRA
	}
}
`

// consumerKey is the key of the consumer variant's one consumer.
const consumerKey = "sk-bench-consumer-0001"

// consumerExtra declares a consumer with a token limit far above what a
// run uses: every call is authenticated, admitted (prompt counted) and
// settled against the memory store.
const consumerExtra = `		consumer bench {
			key ` + consumerKey + `
			models bench paced
			limit tokens 1000000000/1m
		}`

// sluiceVariant is one Sluice configuration.
type sluiceVariant struct {
	name, what string
	extra      string // inside ai_gateway; may hold SCRIPTS (the bench/scripts dir) and WASM (the built plugin)
	shape      load.Shape
	header     http.Header
	needsWasm  bool
}

var sluiceVariants = []sluiceVariant{
	{name: "sluice", what: "Sluice, no scripts (OpenAI in, OpenAI upstream: passthrough)"},
	{name: "sluice+lua", what: "Sluice with a Lua `route` hook (bench/scripts/route.lua)", extra: "\t\tscript SCRIPTS/route.luaSCRIPTBLOCK"},
	{name: "sluice+js", what: "Sluice with a JavaScript `route` hook (bench/scripts/route.js)", extra: "\t\tscript SCRIPTS/route.jsSCRIPTBLOCK"},
	{name: "sluice+wasm", what: "Sluice with a Wasm `route` hook (bench/plugins/wasmroute, Go guest SDK)", extra: "\t\tscript WASMSCRIPTBLOCK", needsWasm: true},
	{name: "sluice anthropic→openai", what: "Sluice translating: Anthropic Messages client, OpenAI upstream", shape: load.Anthropic},
	{name: "sluice+consumer", what: "Sluice with a consumer key and a token limit",
		extra: consumerExtra, header: http.Header{"Authorization": {"Bearer " + consumerKey}}},
}

// startCaddy runs the caddy binary with a Caddyfile made from tmpl.
func (r *runner) startCaddy(name, tmpl, extra string) (*proc, int, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	dir := filepath.Join(r.runDir, safeName(name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	// A script keeps its default time limit (50ms) in a measuring run; a
	// smoke run, which checks answers and not speed, gives it 5s, so that a
	// busy machine (a CI runner) cannot time a hook out.
	block := ""
	if r.opts.smoke {
		block = " {\n\t\t\ttimeout 5s\n\t\t}"
	}
	cf := strings.NewReplacer("EXTRA", extra).Replace(tmpl)
	cf = strings.NewReplacer("SCRIPTBLOCK", block).Replace(cf)
	cf = strings.NewReplacer("PORT", fmt.Sprint(port), "FAST", fmt.Sprint(r.fastPort), "PACED", fmt.Sprint(r.pacedPort),
		"SCRIPTS", filepath.Join(r.root, "bench", "scripts"), "WASM", r.wasmPath).Replace(cf)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cf), 0o644); err != nil {
		return nil, 0, err
	}
	env := append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	p, err := startProc(safeName(name), dir, r.logDir, r.caddyBin, []string{"run", "--config", path, "--adapter", "caddyfile"}, env)
	if err != nil {
		return nil, 0, err
	}
	if err := p.waitPort(port, 30*time.Second); err != nil {
		p.stop()
		return nil, 0, err
	}
	return p, port, nil
}

// safeName makes an endpoint name usable as a file name.
func safeName(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
			return c
		}
		return '_'
	}, s)
}

// openAIPath serves every workload at /v1/chat/completions.
func openAIPath(workload) string { return "/v1/chat/completions" }

// startEndpoints starts every endpoint the options ask for, checks each
// answers every workload correctly, and returns them all, the ones that
// cannot be measured with their skip reason.
func (r *runner) startEndpoints(ctx context.Context) []*endpoint {
	var eps []*endpoint
	add := func(e *endpoint) {
		if e.skip == "" && e.proc != nil {
			if err := checkLoopbackOnly(e.proc); err != nil {
				e.skip = err.Error()
			}
		}
		if e.skip == "" {
			if rv, err := rss(r.procFor(e, workloads[0]).pid()); err == nil {
				e.idleRSS = rv
			}
			if err := r.probe(ctx, e); err != nil {
				e.skip = err.Error()
				if e.shape == load.Anthropic && translationMissing(e.skip) {
					e.skip, e.missing = "not available: Sluice does not answer Anthropic Messages (POST /v1/messages) yet: "+e.skip, true
				}
			}
		}
		if e.skip != "" {
			e.proc.stop()
			r.logf("%-24s not measured: %s", e.name, firstLine(e.skip))
		} else {
			r.logf("%-24s ready (%s)", e.name, e.spec(workloads[0]).URL)
		}
		eps = append(eps, e)
	}

	// The limit: the fakes, called directly.
	direct := &endpoint{name: "direct", what: "the fake upstream called directly (the limit)", kind: "direct",
		base: "", path: func(w workload) string { return r.fakeURL(w) + "/v1/chat/completions" }}
	if r.wanted(direct.name) {
		add(direct)
	}

	if r.wanted("caddy") {
		e := &endpoint{name: "caddy", what: "plain Caddy `reverse_proxy` to the same fake (the floor for a Caddy module)", kind: "caddy",
			path: func(w workload) string {
				if w.paced {
					return "/paced/v1/chat/completions"
				}
				return "/v1/chat/completions"
			}}
		p, port, err := r.startCaddy(e.name, plainCaddy, "")
		if err != nil {
			e.skip = err.Error()
		}
		e.proc, e.base = p, fmt.Sprintf("http://127.0.0.1:%d", port)
		add(e)
	}

	for _, v := range sluiceVariants {
		if !r.wanted(v.name) {
			continue
		}
		e := &endpoint{name: v.name, what: v.what, kind: "sluice", shape: v.shape, header: v.header, path: openAIPath}
		if v.shape == load.Anthropic {
			e.path = func(workload) string { return "/v1/messages" }
		}
		if v.needsWasm && r.wasmErr != nil {
			e.skip = "the Wasm plugin did not build: " + r.wasmErr.Error()
			add(e)
			continue
		}
		p, port, err := r.startCaddy(e.name, sluiceCaddy, v.extra)
		if err != nil {
			e.skip, e.missing = "not available: the caddy binary refused the config: "+lastError(err.Error()), true
		}
		e.proc, e.base = p, fmt.Sprintf("http://127.0.0.1:%d", port)
		if e.skip == "" && v.name == "sluice+consumer" {
			e.skip = r.checkKeyEnforced(ctx, e)
		}
		add(e)
	}

	if r.wanted("portkey") {
		add(r.startPortkey(ctx))
	}
	return eps
}

// wanted tells whether an endpoint is in the run.
func (r *runner) wanted(name string) bool {
	if name == "portkey" && (r.opts.smoke || r.opts.noPortkey) {
		return false
	}
	if r.opts.only == "" || name == "direct" {
		return true
	}
	for _, n := range strings.Split(r.opts.only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

// procFor is the process whose CPU and memory count for e under w.
func (r *runner) procFor(e *endpoint, w workload) *proc {
	if e.kind == "direct" {
		return r.fakeFor(w)
	}
	return e.proc
}

func (r *runner) fakeFor(w workload) *proc {
	if w.paced {
		return r.paced
	}
	return r.fast
}

func (r *runner) fakeURL(w workload) string {
	if w.paced {
		return fmt.Sprintf("http://127.0.0.1:%d", r.pacedPort)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", r.fastPort)
}

// checkKeyEnforced makes sure the consumer variant really has consumers:
// a call without the key must be refused.
func (r *runner) checkKeyEnforced(ctx context.Context, e *endpoint) string {
	s := e.spec(workloads[0])
	s.Header = nil
	s.Requests = 1
	res := load.Run(ctx, s)
	if res.Requests > 0 {
		return "consumers are not enforced: a call without a key was served"
	}
	if len(res.ErrorText) > 0 && !strings.HasPrefix(res.ErrorText[0], "status 401") {
		return "a call without a key got " + res.ErrorText[0] + ", not 401"
	}
	return ""
}

// probe checks that e answers every workload correctly, with the same
// answer text as the fake called directly and the same number of events.
func (r *runner) probe(ctx context.Context, e *endpoint) error {
	checks := []struct {
		w        workload
		requests int
	}{{workloads[0], 2}, {workloads[2], 2}, {workloads[3], 1}}
	for _, c := range checks {
		s := e.spec(c.w)
		s.Requests, s.Concurrency, s.Strict, s.Timeout = c.requests, 1, true, 10*time.Second
		res := load.Run(ctx, s)
		if res.Errors > 0 {
			return fmt.Errorf("%s: %s", c.w.name, res.ErrorText[0])
		}
		want := r.wantText
		if want != "" && res.Text != want {
			return fmt.Errorf("%s: answer text %q differs from the fake's %q", c.w.name, res.Text, want)
		}
		if c.w.stream && e.shape == load.OpenAI {
			want := fastChunks + 3
			if c.w.paced {
				want = pacedChunks + 3
			}
			for _, n := range res.Events {
				if n != want {
					return fmt.Errorf("%s: %d events per stream, want %d", c.w.name, n, want)
				}
			}
		}
		if e.kind == "direct" && r.wantText == "" {
			r.wantText = res.Text
		}
	}
	return nil
}

// translationMissing tells a gateway without the Messages endpoint (404,
// 405, or Caddy's empty 200 when no handler took the path) from a broken one.
func translationMissing(probeErr string) bool {
	for _, s := range []string{"status 404", "status 405", "status 501", "answer is not JSON: unexpected end of JSON input"} {
		if strings.Contains(probeErr, s) {
			return true
		}
	}
	return false
}

// firstLine is the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// lastError picks the most telling line of a failed start's log: the last
// one mentioning an error (its "msg" when it is a JSON log entry), else the
// first.
func lastError(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if !strings.Contains(strings.ToLower(line), "error") {
			continue
		}
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg != "" {
			return entry.Msg
		}
		return line
	}
	return firstLine(s)
}
