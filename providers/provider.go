// Package providers defines what the gateway needs of an upstream LLM service:
// something that takes one attempt of a call, already in the upstream's wire
// shape, and returns the upstream's raw HTTP answer. Each provider type lives
// in its own sub-package.
package providers

import (
	"context"
	"errors"
	"net/http"
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
