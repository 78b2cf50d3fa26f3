package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestReloadsUnderLoad keeps steady traffic (streamed and whole, from a
// limited consumer) going while the config is reloaded 100 times and the
// route script edited 100 times. No call may fail, and afterwards the
// request counter, the usage API and the consumer's request limit must all
// account for exactly the calls that were answered: nothing reset, nothing
// lost. SLUICE_RELOAD_SECONDS sets the length (default 60).
func TestReloadsUnderLoad(t *testing.T) {
	seconds := 60
	if s, err := strconv.Atoi(os.Getenv("SLUICE_RELOAD_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "route.lua")
	writeScript := func(n int) {
		src := fmt.Sprintf("function on_request(req)\n  req.metadata.version = %q\nend\n", strconv.Itoa(n))
		if err := os.WriteFile(script+".tmp", []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(script+".tmp", script); err != nil {
			t.Fatal(err)
		}
	}
	writeScript(0)
	const limit = 1_000_000
	body := func(variant int) string {
		return indent(fmt.Sprintf(`provider mock {
	type mock
	chunks 5
}
model mock-* {
	target mock/{model}
}
model variant-%d {
	target mock/mock-1
}
consumer team-a {
	key %s
	limit requests %d/87000h
	limit tokens 100000000/1h
}
script %s`, variant, keyA, limit, script))
	}
	g := startGatewayWith(t, options{admin: true, body: body(0)})
	base := g.Caddyfile

	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyA), option.WithRequestTimeout(20*time.Second))
	var answered, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			params := openai.ChatCompletionNewParams{Model: "mock-1", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello there")}}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if (i+w)%2 == 0 {
					s := client.Chat.Completions.NewStreaming(context.Background(), params)
					for s.Next() {
					}
					err = s.Err()
				} else {
					_, err = client.Chat.Completions.New(context.Background(), params)
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				answered.Add(1)
			}
		}()
	}

	reload := func(variant int) error {
		cfg := strings.Replace(base, body(0), body(variant), 1)
		req, _ := http.NewRequest(http.MethodPost, g.Admin+"/load", strings.NewReader(cfg))
		req.Header.Set("Content-Type", "text/caddyfile")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%d %s", resp.StatusCode, b)
		}
		return nil
	}
	pause := time.Duration(seconds) * time.Second / 200
	for n := 1; n <= 100; n++ {
		time.Sleep(pause)
		if err := reload(n % 2); err != nil {
			t.Fatalf("reload %d: %v", n, err)
		}
		time.Sleep(pause)
		writeScript(n)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d calls answered, %d failed, during %d s with 100 reloads and 100 script edits", answered.Load(), failed.Load(), seconds)
	if failed.Load() != 0 {
		t.Errorf("%d calls failed during reloads; the first: %v", failed.Load(), firstErr.Load())
	}
	if answered.Load() < 100 {
		t.Fatalf("only %d calls were answered", answered.Load())
	}

	// Counters and limits carried over every reload. A reload closes the
	// old config's idle keep-alive connections, and a request sent on one
	// at that moment fails with EOF before the gateway sees it; the SDK
	// retries such calls (as the official SDKs do by default, which is what
	// "no call failed" above relies on). A call whose answer was cut by
	// the close after the gateway counted it would be counted twice, so the
	// gateway's count may exceed the answered calls by a few, never fall
	// short, and every one of the gateway's own figures must agree.
	m := scrape(t, g, "ai_gateway_requests_total")
	total := 0.0
	for _, v := range m {
		total += v
	}
	want := int64(total)
	if want < answered.Load() || want > answered.Load()+answered.Load()/100 {
		t.Errorf("ai_gateway_requests_total adds up to %d, %d calls were answered", want, answered.Load())
	}
	doc := waitUsage(t, g, want)
	if doc.Totals.Requests != want {
		t.Errorf("the usage API counts %d requests, %d were answered", doc.Totals.Requests, want)
	}
	resp, b := post(t, g, "/v1/chat/completions", keyA, chatBody("mock-1", 10))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	// The window is ~10 years, so a minute gives back under one request.
	if rem, _ := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Remaining-Requests"), 10, 64); rem < limit-want-1 || rem > limit-want {
		t.Errorf("remaining requests %d, want %d: the limit's state did not survive the reloads", rem, limit-want-1)
	}
}
