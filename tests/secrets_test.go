package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// TestSecretsNeverLeak runs calls that succeed, fail upstream (the
// upstream refusing the gateway's key, errors, a broken stream), are
// refused (wrong key, limits) and are guarded, with debug logs and access
// logs on, then looks for every upstream key and consumer key in
// everything a client or an operator can see: answers and their headers,
// the process's output, /metrics and the usage API. None may appear.
func TestSecretsNeverLeak(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	const upstreamKey1, upstreamKey2 = "sk-upstream-7f3a9c2e51b8", "sk-upstream-second-0d4e6a"
	secrets := []string{upstreamKey1, upstreamKey2, keyA, keyB}
	g := startGatewayWith(t, options{admin: true,
		global: "\tdebug",
		site: `	log {
		output stdout
		format json
	}`,
		body: indent(fmt.Sprintf(`provider up {
	type openai
	base_url %s/v1
	api_key %s
	api_key %s
}
model fixture {
	target up/fixture
}
model refused {
	target up/status-401
}
model failing {
	target up/status-500
}
model cut {
	target up/cut
}
consumer team-a {
	key %s
	limit requests 8/1h
}
consumer team-b {
	key %s
	budget 0.000001usd/1d
}
guard {
	redact pii
}`, up.URL, upstreamKey1, upstreamKey2, keyA, keyB))})

	var seen strings.Builder
	record := func(resp *http.Response, body []byte) {
		for k, v := range resp.Header {
			fmt.Fprintf(&seen, "%s: %s\n", k, strings.Join(v, ","))
		}
		seen.Write(body)
	}
	for _, c := range []struct{ key, model string }{
		{keyA, "fixture"}, {keyA, "refused"}, {keyA, "failing"}, {keyA, "cut"}, {"sk-wrong-" + keyA, "fixture"},
		{keyB, "fixture"}, {keyB, "fixture"}, {keyA, "fixture"}, {keyA, "fixture"}, {keyA, "fixture"}, {keyA, "fixture"}, {keyA, "fixture"},
	} {
		for _, stream := range []bool{false, true} {
			body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"my key is %s"}]}`, c.model, stream, c.key)
			req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+c.key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			record(resp, b)
		}
	}
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyA), option.WithMaxRetries(0))
	if _, err := client.Models.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/metrics", "/ai_gateway/usage", "/config/"} {
		resp, err := http.Get(g.Admin + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/config/" {
			continue // the operator's own config holds the keys by design
		}
		record(resp, b)
	}
	// One consumer cannot see another's usage: the usage API is served on
	// the admin listener only, and the limit headers a consumer gets are
	// its own rules' (team-b has no request limit; team-a has 8/1h).
	for _, path := range []string{"/ai_gateway/usage", "/usage", "/v1/usage"} {
		req, _ := http.NewRequest(http.MethodGet, g.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+keyA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Not the gateway's path: the site's next handler answers (an
		// empty 200 here), with nothing of the usage document.
		if strings.Contains(string(b), "team-") || strings.Contains(string(b), "consumers") {
			t.Errorf("GET %s on the gateway's listener with team-a's key: %d %s", path, resp.StatusCode, b)
		}
	}
	for _, c := range []struct{ key, want string }{{keyB, ""}, {keyA, "8"}} {
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"fixture","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+c.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Ratelimit-Limit-Requests"); got != c.want {
			t.Errorf("a call with key %s...: X-Ratelimit-Limit-Requests %q, want %q (its own rules only)", c.key[:6], got, c.want)
		}
	}
	g.stop()
	seen.WriteString(g.logs.String())
	if !strings.Contains(seen.String(), `"logger":"http.log.access`) || !strings.Contains(seen.String(), "ai_gateway_requests_total") {
		t.Fatal("the check saw no access log or no metrics: it would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(seen.String(), s) {
			i := strings.Index(seen.String(), s)
			t.Errorf("the secret %s...%s shows up: %q", s[:6], s[len(s)-2:], seen.String()[max(0, i-200):min(len(seen.String()), i+50)])
		}
	}
	// The upstream did get its key (so the check above is not vacuous).
	if got := up.Requests()[0].Header.Get("Authorization"); got != "Bearer "+upstreamKey1 && got != "Bearer "+upstreamKey2 {
		t.Errorf("the upstream got %q", got)
	}
}
