package scripting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeVM struct {
	id    int
	freed atomic.Bool
}

func newFakePool(size int) (*pool[*fakeVM], *atomic.Int32) {
	var made atomic.Int32
	p := newPool(size, func() (*fakeVM, error) {
		return &fakeVM{id: int(made.Add(1))}, nil
	}, func(v *fakeVM) { v.freed.Store(true) })
	return p, &made
}

func TestPoolIsBoundedAndWaitsWithinTheContext(t *testing.T) {
	p, made := newFakePool(1)
	ctx := context.Background()
	a, err := p.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.get(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	got := make(chan *fakeVM)
	go func() {
		v, _ := p.get(ctx)
		got <- v
	}()
	time.Sleep(10 * time.Millisecond)
	p.put(a, false)
	if b := <-got; b != a || made.Load() != 1 {
		t.Fatalf("the waiter got %v (made %d), want the VM put back", b, made.Load())
	}
}

func TestPoolDropsBrokenVMs(t *testing.T) {
	p, made := newFakePool(2)
	a, _ := p.get(context.Background())
	p.put(a, true)
	if !a.freed.Load() {
		t.Fatal("a broken VM was not freed")
	}
	b, _ := p.get(context.Background())
	if b == a || made.Load() != 2 {
		t.Fatal("a broken VM was reused")
	}
	p.put(b, false)
}

func TestPoolClose(t *testing.T) {
	p, _ := newFakePool(1)
	ctx := context.Background()
	idle, _ := p.get(ctx)
	p.put(idle, false)
	busy, _ := p.get(ctx)
	waiter := make(chan error)
	go func() {
		_, err := p.get(ctx)
		waiter <- err
	}()
	time.Sleep(10 * time.Millisecond)
	p.close()
	if err := <-waiter; !errors.Is(err, ErrClosed) {
		t.Fatalf("a waiter got %v, want ErrClosed", err)
	}
	if busy.freed.Load() {
		t.Fatal("a VM in use was freed")
	}
	p.put(busy, false)
	if !busy.freed.Load() {
		t.Fatal("a VM put back after close was kept")
	}
	if _, err := p.get(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
}

// TestProgramsUnderLoad runs many concurrent calls on small pools, with
// the race detector watching that no VM serves two calls at once.
func TestProgramsUnderLoad(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name(), func(t *testing.T) {
			p := compile(t, e, benchRoute[e.Name()], Limits{PoolSize: 2}, nil)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 200; i++ {
						req := sampleRequest()
						out, err := p.Route(context.Background(), req)
						if err != nil || len(out) != 1 || out[0] != "openai/gpt-4o-mini" {
							errs <- fmt.Errorf("route = %v, %v", out, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

func TestBudgetUsesTheEarlierDeadline(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name(), func(t *testing.T) {
			src := map[string]string{
				"lua": `function route(req) while true do end end`,
				"js":  `function route(req) { for (;;) {} }`,
			}[e.Name()]
			p := compile(t, e, src, Limits{Timeout: time.Minute}, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			_, err := p.Route(ctx, &Request{})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the request's deadline", err)
			}
		})
	}
}
