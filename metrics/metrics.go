// Package metrics holds Sluice's Prometheus collectors. They are created once
// per process and registered into each config's registry (Caddy gives every
// config generation its own), so a reload keeps every counter and histogram.
//
// Every label value comes from the config (declared model and provider
// names) or from a small fixed set, so cardinality is bounded: a client
// cannot create series by sending made-up model names.
package metrics

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "ai_gateway"

// Label values used when a call never got as far as the thing labelled.
const (
	UnknownModel    = "_unknown" // the model name matched no `model` block
	NoProvider      = "_none"    // the call failed before a provider was chosen
	AnonymousClient = "anonymous"
)

var (
	once sync.Once

	// Requests counts calls by declared model, provider, status class
	// ("2xx", "4xx", "5xx"; "499" for a client gone before the answer) and
	// consumer.
	Requests *prometheus.CounterVec
	// Tokens counts tokens by direction: input, output, cached (the part of
	// input the provider served from its cache) and cache_write (the part it
	// wrote to it).
	Tokens *prometheus.CounterVec
	// Cost adds up what calls cost, in US dollars, at the price table's
	// prices (calls whose model the table does not know add nothing).
	Cost *prometheus.CounterVec
	// TimeToFirstToken is the time from the request's arrival to the first
	// byte of the answer sent to the client (for streams, the first event).
	TimeToFirstToken *prometheus.HistogramVec
	// RequestDuration is the time from arrival to the last byte of the answer.
	RequestDuration *prometheus.HistogramVec
	// TimePerOutputToken is, for streams with more than one output token,
	// (duration - time to first token) / (output tokens - 1).
	TimePerOutputToken *prometheus.HistogramVec
	// Overhead is the time the gateway itself spent on a call: its whole
	// duration minus the time spent waiting for the upstream and writing to
	// the client. Parsing, routing, serialising and relaying are included.
	Overhead *prometheus.HistogramVec
	// InFlight is the number of calls being served now.
	InFlight *prometheus.GaugeVec
	// UpstreamErrors counts failed upstream attempts by class: connect,
	// timeout, status_4xx, status_5xx, stream_broken, malformed.
	UpstreamErrors *prometheus.CounterVec
	// Retries counts attempts made on a target the call had already tried.
	Retries *prometheus.CounterVec
	// Fallbacks counts attempts handed to another target after a failure.
	Fallbacks *prometheus.CounterVec
	// CircuitState is each declared target's circuit: 0 closed, 1
	// half-open, 2 open.
	CircuitState *prometheus.GaugeVec
	// ScriptDuration times hook calls by script, engine and hook.
	ScriptDuration *prometheus.HistogramVec
	// ScriptErrors counts failed hook calls by script, hook and kind
	// (error, timeout), whatever their on_error policy made of them.
	ScriptErrors *prometheus.CounterVec
	// Rejections counts calls the gateway refused before any upstream call,
	// by reason: invalid_api_key, model_not_allowed, rate_limit_requests,
	// rate_limit_tokens, budget, store_unavailable.
	Rejections *prometheus.CounterVec
	// GuardDecisions counts guard decisions by rule (max_input_tokens,
	// max_output_tokens, max_messages, prompt_injection, pii_<kind>,
	// deny_prompt_<n>, deny_answer_<n>) and action (block, log, clamp,
	// redact, mask_and_restore, redact_answer, restore_answer).
	GuardDecisions *prometheus.CounterVec
	// StoreErrors counts failed operations on the limits store (admit,
	// settle, usage): Redis unreachable, mostly.
	StoreErrors *prometheus.CounterVec
)

func build() {
	modelLabels := []string{"model", "provider", "consumer"}
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "requests_total",
		Help: "AI calls served, by declared model, provider, status class and consumer.",
	}, []string{"model", "provider", "status_class", "consumer"})
	Tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "tokens_total",
		Help: "Tokens used, by direction (input, output, cached, cache_write).",
	}, append(modelLabels, "direction"))
	Cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "cost_usd_total",
		Help: "What calls cost in US dollars at the price table's prices, by declared model, provider and consumer.",
	}, modelLabels)
	TimeToFirstToken = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "time_to_first_token_seconds",
		Help:    "Time from the request's arrival to the first byte of the answer sent to the client.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"model", "provider"})
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "request_duration_seconds",
		Help:    "Time from the request's arrival to the last byte of the answer.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
	}, []string{"model", "provider"})
	TimePerOutputToken = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "time_per_output_token_seconds",
		Help:    "For streams: (duration - time to first token) / (output tokens - 1).",
		Buckets: []float64{.001, .0025, .005, .01, .02, .04, .08, .16, .32, .64, 1.28},
	}, []string{"model", "provider"})
	Overhead = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "overhead_seconds",
		Help:    "Time the gateway itself spent on a call: duration minus upstream waits and client writes.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
	}, []string{"model", "provider"})
	InFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "in_flight_requests",
		Help: "AI calls being served now, by endpoint.",
	}, []string{"endpoint"})
	UpstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "upstream_errors_total",
		Help: "Failed upstream attempts, by provider and class (connect, timeout, status_4xx, status_5xx, stream_broken, malformed).",
	}, []string{"provider", "class"})
	Retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "retries_total",
		Help: "Attempts made again on a target the call had already tried, by declared model and provider.",
	}, []string{"model", "provider"})
	Fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "fallbacks_total",
		Help: "Attempts handed to another target after a failure, by declared model and the provider taking over.",
	}, []string{"model", "provider"})
	CircuitState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "circuit_state",
		Help: "Circuit breaker of each declared target: 0 closed, 1 half-open, 2 open.",
	}, []string{"model", "provider", "upstream_model"})
	ScriptDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "script_duration_seconds",
		Help:    "Time spent in script hooks, by script, engine and hook.",
		Buckets: []float64{.000005, .00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
	}, []string{"script", "engine", "hook"})
	ScriptErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "script_errors_total",
		Help: "Failed script hook calls, by script, hook and kind (error, timeout).",
	}, []string{"script", "hook", "kind"})
	Rejections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "rejections_total",
		Help: "Calls refused before any upstream call, by reason and consumer.",
	}, []string{"reason", "consumer"})
	GuardDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "guard_decisions_total",
		Help: "Guard decisions, by rule and action.",
	}, []string{"rule", "action"})
	StoreErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "store_errors_total",
		Help: "Failed operations on the limits store, by operation (admit, settle, usage).",
	}, []string{"op"})
	// Known from the start, so a dashboard shows 0 rather than no data.
	for _, op := range []string{"admit", "settle", "replay", "usage"} {
		StoreErrors.WithLabelValues(op)
	}
}

func collectors() []prometheus.Collector {
	once.Do(build)
	return []prometheus.Collector{Requests, Tokens, Cost, TimeToFirstToken, RequestDuration, TimePerOutputToken, Overhead, InFlight, UpstreamErrors,
		Retries, Fallbacks, CircuitState, ScriptDuration, ScriptErrors, scriptReloads, Rejections, StoreErrors, GuardDecisions}
}

// Init creates the collectors if this process has not yet. Everything that
// records calls Init (or Register) first.
func Init() { once.Do(build) }

// Register adds the collectors to reg. A collector already registered there
// is fine: Caddy provisions many handlers against one registry.
func Register(reg prometheus.Registerer) error {
	for _, c := range collectors() {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return err
			}
		}
	}
	return nil
}

// ScriptReloadSource reports, for every live script, how many new versions
// were swapped in (result "ok") and how many failed to compile ("error").
type ScriptReloadSource func(emit func(script, result string, n uint64))

var reloadSource atomic.Pointer[ScriptReloadSource]

// SetScriptReloadSource sets where ai_gateway_script_reloads_total comes
// from. Scripts keep their own counts (they outlive config reloads), so the
// metric is read from them at scrape time.
func SetScriptReloadSource(f ScriptReloadSource) { reloadSource.Store(&f) }

var scriptReloads = &reloadCollector{desc: prometheus.NewDesc(namespace+"_script_reloads_total",
	"Script versions compiled after a change, by script and result (ok, error).", []string{"script", "result"}, nil)}

type reloadCollector struct{ desc *prometheus.Desc }

func (c *reloadCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *reloadCollector) Collect(ch chan<- prometheus.Metric) {
	src := reloadSource.Load()
	if src == nil {
		return
	}
	(*src)(func(script, result string, n uint64) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n), script, result)
	})
}
