package caddymodule

import (
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/sluicegw/sluice/gateway"
	"go.uber.org/zap"
)

// placeholders publishes what the gateway learned about a call as Caddy
// placeholders and access-log fields:
//
//	{http.ai_gateway.model}          the model the client asked for
//	{http.ai_gateway.route}          the declared model name that matched
//	{http.ai_gateway.provider}       the provider that served
//	{http.ai_gateway.upstream_model} the model name sent upstream
//	{http.ai_gateway.consumer}       who called ("anonymous" without consumers)
//	{http.ai_gateway.attempts}       upstream attempts
//	{http.ai_gateway.input_tokens}   usage, once the answer is complete
//	{http.ai_gateway.output_tokens}
//	{http.ai_gateway.cached_tokens}
//	{http.ai_gateway.cost_usd}       at the price table's prices; "" when unknown
//	{http.ai_gateway.ttft_ms}        time to the answer's first byte
//	{http.ai_gateway.overhead_ms}    the gateway's own time
//
// The first six are set before the answer's first byte, so `header` can use
// them; the others when the call ends, so they are for logs. The access log
// entry of each call gets the same fields under "ai_gateway", with the
// metadata scripts set, the guard decisions ("prompt_injection:block",
// "pii_email:redact") and usage_estimated (true when the upstream reported
// no usage and the gateway counted the tokens itself).
type placeholders struct{}

func (placeholders) Routed(r *http.Request, o *gateway.Outcome) {
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return
	}
	repl.Set("http.ai_gateway.model", o.Model)
	repl.Set("http.ai_gateway.route", o.Route)
	repl.Set("http.ai_gateway.provider", o.Provider)
	repl.Set("http.ai_gateway.upstream_model", o.UpstreamModel)
	repl.Set("http.ai_gateway.consumer", o.Consumer)
	repl.Set("http.ai_gateway.attempts", strconv.Itoa(o.Attempts))
}

func (p placeholders) Finished(r *http.Request, o *gateway.Outcome) {
	ttft := strconv.FormatFloat(o.TimeToFirstByte.Seconds()*1000, 'f', 3, 64)
	overhead := strconv.FormatFloat(o.Overhead.Seconds()*1000, 'f', 3, 64)
	cost := ""
	if o.CostKnown {
		cost = strconv.FormatFloat(o.CostUSD, 'f', -1, 64)
	}
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		p.Routed(r, o)
		repl.Set("http.ai_gateway.input_tokens", strconv.Itoa(o.Usage.InputTokens))
		repl.Set("http.ai_gateway.output_tokens", strconv.Itoa(o.Usage.OutputTokens))
		repl.Set("http.ai_gateway.cached_tokens", strconv.Itoa(o.Usage.CachedTokens))
		repl.Set("http.ai_gateway.cost_usd", cost)
		repl.Set("http.ai_gateway.ttft_ms", ttft)
		repl.Set("http.ai_gateway.overhead_ms", overhead)
	}
	if extra, ok := r.Context().Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Add(zap.Dict("ai_gateway",
			zap.String("gen_ai.request.model", o.Model),
			zap.String("route", o.Route),
			zap.String("provider", o.Provider),
			zap.String("gen_ai.response.model", o.UpstreamModel),
			zap.String("consumer", o.Consumer),
			zap.Int("attempts", o.Attempts),
			zap.Int("gen_ai.usage.input_tokens", o.Usage.InputTokens),
			zap.Int("gen_ai.usage.output_tokens", o.Usage.OutputTokens),
			zap.Int("cached_tokens", o.Usage.CachedTokens),
			zap.Bool("usage_estimated", o.UsageEstimated),
			zap.String("cost_usd", cost),
			zap.String("ttft_ms", ttft),
			zap.String("overhead_ms", overhead),
			zap.String("error", o.Error),
			zap.Strings("guards", o.Guards),
			zap.Any("metadata", o.Metadata),
		))
	}
}
