package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/sluicegw/sluice/internal/fakeupstream"
	"github.com/sluicegw/sluice/providers"
	"github.com/tidwall/gjson"
)

const chatBody = `{"model":"fixture","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]}`

func send(t *testing.T, p *Provider, model, body string, stream bool) *http.Response {
	t.Helper()
	released := 0
	resp, err := p.Send(context.Background(), &providers.Call{Model: model, Body: []byte(body), Stream: stream, Release: func() { released++ }})
	if released != 1 {
		t.Errorf("Release called %d times", released)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRegisteredWithDefaults(t *testing.T) {
	p, err := providers.New(providers.Config{Name: "claude", Type: "anthropic"})
	if err != nil {
		t.Fatal(err)
	}
	ap := p.(*Provider)
	if ap.messagesURL != "https://api.anthropic.com/v1/messages" || ap.version != APIVersion || p.Name() != "claude" {
		t.Errorf("%+v", ap)
	}
	for _, base := range []string{"http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"} {
		ap, err := New(Config{Name: "c", BaseURL: base})
		if err != nil || ap.messagesURL != "http://h:1/v1/messages" {
			t.Errorf("%s: %v %v", base, ap, err)
		}
	}
	if _, err := New(Config{Name: "c", BaseURL: "api.anthropic.com"}); err == nil {
		t.Error("a base_url without a scheme was accepted")
	}
}

// TestAgainstFake runs whole answers, streams and errors against the fake
// Anthropic API and reads them as the OpenAI SDK does.
func TestAgainstFake(t *testing.T) {
	up := fakeupstream.NewAnthropic()
	defer up.Close()
	p, err := New(Config{Name: "claude", BaseURL: up.URL + "/v1", APIKeys: []string{fakeupstream.AnthropicKey},
		Headers: http.Header{"Anthropic-Beta": {"fine-grained-tool-streaming-2025-05-14"}}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("whole", func(t *testing.T) {
		resp := send(t, p, "cached", chatBody, false)
		body := readAll(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
		}
		var c openai.ChatCompletion
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		billed := up.Billed()
		if c.Choices[0].Message.Content != fakeupstream.AnthropicAnswer ||
			c.Usage.PromptTokens != int64(billed.InputTokens+billed.CacheReadTokens+billed.CacheWriteTokens) ||
			c.Usage.PromptTokensDetails.CachedTokens != 2048 || c.Usage.CompletionTokens != int64(billed.OutputTokens) {
			t.Errorf("%s\nbilled %+v", body, billed)
		}
		h := up.Last().Header
		if h.Get("x-api-key") != fakeupstream.AnthropicKey || h.Get("anthropic-version") != APIVersion ||
			h.Get("anthropic-beta") != "fine-grained-tool-streaming-2025-05-14" || h.Get("Authorization") != "" {
			t.Errorf("headers %v", h)
		}
		if got := gjson.GetBytes(up.Last().Body, "system").Str; got != "Be brief." {
			t.Errorf("system %q", got)
		}
	})

	t.Run("stream", func(t *testing.T) {
		before := up.Billed()
		resp := send(t, p, "thinking", chatBody, true)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
		cs := chunks(t, readAll(t, resp))
		acc := accumulate(t, cs)
		billed := up.Billed()
		u := cs[len(cs)-1].Usage
		if acc.Choices[0].Message.Content != fakeupstream.AnthropicAnswer || u.CompletionTokens != int64(billed.OutputTokens-before.OutputTokens) ||
			u.PromptTokens != int64(billed.InputTokens-before.InputTokens) {
			t.Errorf("%+v usage %+v billed %+v", acc.Choices, u, billed)
		}
		if !gjson.GetBytes(up.Last().Body, "stream").Bool() || up.Last().Header.Get("Accept") != "text/event-stream" {
			t.Errorf("upstream request %s %v", up.Last().Body, up.Last().Header)
		}
	})

	t.Run("tool round trip", func(t *testing.T) {
		req := `{"messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`
		var c openai.ChatCompletion
		_ = json.Unmarshal(readAll(t, send(t, p, "fixture", req, false)), &c)
		tc := c.Choices[0].Message.ToolCalls
		if c.Choices[0].FinishReason != "tool_calls" || len(tc) != 1 || tc[0].Function.Arguments != `{"city":"Paris"}` {
			t.Fatalf("%+v", c)
		}
		next := `{"messages":[{"role":"user","content":"Weather in Paris?"},` +
			`{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"` + tc[0].ID + `","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
			`{"role":"tool","tool_call_id":"` + tc[0].ID + `","content":"18 degrees and sunny"}],` +
			`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`
		resp := send(t, p, "fixture", next, true)
		acc := accumulate(t, chunks(t, readAll(t, resp)))
		if acc.Choices[0].Message.Content != "The tool said: 18 degrees and sunny" {
			t.Errorf("%+v", acc.Choices[0].Message)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, c := range []struct {
			model      string
			status     int
			code, text string
			retryAfter string
		}{
			{"status-429", 429, "rate_limit_exceeded", "fake upstream says 429", "7"},
			{"status-529", 503, "overloaded", "fake upstream says 529", "7"},
			{"status-400", 400, "invalid_request", "fake upstream says 400", ""},
			{"no-such-model", 404, "not_found", "model: no-such-model", ""},
		} {
			resp := send(t, p, c.model, chatBody, c.model == "status-529")
			body := readAll(t, resp)
			if resp.StatusCode != c.status || gjson.GetBytes(body, "error.code").Str != c.code ||
				gjson.GetBytes(body, "error.message").Str != c.text || resp.Header.Get("Retry-After") != c.retryAfter {
				t.Errorf("%s: %d %v %s", c.model, resp.StatusCode, resp.Header, body)
			}
		}
	})

	t.Run("stream broken", func(t *testing.T) {
		for model, want := range map[string]string{"cut": "", "stream-error": "Overloaded"} {
			resp := send(t, p, model, chatBody, true)
			out, err := io.ReadAll(resp.Body)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(string(out), "data: ") {
				t.Errorf("%s: %v after %q", model, err, out)
			}
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		bad, _ := New(Config{Name: "claude", BaseURL: up.URL, APIKeys: []string{"sk-ant-wrong"}})
		resp := send(t, bad, "fixture", chatBody, false)
		body := readAll(t, resp)
		// The gateway turns 401 into a 502 that never quotes the upstream.
		if resp.StatusCode != 401 || gjson.GetBytes(body, "error.code").Str != "invalid_api_key" {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
}

func TestSendRefusesUntranslatable(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	p, _ := New(Config{Name: "claude", BaseURL: srv.URL})
	resp := send(t, p, "m", `{"n":3,"messages":[{"role":"user","content":"hi"}]}`, false)
	body := readAll(t, resp)
	if resp.StatusCode != 400 || calls.Load() != 0 || gjson.GetBytes(body, "error.param").Str != "n" ||
		!strings.Contains(gjson.GetBytes(body, "error.message").Str, "anthropic provider claude") {
		t.Errorf("%d %s (upstream calls %d)", resp.StatusCode, body, calls.Load())
	}
}

func TestSendMalformedAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Model string }
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &req)
		switch req.Model {
		case "html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>hi</html>")
		case "moved":
			http.Redirect(w, r, "https://example.com/", http.StatusFound)
		}
	}))
	defer srv.Close()
	p, _ := New(Config{Name: "claude", BaseURL: srv.URL})

	resp := send(t, p, "html", chatBody, false)
	body := readAll(t, resp)
	if resp.StatusCode != 502 || !strings.Contains(string(body), "cannot read") {
		t.Errorf("whole: %d %s", resp.StatusCode, body)
	}
	resp = send(t, p, "html", chatBody, true)
	body = readAll(t, resp)
	if resp.StatusCode != 502 || !strings.Contains(string(body), `Content-Type \"text/html\"`) {
		t.Errorf("stream: %d %s", resp.StatusCode, body)
	}
	if resp = send(t, p, "moved", chatBody, false); resp.StatusCode != http.StatusFound {
		t.Errorf("redirect: %d", resp.StatusCode)
	}
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	p, _ := New(Config{Name: "claude", BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	_, err := p.Send(context.Background(), &providers.Call{Model: "m", Body: []byte(chatBody)})
	if !errors.Is(err, providers.ErrTimeout) {
		t.Errorf("err = %v", err)
	}
}
