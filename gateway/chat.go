package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/providers"
	"github.com/tidwall/sjson"
	"go.uber.org/zap"
)

// Response headers that say how a call was served (DESIGN.md, "Names").
const (
	headerProvider = "X-Sluice-Provider"
	headerModel    = "X-Sluice-Model"
	headerAttempts = "X-Sluice-Attempts"
	headerOverhead = "X-Sluice-Overhead-Ms"
)

// serveChat serves POST /v1/chat/completions.
func (g *Gateway) serveChat(w http.ResponseWriter, r *http.Request) {
	out := Outcome{Endpoint: "chat_completions", Start: time.Now(), Consumer: metrics.AnonymousClient}
	defer g.finish(r, &out)

	body, aerr := readBody(r, g.maxBody)
	if aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	// The body's buffer goes back to the pool when the provider is done with
	// it (see providers.Call.Release), or here if it never gets that far.
	released := false
	defer func() {
		if !released {
			releaseBody(body)
		}
	}()
	req, aerr := openai.DecodeChatRequest(body.Bytes())
	if aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	out.Model, out.Stream = req.Model, req.Stream

	rt, ok := g.routes.resolve(req.Model)
	if !ok {
		g.fail(w, &out, apierror.ModelNotFound(req.Model))
		return
	}
	t, upstreamModel := rt.pick(req.Model)
	out.Route, out.Provider, out.UpstreamModel, out.Attempts = rt.name, t.provider.Name(), upstreamModel, 1
	if g.observer != nil {
		g.observer.Routed(r, &out)
	}
	ctx, span := startCallSpan(r.Context(), &out)
	defer endSpan(span, &out)

	clientWantsUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	upstreamBody, err := upstreamChatBody(body.Bytes(), req, upstreamModel, clientWantsUsage)
	if err != nil {
		g.fail(w, &out, apierror.Internal("The request could not be prepared for the upstream: %v.", err))
		return
	}
	released = true
	attemptCtx, attemptSpan := startAttemptSpan(ctx, &out)
	defer endSpan(attemptSpan, &out)
	sent := time.Now()
	resp, err := t.provider.Send(attemptCtx, &providers.Call{
		Model: upstreamModel, Body: upstreamBody, Stream: req.Stream,
		Release: func() { releaseBody(body) },
	})
	out.UpstreamWait += time.Since(sent)
	if err != nil {
		if r.Context().Err() != nil {
			out.Status, out.Error = statusClientClosed, "client went away before the answer"
			return
		}
		e, class := attemptError(out.Provider, err)
		out.ErrorClass = class
		g.fail(w, &out, e)
		return
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, wait: &out.UpstreamWait}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		out.ErrorClass = "status_5xx"
		if resp.StatusCode < 500 {
			out.ErrorClass = "status_4xx"
		}
		g.fail(w, &out, upstreamStatusError(out.Provider, resp))
		return
	}

	if req.Stream {
		g.relayStream(w, r, resp, &out, clientWantsUsage)
	} else {
		g.relayWhole(w, resp, &out)
	}
}

// upstreamChatBody is the client's body as the upstream gets it: the same
// bytes, with the upstream's model name, and for streams with usage asked
// for so the gateway always learns the tokens used. When nothing changes the
// client's bytes are sent as they are.
func upstreamChatBody(body []byte, req *openai.ChatRequest, model string, clientWantsUsage bool) ([]byte, error) {
	var err error
	if model != req.Model {
		if body, err = sjson.SetBytes(body, "model", model); err != nil {
			return nil, err
		}
	}
	if req.Stream && !clientWantsUsage {
		if body, err = sjson.SetRawBytes(body, "stream_options.include_usage", []byte("true")); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// attemptError turns a failed attempt (no answer at all) into the client's
// error and the failure's class: 504 when it ran out of time, else 502.
func attemptError(provider string, err error) (*apierror.Error, string) {
	if errors.Is(err, providers.ErrTimeout) {
		return apierror.UpstreamTimeout("The upstream provider %s did not answer in time.", provider), "timeout"
	}
	return apierror.Upstream("The upstream provider %s could not be reached: %v.", provider, errors.Unwrap(err)), "connect"
}

// setRouteHeaders says how the call was served; the overhead so far is the
// gateway's own time up to the answer's first byte.
func setRouteHeaders(h http.Header, out *Outcome) {
	if out.Provider != "" {
		h.Set(headerProvider, out.Provider)
		h.Set(headerModel, out.UpstreamModel)
		h.Set(headerAttempts, strconv.Itoa(out.Attempts))
	}
	overhead := time.Since(out.Start) - out.UpstreamWait - out.ClientWait
	h.Set(headerOverhead, strconv.FormatFloat(overhead.Seconds()*1000, 'f', 3, 64))
}

// fail answers the client with e and records it.
func (g *Gateway) fail(w http.ResponseWriter, out *Outcome, e *apierror.Error) {
	out.Status, out.Error = e.Status, e.Message
	setRouteHeaders(w.Header(), out)
	started := time.Now()
	apierror.Write(w, apierror.OpenAI, e)
	out.ClientWait += time.Since(started)
}

// write sends bytes of the answer to the client, timing the wait.
func write(w http.ResponseWriter, out *Outcome, b []byte) error {
	started := time.Now()
	_, err := w.Write(b)
	out.ClientWait += time.Since(started)
	return err
}

// finish closes the books on one call.
func (g *Gateway) finish(r *http.Request, out *Outcome) {
	out.Duration = time.Since(out.Start)
	out.Overhead = out.Duration - out.UpstreamWait - out.ClientWait
	record(out)
	if g.observer != nil {
		g.observer.Finished(r, out)
	}
	if ce := g.log.Check(zap.DebugLevel, "ai_gateway call"); ce != nil {
		ce.Write(
			zap.String("endpoint", out.Endpoint),
			zap.String("gen_ai.request.model", out.Model),
			zap.String("provider", out.Provider),
			zap.String("gen_ai.response.model", out.UpstreamModel),
			zap.Bool("stream", out.Stream),
			zap.Int("status", out.Status),
			zap.Int("gen_ai.usage.input_tokens", out.Usage.InputTokens),
			zap.Int("gen_ai.usage.output_tokens", out.Usage.OutputTokens),
			zap.Duration("ttfb", out.TimeToFirstByte),
			zap.Duration("duration", out.Duration),
			zap.Duration("overhead", out.Overhead),
			zap.String("error", out.Error),
		)
	}
}

// timedBody counts the time spent waiting on the upstream's body.
type timedBody struct {
	io.ReadCloser
	wait *time.Duration
}

func (b *timedBody) Read(p []byte) (int, error) {
	started := time.Now()
	n, err := b.ReadCloser.Read(p)
	*b.wait += time.Since(started)
	return n, err
}

// describeStatus names an HTTP status for messages: "503 Service Unavailable".
func describeStatus(code int) string {
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}
