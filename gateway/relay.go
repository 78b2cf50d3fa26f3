package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/providers"
	"github.com/sluicegw/sluice/sse"
	"github.com/sluicegw/sluice/translate"
	"github.com/tidwall/gjson"
)

const (
	// maxUpstreamBody bounds a non-streamed answer the gateway will hold.
	maxUpstreamBody = 64 << 20
	// maxUpstreamError bounds the part of an upstream error body read.
	maxUpstreamError = 64 << 10
	// maxEvent bounds one streamed event.
	maxEvent = 8 << 20
)

// relayWhole sends a non-streamed answer on, as the upstream sent it, after
// reading its usage.
func (g *Gateway) relayWhole(w http.ResponseWriter, r *http.Request, resp *http.Response, out *Outcome, sc *scriptCall, gc *guardCall) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody+1))
	if err != nil {
		g.failRead(w, out, err)
		return
	}
	if len(body) > maxUpstreamBody {
		out.ErrorClass = "malformed"
		g.fail(w, out, apierror.Upstream("The upstream provider %s answered with more than %d bytes.", out.Provider, maxUpstreamBody))
		return
	}
	if !gjson.ValidBytes(body) {
		out.ErrorClass = "malformed"
		g.fail(w, out, apierror.Upstream("The upstream provider %s answered with malformed JSON.", out.Provider))
		return
	}
	if u := gjson.GetBytes(body, "usage"); u.IsObject() {
		if out.native != apiChat {
			out.Usage, out.UsageKnown = nativeWholeUsage(out.native, u), true
		} else {
			out.Usage, out.UsageKnown = chatUsage(u), true
		}
	} else if out.capture != nil {
		out.capture.addMessage(body)
	}
	if g.guards != nil {
		var e *apierror.Error
		if body, e = g.checkAnswer(body, gc, out); e != nil {
			g.fail(w, out, e)
			return
		}
	}
	if sc != nil && sc.onResponse {
		var e *apierror.Error
		if body, e = g.runOnResponse(r.Context(), sc, body, out); e != nil {
			g.fail(w, out, e)
			return
		}
	}
	if out.answer != nil {
		if body, err = out.answer.whole(body); err != nil {
			out.ErrorClass = "malformed"
			g.fail(w, out, apierror.Upstream("The upstream provider %s answered with a completion the gateway cannot translate: %v.", out.Provider, err))
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setRouteHeaders(h, out)
	w.WriteHeader(http.StatusOK)
	out.Status, out.TimeToFirstByte = http.StatusOK, time.Since(out.Start)
	_ = write(w, out, body)
}

// errMalformedEvent is a streamed event whose data is not JSON.
var errMalformedEvent = errors.New("the event's data is not JSON")

var readerPool = sync.Pool{New: func() any { return sse.NewReader(nil, maxEvent) }}

var (
	doneData   = []byte("[DONE]")
	outBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
)

// relayStream sends a streamed answer on event by event. Events that arrive
// together are written together and flushed as soon as no more are waiting,
// so nothing is held back and the whole stream is never buffered. Each
// upstream event is read for usage, passed through on_chunk hooks, and
// handed to the encoder, which writes what the client's API makes of it.
// Headers go out with the first bytes for the client: until then a failure
// is still an ordinary error answer.
func (g *Gateway) relayStream(w http.ResponseWriter, r *http.Request, ans *answer, out *Outcome, enc streamEncoder, sc *scriptCall, sg *streamGuard) {
	rd := ans.rd
	bufp := outBufPool.Get().(*[]byte)
	defer outBufPool.Put(bufp)
	buf := (*bufp)[:0]
	defer func() { *bufp = buf[:0] }()

	rc := http.NewResponseController(w)
	started := false
	var chunk chunkFacts
	ev, err := ans.first, error(nil) // the attempt already read the first event
	for ; ; ev, err = rd.Next() {
		if err != nil {
			if err == io.EOF {
				break
			}
			if r.Context().Err() != nil {
				out.Status, out.Error = statusClientClosed, "client went away during the stream"
				return
			}
			if !started {
				g.failRead(w, out, err)
				return
			}
			// Bytes have reached the client: end its stream with an error
			// event in its own format.
			e, class := readError(out.Provider, err)
			out.ErrorClass = class
			g.endStream(w, rc, out, enc, buf, e)
			return
		}
		if sg != nil && !bytes.Equal(ev.Data, doneData) {
			data, e := sg.chunk(ev.Data)
			if e != nil {
				if !started {
					g.fail(w, out, e)
				} else {
					g.endStream(w, rc, out, enc, buf, e)
				}
				return
			}
			ev.Data = data
		}
		if sc != nil && sc.onChunk {
			data, drop, e := runOnChunk(r.Context(), sc, ev.Data)
			if e != nil {
				if !started {
					g.fail(w, out, e)
				} else {
					g.endStream(w, rc, out, enc, buf, e)
				}
				return
			}
			if drop {
				continue
			}
			ev.Data = data
		}
		done := bytes.Equal(ev.Data, doneData)
		var facts *chunkFacts
		switch {
		case out.native != apiChat:
			done = nativeStreamEvent(ev, out)
		case done:
		default:
			chunk = readChunk(ev.Data)
			facts = &chunk
			if chunk.usage.IsObject() {
				out.Usage, out.UsageKnown = chatUsage(chunk.usage), true
			}
			if out.capture != nil && !out.UsageKnown && chunk.choices != "" {
				out.capture.addChoices(chunk.choices)
			}
		}
		if buf, err = enc.encode(buf, ev, facts); err != nil {
			out.ErrorClass = "malformed"
			e := apierror.Upstream("The upstream provider %s sent a stream event the gateway cannot read: %v.", out.Provider, err)
			if !started {
				g.fail(w, out, e)
			} else {
				g.endStream(w, rc, out, enc, buf, e)
			}
			return
		}
		if len(buf) == 0 && !done {
			continue // nothing for the client yet
		}
		if !started {
			started = true
			h := w.Header()
			// Set, not shared slices: Caddy's header directive rewrites
			// values in place.
			h.Set("Content-Type", "text/event-stream")
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Accel-Buffering", "no")
			h.Del("Content-Length")
			setRouteHeaders(h, out)
			w.WriteHeader(http.StatusOK)
			out.Status, out.TimeToFirstByte = http.StatusOK, time.Since(out.Start)
		}
		if done {
			break // the stream is complete: don't wait for the upstream to hang up
		}
		if rd.Buffered() > 0 && len(buf) < 32<<10 {
			continue // more is already here: send it in the same write
		}
		if err := write(w, out, buf); err != nil {
			out.Status, out.Error = statusClientClosed, "client went away during the stream"
			return
		}
		buf = buf[:0]
		_ = rc.Flush()
	}
	if !started {
		out.ErrorClass = "malformed"
		g.fail(w, out, apierror.Upstream("The upstream provider %s ended the stream without sending any event.", out.Provider))
		return
	}
	if buf, err = enc.finish(buf); err != nil {
		// The upstream hung up without finishing its answer.
		out.ErrorClass = "stream_broken"
		g.endStream(w, rc, out, enc, buf, apierror.Upstream("The upstream provider %s ended the stream before finishing its answer.", out.Provider))
		return
	}
	if len(buf) > 0 {
		_ = write(w, out, buf)
		buf = buf[:0]
		_ = rc.Flush()
	}
}

// endStream ends a stream that has started with an error event in the
// client's format, after the events still pending in buf.
func (g *Gateway) endStream(w http.ResponseWriter, rc *http.ResponseController, out *Outcome, enc streamEncoder, buf []byte, e *apierror.Error) {
	out.Error = e.Message
	buf = enc.errorEvent(buf, e)
	_ = write(w, out, buf)
	_ = rc.Flush()
}

// streamEncoder writes what a client's API makes of the upstream's (OpenAI
// chat completions) stream events.
type streamEncoder interface {
	// encode appends to buf what the client gets for one upstream event
	// (possibly nothing). facts is what the relay read of a chat completion
	// chunk (nil for [DONE] and for a passed-through native stream).
	encode(buf []byte, ev sse.Event, facts *chunkFacts) ([]byte, error)
	// errorEvent appends the events that end a broken stream.
	errorEvent(buf []byte, e *apierror.Error) []byte
	// finish appends what closes the client's stream when the upstream's
	// ended without [DONE]; an error says the answer was cut short.
	finish(buf []byte) ([]byte, error)
}

// openAIEncoder passes events on as they are, less the usage chunk the
// gateway asked for when the client did not.
type openAIEncoder struct{ clientWantsUsage bool }

func (o openAIEncoder) encode(buf []byte, ev sse.Event, facts *chunkFacts) ([]byte, error) {
	if facts != nil { // a chunk, not [DONE]
		// Events pass through as they are, so each is checked: a client
		// must never get a broken event it cannot parse, but an error
		// event instead.
		if !facts.valid {
			if len(bytes.TrimSpace(ev.Data)) == 0 {
				return buf, nil // an empty event (a keep-alive): nothing for the client
			}
			return buf, errMalformedEvent
		}
		if !o.clientWantsUsage && facts.usageOnly() {
			return buf, nil
		}
	}
	return sse.AppendEvent(buf, string(ev.Name), ev.Data), nil
}

func (openAIEncoder) finish(buf []byte) ([]byte, error) { return buf, nil }

func (openAIEncoder) errorEvent(buf []byte, e *apierror.Error) []byte {
	buf = sse.AppendEvent(buf, "", e.Body(apierror.OpenAI))
	return sse.AppendEvent(buf, "", doneData)
}

// anthropicEncoder translates the events into Anthropic's stream events.
type anthropicEncoder struct {
	tr  *translate.OpenAIStreamToAnthropic
	buf []byte // the buffer the translator's events are appended to
}

func (a *anthropicEncoder) encode(buf []byte, ev sse.Event, _ *chunkFacts) ([]byte, error) {
	a.buf = buf
	err := a.tr.Event(ev.Data, func(name string, data []byte) {
		a.buf = sse.AppendEvent(a.buf, name, data)
	})
	buf, a.buf = a.buf, nil
	return buf, err
}

func (a *anthropicEncoder) finish(buf []byte) ([]byte, error) {
	a.buf = buf
	err := a.tr.Close(func(name string, data []byte) {
		a.buf = sse.AppendEvent(a.buf, name, data)
	})
	buf, a.buf = a.buf, nil
	return buf, err
}

func (*anthropicEncoder) errorEvent(buf []byte, e *apierror.Error) []byte {
	return sse.AppendEvent(buf, "error", e.Body(apierror.Anthropic))
}

// readError is the client's error for an answer that broke off while being
// read, and the failure's class.
func readError(provider string, err error) (*apierror.Error, string) {
	if errors.Is(err, providers.ErrTimeout) {
		return apierror.UpstreamTimeout("The upstream provider %s ran out of time while answering.", provider), "timeout"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return apierror.UpstreamTimeout("The call's deadline passed while the upstream provider %s was answering.", provider), "timeout"
	}
	if errors.Is(err, sse.ErrEventTooLarge) {
		return apierror.Upstream("The upstream provider %s sent a stream event over %d bytes.", provider, maxEvent), "malformed"
	}
	return apierror.Upstream("The upstream provider %s broke off its answer: %v.", provider, err), "stream_broken"
}

// failRead answers an answer that broke off before any byte reached the
// client.
func (g *Gateway) failRead(w http.ResponseWriter, out *Outcome, err error) {
	e, class := readError(out.Provider, err)
	out.ErrorClass = class
	g.fail(w, out, e)
}

// upstreamStatusError passes an upstream's error status on with its message.
// A 401 or 403 is about the gateway's own upstream credentials, not the
// client's, so it becomes a 502 that names the provider and never echoes
// the upstream's text (which can quote part of the key).
func upstreamStatusError(provider string, resp *http.Response) *apierror.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamError))
	status := resp.StatusCode
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return apierror.Upstream("The upstream provider %s rejected the gateway's credentials (%s); check its api_key.", provider, describeStatus(status))
	}
	if status < 400 {
		return apierror.Upstream("The upstream provider %s answered with an unexpected %s.", provider, describeStatus(status))
	}
	e := &apierror.Error{Status: status, Code: "upstream_error"}
	if msg := gjson.GetBytes(body, "error.message"); msg.Type == gjson.String {
		e.Message = msg.Str
		if c := gjson.GetBytes(body, "error.code"); c.Type == gjson.String && c.Str != "" {
			e.Code = c.Str
		}
		if t := gjson.GetBytes(body, "error.type"); t.Type == gjson.String {
			e.Type = t.Str
		}
		if p := gjson.GetBytes(body, "error.param"); p.Type == gjson.String {
			e.Param = p.Str
		}
	} else {
		text := strings.TrimSpace(string(body))
		if len(text) > 512 {
			text = text[:512] + "..."
		}
		e.Message = fmt.Sprintf("The upstream provider %s answered %s: %s", provider, describeStatus(status), text)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra > 0 {
		e.RetryAfter = ra
	}
	return e
}
