package scripting

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

// events records what a Chain observed.
type events struct {
	mu  sync.Mutex
	all []HookEvent
}

func (e *events) observe(ev HookEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) summary() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		s := ev.Script + " " + string(ev.Hook) + " " + string(ev.Outcome)
		if ev.Skipped {
			s += " skipped"
		}
		out = append(out, s)
	}
	return out
}

func inline(t *testing.T, name, engine, src string, limits Limits) *Script {
	t.Helper()
	s, err := NewInline(name, engine, []byte(src), Engines(), limits, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestChainRunsScriptsInOrder(t *testing.T) {
	a := inline(t, "a", "lua", `
function on_request(req) req.metadata.order = (req.metadata.order or "") .. "a" end
function route(req) end
function on_response(req, res) res.content = res.content .. "a" end
function on_chunk(req, chunk) if chunk.text == "drop" then chunk.drop = true end end`, Limits{})
	b := inline(t, "b", "js", `
function on_request(req) { req.metadata.order += "b" }
function route(req) { return "b/model" }
function on_response(req, res) { res.content += "b" }
function on_chunk(req, chunk) { chunk.text = chunk.text.toUpperCase() }`, Limits{})
	c := inline(t, "c", "lua", `function route(req) return "c/model" end`, Limits{})
	var ev events
	chain := NewChain(ev.observe, Step{Script: a}, Step{Script: b}, Step{Script: c})
	if !chain.Has(HookOnChunk) || !chain.Has(HookRoute) {
		t.Fatal("Has is wrong")
	}
	run := chain.Begin()
	defer run.Release()
	ctx := context.Background()

	req := sampleRequest()
	if err := run.OnRequest(ctx, req); err != nil || req.Metadata["order"] != "ab" {
		t.Fatalf("on_request: %v, metadata %v", err, req.Metadata)
	}
	if out, err := run.Route(ctx, req); err != nil || !reflect.DeepEqual(out, []string{"b/model"}) {
		t.Fatalf("route = %v, %v", out, err)
	}
	res := &Response{Content: ">"}
	if err := run.OnResponse(ctx, req, res); err != nil || res.Content != ">ab" {
		t.Fatalf("on_response: %v, %q", err, res.Content)
	}
	ch := &Chunk{Text: "x"}
	if err := run.OnChunk(ctx, req, ch); err != nil || ch.Text != "X" {
		t.Fatalf("on_chunk: %v, %+v", err, ch)
	}
	ev.all = nil
	ch = &Chunk{Text: "drop"}
	if err := run.OnChunk(ctx, req, ch); err != nil || !ch.Drop || ch.Text != "drop" {
		t.Fatalf("on_chunk: %v, %+v", err, ch)
	}
	if got := ev.summary(); !reflect.DeepEqual(got, []string{"a on_chunk ok"}) {
		t.Fatalf("a dropped chunk went on down the chain: %q", got)
	}
}

func TestChainErrorPolicies(t *testing.T) {
	broken := `function on_request(req) error("broken") end
function route(req) if req.model == "loop" then while true do end end error("broken") end`
	deny := `function on_request(req) if req.model == "deny" then gw.deny(402, "pay") end end`
	limits := Limits{Timeout: 20 * time.Millisecond}
	ctx := context.Background()

	t.Run("fail_open skips and reports", func(t *testing.T) {
		var ev events
		chain := NewChain(ev.observe,
			Step{Script: inline(t, "broken", "lua", broken, limits), OnError: FailOpen},
			Step{Script: inline(t, "last", "js", `function route() { return "p/m" }`, limits)})
		run := chain.Begin()
		defer run.Release()
		if err := run.OnRequest(ctx, sampleRequest()); err != nil {
			t.Fatal(err)
		}
		if out, err := run.Route(ctx, &Request{Model: "loop"}); err != nil || out[0] != "p/m" {
			t.Fatalf("route = %v, %v", out, err)
		}
		want := []string{"broken on_request error skipped", "broken route timeout skipped", "last route ok"}
		if got := ev.summary(); !reflect.DeepEqual(got, want) {
			t.Fatalf("events = %q, want %q", got, want)
		}
	})
	t.Run("fail_closed returns the error", func(t *testing.T) {
		chain := NewChain(nil, Step{Script: inline(t, "broken", "lua", broken, limits)})
		run := chain.Begin()
		defer run.Release()
		err := run.OnRequest(ctx, sampleRequest())
		var se *ScriptError
		if !errors.As(err, &se) || se.Script != "broken" || se.Hook != HookOnRequest {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a denial always propagates", func(t *testing.T) {
		var ev events
		chain := NewChain(ev.observe, Step{Script: inline(t, "deny", "lua", deny, limits), OnError: FailOpen})
		run := chain.Begin()
		defer run.Release()
		err := run.OnRequest(ctx, &Request{Model: "deny"})
		if d, ok := err.(*Denial); !ok || d.Status != 402 {
			t.Fatalf("err = %#v", err)
		}
		if got := ev.summary(); !reflect.DeepEqual(got, []string{"deny on_request denied"}) {
			t.Fatalf("events = %q", got)
		}
	})
	t.Run("a canceled request is not absorbed", func(t *testing.T) {
		var ev events
		chain := NewChain(ev.observe, Step{Script: inline(t, "deny", "lua", deny, limits), OnError: FailOpen})
		run := chain.Begin()
		defer run.Release()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := run.OnRequest(cctx, &Request{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if got := ev.summary(); !reflect.DeepEqual(got, []string{"deny on_request canceled"}) {
			t.Fatalf("events = %q", got)
		}
	})
	if p, err := ParseErrorPolicy("fail_open"); err != nil || p != FailOpen || p.String() != "fail_open" {
		t.Fatal(p, err)
	}
	if _, err := ParseErrorPolicy("open"); err == nil {
		t.Fatal("a bad policy parsed")
	}
}

func TestChainPinsVersionsPerRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route.lua")
	writeReplace(t, path, routeScript("a/1"))
	s, _ := openScript(t, path)
	chain := NewChain(nil, Step{Script: s})
	ctx := context.Background()

	run := chain.Begin()
	writeReplace(t, path, routeScript("a/2"))
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if out, _ := run.Route(ctx, &Request{}); out[0] != "a/1" {
		t.Fatalf("a started request moved to the new version: %v", out)
	}
	run.Release()
	run = chain.Begin()
	defer run.Release()
	if out, _ := run.Route(ctx, &Request{}); out[0] != "a/2" {
		t.Fatalf("a new request got the old version: %v", out)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
