package load_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluicegw/sluice/bench/fake"
	"github.com/sluicegw/sluice/bench/load"
)

var (
	chatBody     = []byte(`{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"}]}`)
	chatStream   = []byte(`{"model":"m","stream":true,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"}]}`)
	messagesBody = []byte(`{"model":"m","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Hello there"}]}`)
	messagesStrm = []byte(`{"model":"m","max_tokens":256,"stream":true,"system":"Be brief.","messages":[{"role":"user","content":"Hello there"}]}`)
)

func TestShapesAgainstTheFake(t *testing.T) {
	const chunks = 7
	srv := httptest.NewServer(fake.New(fake.Options{Chunks: chunks}))
	defer srv.Close()
	cases := []struct {
		name   string
		path   string
		body   []byte
		shape  load.Shape
		stream bool
		events int
	}{
		{"openai", "/v1/chat/completions", chatBody, load.OpenAI, false, 0},
		{"openai-stream", "/v1/chat/completions", chatStream, load.OpenAI, true, chunks + 3},
		{"anthropic", "/v1/messages", messagesBody, load.Anthropic, false, 0},
		{"anthropic-stream", "/v1/messages", messagesStrm, load.Anthropic, true, chunks + 6},
	}
	var texts []string
	for _, strict := range []bool{true, false} {
		for _, c := range cases {
			res := load.Run(context.Background(), load.Spec{
				URL: srv.URL + c.path, Body: c.body, Shape: c.shape, Stream: c.stream,
				Concurrency: 3, Requests: 9, Strict: strict, Gaps: true,
			})
			if res.Errors != 0 || res.Requests != 9 {
				t.Fatalf("%s strict=%v: %d requests, %d errors %v", c.name, strict, res.Requests, res.Errors, res.ErrorText)
			}
			if c.stream {
				for _, n := range res.Events {
					if n != c.events {
						t.Fatalf("%s: %d events per stream, want %d", c.name, n, c.events)
					}
				}
				if len(res.FirstEvent) != 9 || len(res.Gaps) != 9*(c.events-1) {
					t.Fatalf("%s: %d first-event and %d gap samples", c.name, len(res.FirstEvent), len(res.Gaps))
				}
			}
			if strict {
				texts = append(texts, res.Text)
			}
		}
	}
	for _, s := range texts {
		if s == "" || s != texts[0] {
			t.Fatalf("the shapes answered differently: %q", texts)
		}
	}
}

func TestStallsAndErrors(t *testing.T) {
	srv := httptest.NewServer(fake.New(fake.Options{Chunks: 3, ChunkDelay: 30 * time.Millisecond}))
	defer srv.Close()
	res := load.Run(context.Background(), load.Spec{
		URL: srv.URL + "/v1/chat/completions", Body: chatStream, Stream: true,
		Concurrency: 2, Requests: 2, StallGap: 10 * time.Millisecond,
	})
	if res.Stalled != 2 || res.MaxGap < 25*time.Millisecond {
		t.Fatalf("stalled %d, max gap %v; want 2 stalled", res.Stalled, res.MaxGap)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusBadGateway)
	}))
	defer bad.Close()
	res = load.Run(context.Background(), load.Spec{URL: bad.URL, Body: chatBody, Requests: 3})
	if res.Errors != 3 || res.Requests != 0 || len(res.ErrorText) == 0 {
		t.Fatalf("errors %d requests %d", res.Errors, res.Requests)
	}
}

func TestDurationBound(t *testing.T) {
	srv := httptest.NewServer(fake.New(fake.Options{}))
	defer srv.Close()
	start := time.Now()
	res := load.Run(context.Background(), load.Spec{
		URL: srv.URL + "/v1/chat/completions", Body: chatBody, Concurrency: 4, Duration: 200 * time.Millisecond,
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("a 200ms cell took %v", took)
	}
	if res.Errors != 0 || res.InWindow == 0 || res.RPS() <= 0 {
		t.Fatalf("in window %d, errors %d %v", res.InWindow, res.Errors, res.ErrorText)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 50, 99: 99, 100: 100, 1: 1} {
		if got := load.Percentile(s, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if load.Percentile(nil, 50) != 0 {
		t.Error("empty percentile")
	}
}
