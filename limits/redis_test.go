package limits

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a real redis-server on a free loopback port, for one test.
// The tests need the binary (apt-get install redis-server; `make test`
// installs it): without it they fail, never skip, so a green run always
// means Redis was tested.
type redisServer struct {
	tb   testing.TB
	bin  string
	port int
	dir  string // working directory; a SAVE lands here and is read at restart
	cmd  *exec.Cmd
	out  bytes.Buffer
}

func startRedis(tb testing.TB) *redisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server not found (%v): install redis-server (apt-get install redis-server) to run these tests", err)
	}
	s := &redisServer{tb: tb, bin: bin, port: freePort(tb), dir: tb.TempDir()}
	tb.Cleanup(s.stop)
	s.start()
	return s
}

// freePort asks the kernel for a free loopback port.
func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// start runs redis-server (again, on the same port) and waits until it
// answers PING.
func (s *redisServer) start() {
	s.tb.Helper()
	s.out.Reset()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("starting redis-server: %v", err)
	}
	c := s.client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.stop()
			s.tb.Fatalf("redis-server on port %d does not answer PING: %v\n%s", s.port, err, s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server (no save on the way out: a test that wants data to
// survive a restart runs SAVE first).
func (s *redisServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// client is a plain client for looking at the server directly.
func (s *redisServer) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port), DisableIdentity: true})
}

var prefixSeq int

// openRedis opens a store on s under a fresh prefix, closed at cleanup.
// clock, when not nil, replaces the server's clock.
func openRedis(tb testing.TB, s *redisServer, clock *fakeClock, prefix string) *Redis {
	tb.Helper()
	if prefix == "" {
		prefixSeq++
		prefix = fmt.Sprintf("test%d:", prefixSeq)
	}
	opts := RedisOptions{URL: s.url(), Prefix: prefix}
	if clock != nil {
		opts.now = clock.Now
	}
	st, err := NewRedis(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

func TestRedisKeysAndTTLs(t *testing.T) {
	srv := startRedis(t)
	clock := newFakeClock()
	st := openRedis(t, srv, clock, "k:")
	rules := []Rule{{Kind: Requests, Limit: 10, Window: time.Minute}, {Kind: Tokens, Limit: 1000, Window: time.Hour, Model: "gpt-*"}}
	ask := Ask{Consumer: "alice", Model: "gpt-4o", Rules: rules, Budget: &Budget{AmountUSD: 5, Period: 24 * time.Hour}, Tokens: 100, CostUSD: 0.5}
	_, res := mustAdmit(t, st, ask, true)
	mustSettle(t, st, "alice", "gpt-4o", res, Used{InputTokens: 50, OutputTokens: 25, CostUSD: 0.25})

	c := srv.client()
	defer c.Close()
	ctx := context.Background()
	now := clock.Now().UnixMicro()
	start := windowStart(now, int64(24*time.Hour/time.Microsecond))
	budgetKey := fmt.Sprintf("k:budget:alice:86400000000:%d", start)
	keys, err := c.Keys(ctx, "k:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"k:rate:alice:requests/10/1m0s":         true,
		"k:rate:alice:tokens/1000/1h0m0s/gpt-*": true,
		budgetKey:                               true,
		"k:usage:alice":                         true,
		"k:consumers":                           true,
	}
	if len(keys) != len(want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	for _, k := range keys {
		if !want[k] {
			t.Fatalf("unexpected key %q in %v", k, keys)
		}
	}
	// requests: TAT = now+6s, kept a window past it.
	if v := c.Get(ctx, "k:rate:alice:requests/10/1m0s").Val(); v != fmt.Sprintf("%d:0", now+6_000_000) {
		t.Fatalf("request TAT %q", v)
	}
	ttl := c.PTTL(ctx, "k:rate:alice:requests/10/1m0s").Val()
	if ttl < 65*time.Second || ttl > 66*time.Second+time.Millisecond {
		t.Fatalf("request TAT TTL %s, want about 66s", ttl)
	}
	// tokens: reserved 100, used 75: TAT = now + 75*3.6s.
	if v := c.Get(ctx, "k:rate:alice:tokens/1000/1h0m0s/gpt-*").Val(); v != fmt.Sprintf("%d:0", now+270_000_000) {
		t.Fatalf("token TAT %q", v)
	}
	h := c.HGetAll(ctx, budgetKey).Val()
	if h["spent"] != "250000000" || h["reserved"] != "0" {
		t.Fatalf("budget hash %v", h)
	}
	wantTTL := time.Duration(start+86_400_000_000-now)*time.Microsecond + budgetGrace
	if ttl := c.PTTL(ctx, budgetKey).Val(); ttl < wantTTL-2*time.Second || ttl > wantTTL+time.Second {
		t.Fatalf("budget TTL %s, want about %s", ttl, wantTTL)
	}
	u := c.HGetAll(ctx, "k:usage:alice").Val()
	if u["gpt-4o\x00requests"] != "1" || u["gpt-4o\x00input_tokens"] != "50" || u["gpt-4o\x00cost_nano_usd"] != "250000000" {
		t.Fatalf("usage hash %v", u)
	}
	if c.TTL(ctx, "k:usage:alice").Val() != -1 {
		t.Fatal("usage counters must not expire")
	}

	// A settlement later than an hour after its window leaves the window
	// alone (in Redis time it still exists; the clock is the test's).
	_, res = mustAdmit(t, st, ask, true)
	clock.Advance(time.Duration(start+86_400_000_000-now)*time.Microsecond + budgetGrace + time.Microsecond)
	mustSettle(t, st, "alice", "gpt-4o", res, Used{CostUSD: 0.5})
	if h := c.HGetAll(ctx, budgetKey).Val(); h["spent"] != "250000000" || h["reserved"] != "500000000" {
		t.Fatalf("budget hash after a late settlement %v", h)
	}
}

// TestRedisServerClock runs on the server's TIME, as production does.
func TestRedisServerClock(t *testing.T) {
	srv := startRedis(t)
	st := openRedis(t, srv, nil, "")
	rule := Rule{Kind: Requests, Limit: 3, Window: time.Hour}
	ask := Ask{Consumer: "c", Model: "m", Rules: []Rule{rule}}
	for i := range 3 {
		d, _ := mustAdmit(t, st, ask, true)
		if d.States[0].Remaining != int64(2-i) {
			t.Fatalf("admit %d: remaining %d", i, d.States[0].Remaining)
		}
	}
	d, _ := mustAdmit(t, st, ask, false)
	// 3 calls took 3*20min; the 4th waits about 20min less the time the
	// test took.
	if d.RetryAfter > 20*time.Minute || d.RetryAfter < 20*time.Minute-5*time.Second {
		t.Fatalf("retry after %s", d.RetryAfter)
	}
	if d.States[0].Reset > time.Hour || d.States[0].Reset < time.Hour-5*time.Second {
		t.Fatalf("reset %s", d.States[0].Reset)
	}
}

// TestRedisOutage stops Redis under a store: Admit fails fast, Settle
// queues; after a restart on the same port the store reconnects by itself
// and the queued settlements land, exactly once each.
func TestRedisOutage(t *testing.T) {
	srv := startRedis(t)
	var errs errorLog
	st, err := NewRedis(RedisOptions{URL: srv.url(), Prefix: "o:", OnError: errs.add})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules := []Rule{{Kind: Tokens, Limit: 100_000, Window: time.Hour}}
	ask := Ask{Consumer: "alice", Model: "m", Rules: rules, Tokens: 1000}
	ctx := context.Background()

	_, res := mustAdmit(t, st, ask, true)
	mustSettle(t, st, "alice", "m", res, Used{InputTokens: 10, OutputTokens: 5, CostUSD: 0.01})
	// Keep what is there across the restart (the server runs without
	// automatic saves).
	c := srv.client()
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, held := mustAdmit(t, st, ask, true) // in flight across the outage

	srv.stop()
	for i := range 3 {
		start := time.Now()
		if _, _, err := st.Admit(ctx, ask); err == nil {
			t.Fatal("Admit succeeded with Redis down")
		}
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Fatalf("Admit %d took %s with Redis down", i, took)
		}
	}
	if errs.count("admit") != 3 { // one per failure
		t.Fatalf("OnError admit calls: %v", errs.ops())
	}
	for i := range 5 {
		start := time.Now()
		var r *Reservation
		if i == 0 {
			r = held
		}
		if err := st.Settle(ctx, "alice", "m", r, Used{InputTokens: 100, OutputTokens: 20, CachedTokens: 3, CostUSD: 0.02}); err != nil {
			t.Fatalf("Settle during the outage: %v", err)
		}
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Fatalf("Settle %d took %s with Redis down", i, took)
		}
	}
	if st.Queued() != 5 || errs.count("settle") != 5 {
		t.Fatalf("queued %d, settle errors %d", st.Queued(), errs.count("settle"))
	}

	// Enough failures to open go-redis's dial circuit (one per pool slot):
	// from then on it fails at once and probes Redis in the background.
	for range 50 {
		if _, _, err := st.Admit(ctx, ask); err == nil {
			t.Fatal("Admit succeeded with Redis down")
		}
	}

	srv.start()
	deadline := time.Now().Add(15 * time.Second)
	for st.Queued() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d settlements still queued 15s after Redis came back", st.Queued())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var admitErr error
	for time.Now().Before(deadline) {
		if _, _, admitErr = st.Admit(ctx, Ask{Consumer: "bob", Model: "m", Rules: rules, Tokens: 1}); admitErr == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if admitErr != nil {
		t.Fatalf("Admit after Redis came back: %v", admitErr)
	}
	rep, err := st.Usage(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := rep.Consumers[0]
	if a.Name != "alice" || a.Requests != 6 || a.InputTokens != 510 || a.OutputTokens != 105 || a.CachedTokens != 15 || a.CostUSD != 0.11 {
		t.Fatalf("counters after the outage: %+v", a)
	}
	if st.Dropped() != 0 {
		t.Fatalf("dropped %d", st.Dropped())
	}
	// The held reservation of 1000 settled at 120: the first call's 15
	// plus 120 remain on the rule.
	if rep, err := st.Usage(ctx, []ConsumerLimits{{Name: "alice", Rules: rules}}); err != nil || rep.Consumers[0].Limits[0].Remaining < 100_000-135-1 {
		t.Fatalf("token rule after the outage: %+v %v", rep.Consumers[0].Limits, err)
	}
}

// TestRedisQueueBound drops settlements past the queue's size, counted.
func TestRedisQueueBound(t *testing.T) {
	srv := startRedis(t)
	var errs errorLog
	st, err := NewRedis(RedisOptions{URL: srv.url(), QueueSize: 2, OnError: errs.add, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv.stop()
	ctx := context.Background()
	for range 2 {
		if err := st.Settle(ctx, "a", "m", nil, Used{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Settle(ctx, "a", "m", nil, Used{}); err != ErrSettlementDropped {
		t.Fatalf("third settle: %v", err)
	}
	if st.Dropped() != 1 {
		t.Fatalf("dropped %d", st.Dropped())
	}
	if err := st.Close(); err == nil || st.Dropped() != 3 {
		t.Fatalf("Close with Redis down: %v, dropped %d", err, st.Dropped())
	}
	if errs.count("close") != 1 {
		t.Fatalf("errors %v", errs.ops())
	}
	if _, _, err := st.Admit(ctx, Ask{}); err != ErrClosed {
		t.Fatalf("Admit after Close: %v", err)
	}
}

// TestRedisConcurrentGateways: two stores (two gateways) with 50 goroutines
// each share one token limit; what they admit together stays within it.
func TestRedisConcurrentGateways(t *testing.T) {
	srv := startRedis(t)
	a := openRedis(t, srv, nil, "shared:")
	b := openRedis(t, srv, nil, "shared:")
	checkSharedLimit(t, []Store{a, b})
}

func TestRedisBadURL(t *testing.T) {
	if _, err := NewRedis(RedisOptions{URL: "http://x"}); err == nil {
		t.Fatal("want an error for a non-redis URL")
	}
}
