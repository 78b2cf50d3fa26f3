package wasmhost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicegw/sluice/scripting"
)

// The guests the tests run are built from source, once per test binary:
// Go guests with the Go toolchain, .wat guests with wat2wasm (Debian's wabt
// package), into buildDir.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type built struct {
	once sync.Once
	wasm []byte
	err  error
}

var builds sync.Map // source path -> *built

// buildOnce runs build for a source path once per test binary.
func buildOnce(t testing.TB, src string, build func(out string) error) []byte {
	t.Helper()
	v, _ := builds.LoadOrStore(src, &built{})
	b := v.(*built)
	b.once.Do(func() {
		out := filepath.Join(buildDir, fmt.Sprintf("%p.wasm", b))
		if b.err = build(out); b.err == nil {
			b.wasm, b.err = os.ReadFile(out)
		}
	})
	if b.err != nil {
		t.Fatalf("building %s: %v", src, b.err)
	}
	return b.wasm
}

// goGuest builds the Go guest in dir (a main package in its own module)
// as a WASI reactor.
func goGuest(t testing.TB, dir string) []byte {
	t.Helper()
	return buildOnce(t, dir, func(out string) error {
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "GOFLAGS=", "CGO_ENABLED=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%v\n%s", err, stderr.Bytes())
		}
		return nil
	})
}

// wat assembles a WebAssembly text file with wat2wasm. The tests install
// nothing: without wat2wasm on the PATH they fail and say what to install.
func wat(t testing.TB, path string) []byte {
	t.Helper()
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Fatalf("wat2wasm is not on the PATH: the .wat guests are assembled with it; install it with `apt-get install -y wabt` (Debian's wabt package)")
	}
	return buildOnce(t, path, func(out string) error {
		cmd := exec.Command(tool, path, "-o", out)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%v\n%s", err, stderr.Bytes())
		}
		return nil
	})
}

// The guests.
func conformanceGuest(t testing.TB) []byte { return goGuest(t, "testdata/conformance") }

var (
	sharedEngine     *Engine
	sharedEngineOnce sync.Once
)

// engine is an Engine shared by the tests (an in-memory compilation cache,
// so each guest is compiled once per test binary).
func engine(t testing.TB) *Engine {
	t.Helper()
	sharedEngineOnce.Do(func() {
		e, err := NewEngine(Options{})
		if err != nil {
			panic(err)
		}
		sharedEngine = e
	})
	return sharedEngine
}

// compile compiles a guest with the shared engine or fails the test. A
// zero time limit becomes 5s, not 50ms: these tests check what hooks do,
// and a loaded CI machine can stall a call for longer than 50ms (the tests
// of the time limit set their own).
func compile(t testing.TB, wasm []byte, limits scripting.Limits, log scripting.Logger) scripting.Program {
	t.Helper()
	if limits.Timeout == 0 {
		limits.Timeout = 5 * time.Second
	}
	p, err := engine(t).Compile("test.wasm", wasm, limits, log)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// memLogger records what guests log.
type memLogger struct {
	mu      sync.Mutex
	entries []string // "level: message"
}

func (l *memLogger) Log(level, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, level+": "+message)
}

func (l *memLogger) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.entries...)
}

// sampleRequest is package scripting's sample: a system prompt and two
// messages, model set to select a conformance case.
func sampleRequest(model string) *scripting.Request {
	maxTokens := 256
	temperature := 0.7
	return &scripting.Request{
		Model:  model,
		System: "You are terse.",
		Messages: []scripting.Message{
			{Role: "user", Content: "What is the capital of France?"},
			{Role: "assistant", Content: "Paris."},
		},
		MaxTokens:            &maxTokens,
		Temperature:          &temperature,
		Consumer:             scripting.Consumer{Name: "alice", Metadata: map[string]string{"tier": "gold"}},
		Headers:              map[string]string{"x-team": "search", "user-agent": "test"},
		ClientIP:             "10.0.0.7",
		EstimatedInputTokens: 21,
	}
}

func mustRoute(t testing.TB, p scripting.Program, req *scripting.Request) []string {
	t.Helper()
	out, err := p.Route(context.Background(), req)
	if err != nil {
		t.Fatalf("route: %v", err)
	}
	return out
}

// idleInstance is the instance waiting in a Program's pool, if one is.
func idleInstance(p scripting.Program) *instance {
	pr := p.(*program)
	select {
	case v := <-pr.pool.idle:
		pr.pool.idle <- v
		return v
	default:
		return nil
	}
}
