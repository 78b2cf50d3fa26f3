package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicegw/sluice/providers"
)

// upstream is a test server that answers with a fixed status and body and
// records what it got.
type upstream struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	keys   []string
	bodies []string
}

func newUpstream(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.paths = append(u.paths, r.URL.RequestURI())
		u.keys = append(u.keys, r.Header.Get("x-goog-api-key"))
		u.bodies = append(u.bodies, string(b))
		u.mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func sendChat(t *testing.T, p *Provider, model string, stream bool, body string) *http.Response {
	t.Helper()
	released := 0
	resp, err := p.Send(context.Background(), &providers.Call{Model: model, Body: []byte(body), Stream: stream, Release: func() { released++ }})
	if err != nil {
		t.Fatal(err)
	}
	if released != 1 {
		t.Errorf("Release called %d times", released)
	}
	return resp
}

const userHi = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

func TestSendWholeAnswer(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write(readFixture(t, "gemini_response_text.json"))
	})
	p, err := New(Config{Name: "g", BaseURL: up.URL + "/v1beta/", APIKeys: []string{"AIzaKEY-one", "AIzaKEY-two"}, Headers: http.Header{"X-Goog-User-Project": {"p1"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		resp := sendChat(t, p, "gemini-2.5-flash", false, userHi)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(b), `"object":"chat.completion"`) {
			t.Errorf("%d %v %s", resp.StatusCode, resp.Header, b)
		}
	}
	if up.paths[0] != "/v1beta/models/gemini-2.5-flash:generateContent" || up.keys[0] != "AIzaKEY-one" || up.keys[1] != "AIzaKEY-two" {
		t.Errorf("paths %v keys %v", up.paths, up.keys)
	}
	if strings.Contains(up.paths[0], "key=") || up.bodies[0] != `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}` {
		t.Errorf("request %s %s", up.paths[0], up.bodies[0])
	}
}

func TestSendStream(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(readFixture(t, "gemini_stream_text.sse"))
	})
	p, _ := New(Config{Name: "g", BaseURL: up.URL, APIKeys: []string{"k"}})
	resp := sendChat(t, p, "tunedModels/my-model", true, `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, err)
	}
	if string(b) != string(readFixture(t, "want_openai_stream_text.sse")) {
		t.Errorf("stream %s", b)
	}
	if up.paths[0] != "/v1beta/tunedModels/my-model:streamGenerateContent?alt=sse" {
		t.Errorf("path %s", up.paths[0])
	}
}

func TestSendErrors(t *testing.T) {
	var status int
	var body string
	var header http.Header
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
	p, _ := New(Config{Name: "g", BaseURL: up.URL, APIKeys: []string{"AIzaSyTEST-not-a-real-key-000000000", "AIzaSecond-key-0000"}})
	call := func(stream bool, reqBody string) (*http.Response, map[string]any) {
		resp := sendChat(t, p, "gemini-2.5-flash", stream, reqBody)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "AIzaSyTEST") {
			t.Errorf("key leaked: %s", b)
		}
		return resp, decode(t, b)["error"].(map[string]any)
	}

	status, body, header = 429, string(readFixture(t, "gemini_error_rate_limit.json")), http.Header{"Content-Type": {"application/json"}}
	resp, e := call(false, userHi)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "37" || e["code"] != "RESOURCE_EXHAUSTED" || e["type"] != "rate_limit_error" {
		t.Errorf("429: %d %v %v", resp.StatusCode, resp.Header, e)
	}
	header = http.Header{"Retry-After": {"3"}}
	if resp, _ := call(true, userHi); resp.Header.Get("Retry-After") != "3" {
		t.Errorf("upstream Retry-After not kept: %v", resp.Header)
	}

	// A request the provider cannot serve never leaves.
	n := len(up.paths)
	resp, e = call(false, `{"messages":[{"role":"user","content":"hi"}],"functions":[]}`)
	if resp.StatusCode != 400 || e["param"] != "functions" || e["code"] != "invalid_request" || !strings.Contains(e["message"].(string), "provider g") || len(up.paths) != n {
		t.Errorf("refused request: %d %v", resp.StatusCode, e)
	}

	status, header = 200, http.Header{"Content-Type": {"application/json"}}
	body = string(readFixture(t, "gemini_response_blocked.json"))
	if resp, e := call(false, userHi); resp.StatusCode != 400 || e["code"] != "content_filter" {
		t.Errorf("blocked: %d %v", resp.StatusCode, e)
	}
	body = `<html>oops</html>`
	if resp, e := call(false, userHi); resp.StatusCode != 502 || !strings.Contains(e["message"].(string), "cannot translate") {
		t.Errorf("garbage: %d %v", resp.StatusCode, e)
	}
	if resp, e := call(true, userHi); resp.StatusCode != 502 || !strings.Contains(e["message"].(string), "Content-Type") {
		t.Errorf("stream answered with JSON: %d %v", resp.StatusCode, e)
	}
}

func TestWrongKeyRests(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-goog-api-key") == "AIzaWRONG-key-00000" {
			w.WriteHeader(400)
			_, _ = w.Write(readFixture(t, "gemini_error_key_invalid.json"))
			return
		}
		_, _ = w.Write(readFixture(t, "gemini_response_text.json"))
	})
	p, _ := New(Config{Name: "g", BaseURL: up.URL, APIKeys: []string{"AIzaWRONG-key-00000", "AIzaGOOD-key-000000"}})
	statuses := []int{}
	for i := 0; i < 4; i++ {
		resp := sendChat(t, p, "gemini-2.5-flash", false, userHi)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	// A wrong key is a 401 (the gateway turns it into its own 502), and it
	// rests: the calls after it use the other key.
	if statuses[0] != 401 || statuses[1] != 200 || statuses[2] != 200 || statuses[3] != 200 {
		t.Errorf("statuses %v, keys %v", statuses, up.keys)
	}
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	p, _ := New(Config{Name: "g", BaseURL: up.URL, Timeout: 50 * time.Millisecond})
	_, err := p.Send(context.Background(), &providers.Call{Model: "x", Body: []byte(userHi)})
	if !errors.Is(err, providers.ErrTimeout) {
		t.Errorf("err %v", err)
	}
}

func TestNewAndRegistry(t *testing.T) {
	p, err := providers.New(providers.Config{Name: "g", Type: "gemini"})
	if err != nil {
		t.Fatal(err)
	}
	if gp := p.(*Provider); gp.base != DefaultBaseURL+"/v1beta/" || gp.Name() != "g" {
		t.Errorf("base %q", gp.base)
	}
	if _, err := New(Config{Name: "g", BaseURL: "ftp://x"}); err == nil {
		t.Error("ftp base_url accepted")
	}
	var v any
	if json.Unmarshal(errorJSON(400, "m", "c", "p"), &v) != nil {
		t.Error("errorJSON")
	}
}
