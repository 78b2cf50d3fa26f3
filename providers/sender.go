package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DefaultTimeout bounds an attempt when the provider sets no `timeout`.
const DefaultTimeout = 10 * time.Minute

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

// Sender is the HTTP half every provider type shares: it posts one attempt's
// body, bounds it with the provider's timeout, hands out the provider's keys
// in turn (cooling down a key the upstream refused), never follows
// redirects, and ties the attempt's lifetime to the response body.
type Sender struct {
	name    string
	timeout time.Duration
	keys    *keyRing
	headers http.Header
	client  http.Client
}

// NewSender builds the sender of a declared provider: its name (for
// errors), keys, extra headers, per-attempt timeout (0: DefaultTimeout) and
// transport (nil: SharedTransport).
func NewSender(name string, keys []string, headers http.Header, timeout time.Duration, transport http.RoundTripper) *Sender {
	s := &Sender{name: name, timeout: timeout, keys: newKeyRing(keys), headers: headers}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	s.client.Transport = transport
	if s.client.Transport == nil {
		s.client.Transport = SharedTransport
	}
	// Never follow redirects: a redirected POST would lose its body, and a
	// redirect could carry the key to another host.
	s.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return s
}

// Name is the provider's declared name.
func (s *Sender) Name() string { return s.name }

// Request is what a provider type decides about one attempt.
type Request struct {
	URL string
	// SetHeaders sets the attempt's headers besides the provider's `header`
	// words, Content-Type and Accept: typically the key, in the header the
	// upstream wants. key is "" when the provider has no key.
	SetHeaders func(h http.Header, key string)
	// Sign, when set, is called last with the finished request and its
	// body (e.g. AWS SigV4).
	Sign func(r *http.Request, body []byte) error
}

// Send posts call.Body as one attempt. The timeout bounds the wait for the
// response headers and, for a non-streamed answer, the whole body; a
// stream, once its headers have arrived, runs as long as the upstream
// sends. On success the caller owns the response and must close its body;
// closing it early cancels the upstream request.
func (s *Sender) Send(ctx context.Context, call *Call, r Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	timeout := s.timeout
	if call.Timeout > 0 {
		timeout = call.Timeout
	}
	timer := time.AfterFunc(timeout, func() { cancel(ErrTimeout) })
	body := NewBody(call)
	first := body.Reader()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, first)
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
	for name, values := range s.headers {
		h[name] = values
	}
	h["Content-Type"] = jsonValue
	if call.Stream {
		h["Accept"] = eventStreamValue
	} else {
		h["Accept"] = jsonValue
	}
	key := s.keys.pick(time.Now())
	if r.SetHeaders != nil {
		value := ""
		if key != nil {
			value = key.value
		}
		r.SetHeaders(h, value)
	}
	if r.Sign != nil {
		if err := r.Sign(req, call.Body); err != nil {
			_ = first.Close()
			body.Done()
			timer.Stop()
			cancel(nil)
			return nil, fmt.Errorf("provider %s: signing the request: %w", s.name, err)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		body.Done()
		timer.Stop()
		cause := context.Cause(ctx)
		cancel(nil)
		if cause == ErrTimeout {
			return nil, fmt.Errorf("provider %s: no answer within %s: %w", s.name, timeout, ErrTimeout)
		}
		return nil, fmt.Errorf("provider %s: %w", s.name, unwrapURLError(err))
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
	body   *Body
	closed bool
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && context.Cause(b.ctx) == ErrTimeout {
		err = ErrTimeout
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

// Header values every upstream request shares: assigned, not Set, so no
// request allocates them (net/http never writes into a value slice).
var (
	jsonValue        = []string{"application/json"}
	eventStreamValue = []string{"text/event-stream"}
)
