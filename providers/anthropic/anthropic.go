package anthropic

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/sluicegw/sluice/providers"
)

// DefaultBaseURL is where calls go when the provider sets no base_url.
const DefaultBaseURL = "https://api.anthropic.com"

// APIVersion is the anthropic-version header sent unless the provider's
// `header anthropic-version ...` says otherwise.
const APIVersion = "2023-06-01"

const (
	// maxAnswer bounds a whole (non-streamed) answer the provider reads.
	maxAnswer = 64 << 20
	// maxErrorBody bounds the part of an error answer read.
	maxErrorBody = 64 << 10
)

// Config describes one declared provider of this type.
type Config struct {
	Name string
	// BaseURL is the service root, with or without a trailing /v1
	// (default https://api.anthropic.com); calls go to BaseURL/v1/messages.
	BaseURL string
	APIKeys []string    // sent as "x-api-key: KEY", rotated round-robin
	Headers http.Header // extra headers sent on every call (e.g. anthropic-beta)
	// Timeout bounds one attempt; see providers.Sender.
	Timeout time.Duration
	// Transport carries the calls; nil means the gateway's shared pool.
	Transport http.RoundTripper
}

// Provider sends chat completion calls to Anthropic's Messages API,
// translating requests, answers, streams and errors.
type Provider struct {
	*providers.Sender
	messagesURL string
	// version is the anthropic-version header value the calls carry.
	version string
}

func init() {
	providers.Register("anthropic", func(cfg providers.Config) (providers.Provider, error) {
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
	base = strings.TrimSuffix(base, "/v1")
	version := cfg.Headers.Get("anthropic-version")
	if version == "" {
		version = APIVersion
	}
	return &Provider{
		Sender:      providers.NewSender(cfg.Name, cfg.APIKeys, cfg.Headers, cfg.Timeout, cfg.Transport),
		messagesURL: base + "/v1/messages",
		version:     version,
	}, nil
}

// Send implements providers.Provider: it translates the OpenAI chat
// completions request in call.Body into a Messages request, sends it, and
// answers with what an OpenAI upstream would have answered.
func (p *Provider) Send(ctx context.Context, call *providers.Call) (*http.Response, error) {
	body, rerr := translateRequest(call.Body, call.Model, call.Stream, p.version)
	if call.Release != nil {
		call.Release() // the translation holds no reference to the original
	}
	if rerr != nil {
		return openAIErrorResponse(http.StatusBadRequest, "invalid_request_error", "invalid_request", rerr.param,
			fmt.Sprintf("The anthropic provider %s cannot send this request: %s", p.Name(), rerr.msg)), nil
	}
	resp, err := p.Sender.Send(ctx, &providers.Call{Model: call.Model, Body: body, Stream: call.Stream, Timeout: call.Timeout},
		providers.Request{URL: p.messagesURL, SetHeaders: p.setHeaders})
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 400:
		return p.errorAnswer(resp), nil
	case resp.StatusCode != http.StatusOK:
		return resp, nil // the gateway reports an unexpected status as it is
	case call.Stream:
		return p.streamAnswer(resp), nil
	default:
		return p.wholeAnswer(resp)
	}
}

// SendMessages implements providers.MessagesSender: an Anthropic Messages
// body from an Anthropic client goes to the Messages API as it is, and the
// answer (whole, streamed or an error) comes back as the API sent it. The
// anthropic-version header is the provider's (set it with `header
// anthropic-version ...`), as for translated calls.
func (p *Provider) SendMessages(ctx context.Context, call *providers.Call) (*http.Response, error) {
	return p.Sender.Send(ctx, call, providers.Request{URL: p.messagesURL, SetHeaders: p.setHeaders})
}

func (p *Provider) setHeaders(h http.Header, key string) {
	if key != "" {
		h.Set("x-api-key", key)
	}
	if h.Get("anthropic-version") == "" {
		h.Set("anthropic-version", p.version)
	}
}

// wholeAnswer reads a whole Message and answers with its chat.completion.
func (p *Provider) wholeAnswer(resp *http.Response) (*http.Response, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("provider %s: reading the answer: %w", p.Name(), err)
	}
	if len(raw) > maxAnswer {
		return p.malformed("answered with more than %d bytes", maxAnswer), nil
	}
	out, err := translateMessage(raw, time.Now().Unix())
	if err != nil {
		return p.malformed("answered with a message the gateway cannot read: %v", err), nil
	}
	return newResponse(http.StatusOK, "application/json", out, resp.Header.Get("request-id")), nil
}

// streamAnswer answers with an OpenAI chunk stream translated from the
// upstream's events as they are read.
func (p *Provider) streamAnswer(resp *http.Response) *http.Response {
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "text/event-stream" {
		_ = resp.Body.Close()
		return p.malformed("answered a stream request with Content-Type %q", resp.Header.Get("Content-Type"))
	}
	out := &http.Response{
		Status:     resp.Status,
		StatusCode: http.StatusOK,
		Proto:      resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
		Header:        http.Header{"Content-Type": {"text/event-stream"}},
		Body:          newStreamBody(resp.Body, time.Now().Unix()),
		ContentLength: -1,
		Request:       resp.Request,
	}
	if id := resp.Header.Get("request-id"); id != "" {
		out.Header.Set("x-request-id", id)
	}
	return out
}

// errorAnswer answers an upstream error status with the same status (529
// overloaded becomes 503) and an OpenAI error body.
func (p *Provider) errorAnswer(resp *http.Response) *http.Response {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	status, body := translateError(resp.StatusCode, raw, p.Name())
	out := newResponse(status, "application/json", body, resp.Header.Get("request-id"))
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		out.Header.Set("Retry-After", ra)
	}
	return out
}

// malformed is the 502 answer for an upstream answer that cannot be
// translated.
func (p *Provider) malformed(format string, args ...any) *http.Response {
	return openAIErrorResponse(http.StatusBadGateway, "server_error", "upstream_error", "",
		fmt.Sprintf("The upstream provider %s ", p.Name())+fmt.Sprintf(format, args...)+".")
}

// openAIErrorResponse is a response with an OpenAI error body.
func openAIErrorResponse(status int, typ, code, param, msg string) *http.Response {
	return newResponse(status, "application/json", appendOpenAIError(nil, typ, code, param, msg), "")
}

func newResponse(status int, contentType string, body []byte, requestID string) *http.Response {
	h := http.Header{"Content-Type": {contentType}}
	if requestID != "" {
		h.Set("x-request-id", requestID)
	}
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode: status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}
}
