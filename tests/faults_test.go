package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// TestUpstreamFaults drives each upstream failure through the real binary,
// streamed and whole, checks the client gets what docs/api.md promises,
// and that afterwards the gateway's goroutines are back to where they were
// (nothing leaks: no reader, no timer, no upstream connection).
func TestUpstreamFaults(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{admin: true, body: indent(fmt.Sprintf(`provider up {
	type openai
	base_url %s/v1
}
model cut {
	target up/cut
}
model garbage {
	target up/garbage
}
model hang {
	target up/hang
	deadline 1s
}
model stall {
	target up/stall
	first_token_timeout 500ms
}
model slow {
	target up/slow
	timeout 500ms
}
model text-500 {
	target up/text-500
}
model fixture {
	target up/fixture
}`, up.URL))})
	call := func(model string, stream bool) (int, string) {
		body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, model, stream)
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Warm up (connections, pools), then take the baseline.
	for range 3 {
		call("fixture", true)
		call("fixture", false)
	}
	time.Sleep(500 * time.Millisecond)
	baseline := goroutines(t, g)

	cases := []struct {
		model  string
		stream bool
		status int
		want   string // in the body
	}{
		// Reset after two events: the stream ends with an error event
		// and [DONE].
		{"cut", true, 200, `"code":"upstream_error"`},
		// Not JSON: a 502 before any byte; streamed, the first event is
		// not JSON either.
		{"garbage", false, 502, "malformed JSON"},
		{"garbage", true, 502, "cannot read"},
		// Headers and one event, then silence until the deadline: the
		// stream ends with a timeout error event.
		{"hang", true, 200, `"code":"upstream_timeout"`},
		// Headers, then nothing: no first token in time.
		{"stall", true, 504, "no first token"},
		// No answer within the attempt's timeout.
		{"slow", false, 504, "did not answer in time"},
		{"slow", true, 504, "did not answer in time"},
		// A plain-text error body.
		{"text-500", false, 500, "upstream exploded"},
	}
	for round := range 3 {
		for _, c := range cases {
			status, body := call(c.model, c.stream)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Errorf("round %d, %s stream=%v: %d %s", round, c.model, c.stream, status, body)
			}
			if c.stream && c.status == 200 && !strings.HasSuffix(strings.TrimSpace(body), "data: [DONE]") {
				t.Errorf("%s: the stream does not end with [DONE]: %s", c.model, body)
			}
		}
	}

	// A client that leaves mid-stream: the upstream request is cancelled.
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"hang","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = bufio.NewReader(resp.Body).ReadString('\n')
		resp.Body.Close()
		last := up.Last()
		if !last.Wait(5*time.Second) || !last.Cancelled {
			t.Error("the upstream request was not cancelled when the client left")
		}
	}

	// Goroutines come back to the baseline (a little slack for the
	// runtime's own and the admin endpoint's).
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := goroutines(t, g)
		if now <= baseline+5 {
			t.Logf("goroutines: baseline %d, after %d faulty calls %d", baseline, 3*len(cases)+3, now)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: baseline %d, still %d after the faults", baseline, now)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// goroutines reads the gateway process's go_goroutines gauge.
func goroutines(t *testing.T, g *gateway) int {
	t.Helper()
	m := scrape(t, g, "go_goroutines")
	v, ok := m["go_goroutines"]
	if !ok {
		t.Fatalf("no go_goroutines in /metrics: %v", m)
	}
	return int(v)
}
