package wasmhost

import (
	"context"
	"sync/atomic"

	"github.com/sluicegw/sluice/scripting"
)

// pool holds the instances of one Program: at most size exist at once,
// each serving one hook call at a time. A call takes a token (waiting
// within its context when all are out), then an idle instance or a new one;
// it gives both back when done. An instance that trapped, exited or timed
// out is freed, never reused.
//
// It is a small copy of package scripting's pool (which is unexported), for
// *instance.
type pool struct {
	tokens chan struct{} // one per instance that may be in use
	idle   chan *instance
	newVM  func() (*instance, error)
	freeVM func(*instance)
	closed atomic.Bool
	done   chan struct{} // closed by close: waiters give up
}

func newPool(size int, newVM func() (*instance, error), freeVM func(*instance)) *pool {
	return &pool{
		tokens: make(chan struct{}, size),
		idle:   make(chan *instance, size),
		newVM:  newVM,
		freeVM: freeVM,
		done:   make(chan struct{}),
	}
}

// get returns an instance for one hook call; put must follow.
func (p *pool) get(ctx context.Context) (*instance, error) {
	select {
	case p.tokens <- struct{}{}:
	default:
		select {
		case p.tokens <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-p.done:
			return nil, scripting.ErrClosed
		}
	}
	if p.closed.Load() {
		<-p.tokens
		return nil, scripting.ErrClosed
	}
	select {
	case v := <-p.idle:
		return v, nil
	default:
	}
	v, err := p.newVM()
	if err != nil {
		<-p.tokens
		return nil, err
	}
	return v, nil
}

// put gives back an instance that get returned; a broken one is freed.
func (p *pool) put(v *instance, broken bool) {
	if broken {
		p.freeVM(v)
	} else {
		select {
		case p.idle <- v:
		default: // cannot happen while tokens bound the instances
			p.freeVM(v)
		}
		if p.closed.Load() {
			p.drain()
		}
	}
	<-p.tokens
}

// seed adds a ready instance (the one Compile made to check the module).
func (p *pool) seed(v *instance) {
	select {
	case p.idle <- v:
	default:
		p.freeVM(v)
	}
}

// close fails later and waiting calls and frees the idle instances; one in
// use is freed when its call puts it back.
func (p *pool) close() {
	if p.closed.Swap(true) {
		return
	}
	close(p.done)
	p.drain()
}

func (p *pool) drain() {
	for {
		select {
		case v := <-p.idle:
			p.freeVM(v)
		default:
			return
		}
	}
}
