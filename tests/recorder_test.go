package tests

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// clientRecorder is an http.RoundTripper for SDK clients that keeps every
// response (headers and body) they got, so a test can check that no
// upstream credential ever reaches a client.
type clientRecorder struct {
	mu   sync.Mutex
	seen bytes.Buffer
}

func (r *clientRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.mu.Lock()
	for k, v := range resp.Header {
		fmt.Fprintf(&r.seen, "%s: %s\n", k, v)
	}
	r.seen.Write(body)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, err // a read error reaches the SDK as the body's
}

// String is everything recorded so far.
func (r *clientRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen.String()
}
