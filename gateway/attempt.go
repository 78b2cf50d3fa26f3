package gateway

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/providers"
	"github.com/sluicegw/sluice/sse"
	"go.opentelemetry.io/otel/trace"
)

// attemptPlan is where one call may go and under what rules.
type attemptPlan struct {
	candidates []candidate
	attempts   int // total attempts allowed
	retryOn    retryPolicy
	timeout    time.Duration // per attempt; 0: the provider's
	deadline   time.Duration // the whole call (applied by the caller)
	firstToken time.Duration // streams: until the first event
	// embeddings: the call is POST /v1/embeddings, sent with
	// providers.Embedder instead of as a chat completion.
	embeddings bool
	// native, when not apiChat: the client's bytes go as they are to
	// providers that speak its API (passthrough.go).
	native clientAPI
}

// Backoff before an attempt on a target the call already tried: doubling
// from backoffBase up to backoffMax, with jitter, or the target's
// Retry-After when that is longer (up to maxRetryAfter).
const (
	backoffBase   = 250 * time.Millisecond
	backoffMax    = 8 * time.Second
	maxRetryAfter = 60 * time.Second
)

// errFirstToken ends a stream attempt whose first event came too late.
var errFirstToken = errors.New("no first token in time")

// answer is the successful attempt: its response and, for a stream, the
// reader with the first event already read (nothing has reached the client
// yet).
type answer struct {
	resp   *http.Response
	rd     *sse.Reader
	first  sse.Event
	cancel context.CancelCauseFunc
	span   trace.Span
	out    *Outcome
}

// close ends the attempt: its body, its context, its span.
func (a *answer) close() {
	_ = a.resp.Body.Close()
	a.cancel(nil)
	if a.rd != nil {
		a.rd.Reset(nil)
		readerPool.Put(a.rd)
	}
	endSpan(a.span, a.out)
}

// attempt sends the call to the plan's candidates in turn until one answers
// with a success. A failure the plan's retry_on names hands over to the next
// candidate, and after the last to the first again (after a backoff), as long
// as attempts are left and the call's deadline allows. For a stream, success
// means a first event: until then nothing has reached the client, so a
// stream that breaks or stalls before it is failed over too.
func (g *Gateway) attempt(ctx context.Context, out *Outcome, plan *attemptPlan, body *sharedBody, req *openai.ChatRequest, clientWantsUsage bool) (*answer, *apierror.Error) {
	var failure *apierror.Error
	tried := make([]bool, len(plan.candidates))
	retryAfter := make([]time.Duration, len(plan.candidates))
	for n := 0; n < plan.attempts; n++ {
		i := n % len(plan.candidates)
		c := plan.candidates[i]
		if n > 0 {
			if tried[i] {
				if !sleepBackoff(ctx, n/len(plan.candidates), retryAfter[i]) {
					break // the deadline would pass, or the client left
				}
				metrics.Retries.WithLabelValues(out.Route, c.provider.Name()).Inc()
			} else {
				metrics.Fallbacks.WithLabelValues(out.Route, c.provider.Name()).Inc()
			}
		}
		tried[i] = true
		out.Attempts, out.Provider, out.UpstreamModel = n+1, c.provider.Name(), c.model

		ans, e, class, status, wait := g.try(ctx, out, plan, c, body, req, clientWantsUsage)
		if e == nil {
			out.ErrorClass, out.Error = "", ""
			return ans, nil
		}
		failure, retryAfter[i] = e, wait
		out.ErrorClass, out.Error = class, e.Message
		if ctx.Err() != nil || !plan.retryOn.retries(class, status) {
			return nil, failure
		}
		if n+1 < plan.attempts {
			// Counted here; the call's own outcome counts the last failure.
			metrics.UpstreamErrors.WithLabelValues(out.Provider, class).Inc()
		}
	}
	if ctx.Err() == context.DeadlineExceeded {
		return nil, apierror.UpstreamTimeout("The call's deadline passed after %d attempts; the last: %s", out.Attempts, failure.Message)
	}
	return nil, failure
}

// try makes one attempt. On failure it returns the client's error, the
// failure's class, the upstream status (if one answered) and the upstream's
// Retry-After.
func (g *Gateway) try(ctx context.Context, out *Outcome, plan *attemptPlan, c candidate, body *sharedBody, req *openai.ChatRequest, clientWantsUsage bool) (*answer, *apierror.Error, string, int, time.Duration) {
	var upstreamBody []byte
	var err error
	switch {
	case plan.embeddings:
		upstreamBody, err = upstreamModelBody(body.bytes(), req.Model, c.model)
	case plan.native != apiChat:
		upstreamBody, err = upstreamModelBody(body.original(), req.Model, c.model)
	default:
		upstreamBody, err = upstreamChatBody(body.bytes(), req, c.model, clientWantsUsage)
	}
	if err != nil {
		return nil, apierror.Internal("The request could not be prepared for the upstream: %v.", err), "", 0, 0
	}
	if c.stats != nil {
		c.stats.breaker.attempting(time.Now())
		c.stats.inFlight.Add(1)
	}
	callCtx := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	attemptCtx, span := startAttemptSpan(ctx, out)
	ans := &answer{cancel: cancel, span: span, out: out}
	fail := func(e *apierror.Error, class string, status int, wait time.Duration) (*answer, *apierror.Error, string, int, time.Duration) {
		firstTokenLate := errors.Is(context.Cause(ctx), errFirstToken)
		cancel(nil)
		out.Error = e.Message
		endSpan(span, out)
		if c.stats != nil {
			c.stats.inFlight.Add(-1)
			switch {
			case callCtx.Err() != nil && !firstTokenLate:
				// The client left or the call's deadline passed: no verdict.
			case class == "status_4xx" && status != http.StatusTooManyRequests:
				c.stats.breaker.record(time.Now(), true) // a client error says nothing against the target
			case status != http.StatusTooManyRequests:
				c.stats.breaker.record(time.Now(), false)
			}
		}
		return nil, e, class, status, wait
	}

	sent := time.Now()
	call := &providers.Call{Model: c.model, Body: upstreamBody, Stream: req.Stream, Timeout: plan.timeout, Release: body.retain()}
	var resp *http.Response
	switch {
	case plan.embeddings:
		resp, err = c.provider.(providers.Embedder).Embed(attemptCtx, call)
	case plan.native != apiChat:
		resp, err = sendNative(attemptCtx, plan.native, c.provider, call)
	default:
		resp, err = c.provider.Send(attemptCtx, call)
	}
	out.UpstreamWait += time.Since(sent)
	if err != nil {
		e, class := attemptError(out.Provider, err)
		return fail(e, class, 0, 0)
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, wait: &out.UpstreamWait}
	ans.resp = resp
	if resp.StatusCode >= 300 {
		class := "status_5xx"
		if resp.StatusCode < 500 {
			class = "status_4xx"
		}
		e := upstreamStatusError(out.Provider, resp)
		_ = resp.Body.Close()
		wait := time.Duration(e.RetryAfter) * time.Second
		return fail(e, class, resp.StatusCode, min(wait, maxRetryAfter))
	}
	if c.stats != nil {
		out.stats = c.stats // its in-flight count and timings are settled when the call ends
	}
	if !req.Stream {
		return ans, nil, "", 0, 0
	}

	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "text/event-stream" {
		_ = resp.Body.Close()
		out.stats = nil
		return fail(apierror.Upstream("The upstream provider %s answered a stream request with Content-Type %q.", out.Provider, resp.Header.Get("Content-Type")), "malformed", 0, 0)
	}
	ans.rd = readerPool.Get().(*sse.Reader)
	ans.rd.Reset(resp.Body)
	var timer *time.Timer
	if plan.firstToken > 0 {
		timer = time.AfterFunc(plan.firstToken, func() { cancel(errFirstToken) })
	}
	ev, err := ans.rd.Next()
	if timer != nil {
		timer.Stop()
	}
	if err != nil {
		ans.rd.Reset(nil)
		readerPool.Put(ans.rd)
		_ = resp.Body.Close()
		out.stats = nil
		switch {
		case errors.Is(context.Cause(ctx), errFirstToken):
			return fail(apierror.UpstreamTimeout("The upstream provider %s sent no first token within %s.", out.Provider, plan.firstToken), "timeout", 0, 0)
		case err == io.EOF:
			return fail(apierror.Upstream("The upstream provider %s ended the stream without sending any event.", out.Provider), "malformed", 0, 0)
		}
		e, class := readError(out.Provider, err)
		return fail(e, class, 0, 0)
	}
	ans.first = ev
	return ans, nil, "", 0, 0
}

// sleepBackoff waits before round r of attempts on targets already tried:
// an exponential backoff with jitter, or retryAfter when longer. It reports
// false, without waiting, when the wait would outlast the context's
// deadline, and when the context ends while waiting.
func sleepBackoff(ctx context.Context, round int, retryAfter time.Duration) bool {
	wait := backoffBase << min(round-1, 5)
	wait = min(wait, backoffMax)
	wait = wait/2 + rand.N(wait/2+1) // jitter: half to all of it
	wait = max(wait, retryAfter)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// settleTarget closes the books on the target that answered: its in-flight
// count, its latency averages, and its circuit breaker.
func settleTarget(out *Outcome) {
	s := out.stats
	if s == nil {
		return
	}
	s.inFlight.Add(-1)
	if out.Status == http.StatusOK {
		s.observe(out.TimeToFirstByte, out.Duration)
	}
	healthy := out.ErrorClass == "" || out.ErrorClass == "status_4xx"
	if out.Status != statusClientClosed {
		s.breaker.record(time.Now(), healthy)
	}
}
