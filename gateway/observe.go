package gateway

import (
	"context"
	"strconv"

	"github.com/sluicegw/sluice/metrics"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName identifies Sluice's spans.
const tracerName = "github.com/sluicegw/sluice"

// record adds one finished call to the process's metrics.
func record(out *Outcome) {
	model, provider := out.Route, out.Provider
	if model == "" {
		model = metrics.UnknownModel
	}
	if provider == "" {
		provider = metrics.NoProvider
	}
	consumer := out.consumerLabel
	if consumer == "" {
		consumer = metrics.AnonymousClient
	}
	metrics.Requests.WithLabelValues(model, provider, statusClass(out.Status), consumer).Inc()
	if out.UsageKnown || out.UsageEstimated {
		metrics.Tokens.WithLabelValues(model, provider, consumer, "input").Add(float64(out.Usage.InputTokens))
		metrics.Tokens.WithLabelValues(model, provider, consumer, "output").Add(float64(out.Usage.OutputTokens))
		metrics.Tokens.WithLabelValues(model, provider, consumer, "cached").Add(float64(out.Usage.CachedTokens))
		if out.Usage.CacheWriteTokens > 0 {
			metrics.Tokens.WithLabelValues(model, provider, consumer, "cache_write").Add(float64(out.Usage.CacheWriteTokens))
		}
	}
	if out.CostKnown {
		metrics.Cost.WithLabelValues(model, provider, consumer).Add(out.CostUSD)
	}
	if out.ErrorClass != "" {
		metrics.UpstreamErrors.WithLabelValues(provider, out.ErrorClass).Inc()
	}
	if out.Provider == "" {
		return // never reached an upstream: no latency to speak of
	}
	metrics.RequestDuration.WithLabelValues(model, provider).Observe(out.Duration.Seconds())
	metrics.Overhead.WithLabelValues(model, provider).Observe(out.Overhead.Seconds())
	if out.TimeToFirstByte > 0 {
		metrics.TimeToFirstToken.WithLabelValues(model, provider).Observe(out.TimeToFirstByte.Seconds())
		if out.Stream && out.Usage.OutputTokens > 1 {
			perToken := (out.Duration - out.TimeToFirstByte).Seconds() / float64(out.Usage.OutputTokens-1)
			metrics.TimePerOutputToken.WithLabelValues(model, provider).Observe(perToken)
		}
	}
}

func statusClass(status int) string {
	switch {
	case status == statusClientClosed:
		return "499"
	case status >= 500:
		return "5xx"
	case status >= 400:
		return "4xx"
	case status >= 300:
		return "3xx"
	default:
		return "2xx"
	}
}

// startCallSpan starts the call's span, named and attributed per the
// OpenTelemetry GenAI conventions ("chat gpt-4o"), as a child of the
// request's span. Without an active request span (Caddy's `tracing` off)
// nothing is started and nothing costs.
func startCallSpan(ctx context.Context, out *Outcome) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return ctx, nil
	}
	return parent.TracerProvider().Tracer(tracerName).Start(ctx, "chat "+out.Model,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.request.model", out.Model),
			attribute.Bool("gen_ai.request.stream", out.Stream),
		))
}

// startAttemptSpan starts the span of one upstream attempt, a child of the
// call's span.
func startAttemptSpan(ctx context.Context, out *Outcome) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return ctx, nil
	}
	return parent.TracerProvider().Tracer(tracerName).Start(ctx, "chat "+out.UpstreamModel,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", out.Provider),
			attribute.String("gen_ai.request.model", out.UpstreamModel),
			attribute.Int("sluice.attempt", out.Attempts),
		))
}

// endSpan ends a span with what the call learned.
func endSpan(span trace.Span, out *Outcome) {
	if span == nil {
		return
	}
	span.SetAttributes(
		attribute.String("gen_ai.response.model", out.UpstreamModel),
		attribute.String("sluice.provider", out.Provider),
		attribute.Int("http.response.status_code", out.Status),
	)
	if out.UsageKnown {
		span.SetAttributes(
			attribute.Int("gen_ai.usage.input_tokens", out.Usage.InputTokens),
			attribute.Int("gen_ai.usage.output_tokens", out.Usage.OutputTokens),
		)
	}
	if out.CostKnown {
		span.SetAttributes(attribute.Float64("sluice.cost_usd", out.CostUSD))
	}
	if out.TimeToFirstByte > 0 {
		span.SetAttributes(attribute.String("sluice.time_to_first_token_ms", strconv.FormatInt(out.TimeToFirstByte.Milliseconds(), 10)))
	}
	if out.Error != "" {
		span.SetStatus(codes.Error, out.Error)
	}
	span.End()
}
