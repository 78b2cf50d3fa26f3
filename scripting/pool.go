package scripting

import (
	"context"
	"sync/atomic"
	"time"
)

// pool holds the VMs of one Program: at most size exist at once, each
// serving one hook call at a time. A call takes a token (waiting within its
// context when all are out), then an idle VM or a new one; it gives both
// back when done. A VM that timed out or panicked is dropped, never reused.
type pool[V any] struct {
	tokens chan struct{} // one per VM that may be in use
	idle   chan V
	newVM  func() (V, error)
	freeVM func(V)
	closed atomic.Bool
	done   chan struct{} // closed by close: waiters give up
}

func newPool[V any](size int, newVM func() (V, error), freeVM func(V)) *pool[V] {
	return &pool[V]{
		tokens: make(chan struct{}, size),
		idle:   make(chan V, size),
		newVM:  newVM,
		freeVM: freeVM,
		done:   make(chan struct{}),
	}
}

// get returns a VM for one hook call; put must follow.
func (p *pool[V]) get(ctx context.Context) (V, error) {
	var zero V
	select {
	case p.tokens <- struct{}{}:
	default:
		select {
		case p.tokens <- struct{}{}:
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-p.done:
			return zero, ErrClosed
		}
	}
	if p.closed.Load() {
		<-p.tokens
		return zero, ErrClosed
	}
	select {
	case v := <-p.idle:
		return v, nil
	default:
	}
	v, err := p.newVM()
	if err != nil {
		<-p.tokens
		return zero, err
	}
	return v, nil
}

// put gives back a VM that get returned; a broken one is freed instead.
func (p *pool[V]) put(v V, broken bool) {
	if broken {
		p.freeVM(v)
	} else {
		select {
		case p.idle <- v:
		default: // cannot happen while tokens bound the VMs; free anyway
			p.freeVM(v)
		}
		if p.closed.Load() {
			p.drain()
		}
	}
	<-p.tokens
}

// seed adds a ready VM (the one Compile built to check the script).
func (p *pool[V]) seed(v V) {
	select {
	case p.idle <- v:
	default:
		p.freeVM(v)
	}
}

// close fails later and waiting calls and frees the idle VMs; a VM in use is
// freed when its call puts it back.
func (p *pool[V]) close() {
	if p.closed.Swap(true) {
		return
	}
	close(p.done)
	p.drain()
}

func (p *pool[V]) drain() {
	for {
		select {
		case v := <-p.idle:
			p.freeVM(v)
		default:
			return
		}
	}
}

// budget stops a runaway hook: start arms a timer that calls fire (which
// interrupts the VM) once the hook's time is up, stop disarms it and says
// whether it fired. A VM whose budget fired is dropped, so fire never races
// with the VM's next call. One budget per VM, reused across calls.
type budget struct {
	timer *time.Timer
}

func newBudget(fire func()) *budget {
	t := time.AfterFunc(time.Hour, fire)
	t.Stop()
	return &budget{timer: t}
}

// start arms the budget for min(timeout, ctx's deadline); it returns false
// (and arms nothing) when that time has already passed.
func (b *budget) start(ctx context.Context, timeout time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = left
		}
	}
	if timeout <= 0 {
		return false
	}
	b.timer.Reset(timeout)
	return true
}

// stop disarms the budget and reports whether it fired.
func (b *budget) stop() (fired bool) {
	return !b.timer.Stop()
}
