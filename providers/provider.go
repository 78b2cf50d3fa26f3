// Package providers defines what the gateway needs of an upstream LLM service:
// something that takes one attempt of a call, already in the upstream's wire
// shape, and returns the upstream's raw HTTP answer. Each provider type lives
// in its own sub-package.
package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Call is one attempt of a request to an upstream.
type Call struct {
	// Model is the upstream's model name (the part after the slash of a
	// `target provider/model`).
	Model string
	// Body is the request body in the upstream's shape, model already set.
	Body []byte
	// Stream is true when the answer is a server-sent event stream.
	Stream bool
	// Timeout, when positive, replaces the provider's own per-attempt
	// timeout (a model's `timeout`).
	Timeout time.Duration
	// Release, when set, is called exactly once when the provider will never
	// read Body again, so the caller may reuse its memory. An HTTP transport
	// can still be sending a body after the response has arrived, so this is
	// not simply when Send returns.
	Release func()
}

// Provider sends calls to one declared upstream. Implementations are safe for
// concurrent use.
type Provider interface {
	// Name is the provider's declared name (`provider NAME`).
	Name() string
	// Send makes one attempt. On success the caller owns the response and
	// must close its body; closing it early cancels the upstream request. An
	// attempt that runs out of its provider's time returns (or, for a body
	// still being read, fails reads with) an error wrapping ErrTimeout.
	Send(ctx context.Context, call *Call) (*http.Response, error)
}

// ErrTimeout marks an upstream attempt that exceeded its time limit.
var ErrTimeout = errors.New("upstream timed out")

// Body hands out readers of a call's body and calls the call's Release once
// the last of them is closed and its owner (the attempt) is done: an HTTP
// transport may still be sending a body after the response arrived, and may
// ask for a fresh copy (GetBody) to retry on a stale connection, so neither
// the end of Send nor the first Close means the bytes are free.
type Body struct {
	call *Call
	refs atomic.Int32
}

// NewBody starts a body whose one reference belongs to the caller, who drops
// it with Done.
func NewBody(call *Call) *Body {
	b := &Body{call: call}
	b.refs.Store(1)
	return b
}

// Reader returns a new reader of the body. Reads after its Close fail rather
// than touch memory that may have been reused.
func (b *Body) Reader() io.ReadCloser {
	b.refs.Add(1)
	return &bodyReader{body: b, r: bytes.NewReader(b.call.Body)}
}

// Done drops one reference.
func (b *Body) Done() {
	if b.refs.Add(-1) == 0 && b.call.Release != nil {
		b.call.Release()
	}
}

type bodyReader struct {
	mu   sync.Mutex
	body *Body
	r    *bytes.Reader
}

func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.r == nil {
		return 0, errors.New("request body read after close")
	}
	return b.r.Read(p)
}

func (b *bodyReader) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.r != nil {
		b.r = nil
		b.body.Done()
	}
	return nil
}

// CheckBaseURL checks a provider's base_url and returns it without a
// trailing slash.
func CheckBaseURL(provider, baseURL string) (string, error) {
	base := strings.TrimRight(baseURL, "/")
	if base == "" {
		return "", fmt.Errorf("provider %s: base_url is required", provider)
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return "", fmt.Errorf("provider %s: base_url %q must start with http:// or https://", provider, baseURL)
	}
	return base, nil
}

// Embedder is a provider that also serves embeddings (POST /v1/embeddings).
// Call.Body is an OpenAI embeddings request with the upstream's model set;
// the answer must look like OpenAI's (a "list" of "embedding" objects with
// usage). Provider types without embeddings do not implement it, and the
// gateway answers a 400 naming the provider.
type Embedder interface {
	Embed(ctx context.Context, call *Call) (*http.Response, error)
}

// MessagesSender is a provider that speaks Anthropic's Messages API
// natively. When a client of POST /v1/messages and every target of its
// model speak it, and no script or guard needs to read the call, the
// gateway sends the client's bytes as they are (model name set) through
// SendMessages and relays the answer untouched: no translation either way.
// The answer, errors included, is in Anthropic's shape.
type MessagesSender interface {
	SendMessages(ctx context.Context, call *Call) (*http.Response, error)
}

// ResponsesSender is a provider that serves OpenAI's Responses API natively
// (the openai type). Like MessagesSender, it lets a Responses client's
// bytes go upstream untranslated and the answer come back untouched.
type ResponsesSender interface {
	SendResponses(ctx context.Context, call *Call) (*http.Response, error)
}
