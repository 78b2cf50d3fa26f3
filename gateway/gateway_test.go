package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicegw/sluice/internal/fakeupstream"
	"github.com/sluicegw/sluice/providers/mock"
)

// harness is a gateway in front of the fake upstream, served over HTTP.
type harness struct {
	up       *fakeupstream.Server
	srv      *httptest.Server
	mu       sync.Mutex
	outcomes []Outcome
}

func newHarness(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	h := &harness{up: fakeupstream.New()}
	t.Cleanup(h.up.Close)
	cfg := Config{
		Providers: []ProviderConfig{
			{Name: "up", Type: "openai", BaseURL: h.up.URL + "/v1", APIKeys: []string{"sk-upstream-secret"}, Timeout: time.Second},
			{Name: "mock", Type: "mock", Mock: mock.Options{Chunks: 4}},
		},
		Models: []ModelConfig{
			{Name: "gpt-4o", Targets: []TargetConfig{{Provider: "up", Model: "fixture"}}},
			{Name: "fixture", Targets: []TargetConfig{{Provider: "up", Model: "fixture"}}},
			{Name: "mock-*", Targets: []TargetConfig{{Provider: "mock", Model: "{model}"}}},
			{Name: "*", Targets: []TargetConfig{{Provider: "up", Model: "{model}"}}},
		},
		Observer: h,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.ServeHTTP(w, r) {
			http.Error(w, "next handler", http.StatusTeapot)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) Routed(*http.Request, *Outcome) {}

func (h *harness) Finished(_ *http.Request, o *Outcome) {
	h.mu.Lock()
	h.outcomes = append(h.outcomes, *o)
	h.mu.Unlock()
}

func (h *harness) lastOutcome(t *testing.T) Outcome {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		n := len(h.outcomes)
		var o Outcome
		if n > 0 {
			o = h.outcomes[n-1]
		}
		h.mu.Unlock()
		if n > 0 {
			return o
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no outcome recorded")
	return Outcome{}
}

func (h *harness) post(t *testing.T, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(h.srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	} `json:"error"`
}

func decodeError(t *testing.T, b []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("not an OpenAI error body: %s", b)
	}
	return e
}

func TestNonStreamForwardsBytesAndReadsUsage(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"unknown_field":{"kept":true}}`
	resp, got := h.post(t, body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, got)
	}
	if !bytes.Equal(got, fakeupstream.Completion) {
		t.Errorf("answer changed on the way:\n got %s\nwant %s", got, fakeupstream.Completion)
	}
	if resp.Header.Get("X-Sluice-Provider") != "up" || resp.Header.Get("X-Sluice-Model") != "fixture" || resp.Header.Get("X-Sluice-Attempts") != "1" {
		t.Errorf("route headers: %v", resp.Header)
	}
	sent := h.up.Last()
	want := strings.Replace(body, `"gpt-4o"`, `"fixture"`, 1)
	if string(sent.Body) != want {
		t.Errorf("upstream body:\n got %s\nwant %s", sent.Body, want)
	}
	if auth := sent.Header.Get("Authorization"); auth != "Bearer sk-upstream-secret" {
		t.Errorf("upstream Authorization = %q", auth)
	}
	o := h.lastOutcome(t)
	if !o.UsageKnown || o.Usage != (Usage{InputTokens: 1117, OutputTokens: 46, CachedTokens: 1024}) {
		t.Errorf("usage = %+v (known %v)", o.Usage, o.UsageKnown)
	}
	if o.Status != 200 || o.Model != "gpt-4o" || o.Provider != "up" || o.UpstreamModel != "fixture" {
		t.Errorf("outcome = %+v", o)
	}
}

func TestSameModelIsForwardedUntouched(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"model":"fixture", "messages":[{"role":"user","content":"hi"}]}`
	if resp, b := h.post(t, body); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if got := string(h.up.Last().Body); got != body {
		t.Errorf("upstream body %s, want the client's bytes %s", got, body)
	}
}

// readStream returns the data of each event of an SSE body.
func readStream(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, block := range strings.Split(strings.TrimSpace(string(body)), "\n\n") {
		if !strings.HasPrefix(block, "data: ") {
			t.Fatalf("unexpected event %q", block)
		}
		out = append(out, strings.TrimPrefix(block, "data: "))
	}
	return out
}

func TestStreamDropsUsageChunkTheClientDidNotAskFor(t *testing.T) {
	h := newHarness(t, nil)
	resp, got := h.post(t, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var sent struct {
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	_ = json.Unmarshal(h.up.Last().Body, &sent)
	if !sent.StreamOptions.IncludeUsage {
		t.Errorf("gateway did not ask the upstream for usage: %s", h.up.Last().Body)
	}
	events := readStream(t, got)
	var want []string
	for _, ev := range fakeupstream.StreamEvents() {
		if !strings.Contains(ev, `"choices":[]`) {
			want = append(want, ev)
		}
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	o := h.lastOutcome(t)
	if !o.UsageKnown || o.Usage.InputTokens != 19 || o.Usage.OutputTokens != 7 {
		t.Errorf("usage not learned: %+v", o)
	}
}

func TestStreamKeepsUsageChunkWhenAsked(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
	_, got := h.post(t, body)
	if events := readStream(t, got); strings.Join(events, "\n") != strings.Join(fakeupstream.StreamEvents(), "\n") {
		t.Errorf("events differ from the upstream's:\n%s", got)
	}
	if want := strings.Replace(body, `"gpt-4o"`, `"fixture"`, 1); string(h.up.Last().Body) != want {
		t.Errorf("upstream body %s, want %s", h.up.Last().Body, want)
	}
}

func TestStreamBrokenAfterFirstByteEndsWithErrorEvent(t *testing.T) {
	h := newHarness(t, nil)
	resp, got := h.post(t, `{"model":"cut","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	events := readStream(t, got)
	if len(events) != 4 || events[3] != "[DONE]" {
		t.Fatalf("want 2 events, an error event and [DONE]; got %q", events)
	}
	e := decodeError(t, []byte(events[2]))
	if e.Error.Code != "upstream_error" {
		t.Errorf("error event %s", events[2])
	}
}

func TestErrors(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.MaxBody = 1024
		c.Providers = append(c.Providers,
			ProviderConfig{Name: "dead", Type: "openai", BaseURL: "http://127.0.0.1:1/v1"},
			ProviderConfig{Name: "slowpoke", Type: "openai", BaseURL: c.Providers[0].BaseURL, Timeout: 100 * time.Millisecond})
		c.Models = append(c.Models,
			ModelConfig{Name: "dead", Targets: []TargetConfig{{Provider: "dead", Model: "x"}}},
			ModelConfig{Name: "slow", Targets: []TargetConfig{{Provider: "slowpoke", Model: "slow"}}})
	})
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, body, code string
		status           int
		retryAfter       string
	}{
		{"malformed JSON", `{"model":"gpt-4o",`, "invalid_request", 400, ""},
		{"not an object", `[1,2]`, "invalid_request", 400, ""},
		{"wrong type", `{"model":"gpt-4o","messages":"hi"}`, "invalid_request", 400, ""},
		{"no model", `{` + msgs + `}`, "invalid_request", 400, ""},
		{"no messages", `{"model":"gpt-4o","messages":[]}`, "invalid_request", 400, ""},
		{"unknown role", `{"model":"gpt-4o","messages":[{"role":"wizard","content":"x"}]}`, "invalid_request", 400, ""},
		{"duplicate model key", `{"model":"gpt-4o","model":"other",` + msgs + `}`, "invalid_request", 400, ""},
		{"invalid UTF-8", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}", "invalid_request", 400, ""},
		{"empty body", ``, "invalid_request", 400, ""},
		{"unknown upstream model passed through", `{"model":"nope",` + msgs + `}`, "model_not_found", 404, ""},
		{"too large", `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 2000) + `"}]}`, "request_too_large", 413, ""},
		{"upstream 429 passed through", `{"model":"status-429",` + msgs + `}`, "fake_429", 429, "7"},
		{"upstream 500 passed through", `{"model":"status-500",` + msgs + `}`, "fake_500", 500, ""},
		{"upstream 400 passed through", `{"model":"status-400",` + msgs + `}`, "fake_400", 400, ""},
		{"upstream text error", `{"model":"text-503",` + msgs + `}`, "upstream_error", 503, ""},
		{"upstream 401 hidden", `{"model":"status-401",` + msgs + `}`, "upstream_error", 502, ""},
		{"upstream garbage", `{"model":"garbage",` + msgs + `}`, "upstream_error", 502, ""},
		{"upstream unreachable", `{"model":"dead",` + msgs + `}`, "upstream_error", 502, ""},
		{"upstream timeout", `{"model":"slow",` + msgs + `}`, "upstream_timeout", 504, ""},
		{"upstream timeout, stream", `{"model":"slow","stream":true,` + msgs + `}`, "upstream_timeout", 504, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := h.post(t, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			e := decodeError(t, b)
			if e.Error.Code != tc.code {
				t.Errorf("code %q, want %q (%s)", e.Error.Code, tc.code, b)
			}
			if got := resp.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if strings.Contains(string(b), "sk-upstream-secret") {
				t.Errorf("upstream key leaked: %s", b)
			}
		})
	}
}

func TestChunkedBodyOverLimitIs413(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxBody = 1024 })
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"`))
		_, _ = pw.Write(bytes.Repeat([]byte("a"), 4096))
		_ = pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/chat/completions", pr)
	req.ContentLength = -1 // chunked
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || decodeError(t, b).Error.Code != "request_too_large" {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	h := newHarness(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"hang","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatalf("first event: %v", err)
	}
	cancel()
	resp.Body.Close()
	if !h.up.Last().Wait(5 * time.Second) {
		t.Fatal("upstream request still running after the client left")
	}
	if !h.up.Last().Cancelled {
		t.Error("upstream request was not cancelled")
	}
	if o := h.lastOutcome(t); o.Status != statusClientClosed {
		t.Errorf("outcome status %d, want %d", o.Status, statusClientClosed)
	}
}

func TestModels(t *testing.T) {
	h := newHarness(t, nil)
	resp, err := http.Get(h.srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID, Object, OwnedBy string
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if list.Object != "list" || len(list.Data) != 2 || list.Data[0].ID != "gpt-4o" || list.Data[1].ID != "fixture" || list.Data[0].Object != "model" {
		t.Errorf("models = %+v", list)
	}
}

func TestRoutingOfPaths(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/chat/completions", 405},
		{"POST", "/v1/models", 405},
		{"GET", "/models", 200},
		{"GET", "/v1/files", http.StatusTeapot}, // not ours: the next handler
	} {
		req, _ := http.NewRequest(tc.method, h.srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
}

func TestMockThroughGateway(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"model":"mock-a","messages":[{"role":"user","content":"What is Sluice?"}]}`
	_, first := h.post(t, body)
	_, second := h.post(t, body)
	if !bytes.Equal(stripCreated(first), stripCreated(second)) {
		t.Errorf("mock answers differ for the same prompt:\n%s\n%s", first, second)
	}
	if !strings.Contains(string(first), `Mock answer to \"What is Sluice?\"`) {
		t.Errorf("answer does not derive from the prompt: %s", first)
	}
}

func stripCreated(b []byte) []byte {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "created")
	out, _ := json.Marshal(m)
	return out
}

func TestConfigErrors(t *testing.T) {
	up := ProviderConfig{Name: "up", Type: "openai", BaseURL: "http://127.0.0.1:9/v1"}
	target := []TargetConfig{{Provider: "up", Model: "m"}}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown type", Config{Providers: []ProviderConfig{{Name: "x", Type: "bogus"}}}, `unknown type "bogus"`},
		{"no type", Config{Providers: []ProviderConfig{{Name: "x"}}}, "has no type"},
		{"duplicate provider", Config{Providers: []ProviderConfig{up, up}}, "declared twice"},
		{"bad base_url", Config{Providers: []ProviderConfig{{Name: "x", Type: "openai", BaseURL: "ftp://x"}}}, "must start with http"},
		{"undeclared provider", Config{Models: []ModelConfig{{Name: "m", Targets: target}}}, "not declared"},
		{"no target", Config{Providers: []ProviderConfig{up}, Models: []ModelConfig{{Name: "m"}}}, "no target"},
		{"duplicate model", Config{Providers: []ProviderConfig{up}, Models: []ModelConfig{{Name: "m", Targets: target}, {Name: "m", Targets: target}}}, "declared twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestUnknownModelIs404(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Models = c.Models[:2] })
	resp, b := h.post(t, `{"model":"gpt-5-nope","messages":[{"role":"user","content":"hi"}]}`)
	e := decodeError(t, b)
	if resp.StatusCode != 404 || e.Error.Code != "model_not_found" || e.Error.Type != "not_found_error" || e.Error.Param == nil || *e.Error.Param != "model" {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if len(h.up.Requests()) != 0 {
		t.Error("an unknown model reached the upstream")
	}
}

func newRequest(h *harness, body string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/chat/completions", strings.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, err
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
