package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/scripting"
)

// funcHooks is a Hooks made of Go functions, standing in for scripts.
type funcHooks struct {
	onRequest  func(*scripting.Request) error
	route      func(*scripting.Request) ([]string, error)
	onResponse func(*scripting.Request, *scripting.Response) error
	onChunk    func(*scripting.Request, *scripting.Chunk) error
	released   int
}

func (f *funcHooks) Has(h scripting.Hook) bool {
	switch h {
	case scripting.HookOnRequest:
		return f.onRequest != nil
	case scripting.HookRoute:
		return f.route != nil
	case scripting.HookOnResponse:
		return f.onResponse != nil
	default:
		return f.onChunk != nil
	}
}

func (f *funcHooks) Begin() HookRun { return f }
func (f *funcHooks) Release()       { f.released++ }

func (f *funcHooks) OnRequest(_ context.Context, req *scripting.Request) error {
	return f.onRequest(req)
}
func (f *funcHooks) Route(_ context.Context, req *scripting.Request) ([]string, error) {
	return f.route(req)
}
func (f *funcHooks) OnResponse(_ context.Context, req *scripting.Request, res *scripting.Response) error {
	return f.onResponse(req, res)
}
func (f *funcHooks) OnChunk(_ context.Context, req *scripting.Request, c *scripting.Chunk) error {
	return f.onChunk(req, c)
}

func hooked(t *testing.T, f *funcHooks) *harness {
	t.Helper()
	return newHarness(t, func(c *Config) {
		c.Hooks = f
		c.Models = c.Models[:2] // gpt-4o and fixture only
		c.Providers = append(c.Providers, ProviderConfig{Name: "dead", Type: "openai", BaseURL: "http://127.0.0.1:1/v1"})
	})
}

const hi = `"messages":[{"role":"user","content":"hi"}]`

func TestOnRequestRewritesAndDenies(t *testing.T) {
	f := &funcHooks{onRequest: func(req *scripting.Request) error {
		if req.Headers["x-block"] != "" {
			return &scripting.Denial{Status: 403, Message: "blocked by policy"}
		}
		req.System = "be brief"
		req.Metadata["team"] = "blue"
		return nil
	}}
	h := hooked(t, f)
	resp, b := h.post(t, `{"model":"gpt-4o",`+hi+`}`)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var sent struct {
		Model    string
		Messages []struct{ Role, Content string }
	}
	_ = json.Unmarshal(h.up.Last().Body, &sent)
	if sent.Model != "fixture" || len(sent.Messages) != 2 || sent.Messages[0].Content != "be brief" {
		t.Errorf("upstream got %s", h.up.Last().Body)
	}
	if f.released != 1 {
		t.Errorf("pinned versions released %d times", f.released)
	}

	req, _ := newRequest(h, `{"model":"gpt-4o",`+hi+`}`)
	req.Header.Set("X-Block", "1")
	resp, b = do(t, req)
	e := decodeError(t, b)
	if resp.StatusCode != 403 || e.Error.Code != "request_denied" || e.Error.Message != "blocked by policy" {
		t.Errorf("deny: %d %s", resp.StatusCode, b)
	}
}

func TestRouteHookAndFallbackThroughItsList(t *testing.T) {
	f := &funcHooks{route: func(req *scripting.Request) ([]string, error) {
		switch req.Model {
		case "cheap-or-strong":
			return []string{"dead/x", "up/fixture"}, nil
		case "bad":
			return []string{"nowhere/x"}, nil
		}
		return nil, nil
	}}
	h := hooked(t, f)
	resp, b := h.post(t, `{"model":"cheap-or-strong",`+hi+`}`)
	if resp.StatusCode != 200 || resp.Header.Get("X-Sluice-Attempts") != "2" || resp.Header.Get("X-Sluice-Provider") != "up" {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, b)
	}
	if o := h.lastOutcome(t); o.Route != routeByScript || o.Attempts != 2 {
		t.Errorf("outcome %+v", o)
	}
	resp, b = h.post(t, `{"model":"bad",`+hi+`}`)
	if e := decodeError(t, b); resp.StatusCode != 500 || e.Error.Code != "script_error" {
		t.Errorf("unknown provider: %d %s", resp.StatusCode, b)
	}
	resp, _ = h.post(t, `{"model":"gpt-4o",`+hi+`}`) // nothing returned: the config decides
	if resp.StatusCode != 200 || resp.Header.Get("X-Sluice-Model") != "fixture" {
		t.Errorf("config route: %d", resp.StatusCode)
	}
}

func TestOnResponseRewritesContent(t *testing.T) {
	h := hooked(t, &funcHooks{onResponse: func(_ *scripting.Request, res *scripting.Response) error {
		if res.Usage.InputTokens != 1117 || res.Provider != "up" {
			return &scripting.Denial{Status: 500, Message: "wrong res"}
		}
		res.Content = strings.ToUpper(res.Content)
		return nil
	}})
	_, b := h.post(t, `{"model":"gpt-4o",`+hi+`}`)
	var c struct {
		Choices []struct{ Message struct{ Content string } }
	}
	_ = json.Unmarshal(b, &c)
	if len(c.Choices) != 1 || !strings.HasPrefix(c.Choices[0].Message.Content, "THE IMAGE SHOWS") {
		t.Errorf("%s", b)
	}
}

func TestOnChunkRewritesDropsAndDenies(t *testing.T) {
	h := hooked(t, &funcHooks{onChunk: func(req *scripting.Request, c *scripting.Chunk) error {
		switch {
		case strings.Contains(c.Text, "there"):
			c.Drop = true
		case strings.Contains(c.Text, "help") && req.Model == "fixture":
			return &scripting.Denial{Status: 400, Message: "no help here"}
		default:
			c.Text = strings.ToUpper(c.Text)
		}
		return nil
	}})
	_, b := h.post(t, `{"model":"gpt-4o","stream":true,`+hi+`}`)
	text := streamedText(t, b)
	if text != "HELLO HOW CAN I HELP?" {
		t.Errorf("streamed %q", text)
	}
	_, b = h.post(t, `{"model":"fixture","stream":true,`+hi+`}`)
	events := readStream(t, b)
	if last := events[len(events)-1]; last != "[DONE]" || !strings.Contains(events[len(events)-2], "no help here") {
		t.Errorf("deny mid-stream: %q", events)
	}
}

func streamedText(t *testing.T, b []byte) string {
	t.Helper()
	var sb strings.Builder
	for _, ev := range readStream(t, b) {
		var c struct {
			Choices []struct{ Delta struct{ Content string } }
		}
		if json.Unmarshal([]byte(ev), &c) == nil && len(c.Choices) > 0 {
			sb.WriteString(c.Choices[0].Delta.Content)
		}
	}
	return sb.String()
}
