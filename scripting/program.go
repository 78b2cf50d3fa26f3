package scripting

import (
	"context"
	"fmt"
	"time"
)

// hookSet is the set of hooks a script defines.
type hookSet uint8

var allHooks = [...]Hook{HookOnRequest, HookRoute, HookOnResponse, HookOnChunk}

func hookIndex(h Hook) int {
	switch h {
	case HookOnRequest:
		return 0
	case HookRoute:
		return 1
	case HookOnResponse:
		return 2
	case HookOnChunk:
		return 3
	}
	return -1
}

func (s hookSet) has(h Hook) bool {
	i := hookIndex(h)
	return i >= 0 && s&(1<<i) != 0
}

// hookCall is one hook call: its inputs, and route's result.
type hookCall struct {
	hook  Hook
	req   *Request
	res   *Response
	chunk *Chunk
	route []string
}

// engineVM is one VM of an engine: it runs one hook call at a time and says
// when it must not be reused.
type engineVM interface {
	run(ctx context.Context, c *hookCall) (err error, broken bool)
}

// program is the Program of both engines: a compiled script, the hooks it
// defines, and the pool of VMs that run them.
type program[V engineVM] struct {
	name   string
	limits Limits
	hooks  hookSet
	pool   *pool[V]
}

func (p *program[V]) Has(h Hook) bool { return p.hooks.has(h) }

func (p *program[V]) OnRequest(ctx context.Context, req *Request) error {
	c := hookCall{hook: HookOnRequest, req: req}
	return p.run(ctx, &c)
}

func (p *program[V]) Route(ctx context.Context, req *Request) ([]string, error) {
	c := hookCall{hook: HookRoute, req: req}
	err := p.run(ctx, &c)
	return c.route, err
}

func (p *program[V]) OnResponse(ctx context.Context, req *Request, res *Response) error {
	c := hookCall{hook: HookOnResponse, req: req, res: res}
	return p.run(ctx, &c)
}

func (p *program[V]) OnChunk(ctx context.Context, req *Request, chunk *Chunk) error {
	c := hookCall{hook: HookOnChunk, req: req, chunk: chunk}
	return p.run(ctx, &c)
}

func (p *program[V]) Close() { p.pool.close() }

// run runs a hook on a pooled VM. A hook the script does not define is a
// no-op.
func (p *program[V]) run(ctx context.Context, c *hookCall) error {
	if !p.hooks.has(c.hook) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return &ScriptError{Script: p.name, Hook: c.hook, Err: err}
	}
	if c.req == nil {
		c.req = &Request{}
	}
	extra := ""
	if c.res != nil {
		extra = c.res.Content
	} else if c.chunk != nil {
		extra = c.chunk.Text
	}
	if err := CheckInput(c.req, extra, p.limits.MaxInputBytes); err != nil {
		return &ScriptError{Script: p.name, Hook: c.hook, Err: err}
	}
	vm, err := p.pool.get(ctx)
	if err != nil {
		return &ScriptError{Script: p.name, Hook: c.hook, Err: err}
	}
	err, broken := vm.run(ctx, c)
	p.pool.put(vm, broken)
	return err
}

// runError is a script's error as the gateway reports it: msg says
// file:line; kind, when set, is the sentinel it matches (ErrTimeout, ...).
type runError struct {
	msg  string
	kind error
}

func (e *runError) Error() string { return e.msg }
func (e *runError) Unwrap() error { return e.kind }

// timeoutError is the error of a hook stopped by its budget. When the
// request's own context ended first, that is the cause instead.
func timeoutError(ctx context.Context, where string, limit time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg := fmt.Sprintf("timed out after %v", limit)
	if where != "" {
		msg += " (at " + where + ")"
	}
	return &runError{msg: msg, kind: ErrTimeout}
}

// shapeError is a value of the wrong type handed back by a hook.
func shapeError(format string, args ...any) error {
	return &runError{msg: fmt.Sprintf(format, args...)}
}
