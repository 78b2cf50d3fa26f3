package wasmhost

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/sluicegw/sluice/scripting"
	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// hookCall is one hook call: its inputs, and route's result.
type hookCall struct {
	hook  scripting.Hook
	req   *scripting.Request
	res   *scripting.Response
	chunk *scripting.Chunk
	route []string
}

func hookIndex(h scripting.Hook) int {
	switch h {
	case scripting.HookOnRequest:
		return wire.HookOnRequest
	case scripting.HookRoute:
		return wire.HookRoute
	case scripting.HookOnResponse:
		return wire.HookOnResponse
	case scripting.HookOnChunk:
		return wire.HookOnChunk
	}
	return -1
}

// program is the scripting.Program of one compiled module: its hooks run
// on pooled instances. Once closed and with no call left running, it
// closes its wazero runtime, which frees the compiled code.
type program struct {
	g    *guestModule
	pool *pool

	live      atomic.Int64 // instances not yet freed
	closed    atomic.Bool
	closeOnce sync.Once
}

func newProgram(g *guestModule, size int) *program {
	p := &program{g: g}
	p.live.Store(1) // the first instance, seeded by Compile
	p.pool = newPool(size, p.newInstance, p.freeInstance)
	return p
}

func (p *program) newInstance() (*instance, error) {
	p.live.Add(1)
	in, err := p.g.newInstance()
	if err != nil {
		p.released()
		return nil, err
	}
	return in, nil
}

func (p *program) freeInstance(in *instance) {
	in.free()
	p.released()
}

// released counts an instance freed (or never made), and closes the
// runtime once the program is closed and none is left.
func (p *program) released() {
	if p.live.Add(-1) == 0 && p.closed.Load() {
		p.closeRuntime()
	}
}

func (p *program) closeRuntime() {
	p.closeOnce.Do(func() { _ = p.g.rt.Close(context.Background()) })
}

// Has reports whether the plugin implements the hook.
func (p *program) Has(h scripting.Hook) bool {
	i := hookIndex(h)
	return i >= 0 && p.g.hooks&(1<<i) != 0
}

func (p *program) OnRequest(ctx context.Context, req *scripting.Request) error {
	c := hookCall{hook: scripting.HookOnRequest, req: req}
	return p.run(ctx, &c)
}

func (p *program) Route(ctx context.Context, req *scripting.Request) ([]string, error) {
	c := hookCall{hook: scripting.HookRoute, req: req}
	err := p.run(ctx, &c)
	return c.route, err
}

func (p *program) OnResponse(ctx context.Context, req *scripting.Request, res *scripting.Response) error {
	c := hookCall{hook: scripting.HookOnResponse, req: req, res: res}
	return p.run(ctx, &c)
}

func (p *program) OnChunk(ctx context.Context, req *scripting.Request, chunk *scripting.Chunk) error {
	c := hookCall{hook: scripting.HookOnChunk, req: req, chunk: chunk}
	return p.run(ctx, &c)
}

// Close frees the idle instances now and the others as their calls end;
// calls after Close fail with scripting.ErrClosed.
func (p *program) Close() {
	if p.closed.Swap(true) {
		return
	}
	p.pool.close()
	if p.live.Load() == 0 {
		p.closeRuntime()
	}
}

// run runs a hook on a pooled instance. A hook the plugin does not
// implement is a no-op. The error is a *scripting.Denial, or a
// *scripting.ScriptError.
func (p *program) run(ctx context.Context, c *hookCall) error {
	if !p.Has(c.hook) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return p.fail(c, err)
	}
	if c.req == nil {
		c.req = &scripting.Request{}
	}
	extra := ""
	if c.res != nil {
		extra = c.res.Content
	} else if c.chunk != nil {
		extra = c.chunk.Text
	}
	if err := scripting.CheckInput(c.req, extra, p.g.limits.MaxInputBytes); err != nil {
		return p.fail(c, err)
	}
	in, err := p.pool.get(ctx)
	if err != nil {
		if ie, ok := err.(*initError); ok {
			err = &runError{msg: "starting an instance: " + ie.msg}
		}
		return p.fail(c, err)
	}
	err, broken := in.run(ctx, c)
	p.pool.put(in, broken)
	if err == nil {
		return nil
	}
	if d, ok := err.(*scripting.Denial); ok {
		return d
	}
	return p.fail(c, err)
}

func (p *program) fail(c *hookCall, err error) error {
	return &scripting.ScriptError{Script: p.g.name, Hook: c.hook, Err: err}
}
