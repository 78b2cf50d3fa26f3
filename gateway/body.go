package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/sluicegw/sluice/apierror"
)

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// pooledBodyCap is the largest buffer returned to the pool; bigger ones are
// left to the garbage collector so one huge request does not pin memory.
const pooledBodyCap = 1 << 20

// readBody reads a request body of at most max bytes, whether its length is
// declared (Content-Length) or not (chunked). Release the buffer with
// releaseBody once nothing refers to its bytes.
func readBody(r *http.Request, max int64) (*bytes.Buffer, *apierror.Error) {
	if r.ContentLength > max {
		return nil, apierror.RequestTooLarge(max)
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, max+1))
	switch {
	case err != nil:
		releaseBody(buf)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, apierror.RequestTooLarge(tooLarge.Limit)
		}
		return nil, apierror.InvalidRequest("", "The request body could not be read: %v.", err)
	case int64(buf.Len()) > max:
		releaseBody(buf)
		return nil, apierror.RequestTooLarge(max)
	case buf.Len() == 0:
		releaseBody(buf)
		return nil, apierror.InvalidRequest("", "The request body is empty; send a JSON object.")
	}
	return buf, nil
}

func releaseBody(buf *bytes.Buffer) {
	if buf.Cap() <= pooledBodyCap {
		bodyPool.Put(buf)
	}
}

// sharedBody is a pooled request body read by the gateway and by every
// attempt's provider; it goes back to the pool when the last of them is done.
type sharedBody struct {
	buf      *bytes.Buffer
	override []byte // the body after a script changed it
	refs     atomic.Int32
}

// newSharedBody holds buf for the caller, who lets go with release.
func newSharedBody(buf *bytes.Buffer) *sharedBody {
	b := &sharedBody{buf: buf}
	b.refs.Store(1)
	return b
}

func (b *sharedBody) bytes() []byte {
	if b.override != nil {
		return b.override
	}
	return b.buf.Bytes()
}

// original is the body as the client sent it, whatever replaced it since.
func (b *sharedBody) original() []byte { return b.buf.Bytes() }

// replace makes data the body from now on. It may alias the pooled buffer.
func (b *sharedBody) replace(data []byte) { b.override = data }

// retain takes one more hold for a provider and returns its release.
func (b *sharedBody) retain() func() {
	b.refs.Add(1)
	return b.release
}

func (b *sharedBody) release() {
	if b.refs.Add(-1) == 0 {
		releaseBody(b.buf)
	}
}
