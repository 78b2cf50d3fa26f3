package limits

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Settlements that could not reach Redis wait here, in order, and a
// background goroutine replays them once Redis answers again: an outage
// delays accounting but loses none of it (up to the queue's size).
//
// Delivery is at least once: a settlement whose script ran but whose
// answer was lost (a timeout on a live Redis) is queued and runs again.

const defaultQueueSize = 100_000

// Replay backoff while Redis stays unreachable.
const (
	replayMinWait = 100 * time.Millisecond
	replayMaxWait = 2 * time.Second
)

type settleQueue struct {
	mu      sync.Mutex
	jobs    []settlement // jobs[head:] wait
	head    int
	limit   int
	wake    chan struct{} // signalled when a job is pushed
	dropped atomic.Int64
}

func (q *settleQueue) init(limit int) {
	if limit <= 0 {
		limit = defaultQueueSize
	}
	q.limit = limit
	q.wake = make(chan struct{}, 1)
}

// push queues a job; false when the queue is full (the job is dropped and
// counted).
func (q *settleQueue) push(job settlement) bool {
	q.mu.Lock()
	if len(q.jobs)-q.head >= q.limit {
		q.mu.Unlock()
		q.dropped.Add(1)
		return false
	}
	q.jobs = append(q.jobs, job)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

func (q *settleQueue) peek() (settlement, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.jobs) {
		return settlement{}, false
	}
	return q.jobs[q.head], true
}

// pop removes the job peek returned.
func (q *settleQueue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs[q.head] = settlement{}
	q.head++
	if q.head == len(q.jobs) {
		q.jobs, q.head = q.jobs[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.jobs) {
		// Reclaim the drained front.
		q.jobs = append(q.jobs[:0:0], q.jobs[q.head:]...)
		q.head = 0
	}
}

func (q *settleQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs) - q.head
}

// drop empties the queue, counting what it held as dropped.
func (q *settleQueue) drop() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.jobs) - q.head
	q.jobs, q.head = nil, 0
	q.dropped.Add(int64(n))
	return n
}

// replay delivers queued settlements in order until Close, backing off
// while Redis stays unreachable.
func (s *Redis) replay() {
	defer close(s.done)
	wait := replayMinWait
	for {
		job, ok := s.queue.peek()
		if !ok {
			select {
			case <-s.stop:
				return
			case <-s.queue.wake:
				continue
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*s.timeout)
		err := s.runSettle(ctx, job)
		cancel()
		if err == nil {
			s.queue.pop()
			wait = replayMinWait
			continue
		}
		s.fail("replay", err)
		select {
		case <-s.stop:
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, replayMaxWait)
	}
}
