package caddymodule

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/sluicegw/sluice/gateway"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/scripting"
	"github.com/sluicegw/sluice/wasmhost"
	"go.uber.org/zap"
)

// scripts holds every loaded script of the process, keyed by what makes it
// (file or inline source, and its limits). A Caddy reload provisions the new
// handlers before cleaning up the old, so an unchanged script is found here
// and kept: its compiled versions, its watcher and its reload counts survive,
// and no second watcher starts.
var scripts = caddy.NewUsagePool()

// pooledScript lets the pool close a script when its last user is gone.
type pooledScript struct{ *scripting.Script }

func (p pooledScript) Destruct() error {
	p.Close()
	return nil
}

// engines are the script engines: Lua and JavaScript, and the WebAssembly
// engine, made once per process so its compilation cache (in Caddy's data
// directory, so restarts do not recompile) and its compiled modules are
// shared by every config generation.
var engines = sync.OnceValues(func() ([]scripting.Engine, error) {
	wasm, err := wasmhost.NewEngine(wasmhost.Options{
		CacheDir: filepath.Join(caddy.AppDataDir(), "ai_gateway", "wasm-cache"),
	})
	if err != nil {
		return nil, fmt.Errorf("starting the WebAssembly engine: %w", err)
	}
	return append(scripting.Engines(), wasm), nil
})

// scriptKey names a script in the pool.
func scriptKey(sc ScriptConfig) string {
	if sc.Path != "" {
		return fmt.Sprintf("file|%s|%d", sc.Path, sc.Timeout)
	}
	sum := sha256.Sum256([]byte(sc.Source))
	return fmt.Sprintf("inline|%s|%s|%d", sc.Engine, hex.EncodeToString(sum[:]), sc.Timeout)
}

// loadScripts opens (or finds) the handler's scripts and chains them in
// the order written. The keys it returns must be released with
// releaseScripts, also when it fails.
func loadScripts(configs []ScriptConfig, logger *zap.Logger) (*scripting.Chain, []string, error) {
	var keys []string
	var steps []scripting.Step
	for i, sc := range configs {
		policy := scripting.FailClosed
		if sc.OnError != "" {
			var err error
			if policy, err = scripting.ParseErrorPolicy(sc.OnError); err != nil {
				return nil, keys, err
			}
		}
		limits := scripting.Limits{Timeout: time.Duration(sc.Timeout)}
		key := scriptKey(sc)
		val, _, err := scripts.LoadOrNew(key, func() (caddy.Destructor, error) {
			engines, err := engines()
			if err != nil {
				return nil, err
			}
			log := scriptLogger{logger.Named("script")}
			var s *scripting.Script
			if sc.Path != "" {
				s, err = scripting.Open(sc.Path, engines, limits, log)
			} else {
				s, err = scripting.NewInline(fmt.Sprintf("inline-%d.%s", i+1, sc.Engine), sc.Engine, []byte(sc.Source), engines, limits, log)
			}
			if err != nil {
				return nil, err
			}
			return pooledScript{s}, nil
		})
		if err != nil {
			return nil, keys, fmt.Errorf("loading script: %w", err)
		}
		keys = append(keys, key)
		steps = append(steps, scripting.Step{Script: val.(pooledScript).Script, OnError: policy})
	}
	return scripting.NewChain(observeHook(logger), steps...), keys, nil
}

func releaseScripts(keys []string) {
	for _, k := range keys {
		_, _ = scripts.Delete(k)
	}
}

// observeHook turns hook calls into metrics and logs.
func observeHook(logger *zap.Logger) scripting.Observer {
	return func(ev scripting.HookEvent) {
		metrics.ScriptDuration.WithLabelValues(ev.Script, ev.Engine, string(ev.Hook)).Observe(ev.Duration.Seconds())
		if ev.Outcome != scripting.OutcomeError && ev.Outcome != scripting.OutcomeTimeout {
			return
		}
		metrics.ScriptErrors.WithLabelValues(ev.Script, string(ev.Hook), string(ev.Outcome)).Inc()
		msg := "script hook failed; the call fails (on_error fail_closed)"
		if ev.Skipped {
			msg = "script hook failed; skipped (on_error fail_open)"
		}
		logger.Warn(msg, zap.String("script", ev.Script), zap.String("hook", string(ev.Hook)), zap.Error(ev.Err))
	}
}

// scriptLogger sends what scripts print and log, and reload news, to Caddy's
// log.
type scriptLogger struct{ l *zap.Logger }

func (s scriptLogger) Log(level, message string) {
	switch level {
	case "debug":
		s.l.Debug(message)
	case "warn":
		s.l.Warn(message)
	case "error":
		s.l.Error(message)
	default:
		s.l.Info(message)
	}
}

// chainHooks adapts a scripting.Chain to the pipeline's Hooks.
type chainHooks struct{ chain *scripting.Chain }

func (c chainHooks) Begin() gateway.HookRun { return c.chain.Begin() }

func init() {
	metrics.SetScriptReloadSource(scriptReloads)
}

// scriptReloads reports every live script's reload counts.
// One file loaded with two timeouts is two scripts with one name: their
// counts are added up.
func scriptReloads(emit func(script, result string, n uint64)) {
	type counts struct{ ok, failed uint64 }
	byName := map[string]*counts{}
	scripts.Range(func(_, v any) bool {
		s := v.(pooledScript)
		st := s.Stats()
		c := byName[s.Name()]
		if c == nil {
			c = &counts{}
			byName[s.Name()] = c
		}
		c.ok += st.Reloads
		c.failed += st.Failures
		return true
	})
	for name, c := range byName {
		emit(name, "ok", c.ok)
		emit(name, "error", c.failed)
	}
}
