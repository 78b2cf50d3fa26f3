package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sluicegw/sluice/scripting"
)

// versions of fixed_route.wasm: the same module with another target of the
// same length, patched in its data segment.
func routeVersions(t *testing.T) (v1, v2 []byte) {
	t.Helper()
	v1 = wat(t, "../examples/wasm/fixed_route.wat")
	v2 = bytes.Replace(v1, []byte("gpt-4o-mini"), []byte("gpt-4o-nano"), 1)
	if bytes.Equal(v1, v2) {
		t.Fatal("could not patch fixed_route.wasm")
	}
	return v1, v2
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	// Replace the file as editors and deploys do: write aside, rename.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func chainRoute(t *testing.T, chain *scripting.Chain) []string {
	t.Helper()
	run := chain.Begin()
	defer run.Release()
	out, err := run.Route(context.Background(), &scripting.Request{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A .wasm file goes through scripting.Open, Chain and hot reload like a Lua
// or JavaScript script: a replaced file is served once compiled, requests
// already running keep their version, and a broken file is refused while
// the last good version keeps serving.
func TestOpenAndReload(t *testing.T) {
	v1, v2 := routeVersions(t)
	path := filepath.Join(t.TempDir(), "router.wasm")
	writeFile(t, path, v1)
	engines := append(scripting.Engines(), engine(t))
	log := &memLogger{}
	s, err := scripting.Open(path, engines, scripting.Limits{}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Engine() != "wasm" {
		t.Fatalf("engine = %q", s.Engine())
	}
	chain := scripting.NewChain(nil, scripting.Step{Script: s})
	if got := chainRoute(t, chain); !reflect.DeepEqual(got, []string{"openai/gpt-4o-mini"}) {
		t.Fatalf("v1 routes to %q", got)
	}

	pinned := chain.Begin() // a request in flight across the reload
	defer pinned.Release()

	writeFile(t, path, v2)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := chainRoute(t, chain)
		if reflect.DeepEqual(got, []string{"openai/gpt-4o-nano"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new version was not served: still %q; log %q", got, log.all())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := s.Stats(); st.Version != 2 || st.Reloads != 1 {
		t.Fatalf("stats = %+v", st)
	}
	out, err := pinned.Route(context.Background(), &scripting.Request{})
	if err != nil || !reflect.DeepEqual(out, []string{"openai/gpt-4o-mini"}) {
		t.Fatalf("the pinned request routed %q, %v: want its version 1", out, err)
	}

	// A broken version is refused, and the good one keeps serving.
	writeFile(t, path, []byte("not wasm"))
	err = s.Reload()
	var ce *scripting.CompileError
	if !errors.As(err, &ce) || s.Stats().Failures != 1 {
		t.Fatalf("reload of a broken file: err = %v, stats %+v", err, s.Stats())
	}
	if got := chainRoute(t, chain); !reflect.DeepEqual(got, []string{"openai/gpt-4o-nano"}) {
		t.Fatalf("after a failed reload: route = %q", got)
	}
}

func TestInline(t *testing.T) {
	v1, _ := routeVersions(t)
	engines := append(scripting.Engines(), engine(t))
	s, err := scripting.NewInline("inline", "wasm", v1, engines, scripting.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chain := scripting.NewChain(nil, scripting.Step{Script: s})
	if got := chainRoute(t, chain); !reflect.DeepEqual(got, []string{"openai/gpt-4o-mini"}) {
		t.Fatalf("route = %q", got)
	}
}

// A chain of a Lua script and a Wasm plugin: the first that routes wins,
// and both see the request in order.
func TestChainWithLua(t *testing.T) {
	v1, _ := routeVersions(t)
	engines := append(scripting.Engines(), engine(t))
	lua, err := scripting.NewInline("tag.lua", "lua", []byte(`function route(req) if req.model == "lua" then return "lua/model" end end`), engines, scripting.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lua.Close()
	wasm, err := scripting.NewInline("router.wasm", "wasm", v1, engines, scripting.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer wasm.Close()
	var events []scripting.HookEvent
	chain := scripting.NewChain(func(e scripting.HookEvent) { events = append(events, e) },
		scripting.Step{Script: lua}, scripting.Step{Script: wasm})
	run := chain.Begin()
	defer run.Release()
	for _, c := range []struct{ model, want string }{{"lua", "lua/model"}, {"other", "openai/gpt-4o-mini"}} {
		out, err := run.Route(context.Background(), &scripting.Request{Model: c.model})
		if err != nil || len(out) != 1 || out[0] != c.want {
			t.Fatalf("%s: route = %q, %v", c.model, out, err)
		}
	}
	if last := events[len(events)-1]; last.Engine != "wasm" || last.Outcome != scripting.OutcomeOK {
		t.Fatalf("last event = %+v", last)
	}
}
