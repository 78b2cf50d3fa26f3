// Package openai is the provider for OpenAI's API and for servers that speak
// its chat completions API (vLLM, TGI, Ollama, Groq, DeepSeek, Mistral,
// OpenRouter, ...): the `openai` and `openai_compatible` provider types.
package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicegw/sluice/providers"
)

// DefaultTimeout bounds an attempt when the provider sets no `timeout`.
const DefaultTimeout = 10 * time.Minute

// Config describes one declared provider of this type.
type Config struct {
	Name    string
	BaseURL string        // service root including the version, e.g. https://api.openai.com/v1
	APIKeys []string      // sent as "Authorization: Bearer KEY", rotated round-robin
	Headers http.Header   // extra headers sent on every call
	Timeout time.Duration // per attempt; see Provider.Send
	// Transport carries the calls; nil means the gateway's shared pool.
	Transport http.RoundTripper
}

// Provider sends chat completion calls to an OpenAI-shaped upstream.
type Provider struct {
	name    string
	chatURL string
	keys    []*apiKey
	next    atomic.Uint64
	headers http.Header
	timeout time.Duration
	client  http.Client
}

// SharedTransport is the connection pool of every HTTP provider: one pool per
// process, so keep-alive connections survive config reloads and sites.
var SharedTransport http.RoundTripper = &http.Transport{
	Proxy: http.ProxyFromEnvironment,
	DialContext: (&net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
	}).DialContext,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          1024,
	MaxIdleConnsPerHost:   256,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   10 * time.Second,
	ExpectContinueTimeout: time.Second,
}

// New checks cfg and builds its provider.
func New(cfg Config) (*Provider, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		return nil, fmt.Errorf("provider %s: base_url is required", cfg.Name)
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("provider %s: base_url %q must start with http:// or https://", cfg.Name, cfg.BaseURL)
	}
	p := &Provider{
		name:    cfg.Name,
		chatURL: base + "/chat/completions",
		keys:    newKeys(cfg.APIKeys),
		headers: cfg.Headers,
		timeout: cfg.Timeout,
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	p.client.Transport = cfg.Transport
	if p.client.Transport == nil {
		p.client.Transport = SharedTransport
	}
	// Never follow redirects: a redirected POST would lose its body, and a
	// redirect could carry the key to another host.
	p.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return p, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return p.name }

// Send implements providers.Provider. The provider's timeout bounds the wait
// for the response headers and, for a non-streamed answer, the whole body; a
// stream, once its headers have arrived, runs as long as the upstream sends.
func (p *Provider) Send(ctx context.Context, call *providers.Call) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	timeout := p.timeout
	if call.Timeout > 0 {
		timeout = call.Timeout
	}
	timer := time.AfterFunc(timeout, func() { cancel(providers.ErrTimeout) })
	body := providers.NewBody(call)
	first := body.Reader()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.chatURL, first)
	if err != nil {
		_ = first.Close()
		body.Done()
		timer.Stop()
		cancel(nil)
		return nil, err
	}
	req.ContentLength = int64(len(call.Body))
	req.GetBody = func() (io.ReadCloser, error) { return body.Reader(), nil }
	h := req.Header
	for name, values := range p.headers {
		h[name] = values
	}
	h.Set("Content-Type", "application/json")
	if call.Stream {
		h.Set("Accept", "text/event-stream")
	} else {
		h.Set("Accept", "application/json")
	}
	key := p.pickKey(time.Now())
	if key != nil {
		h.Set("Authorization", "Bearer "+key.value)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		body.Done()
		timer.Stop()
		cause := context.Cause(ctx)
		cancel(nil)
		if cause == providers.ErrTimeout {
			return nil, fmt.Errorf("provider %s: no answer within %s: %w", p.name, timeout, providers.ErrTimeout)
		}
		return nil, fmt.Errorf("provider %s: %w", p.name, unwrapURLError(err))
	}
	if key != nil {
		key.judge(resp)
	}
	if call.Stream {
		timer.Stop()
	}
	resp.Body = &attemptBody{ReadCloser: resp.Body, ctx: ctx, cancel: cancel, timer: timer, body: body}
	return resp, nil
}

// attemptBody ties an attempt's context and timer to its response body.
type attemptBody struct {
	io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	body   *providers.Body
	closed bool
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && context.Cause(b.ctx) == providers.ErrTimeout {
		err = providers.ErrTimeout
	}
	return n, err
}

func (b *attemptBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.timer.Stop()
	err := b.ReadCloser.Close()
	b.cancel(nil)
	b.body.Done()
	return err
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the method
// and URL, and keeps what went wrong.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
