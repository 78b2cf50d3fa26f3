package limits

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchAsk is one consumer with a request rule, a token rule and a budget,
// all roomy enough never to refuse.
func benchAsk(consumer string) Ask {
	return Ask{
		Consumer: consumer,
		Model:    "gpt-4o-mini",
		Rules: []Rule{
			{Kind: Requests, Limit: 1_000_000_000, Window: time.Minute},
			{Kind: Tokens, Limit: 1_000_000_000_000, Window: time.Minute},
		},
		Budget:  &Budget{AmountUSD: 1_000_000, Period: 24 * time.Hour},
		Tokens:  1500,
		CostUSD: 0.002,
	}
}

var benchUsed = Used{InputTokens: 1000, OutputTokens: 200, CostUSD: 0.0015}

func admitSettle(b *testing.B, s Store, ask Ask) {
	ctx := context.Background()
	d, res, err := s.Admit(ctx, ask)
	if err != nil || !d.Allowed {
		b.Fatalf("admit: %v %+v", err, d)
	}
	if err := s.Settle(ctx, ask.Consumer, ask.Model, res, benchUsed); err != nil {
		b.Fatal(err)
	}
}

func benchSequential(b *testing.B, s Store) {
	ask := benchAsk("alice")
	b.ReportAllocs()
	for b.Loop() {
		admitSettle(b, s, ask)
	}
}

// benchParallel runs goroutines of distinct consumers, as a busy gateway
// serves many.
func benchParallel(b *testing.B, s Store) {
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ask := benchAsk("consumer-" + strconv.FormatInt(n.Add(1), 10))
		for pb.Next() {
			admitSettle(b, s, ask)
		}
	})
}

func BenchmarkAdmitSettleMemory(b *testing.B) {
	m, err := NewMemory(MemoryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	b.Run("sequential", func(b *testing.B) { benchSequential(b, m) })
	b.Run("parallel", func(b *testing.B) { benchParallel(b, m) })
}

func BenchmarkAdmitSettleRedis(b *testing.B) {
	srv := startRedis(b)
	s, err := NewRedis(RedisOptions{URL: srv.url()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Run("sequential", func(b *testing.B) { benchSequential(b, s) })
	b.Run("parallel", func(b *testing.B) { benchParallel(b, s) })
}
