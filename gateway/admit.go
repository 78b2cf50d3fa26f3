package gateway

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/limits"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/pricing"
	"github.com/sluicegw/sluice/tokens"
	"github.com/tidwall/gjson"
	"go.uber.org/zap"
)

// DefaultReserveOutput is the output a call that sets no max_tokens is
// admitted for, when Config.ReserveOutputTokens is zero.
const DefaultReserveOutput = 4096

// storeTimeout bounds one store operation on the request path, so an
// unreachable Redis costs a call at most this much before on_store_error
// decides.
const storeTimeout = time.Second

// Rejection reasons (the reason label of ai_gateway_rejections_total).
const (
	rejectKey      = "invalid_api_key"
	rejectModel    = "model_not_allowed"
	rejectRequests = "rate_limit_requests"
	rejectTokens   = "rate_limit_tokens"
	rejectBudget   = "budget"
	rejectStore    = "store_unavailable"
)

// admit checks the call against its consumer's rate limits and budget and
// reserves what it may use: the counted prompt plus its max_tokens (or the
// configured reservation), and that usage's cost at the dearest candidate's
// price. The x-ratelimit-* headers go on the answer whatever the decision.
func (g *Gateway) admit(ctx context.Context, h http.Header, c *consumer, req *openai.ChatRequest, plan *attemptPlan, out *Outcome) *apierror.Error {
	if g.store == nil || c == nil || !c.limited {
		return nil
	}
	ask := limits.Ask{Consumer: c.name, Model: req.Model, Rules: c.rules, Budget: c.budget}
	if c.countsTokens {
		if out.promptTokens < 0 {
			out.promptTokens = tokens.ChatPrompt(req)
		}
		output := g.reserveOutput
		switch {
		case out.Endpoint == endpointEmbeddings:
			output = 0 // embeddings have input tokens only
		case req.MaxCompletionTokens != nil:
			output = *req.MaxCompletionTokens
		case req.MaxTokens != nil:
			output = *req.MaxTokens
		}
		output = max(output, 0)
		ask.Tokens = int64(out.promptTokens + output)
		if c.budget != nil {
			ask.CostUSD = g.worstCost(plan, pricing.Usage{InputTokens: out.promptTokens, OutputTokens: output})
		}
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	dec, res, err := g.store.Admit(sctx, ask)
	cancel()
	if err != nil {
		// The store counts its own failures (ai_gateway_store_errors_total).
		if g.failOpen {
			g.log.Warn("limits store unreachable; admitting without limits (on_store_error fail_open)",
				zap.String("consumer", c.name), zap.Error(err))
			return nil
		}
		g.log.Error("limits store unreachable; refusing the call (on_store_error fail_closed)",
			zap.String("consumer", c.name), zap.Error(err))
		metrics.Rejections.WithLabelValues(rejectStore, c.label).Inc()
		return apierror.StoreUnavailable()
	}
	setLimitHeaders(h, &dec, c.budget != nil)
	if dec.Allowed {
		out.reservation = res
		return nil
	}
	retry := int(math.Ceil(dec.RetryAfter.Seconds()))
	switch {
	case dec.Reason == limits.BudgetExceeded:
		metrics.Rejections.WithLabelValues(rejectBudget, c.label).Inc()
		return apierror.InsufficientQuota(retry,
			"The consumer %s's budget of %s USD per %s cannot cover this call: %s USD remain and the call may cost up to %s USD. It renews in %s; a lower max_tokens needs less.",
			c.name, formatUSD(c.budget.AmountUSD), formatWindow(c.budget.Period), formatUSD(dec.BudgetRemainingUSD), formatUSD(ask.CostUSD), formatWindow(dec.RetryAfter))
	case dec.Refused != nil && dec.Refused.Kind == limits.Tokens:
		metrics.Rejections.WithLabelValues(rejectTokens, c.label).Inc()
		if dec.NeverFits {
			return apierror.RateLimited(retry,
				"This call reserves %d tokens (prompt plus max_tokens), more than the consumer %s's limit of %s allows at once; lower max_tokens.",
				ask.Tokens, c.name, describeRule(dec.Refused))
		}
		return apierror.RateLimited(retry, "The consumer %s is over its limit of %s; this call reserves %d tokens. Retry after %d s.",
			c.name, describeRule(dec.Refused), ask.Tokens, max(retry, 1))
	default:
		metrics.Rejections.WithLabelValues(rejectRequests, c.label).Inc()
		rule := "its request limit"
		if dec.Refused != nil {
			rule = "its limit of " + describeRule(dec.Refused)
		}
		return apierror.RateLimited(retry, "The consumer %s is over %s. Retry after %d s.", c.name, rule, max(retry, 1))
	}
}

// worstCost is what usage u costs at the dearest of the plan's candidates
// whose price is known (0 when none is), with the prompt written to the
// provider's cache when that costs more than reading it plainly.
func (g *Gateway) worstCost(plan *attemptPlan, u pricing.Usage) float64 {
	written := u
	written.CacheWriteTokens = u.InputTokens
	worst := 0.0
	for _, c := range plan.candidates {
		if p, ok := g.prices.Lookup(c.model); ok {
			worst = max(worst, p.Cost(u), p.Cost(written))
		}
	}
	return worst
}

// settle closes the call's account: the reservation is replaced with what
// the call used, and the usage counters of (consumer, declared model) move
// (calls without a consumer count as "anonymous"). The declared model, not
// the name the client sent, keys the counters, so their number is bounded
// by the config.
func (g *Gateway) settle(out *Outcome) {
	if g.store == nil || out.req == nil {
		return // refused before it was understood: nothing to account
	}
	used := limits.Used{}
	if out.UsageKnown || out.UsageEstimated {
		used.InputTokens, used.OutputTokens, used.CachedTokens = int64(out.Usage.InputTokens), int64(out.Usage.OutputTokens), int64(out.Usage.CachedTokens)
		used.CostUSD = out.CostUSD
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := g.store.Settle(ctx, out.Consumer, out.Route, out.reservation, used); err != nil {
		g.log.Warn("settling a call with the limits store failed", zap.String("consumer", out.Consumer), zap.Error(err))
	}
}

// estimateUnreported stands in for the usage an upstream did not report
// although it answered: a stream the client left (the upstream call is
// cancelled, so its usage chunk never comes), a stream that broke, or an
// OpenAI-compatible server that sends no usage. The prompt is counted as
// the provider bills it and the output the gateway received is counted.
func estimateUnreported(out *Outcome) {
	if out.UsageKnown || out.capture == nil || out.req == nil {
		return
	}
	output := out.capture.tokens()
	if output == 0 && out.TimeToFirstByte == 0 {
		return // nothing reached the client: the call failed before
	}
	if out.native == apiMessages && out.Usage.InputTokens > 0 {
		// An Anthropic stream reports its prompt at its start.
		out.Usage.OutputTokens = max(out.Usage.OutputTokens, output)
		out.UsageEstimated = true
		return
	}
	if out.promptTokens < 0 {
		out.promptTokens = tokens.ChatPrompt(out.req)
	}
	out.Usage = Usage{InputTokens: out.promptTokens, OutputTokens: output}
	out.UsageEstimated = true
}

// outputCapture keeps the text of an answer as it is relayed, so its tokens
// can be counted if the upstream never reports usage. Text is counted in
// batches, so at most captureBatch bytes are ever held.
//
// Chat completion chunks are kept raw (their "choices" arrays, copied
// as they are) and only read when needed: almost every stream ends with its
// usage, and then the copies are dropped unread.
type outputCapture struct {
	text    []byte
	choices []byte // raw "choices" arrays, as one JSON array not closed yet
	counted int
}

const captureBatch = 64 << 10

// capturePool keeps captures with their buffers, so a call's capture
// starts with room for a typical answer instead of growing to it.
var capturePool = sync.Pool{New: func() any {
	return &outputCapture{text: make([]byte, 0, 1024), choices: make([]byte, 0, 4096)}
}}

func newCapture() *outputCapture { return capturePool.Get().(*outputCapture) }

// release gives the capture back; it must not be used after.
func (c *outputCapture) release() {
	if cap(c.text) > captureBatch*2 || cap(c.choices) > captureBatch*2 {
		return // grown by an odd call: let it go
	}
	c.text, c.choices, c.counted = c.text[:0], c.choices[:0], 0
	capturePool.Put(c)
}

// addChoices takes the raw "choices" array of one chat completion chunk.
func (c *outputCapture) addChoices(raw string) {
	if len(c.choices) == 0 {
		c.choices = append(c.choices, '[')
	} else {
		c.choices = append(c.choices, ',')
	}
	c.choices = append(c.choices, raw...)
	if len(c.choices) >= captureBatch {
		c.readChoices()
	}
}

// readChoices moves the text of the raw choices kept so far (each choice's
// first delta: content, tool-call names and arguments) into text.
func (c *outputCapture) readChoices() {
	if len(c.choices) == 0 {
		return
	}
	// The arrays were kept as the elements of one array.
	c.choices = append(c.choices, ']')
	s := unsafe.String(unsafe.SliceData(c.choices), len(c.choices))
	gjson.Parse(s).ForEach(func(_, choices gjson.Result) bool {
		c.add(choices.Get("0.delta"))
		return true
	})
	c.choices = c.choices[:0]
}

// addMessage takes the text of a whole chat completion's first choice.
func (c *outputCapture) addMessage(body []byte) {
	c.add(gjson.GetBytes(body, "choices.0.message"))
}

func (c *outputCapture) add(m gjson.Result) {
	if content := m.Get("content"); content.Type == gjson.String {
		c.text = append(c.text, content.Str...)
	}
	if calls := m.Get("tool_calls"); calls.IsArray() {
		calls.ForEach(func(_, call gjson.Result) bool {
			c.text = append(c.text, call.Get("function.name").Str...)
			c.text = append(c.text, call.Get("function.arguments").Str...)
			return true
		})
	}
	if len(c.text) >= captureBatch {
		c.counted += tokens.Count(string(c.text))
		c.text = c.text[:0]
	}
}

func (c *outputCapture) tokens() int {
	c.readChoices()
	return c.counted + tokens.Count(string(c.text))
}

// setLimitHeaders sets OpenAI's x-ratelimit-* headers from the decision: for
// each kind, the rule with the least left.
func setLimitHeaders(h http.Header, dec *limits.Decision, hasBudget bool) {
	var tightest [2]*limits.RuleState // requests, tokens
	for i := range dec.States {
		s := &dec.States[i]
		k := 0
		if s.Rule.Kind == limits.Tokens {
			k = 1
		}
		if tightest[k] == nil || s.Remaining < tightest[k].Remaining {
			tightest[k] = s
		}
	}
	for k, kind := range [2]string{"Requests", "Tokens"} {
		if s := tightest[k]; s != nil {
			h["X-Ratelimit-Limit-"+kind] = []string{strconv.FormatInt(s.Rule.Limit, 10)}
			h["X-Ratelimit-Remaining-"+kind] = []string{strconv.FormatInt(s.Remaining, 10)}
			h["X-Ratelimit-Reset-"+kind] = []string{formatReset(s.Reset)}
		}
	}
	if hasBudget {
		h.Set("X-Sluice-Budget-Remaining-Usd", formatUSD(dec.BudgetRemainingUSD))
	}
}

// formatReset writes a duration as OpenAI's reset headers do: "1s",
// "6m0s", "20ms".
func formatReset(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Second {
		return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + "ms"
	}
	return d.Round(time.Second).String()
}

// describeRule writes a rule as the Caddyfile does: "tokens 1000/1m0s".
func describeRule(r *limits.Rule) string {
	s := fmt.Sprintf("%d %s per %s", r.Limit, r.Kind, formatWindow(r.Window))
	if r.Model != "" {
		s += " on " + r.Model
	}
	return s
}

func formatWindow(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	default:
		return d.Round(time.Second).String()
	}
}

func formatUSD(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
