package caddymodule

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/sluicegw/sluice/gateway"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
// The first six are known before the answer's first byte, so `header` can
// use them; the others when the call ends, so they are for logs. The access
// log entry of each call gets the same fields under "ai_gateway", with the
// metadata scripts set, the guard decisions ("prompt_injection:block",
// "pii_email:redact") and usage_estimated (true when the upstream reported
// no usage and the gateway counted the tokens itself).
//
// Both are read from the call's outcome when they are used, not formatted
// for every call: most configs log a few fields or none.
type placeholders struct{}

// Routed makes the call's placeholders resolvable. The outcome is the same
// for the whole call, so the values are always its latest.
func (placeholders) Routed(r *http.Request, o *gateway.Outcome) {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Map(outcomeValues(o))
	}
}

// Finished adds the access-log fields, and the placeholders when the call
// ended before it was routed (routing sets the provider).
func (p placeholders) Finished(r *http.Request, o *gateway.Outcome) {
	if o.Provider == "" {
		p.Routed(r, o)
	}
	if extra, ok := r.Context().Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Add(zap.Object("ai_gateway", (*outcomeLog)(o)))
	}
}

const placeholderPrefix = "http.ai_gateway."

// outcomeValues resolves the {http.ai_gateway.*} placeholders from o.
func outcomeValues(o *gateway.Outcome) caddy.ReplacerFunc {
	return func(key string) (any, bool) {
		name, ok := strings.CutPrefix(key, placeholderPrefix)
		if !ok {
			return nil, false
		}
		switch name {
		case "model":
			return o.Model, true
		case "route":
			return o.Route, true
		case "provider":
			return o.Provider, true
		case "upstream_model":
			return o.UpstreamModel, true
		case "consumer":
			return o.Consumer, true
		case "attempts":
			return strconv.Itoa(o.Attempts), true
		case "input_tokens":
			return strconv.Itoa(o.Usage.InputTokens), true
		case "output_tokens":
			return strconv.Itoa(o.Usage.OutputTokens), true
		case "cached_tokens":
			return strconv.Itoa(o.Usage.CachedTokens), true
		case "cache_write_tokens":
			return strconv.Itoa(o.Usage.CacheWriteTokens), true
		case "cost_usd":
			return costText(o), true
		case "ttft_ms":
			return millis(o.TimeToFirstByte), true
		case "overhead_ms":
			return millis(o.Overhead), true
		}
		return nil, false
	}
}

// outcomeLog writes a call's access-log fields when the entry is written
// (Caddy writes it after the handler returned: the outcome is final).
type outcomeLog gateway.Outcome

func (l *outcomeLog) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	o := (*gateway.Outcome)(l)
	enc.AddString("gen_ai.request.model", o.Model)
	enc.AddString("route", o.Route)
	enc.AddString("provider", o.Provider)
	enc.AddString("gen_ai.response.model", o.UpstreamModel)
	enc.AddString("consumer", o.Consumer)
	enc.AddInt("attempts", o.Attempts)
	enc.AddInt("gen_ai.usage.input_tokens", o.Usage.InputTokens)
	enc.AddInt("gen_ai.usage.output_tokens", o.Usage.OutputTokens)
	enc.AddInt("cached_tokens", o.Usage.CachedTokens)
	enc.AddInt("cache_write_tokens", o.Usage.CacheWriteTokens)
	enc.AddBool("usage_estimated", o.UsageEstimated)
	enc.AddString("cost_usd", costText(o))
	enc.AddString("ttft_ms", millis(o.TimeToFirstByte))
	enc.AddString("overhead_ms", millis(o.Overhead))
	enc.AddString("error", o.Error)
	if err := enc.AddArray("guards", zapcore.ArrayMarshalerFunc(func(arr zapcore.ArrayEncoder) error {
		for _, g := range o.Guards {
			arr.AppendString(g)
		}
		return nil
	})); err != nil {
		return err
	}
	return enc.AddReflected("metadata", o.Metadata)
}

// costText is the cost at the price table's prices, "" when unknown.
func costText(o *gateway.Outcome) string {
	if !o.CostKnown {
		return ""
	}
	return strconv.FormatFloat(o.CostUSD, 'f', -1, 64)
}

func millis(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 3, 64) }
