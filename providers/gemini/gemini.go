package gemini

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicegw/sluice/providers"
)

// DefaultBaseURL is the Gemini API's service root.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// Bounds on what is read of an answer: a whole (non-streamed) answer, and
// an error body.
const (
	maxAnswer = 64 << 20
	maxError  = 64 << 10
)

// Config describes one declared provider of this type.
type Config struct {
	Name string
	// BaseURL is the service root, DefaultBaseURL when empty; the provider
	// adds /v1beta/models/MODEL:generateContent. A trailing /v1beta is
	// tolerated.
	BaseURL string
	APIKeys []string      // sent as "x-goog-api-key: KEY", rotated round-robin
	Headers http.Header   // extra headers sent on every call
	Timeout time.Duration // per attempt; see providers.Sender
	// Transport carries the calls; nil means the gateway's shared pool.
	Transport http.RoundTripper
}

// Provider sends chat completion calls to the Gemini API, translated both
// ways.
type Provider struct {
	sender *providers.Sender
	name   string
	base   string // service root with /v1beta
	keys   []string
}

func init() {
	providers.Register("gemini", func(cfg providers.Config) (providers.Provider, error) {
		return New(Config{Name: cfg.Name, BaseURL: cfg.BaseURL, APIKeys: cfg.APIKeys, Headers: cfg.Headers, Timeout: cfg.Timeout, Transport: cfg.Transport})
	})
}

// New checks cfg and builds its provider.
func New(cfg Config) (*Provider, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := providers.CheckBaseURL(cfg.Name, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	base = strings.TrimSuffix(base, "/v1beta")
	transport := cfg.Transport
	if transport == nil {
		transport = providers.SharedTransport
	}
	return &Provider{
		sender: providers.NewSender(cfg.Name, cfg.APIKeys, cfg.Headers, cfg.Timeout, keyCheck{transport}),
		name:   cfg.Name,
		base:   base + "/v1beta/",
		keys:   cfg.APIKeys,
	}, nil
}

// Name is the provider's declared name.
func (p *Provider) Name() string { return p.name }

// Send implements providers.Provider: it translates the OpenAI chat
// completions request, sends it to generateContent (or, streamed,
// streamGenerateContent with alt=sse), and returns an answer shaped like an
// OpenAI upstream's: a chat.completion, a chat.completion.chunk stream, or
// an OpenAI error body with the upstream's status.
func (p *Provider) Send(ctx context.Context, call *providers.Call) (*http.Response, error) {
	body, rerr := translateRequest(call.Body, call.Model)
	if call.Release != nil {
		call.Release() // the translation holds no reference to call.Body
	}
	if rerr != nil {
		msg := fmt.Sprintf("The provider %s (Gemini) cannot serve this request: %s", p.name, rerr.Message)
		return jsonResponse(http.StatusBadRequest, errorJSON(http.StatusBadRequest, msg, "invalid_request", rerr.Param), 0), nil
	}
	resp, err := p.sender.Send(ctx, &providers.Call{Model: call.Model, Body: body, Stream: call.Stream, Timeout: call.Timeout},
		providers.Request{URL: p.url(call.Model, call.Stream), SetHeaders: setKey})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return p.errorResponse(resp), nil
	}
	if call.Stream {
		if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "text/event-stream" {
			_ = resp.Body.Close()
			msg := fmt.Sprintf("The upstream provider %s (Gemini) answered a stream request with Content-Type %q.", p.name, resp.Header.Get("Content-Type"))
			return jsonResponse(http.StatusBadGateway, errorJSON(http.StatusBadGateway, msg, "upstream_error", ""), 0), nil
		}
		out := &http.Response{
			Status: resp.Status, StatusCode: http.StatusOK, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			Header:        http.Header{"Content-Type": {"text/event-stream"}},
			Body:          newStreamBody(resp.Body, call.Model, p.keys),
			ContentLength: -1,
			Request:       resp.Request,
		}
		return out, nil
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("provider %s: reading the answer: %w", p.name, err)
	}
	if len(answer) > maxAnswer {
		msg := fmt.Sprintf("The upstream provider %s (Gemini) answered with more than %d bytes.", p.name, maxAnswer)
		return jsonResponse(http.StatusBadGateway, errorJSON(http.StatusBadGateway, msg, "upstream_error", ""), 0), nil
	}
	completion, err := translateCompletion(answer, call.Model)
	if err != nil {
		if blocked, ok := err.(*errPromptBlocked); ok {
			return jsonResponse(http.StatusBadRequest, errorJSON(http.StatusBadRequest, blocked.Error(), "content_filter", "messages"), 0), nil
		}
		msg := fmt.Sprintf("The upstream provider %s (Gemini) answered with something the gateway cannot translate: %v.", p.name, err)
		return jsonResponse(http.StatusBadGateway, errorJSON(http.StatusBadGateway, msg, "upstream_error", ""), 0), nil
	}
	return jsonResponse(http.StatusOK, completion, 0), nil
}

// url is the method's address. A model given as models/NAME or
// tunedModels/NAME keeps its collection; a bare name is a base model.
func (p *Provider) url(model string, stream bool) string {
	collection, id, ok := strings.Cut(model, "/")
	if !ok || (collection != "models" && collection != "tunedModels") {
		collection, id = "models", model
	}
	u := p.base + collection + "/" + url.PathEscape(id)
	if stream {
		return u + ":streamGenerateContent?alt=sse"
	}
	return u + ":generateContent"
}

// setKey puts the key in the header Gemini reads, never in the URL, where
// it would end up in logs.
func setKey(h http.Header, key string) {
	if key != "" {
		h.Set("x-goog-api-key", key)
	}
}

// errorResponse turns an upstream error answer into an OpenAI-shaped one
// with the same status, keeping Retry-After (or deriving it from Google's
// RetryInfo delay).
func (p *Provider) errorResponse(resp *http.Response) *http.Response {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxError))
	_ = resp.Body.Close()
	out, retry := translateError(resp.StatusCode, body, p.keys)
	r := jsonResponse(resp.StatusCode, out, retry)
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		r.Header.Set("Retry-After", ra)
	}
	return r
}

func jsonResponse(status int, body []byte, retryAfter int) *http.Response {
	h := http.Header{"Content-Type": {"application/json"}}
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	return &http.Response{
		Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
}

// keyCheck shows the sender what Google's answers mean for the key that
// was used, before the sender judges it. Google answers a wrong key with 400
// INVALID_ARGUMENT, reason API_KEY_INVALID: that becomes the 401 it means,
// so the key rests like any key an upstream refuses (and the gateway
// answers its client 502 without the upstream's text). A 429 says how long
// to wait in a RetryInfo detail, not in a header: that becomes Retry-After,
// so the key rests just that long.
type keyCheck struct{ base http.RoundTripper }

func (k keyCheck) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := k.base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxError))
	if err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	switch {
	case resp.StatusCode == http.StatusBadRequest && isKeyInvalid(head):
		resp.StatusCode, resp.Status = http.StatusUnauthorized, "401 Unauthorized"
	case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "":
		if _, retry := translateError(resp.StatusCode, head, nil); retry > 0 {
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			resp.Header.Set("Retry-After", strconv.Itoa(retry))
		}
	}
	return resp, nil
}
