// Command bench measures Sluice against the field in one interleaved run:
// a fake upstream called directly (the limit), plain Caddy reverse_proxy
// (the floor for any Caddy module), Sluice with no scripts and with Lua, JS
// and Wasm route hooks, Sluice translating and with a consumer key, and
// Portkey's open-source gateway. Every process listens on 127.0.0.1 only;
// every cell of load is bounded in time and count. See bench/README.md.
//
//	go run ./bench/cmd/bench            full run (≈ 10 min), writes bench/RESULTS.md
//	go run ./bench/cmd/bench -smoke     seconds: checks every endpoint answers correctly
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	smoke     bool
	rounds    int
	seconds   time.Duration
	warmup    time.Duration
	only      string
	workloads string
	noPortkey bool
	caddy     string
	out       string
	quietWait time.Duration
	settle    time.Duration
	maxOthers float64
	retries   int
	soak      int
}

// runner holds one run's processes and settings.
type runner struct {
	opts                  options
	root, binDir          string
	runDir, logDir        string
	caddyBin, fakeBin     string
	wasmPath              string
	wasmErr               error
	fast, paced           *proc
	fastPort, pacedPort   int
	wantText              string // the fake's answer text, every endpoint must give the same
	started               time.Time
	commit                string // git describe of the tree built
	loadBefore, loadAfter string
	machine               machineInfo
	caddyVersion, nodeVer string
	pacedDelayInEffect    time.Duration
	endpoints             []*endpoint
	activeWorkloads       []workload
	cells                 []*cell
}

func main() {
	var o options
	flag.BoolVar(&o.smoke, "smoke", false, "a few seconds: check every endpoint answers every workload correctly (no Portkey, no speed asserts)")
	flag.IntVar(&o.rounds, "rounds", 5, "interleaved rounds")
	flag.DurationVar(&o.seconds, "seconds", 5*time.Second, "measuring time per cell")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up per endpoint before the rounds")
	flag.StringVar(&o.only, "only", "", "comma-separated endpoints to run besides direct (caddy, sluice, sluice+lua, sluice+js, sluice+wasm, sluice anthropic→openai, sluice+consumer, portkey)")
	flag.StringVar(&o.workloads, "workloads", "", "comma-separated workloads (chat-c1, chat-c32, stream-c32, paced-c32, paced-512); default all")
	flag.BoolVar(&o.noPortkey, "no-portkey", false, "leave Portkey out")
	flag.StringVar(&o.caddy, "caddy", os.Getenv("SLUICE_CADDY"), "use this caddy binary instead of building ./cmd/caddy (env SLUICE_CADDY)")
	flag.StringVar(&o.out, "out", "", "results file (default bench/RESULTS.md for a full run, none for -smoke)")
	flag.DurationVar(&o.quietWait, "quiet-wait", time.Minute, "longest wait for a quiet machine (other processes under -max-others cores)")
	flag.DurationVar(&o.settle, "settle", 250*time.Second, "idle time after the last cell before RSS is read for the last time (an idle Go process collects garbage every 2 minutes; sync.Pool's buffers go at the second collection)")
	flag.Float64Var(&o.maxOthers, "max-others", 0.25, "run a cell again when other processes used more than this many cores during it")
	flag.IntVar(&o.soak, "soak", 0, "instead of the comparison: send this many requests through one Sluice with every stateful feature on and check RSS, goroutines and heap stay flat (writes bench/SOAK.md)")
	flag.IntVar(&o.retries, "retries", 1, "how many times a cell may be run again because of other processes")
	flag.Parse()

	r := &runner{opts: o, started: time.Now()}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := r.run(ctx)
	r.stopAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (r *runner) logf(format string, args ...any) {
	fmt.Printf("[%5.1fs] %s\n", time.Since(r.started).Seconds(), fmt.Sprintf(format, args...))
}

func (r *runner) run(ctx context.Context) error {
	if err := r.setup(ctx); err != nil {
		return err
	}
	if r.opts.soak > 0 {
		return r.soak(ctx)
	}
	r.endpoints = r.startEndpoints(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if r.opts.smoke {
		return r.smoke(ctx)
	}
	if err := r.measure(ctx); err != nil {
		return err
	}
	report := r.report()
	fmt.Println()
	fmt.Print(report)
	out := r.opts.out
	if out == "" {
		out = filepath.Join(r.root, "bench", "RESULTS.md")
	}
	if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		return err
	}
	r.logf("wrote %s", out)
	return nil
}

// setup finds the repository, builds the binaries, waits for a quiet
// machine and starts the fakes.
func (r *runner) setup(ctx context.Context) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	r.root = root
	// The commit the binaries are built from: read before the build, so that
	// edits made while the run goes on do not mark it dirty.
	r.commit = "unknown"
	if out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output(); err == nil {
		r.commit = strings.TrimSpace(string(out))
	}
	r.binDir = filepath.Join(root, "bench", ".bin")
	r.runDir = filepath.Join(r.binDir, "run")
	r.logDir = filepath.Join(r.runDir, "logs")
	_ = os.RemoveAll(r.runDir)
	if err := os.MkdirAll(r.logDir, 0o755); err != nil {
		return err
	}
	r.machine = readMachine()
	r.activeWorkloads = selectWorkloads(r.opts.workloads)
	if len(r.activeWorkloads) == 0 {
		return fmt.Errorf("-workloads %q names no workload", r.opts.workloads)
	}

	r.fakeBin = filepath.Join(r.binDir, "fakeupstream")
	if err := r.goBuild(ctx, r.fakeBin, "./bench/cmd/fakeupstream", nil); err != nil {
		return err
	}
	r.caddyBin = r.opts.caddy
	if r.caddyBin == "" {
		r.caddyBin = filepath.Join(r.binDir, "caddy")
		if err := r.goBuild(ctx, r.caddyBin, "./cmd/caddy", nil); err != nil {
			return fmt.Errorf("%w (pass -caddy PATH to use a built binary)", err)
		}
	} else if r.caddyBin, err = filepath.Abs(r.caddyBin); err != nil {
		return err
	}
	if out, err := exec.Command(r.caddyBin, "version").Output(); err == nil {
		r.caddyVersion = strings.Fields(string(out) + " ?")[0]
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		r.nodeVer = strings.TrimSpace(string(out))
	}
	if r.wanted("sluice+wasm") {
		r.wasmPath = filepath.Join(r.binDir, "route.wasm")
		r.wasmErr = r.goBuild(ctx, r.wasmPath, "./bench/plugins/wasmroute",
			[]string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}, "-buildmode=c-shared")
	}

	if !r.opts.smoke && r.opts.soak == 0 {
		r.waitQuiet(ctx, r.opts.quietWait)
	}
	r.loadBefore = loadAvg()

	delay := pacedDelay
	if r.opts.smoke {
		delay = 2 * time.Millisecond
	}
	r.pacedDelayInEffect = delay
	if r.fast, r.fastPort, err = r.startFake("fake", fastChunks, 0); err != nil {
		return err
	}
	if r.paced, r.pacedPort, err = r.startFake("fake-paced", pacedChunks, delay); err != nil {
		return err
	}
	return nil
}

// goBuild builds a package of the repository into out.
func (r *runner) goBuild(ctx context.Context, out, pkg string, env []string, flags ...string) error {
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	r.logf("built %s (%.1fs)", strings.TrimPrefix(out, r.root+"/"), time.Since(start).Seconds())
	return nil
}

func (r *runner) startFake(name string, chunks int, delay time.Duration) (*proc, int, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	p, err := startProc(name, r.runDir, r.logDir, r.fakeBin, []string{
		"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-chunks", fmt.Sprint(chunks), "-delay", delay.String(),
	}, os.Environ())
	if err != nil {
		return nil, 0, err
	}
	if err := p.waitPort(port, 10*time.Second); err != nil {
		return nil, 0, err
	}
	if err := checkLoopbackOnly(p); err != nil {
		p.stop()
		return nil, 0, err
	}
	return p, port, nil
}

func (r *runner) stopAll() {
	for _, e := range r.endpoints {
		e.proc.stop()
	}
	r.fast.stop()
	r.paced.stop()
}

// repoRoot walks up from the working directory to the module's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/sluicegw/sluice\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the sluice repository")
		}
		dir = parent
	}
}

// waitQuiet waits (up to wait) until other processes use less than
// -max-others cores over 3 s, so the run does not measure someone else's
// build. It must be called while the run itself is idle.
func (r *runner) waitQuiet(ctx context.Context, wait time.Duration) {
	deadline := time.Now().Add(wait)
	for {
		busy0, ours0 := must(machineBusy()), r.ourCPU()
		select {
		case <-ctx.Done():
			return
		case <-time.After(3 * time.Second):
		}
		others := (must(machineBusy()) - busy0 - (r.ourCPU() - ours0)).Seconds() / 3
		if others < r.opts.maxOthers {
			return
		}
		if time.Now().After(deadline) {
			r.logf("the machine is busy (other processes use %.2f cores): measuring anyway; busy cells are run again", others)
			return
		}
		r.logf("waiting for a quiet machine: other processes use %.2f cores", others)
	}
}
