package wasmhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/sluicegw/sluice/scripting"
	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// Defaults for the zero fields of Options.
const (
	// DefaultMemoryLimitBytes bounds one instance's linear memory: 64 MiB.
	DefaultMemoryLimitBytes = 64 << 20
	// DefaultInitTimeout bounds a new instance's initialisation (for a Go
	// guest: starting its runtime and running its init functions).
	DefaultInitTimeout = 2 * time.Second
)

// Options configure an Engine.
type Options struct {
	// CacheDir keeps the machine code wazero compiles from each module, so
	// that a restart (or a second Engine) loads a module it has seen without
	// compiling it again. The directory is created if needed; entries are
	// keyed by the module's bytes and the wazero version. Empty: compiled
	// code is cached in memory only, for the Engine's life.
	CacheDir string
	// MemoryLimitBytes bounds each instance's linear memory, rounded down
	// to whole 64 KiB pages (at least one). A guest that tries to grow past
	// it fails its hook (a Go guest dies with "out of memory") and the
	// instance is thrown away. A module whose declared minimum or maximum
	// memory exceeds it does not compile. Default 64 MiB; at most 4 GiB.
	MemoryLimitBytes int64
	// InitTimeout bounds the initialisation of each new instance (the
	// guest's _initialize). Default 2s.
	InitTimeout time.Duration
}

// Engine runs WebAssembly plugins, files ending in ".wasm", with wazero. It
// implements scripting.Engine, so a .wasm file is opened, hot reloaded and
// chained like a Lua or JavaScript script:
//
//	wasm, err := wasmhost.NewEngine(wasmhost.Options{CacheDir: dir})
//	engines := append(scripting.Engines(), wasm)
//	script, err := scripting.Open("plugins/router.wasm", engines, limits, log)
//
// See the package documentation for what a plugin is and ABI.md for the
// contract between host and guest. An Engine is safe for concurrent use.
type Engine struct {
	cache    wazero.CompilationCache
	config   wazero.RuntimeConfig // for metered modules
	fallback wazero.RuntimeConfig // for modules meter cannot rewrite
	memLimit uint32               // pages
	initTime time.Duration

	mu        sync.Mutex
	compiling map[[32]byte]chan struct{} // closed when that compile ends
}

// NewEngine makes an Engine. It fails only when Options.CacheDir cannot be
// created or used.
func NewEngine(opts Options) (*Engine, error) {
	limit := opts.MemoryLimitBytes
	if limit <= 0 {
		limit = DefaultMemoryLimitBytes
	}
	if limit > 1<<32 {
		return nil, fmt.Errorf("wasmhost: MemoryLimitBytes %d is over the 4 GiB a 32-bit memory can address", limit)
	}
	pages := uint32(limit / pageSize)
	if pages == 0 {
		pages = 1
	}
	var cache wazero.CompilationCache
	if opts.CacheDir != "" {
		var err error
		if cache, err = wazero.NewCompilationCacheWithDir(opts.CacheDir); err != nil {
			return nil, fmt.Errorf("wasmhost: compilation cache: %w", err)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}
	init := opts.InitTimeout
	if init <= 0 {
		init = DefaultInitTimeout
	}
	config := wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithMemoryLimitPages(pages)
	return &Engine{cache: cache, config: config, memLimit: pages, initTime: init,
		// A module that meter cannot rewrite (an instruction it does
		// not know) gets wazero's own checks instead, which stop a
		// timed-out call as surely, only slower.
		fallback:  config.WithCloseOnContextDone(true),
		compiling: map[[32]byte]chan struct{}{}}, nil
}

// pageSize is the size of a WebAssembly memory page.
const pageSize = 64 << 10

// Name is "wasm".
func (e *Engine) Name() string { return "wasm" }

// Extensions is ".wasm".
func (e *Engine) Extensions() []string { return []string{".wasm"} }

// MemoryLimitBytes is the memory limit of each instance, in bytes.
func (e *Engine) MemoryLimitBytes() int64 { return int64(e.memLimit) * pageSize }

// Close releases the compilation cache's in-memory part (the directory is
// kept). Close every Program first.
func (e *Engine) Close() error { return e.cache.Close(context.Background()) }

// Compile compiles a module (or loads its machine code from the cache),
// checks that it speaks the ABI, and starts a first instance to read its
// ABI version and hooks: every problem is reported here, as a
// *scripting.CompileError naming what is missing or wrong. limits.Timeout
// bounds each hook call, limits.PoolSize the instances kept, and
// limits.MaxInputBytes both a hook's input and (doubled) its result;
// limits.MaxCallDepth does not apply (the engine's own stack limit does).
func (e *Engine) Compile(name string, source []byte, limits scripting.Limits, log scripting.Logger) (scripting.Program, error) {
	limits = withDefaults(limits)
	if !bytes.HasPrefix(source, []byte("\x00asm")) {
		hint := ""
		if bytes.Contains(source[:min(len(source), 512)], []byte("(module")) {
			hint = " (it looks like WebAssembly text: assemble it with wat2wasm first)"
		}
		return nil, compileError(name, "not a WebAssembly binary: it does not start with \\0asm%s", hint)
	}
	defer e.once(sha256.Sum256(source))()
	ctx := context.Background()
	// The checks that let a timed-out call be stopped, even in a loop that
	// calls nothing: see meter.go.
	rt, compiled, metered, err := e.compile(ctx, source)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "pages") && strings.Contains(msg, "over limit") {
			msg += fmt.Sprintf(" (the memory limit is %s; see Options.MemoryLimitBytes)", sizeText(e.MemoryLimitBytes()))
		}
		return nil, compileError(name, "%s", msg)
	}
	p, err := e.build(ctx, rt, name, compiled, metered, limits, orNop(log))
	if err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	return p, nil
}

// compile compiles the module as meter rewrote it, or as it is (with
// wazero's checks) when meter cannot rewrite it. When the rewritten module
// does not compile, the original is compiled instead: if it is invalid,
// the error names its own functions and offsets, not the rewrite's; if it
// is valid (the rewrite went wrong), it runs unmetered, as safe.
func (e *Engine) compile(ctx context.Context, source []byte) (wazero.Runtime, wazero.CompiledModule, bool, error) {
	if m, err := instrument(source); err == nil {
		rt := wazero.NewRuntimeWithConfig(ctx, e.config)
		if compiled, err := rt.CompileModule(ctx, m); err == nil {
			return rt, compiled, true, nil
		}
		_ = rt.Close(ctx)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, e.fallback)
	compiled, err := rt.CompileModule(ctx, source)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, nil, false, err
	}
	return rt, compiled, false, nil
}

// once waits while the same module is being compiled by another call, and
// returns the function that ends this one's turn. wazero's cache serves a
// module compiled before, but two compiles of the same bytes at the same
// time would both do the work (its cache.go says so): a reload and a
// Caddy config load, say, or several sites naming one plugin.
func (e *Engine) once(sum [32]byte) (done func()) {
	for {
		e.mu.Lock()
		wait, busy := e.compiling[sum]
		if !busy {
			ch := make(chan struct{})
			e.compiling[sum] = ch
			e.mu.Unlock()
			return func() {
				e.mu.Lock()
				delete(e.compiling, sum)
				e.mu.Unlock()
				close(ch)
			}
		}
		e.mu.Unlock()
		<-wait
	}
}

// build is Compile once the module is compiled; on error the caller closes
// rt.
func (e *Engine) build(ctx context.Context, rt wazero.Runtime, name string, compiled wazero.CompiledModule, metered bool, limits scripting.Limits, log scripting.Logger) (*program, error) {
	g := &guestModule{name: name, limits: limits, log: log, memLimit: e.MemoryLimitBytes(), initTime: e.initTime, metered: metered}
	if _, err := instantiateHost(ctx, rt, g); err != nil {
		return nil, fmt.Errorf("wasmhost: host functions: %w", err)
	}
	if metered {
		if _, err := instantiateMeter(ctx, rt); err != nil {
			return nil, fmt.Errorf("wasmhost: host functions: %w", err)
		}
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, fmt.Errorf("wasmhost: WASI: %w", err)
	}
	exports, problems := checkModule(rt, compiled)
	if len(problems) > 0 {
		return nil, compileError(name, "not a Sluice plugin (ABI version %d): %s", wire.Version, strings.Join(problems, "; "))
	}
	g.rt, g.compiled, g.exports = rt, compiled, exports
	first, err := g.newInstance()
	if err != nil {
		var ie *initError
		if errors.As(err, &ie) {
			return nil, compileError(name, "%s", ie.msg)
		}
		return nil, compileError(name, "%v", err)
	}
	if err := g.readABI(first); err != nil {
		first.free()
		return nil, compileError(name, "%v", err)
	}
	p := newProgram(g, limits.PoolSize)
	p.pool.seed(first)
	return p, nil
}

// withDefaults fills the zero fields of l, as package scripting does.
func withDefaults(l scripting.Limits) scripting.Limits {
	if l.Timeout <= 0 {
		l.Timeout = scripting.DefaultTimeout
	}
	if l.PoolSize <= 0 {
		l.PoolSize = 4 * runtime.GOMAXPROCS(0)
	}
	if l.MaxCallDepth <= 0 {
		l.MaxCallDepth = scripting.DefaultMaxCallDepth
	}
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = scripting.DefaultMaxInputBytes
	}
	return l
}

// maxResultBytes bounds a hook's result: twice the input limit (a hook
// rewrites at most what it was given, and JSON escaping rarely doubles
// text), and never under 64 KiB.
func maxResultBytes(l scripting.Limits) int {
	return max(2*l.MaxInputBytes, 64<<10)
}

func compileError(script, format string, args ...any) *scripting.CompileError {
	return &scripting.CompileError{Script: script, Message: script + ": " + fmt.Sprintf(format, args...)}
}

// sizeText writes a byte count as KiB, MiB or GiB when it is a whole number
// of them.
func sizeText(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// nopLogger stands in for a nil Logger.
type nopLogger struct{}

func (nopLogger) Log(string, string) {}

func orNop(l scripting.Logger) scripting.Logger {
	if l == nil {
		return nopLogger{}
	}
	return l
}
