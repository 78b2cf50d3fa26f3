package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/pricing"
	"github.com/sluicegw/sluice/providers"
	"github.com/sluicegw/sluice/scripting"
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

// serveCall serves a chat call: POST /v1/chat/completions as it comes, or
// POST /v1/messages (Anthropic) or /v1/responses (OpenAI Responses)
// translated to the chat completions the upstreams speak, and the answer
// translated back.
func (g *Gateway) serveCall(w http.ResponseWriter, r *http.Request, api clientAPI) {
	out := Outcome{Endpoint: api.endpoint(), Start: time.Now(), Consumer: metrics.AnonymousClient, shape: api.shape(), promptTokens: -1}
	defer g.finish(r, &out)

	c, ok := g.identify(w, r, &out)
	if !ok {
		return
	}
	buf, aerr := readBody(r, g.maxBody)
	if aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	// The buffer goes back to the pool once this function and every
	// provider that was given the bytes are done with it.
	body := newSharedBody(buf)
	defer body.release()
	if api != apiChat {
		converted, tr, model, aerr := requestToChat(api, buf.Bytes())
		if aerr != nil {
			out.Model = model
			g.fail(w, &out, aerr)
			return
		}
		body.replace(converted)
		out.answer = tr
	}
	req, aerr := openai.DecodeChatRequest(body.bytes())
	if aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	out.Model, out.Stream = req.Model, req.Stream
	if c != nil && !c.allows(req.Model) {
		metrics.Rejections.WithLabelValues(rejectModel, c.label).Inc()
		g.fail(w, &out, apierror.ModelNotAllowed(c.name, req.Model))
		return
	}

	var gc *guardCall
	if g.guards != nil {
		changed, call, aerr := g.checkRequest(body.bytes(), req, &out)
		if aerr != nil {
			g.fail(w, &out, aerr)
			return
		}
		body.replace(changed)
		gc = call
	}

	var sc *scriptCall
	if g.hooks != nil {
		consumer := out.Consumer
		if consumer == metrics.AnonymousClient {
			consumer = "" // scripts see the anonymous consumer's name as ""
		}
		sc = &scriptCall{run: g.hooks.Begin(), view: newScriptView(req, r, consumer, 0)}
		if c != nil {
			sc.view.req.Consumer.Metadata = c.metadata
		}
		defer func() { out.Metadata = sc.view.req.Metadata }()
		defer sc.run.Release()
		sc.view.req.EstimatedInputTokens = estimateTokens(&sc.view.req)
		sc.view.snapshot.EstimatedInputTokens = sc.view.req.EstimatedInputTokens
		sc.onResponse, sc.onChunk = sc.run.Has(scripting.HookOnResponse), sc.run.Has(scripting.HookOnChunk)
		if sc.run.Has(scripting.HookOnRequest) {
			if err := sc.run.OnRequest(r.Context(), &sc.view.req); err != nil {
				g.fail(w, &out, hookError(err))
				return
			}
			changed, err := sc.view.apply(body.bytes())
			if err != nil {
				g.fail(w, &out, apierror.Internal("A script's change to the request could not be applied: %v.", err))
				return
			}
			body.replace(changed)
			req.Model = sc.view.req.Model
		}
	}

	plan, aerr := g.route(r, req, len(body.bytes()), sc, &out)
	if aerr != nil {
		out.Route = metrics.UnknownModel
		g.fail(w, &out, aerr)
		return
	}
	if aerr := g.admit(r.Context(), w.Header(), c, req, plan, &out); aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	if api != apiChat && g.hooks == nil && g.guards == nil && nativeFor(api, plan) {
		plan.native, out.native, out.answer = api, api, nil
	}
	out.req = req // admitted: from here on the call is accounted
	if g.store != nil {
		out.capture = newCapture()
	}
	out.Provider, out.UpstreamModel = plan.candidates[0].provider.Name(), plan.candidates[0].model
	if g.observer != nil {
		g.observer.Routed(r, &out)
	}
	ctx := r.Context()
	if plan.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, plan.deadline)
		defer cancel()
	}
	ctx, span := startCallSpan(ctx, &out)
	defer endSpan(span, &out)

	clientWantsUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	ans, e := g.attempt(ctx, &out, plan, body, req, clientWantsUsage)
	if e != nil {
		if r.Context().Err() != nil {
			out.Status, out.Error = statusClientClosed, "client went away before the answer"
			return
		}
		g.fail(w, &out, e)
		return
	}
	defer ans.close()
	if req.Stream {
		var enc streamEncoder = openAIEncoder{clientWantsUsage: clientWantsUsage}
		switch {
		case out.native != apiChat:
			enc = &nativeEncoder{api: out.native}
		case out.answer != nil:
			enc = out.answer.stream()
		}
		g.relayStream(w, r, ans, &out, enc, sc, g.newStreamGuard(gc, &out))
	} else {
		g.relayWhole(w, r, ans.resp, &out, sc, gc)
	}
}

// identify finds the caller's consumer, when the site has consumers; a
// missing or unknown key is answered here (ok false).
func (g *Gateway) identify(w http.ResponseWriter, r *http.Request, out *Outcome) (c *consumer, ok bool) {
	if g.consumers == nil {
		return nil, true
	}
	c, aerr := g.consumers.identify(r)
	if aerr != nil {
		metrics.Rejections.WithLabelValues(rejectKey, metrics.AnonymousClient).Inc()
		g.fail(w, out, aerr)
		return nil, false
	}
	out.Consumer, out.consumerLabel = c.name, c.label
	return c, true
}

// routeByScript is the route label of a call whose model no `model` block
// declares but a route hook sent somewhere.
const routeByScript = "_script"

// route decides where a call may go: the targets a route hook named, in
// order, or else the model's declared targets ordered by its strategy,
// then its fallbacks.
func (g *Gateway) route(r *http.Request, req *openai.ChatRequest, bodyLen int, sc *scriptCall, out *Outcome) (*attemptPlan, *apierror.Error) {
	rt, declared := g.routes.resolve(req.Model)
	if declared {
		out.Route = rt.name
	} else {
		out.Route = routeByScript
	}
	if sc != nil && sc.run.Has(scripting.HookRoute) {
		targets, err := sc.run.Route(r.Context(), &sc.view.req)
		if err != nil {
			return nil, hookError(err)
		}
		if len(targets) > 0 {
			candidates, aerr := g.scriptCandidates(targets)
			if aerr != nil {
				return nil, aerr
			}
			plan := &attemptPlan{candidates: candidates, attempts: len(candidates), retryOn: defaultRetryOn}
			if declared { // the model's timeouts and retry rules still apply
				plan.attempts = rt.attempts(len(candidates))
				plan.retryOn, plan.timeout, plan.deadline, plan.firstToken = rt.retryOn, rt.timeout, rt.deadline, rt.firstToken
			}
			return plan, nil
		}
	}
	if !declared {
		return nil, apierror.ModelNotFound(req.Model)
	}
	var estimate pricing.Usage
	if rt.strategy == StrategyLeastCost {
		estimate = estimateUsage(req, bodyLen)
	}
	candidates := rt.plan(req.Model, rt.stickyKey(r, out.Consumer), req.Stream, estimate, time.Now())
	return &attemptPlan{
		candidates: candidates, attempts: rt.attempts(len(candidates)), retryOn: rt.retryOn,
		timeout: rt.timeout, deadline: rt.deadline, firstToken: rt.firstToken,
	}, nil
}

// upstreamChatBody is the client's body as the upstream gets it: the same
// bytes, with the upstream's model name, and for streams with usage asked
// for so the gateway always learns the tokens used. When nothing changes the
// client's bytes are sent as they are.
func upstreamChatBody(body []byte, req *openai.ChatRequest, model string, clientWantsUsage bool) ([]byte, error) {
	body, err := upstreamModelBody(body, req.Model, model)
	if err != nil {
		return nil, err
	}
	if req.Stream && !clientWantsUsage {
		if body, err = sjson.SetRawBytes(body, "stream_options.include_usage", []byte("true")); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// upstreamModelBody is the body with the upstream's model name, the same
// bytes when the names agree.
func upstreamModelBody(body []byte, asked, model string) ([]byte, error) {
	if model == asked {
		return body, nil
	}
	return sjson.SetBytes(body, "model", model)
}

// attemptError turns a failed attempt (no answer at all) into the client's
// error and the failure's class: 504 when it ran out of time, else 502.
func attemptError(provider string, err error) (*apierror.Error, string) {
	if errors.Is(err, providers.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
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
	apierror.Write(w, out.shape, e)
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
	estimateUnreported(out)
	if out.capture != nil {
		out.capture.release()
		out.capture = nil
	}
	g.price(out)
	g.settle(out)
	settleTarget(out)
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

// defaultOutputEstimate is the output a call is expected to produce when it
// sets no max_tokens, for least_cost.
const defaultOutputEstimate = 512

// estimateUsage guesses a call's usage before it is made: about four bytes of
// request per input token, and max_tokens (or defaultOutputEstimate) out.
func estimateUsage(req *openai.ChatRequest, bodyLen int) pricing.Usage {
	out := defaultOutputEstimate
	if req.MaxCompletionTokens != nil {
		out = *req.MaxCompletionTokens
	} else if req.MaxTokens != nil {
		out = *req.MaxTokens
	}
	return pricing.Usage{InputTokens: bodyLen / 4, OutputTokens: out}
}

// price sets the call's cost from its usage and the upstream model's price.
func (g *Gateway) price(out *Outcome) {
	if !out.UsageKnown && !out.UsageEstimated {
		return
	}
	if p, ok := g.prices.Lookup(out.UpstreamModel); ok {
		out.CostUSD, out.CostKnown = p.Cost(pricing.Usage{
			InputTokens: out.Usage.InputTokens, OutputTokens: out.Usage.OutputTokens,
			CachedTokens: out.Usage.CachedTokens, CacheWriteTokens: out.Usage.CacheWriteTokens,
		}), true
	}
}

// describeStatus names an HTTP status for messages: "503 Service Unavailable".
func describeStatus(code int) string {
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}
