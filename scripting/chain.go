package scripting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrorPolicy is what a failing script (an error or a timeout, not a
// denial) does to the request: the Caddyfile's `on_error`.
type ErrorPolicy int

const (
	// FailClosed (the default) fails the request.
	FailClosed ErrorPolicy = iota
	// FailOpen goes on as if the hook were absent; the failure is still
	// reported to the Observer.
	FailOpen
)

// ParseErrorPolicy reads "fail_closed" or "fail_open".
func ParseErrorPolicy(s string) (ErrorPolicy, error) {
	switch s {
	case "fail_closed":
		return FailClosed, nil
	case "fail_open":
		return FailOpen, nil
	}
	return FailClosed, fmt.Errorf(`on_error must be "fail_closed" or "fail_open", not %q`, s)
}

func (p ErrorPolicy) String() string {
	if p == FailOpen {
		return "fail_open"
	}
	return "fail_closed"
}

// Outcome is how a hook call ended.
type Outcome string

const (
	OutcomeOK       Outcome = "ok"
	OutcomeDenied   Outcome = "denied"   // gw.deny
	OutcomeError    Outcome = "error"    // a script error
	OutcomeTimeout  Outcome = "timeout"  // stopped by the time limit
	OutcomeCanceled Outcome = "canceled" // the request's context ended
)

// HookEvent describes one hook call, for metrics and logs.
type HookEvent struct {
	Script   string
	Engine   string
	Hook     Hook
	Duration time.Duration // including any wait for a free VM
	Outcome  Outcome
	// Err is the *Denial or the error, for outcomes other than OutcomeOK.
	Err error
	// Skipped is true when the error was absorbed by FailOpen.
	Skipped bool
}

// Observer receives a HookEvent after every hook call. It is called on the
// request's goroutine and must be quick and safe for concurrent use.
type Observer func(HookEvent)

// Step is one script of a Chain and its error policy.
type Step struct {
	Script  *Script
	OnError ErrorPolicy
}

// Chain runs a site's scripts in the order they were declared.
type Chain struct {
	steps   []Step
	observe Observer
}

// NewChain makes a chain of steps; observe may be nil.
func NewChain(observe Observer, steps ...Step) *Chain {
	if observe == nil {
		observe = func(HookEvent) {}
	}
	return &Chain{steps: steps, observe: observe}
}

// Has reports whether any script's current version defines the hook.
func (c *Chain) Has(h Hook) bool {
	for _, st := range c.steps {
		if v := st.Script.Acquire(); v != nil {
			has := v.Program.Has(h)
			v.Release()
			if has {
				return true
			}
		}
	}
	return false
}

// Begin pins every script's current version for one request: all the
// request's hooks, stream chunks included, run on those versions. Release
// the Run when the request is done.
func (c *Chain) Begin() *Run {
	r := &Run{chain: c}
	if len(c.steps) <= len(r.buf) {
		r.versions = r.buf[:len(c.steps)]
	} else {
		r.versions = make([]*Version, len(c.steps))
	}
	for i, st := range c.steps {
		r.versions[i] = st.Script.Acquire() // nil if the script was closed
	}
	return r
}

// Run is one request's pinned scripts. Its methods return a *Denial when a
// script called gw.deny, or the error of a FailClosed script (a
// *ScriptError, or the context's error when the request ended); a Run is
// used by one request at a time.
type Run struct {
	chain    *Chain
	versions []*Version
	buf      [4]*Version
}

// Has reports whether any pinned version defines the hook.
func (r *Run) Has(h Hook) bool {
	for _, v := range r.versions {
		if v != nil && v.Program.Has(h) {
			return true
		}
	}
	return false
}

// OnRequest runs every script's on_request, in order.
func (r *Run) OnRequest(ctx context.Context, req *Request) error {
	for i, v := range r.versions {
		if v == nil || !v.Program.Has(HookOnRequest) {
			continue
		}
		start := time.Now()
		err := v.Program.OnRequest(ctx, req)
		if err = r.settle(ctx, i, HookOnRequest, start, err); err != nil {
			return err
		}
	}
	return nil
}

// Route runs the scripts' route hooks in order; the first that returns a
// target decides. nil means no script decided.
func (r *Run) Route(ctx context.Context, req *Request) ([]string, error) {
	for i, v := range r.versions {
		if v == nil || !v.Program.Has(HookRoute) {
			continue
		}
		start := time.Now()
		out, err := v.Program.Route(ctx, req)
		if err = r.settle(ctx, i, HookRoute, start, err); err != nil {
			return nil, err
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// OnResponse runs every script's on_response, in order.
func (r *Run) OnResponse(ctx context.Context, req *Request, res *Response) error {
	for i, v := range r.versions {
		if v == nil || !v.Program.Has(HookOnResponse) {
			continue
		}
		start := time.Now()
		err := v.Program.OnResponse(ctx, req, res)
		if err = r.settle(ctx, i, HookOnResponse, start, err); err != nil {
			return err
		}
	}
	return nil
}

// OnChunk runs the scripts' on_chunk in order, until one drops the chunk.
func (r *Run) OnChunk(ctx context.Context, req *Request, chunk *Chunk) error {
	for i, v := range r.versions {
		if chunk.Drop {
			return nil
		}
		if v == nil || !v.Program.Has(HookOnChunk) {
			continue
		}
		start := time.Now()
		err := v.Program.OnChunk(ctx, req, chunk)
		if err = r.settle(ctx, i, HookOnChunk, start, err); err != nil {
			return err
		}
	}
	return nil
}

// Release unpins the versions. The Run must not be used afterwards.
func (r *Run) Release() {
	for i, v := range r.versions {
		if v != nil {
			v.Release()
			r.versions[i] = nil
		}
	}
}

// settle reports a hook call to the observer and applies the script's error
// policy: the error to return, or nil to go on.
func (r *Run) settle(ctx context.Context, i int, h Hook, start time.Time, err error) error {
	st := r.chain.steps[i]
	ev := HookEvent{Script: st.Script.Name(), Engine: st.Script.Engine(), Hook: h, Duration: time.Since(start), Outcome: OutcomeOK, Err: err}
	var denial *Denial
	switch {
	case err == nil:
	case errors.As(err, &denial):
		ev.Outcome = OutcomeDenied
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		ev.Outcome = OutcomeCanceled
	case errors.Is(err, ErrTimeout):
		ev.Outcome = OutcomeTimeout
	default:
		ev.Outcome = OutcomeError
	}
	if (ev.Outcome == OutcomeError || ev.Outcome == OutcomeTimeout) && st.OnError == FailOpen {
		ev.Skipped = true
		err = nil
	}
	r.chain.observe(ev)
	return err
}
