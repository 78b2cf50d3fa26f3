package caddymodule

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/sluicegw/sluice/gateway"
	"github.com/sluicegw/sluice/limits"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/providers/mock"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(Handler{})
	httpcaddyfile.RegisterHandlerDirective("ai_gateway", parseCaddyfile)
	httpcaddyfile.RegisterDirectiveOrder("ai_gateway", httpcaddyfile.Before, "reverse_proxy")
}

// Handler serves the AI endpoints of a site: POST /v1/chat/completions and
// GET /v1/models (each also without the /v1 prefix), relative to where the
// handler is mounted. Requests for any other path go to the next handler.
//
// Errors the gateway answers itself are written in the client's API shape
// (OpenAI: {"error":{"message","type","param","code"}}), not through Caddy's
// error routes: SDKs parse them.
type Handler struct {
	// Providers are the upstream LLM services this site may call.
	Providers []ProviderConfig `json:"providers,omitempty"`

	// Models are the public model names clients may ask for, each with the
	// targets that serve it.
	Models []ModelConfig `json:"models,omitempty"`

	// Scripts run at the gateway's hook points (on_request, route,
	// on_response, on_chunk), in the order written.
	Scripts []ScriptConfig `json:"scripts,omitempty"`

	// MaxBody caps request bodies, in bytes. Default: 8 MiB. A larger body is
	// answered with 413, whether its length is declared or it is chunked.
	MaxBody int64 `json:"max_body,omitempty"`

	// Consumers are the callers of this site. Once any is declared, every
	// call needs one of their keys.
	Consumers []ConsumerConfig `json:"consumers,omitempty"`

	// MetricsConsumerLabel is what the consumer label of this site's
	// metrics holds: "name" (default), "none" (one series, "_all"), or
	// "metadata:KEY" (the consumer's metadata value for KEY, e.g. a
	// department: bounded cardinality for chargeback dashboards).
	MetricsConsumerLabel string `json:"metrics_consumer_label,omitempty"`

	// Guard checks prompts and answers: token and message caps, prompt
	// injection, personal data, deny patterns.
	Guard *GuardConfig `json:"guard,omitempty"`

	// ReserveOutputTokens is the output a call that sets no max_tokens is
	// admitted for against token limits and budgets (settlement then
	// replaces it with the real usage). Default: 4096.
	ReserveOutputTokens int `json:"reserve_output_tokens,omitempty"`

	gw         *gateway.Gateway
	logger     *zap.Logger
	scriptKeys []string // this handler's holds on the shared script pool
}

// ProviderConfig declares one upstream.
type ProviderConfig struct {
	// Name is how targets refer to this provider (`target NAME/model`).
	Name string `json:"name"`

	// Type is the upstream's kind: openai, openai_compatible, azure,
	// anthropic, gemini, bedrock or mock.
	Type string `json:"type"`

	// BaseURL is the API root: for openai and openai_compatible including
	// the version path (https://api.openai.com/v1); for azure, anthropic,
	// gemini and bedrock the service root, to which the gateway adds their
	// paths (anthropic, gemini and bedrock have defaults). Placeholders such
	// as {env.VAR} are replaced at load time. Not used by type mock.
	BaseURL string `json:"base_url,omitempty"`

	// APIKeys are sent as "Authorization: Bearer KEY", one per call,
	// round-robin. Placeholders such as {env.OPENAI_API_KEY} are replaced at
	// load time; a key that is empty after replacement is dropped.
	APIKeys []string `json:"api_keys,omitempty"`

	// Headers are extra headers sent on every upstream call. Placeholders in
	// values are replaced at load time.
	Headers http.Header `json:"headers,omitempty"`

	// Timeout bounds one attempt: the wait for the response headers and,
	// for a non-streamed answer, the whole body. A stream whose headers
	// arrived in time runs as long as the upstream sends. Default: 10m.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// APIVersion (type azure) is the api-version query parameter of every
	// call, e.g. 2024-10-21.
	APIVersion string `json:"api_version,omitempty"`

	// Region (type bedrock) is the AWS region, e.g. us-east-1. Default:
	// $AWS_REGION, else $AWS_DEFAULT_REGION.
	Region string `json:"region,omitempty"`

	// AccessKeyID, SecretAccessKey and SessionToken (type bedrock) are the
	// AWS credentials calls are signed with (SigV4). Defaults:
	// $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY, $AWS_SESSION_TOKEN.
	// Placeholders are replaced at load time.
	AccessKeyID     string `json:"access_key_id,omitempty"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
	SessionToken    string `json:"session_token,omitempty"`

	// Chunks (type mock) is how many content chunks a streamed answer has.
	// Default: 8.
	Chunks int `json:"chunks,omitempty"`

	// ChunkDelay (type mock) is the pause between two content chunks.
	ChunkDelay caddy.Duration `json:"chunk_delay,omitempty"`

	// Latency (type mock) is the wait before the mock answers.
	Latency caddy.Duration `json:"latency,omitempty"`

	// FailStatus (type mock) answers every call with this HTTP status and an
	// OpenAI-shaped error, for testing failure handling.
	FailStatus int `json:"fail_status,omitempty"`

	// FailAfter (type mock) cuts every stream after this many content
	// chunks, as a reset connection would.
	FailAfter int `json:"fail_after,omitempty"`
}

// ScriptConfig is one user script: a file (watched, and reloaded the moment
// it changes) or inline source.
type ScriptConfig struct {
	// Path is a .lua, .js or .wasm file; the extension picks the engine. Relative
	// paths are relative to Caddy's working directory.
	Path string `json:"path,omitempty"`

	// Engine is the language of inline Source: lua or js.
	Engine string `json:"engine,omitempty"`

	// Source is an inline script (from a Caddyfile heredoc).
	Source string `json:"source,omitempty"`

	// Timeout bounds each hook call. Default: 50ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// OnError is what a failing or overrunning hook does to the call:
	// fail_closed (default: the client gets a 500) or fail_open (the call
	// goes on as if the hook were absent). Failures are logged and counted
	// either way.
	OnError string `json:"on_error,omitempty"`
}

// ModelConfig declares one public model name.
type ModelConfig struct {
	// Name is the model name clients send. It may hold `*` wildcards
	// (`mock-*`); exact names win over wildcards, and wildcards are tried in
	// the order declared.
	Name string `json:"name"`

	// Strategy orders the targets for each call: weighted (default: one at
	// random in proportion to the weights, then the rest by weight),
	// priority (as declared), least_busy (fewest calls in flight first) or
	// least_latency (lowest recent time to first token, or total time for
	// non-streamed calls, first).
	Strategy string `json:"strategy,omitempty"`

	// Targets are the provider/model pairs that serve this name.
	Targets []TargetConfig `json:"targets"`

	// Fallbacks are tried in order after the targets.
	Fallbacks []TargetConfig `json:"fallbacks,omitempty"`

	// Retries is the number of attempts after the first, walking the
	// targets and fallbacks in order and then starting over (with an
	// exponential backoff and jitter, or the upstream's Retry-After).
	// Default: each target and fallback once.
	Retries *int `json:"retries,omitempty"`

	// RetryOn lists the failures that hand a call to the next attempt:
	// connect, timeout, 429, 5xx, or single statuses. Default: connect,
	// timeout, 429 and 5xx.
	RetryOn []string `json:"retry_on,omitempty"`

	// Timeout bounds each attempt, replacing the provider's timeout.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Deadline bounds the whole call, all attempts and the answer included.
	Deadline caddy.Duration `json:"deadline,omitempty"`

	// FirstTokenTimeout bounds, for streams, the wait for the first event
	// of an attempt; a late one hands over to the next attempt.
	FirstTokenTimeout caddy.Duration `json:"first_token_timeout,omitempty"`

	// Sticky makes the weighted pick the same for the same key while the
	// weights stay the same: "consumer", "client_ip", or "header <name>"
	// (stored as the header's name).
	Sticky string `json:"sticky,omitempty"`
}

// TargetConfig is one upstream that serves a model.
type TargetConfig struct {
	// Provider is the declared provider's name.
	Provider string `json:"provider"`

	// Model is the upstream's model name; {model} is replaced by the name
	// the client asked for.
	Model string `json:"model"`

	// Weight is this target's share of calls. Default: 1.
	Weight int `json:"weight,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.ai_gateway", New: func() caddy.Module { return new(Handler) }}
}

// Provision builds the gateway. A config error here rejects the whole
// config (or reload), and the message says which word is wrong.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	appVal, err := ctx.App("ai_gateway")
	if err != nil {
		return fmt.Errorf("loading the ai_gateway app: %w", err)
	}
	if err := metrics.Register(ctx.GetMetricsRegistry()); err != nil {
		return fmt.Errorf("registering ai_gateway metrics: %w", err)
	}
	app := appVal.(*App)
	repl := caddy.NewReplacer()
	cfg := gateway.Config{
		MaxBody: h.MaxBody, Logger: h.logger, Observer: placeholders{}, Prices: app.prices,
		Store: app.store, FailOpen: app.OnStoreError == "fail_open", ReserveOutputTokens: h.ReserveOutputTokens,
		Guards: h.Guard.gateway(), ConsumerLabel: h.MetricsConsumerLabel,
	}
	if cfg.Consumers, err = gatewayConsumers(h.Consumers, repl); err != nil {
		return fmt.Errorf("ai_gateway: %w", err)
	}
	for _, p := range h.Providers {
		pc := gateway.ProviderConfig{
			Name:       p.Name,
			Type:       p.Type,
			BaseURL:    repl.ReplaceKnown(p.BaseURL, ""),
			Timeout:    time.Duration(p.Timeout),
			APIVersion: p.APIVersion, Region: repl.ReplaceKnown(p.Region, ""),
			AccessKeyID: repl.ReplaceKnown(p.AccessKeyID, ""), SecretAccessKey: repl.ReplaceKnown(p.SecretAccessKey, ""),
			SessionToken: repl.ReplaceKnown(p.SessionToken, ""),
			Mock: mock.Options{
				Chunks: p.Chunks, ChunkDelay: time.Duration(p.ChunkDelay), Latency: time.Duration(p.Latency),
				FailStatus: p.FailStatus, FailAfter: p.FailAfter,
			},
		}
		for _, k := range p.APIKeys {
			if k = repl.ReplaceKnown(k, ""); k != "" {
				pc.APIKeys = append(pc.APIKeys, k)
			}
		}
		if len(p.APIKeys) > 0 && len(pc.APIKeys) == 0 {
			h.logger.Warn("every api_key of this provider is empty after placeholder replacement; calls go out without a key",
				zap.String("provider", p.Name))
		}
		if len(p.Headers) > 0 {
			pc.Headers = make(http.Header, len(p.Headers))
			for name, values := range p.Headers {
				for _, v := range values {
					pc.Headers.Add(name, repl.ReplaceKnown(v, ""))
				}
			}
		}
		cfg.Providers = append(cfg.Providers, pc)
	}
	for _, m := range h.Models {
		mc := gateway.ModelConfig{
			Name: m.Name, Strategy: m.Strategy, Retries: m.Retries, RetryOn: m.RetryOn, Sticky: m.Sticky,
			Timeout: time.Duration(m.Timeout), Deadline: time.Duration(m.Deadline), FirstTokenTimeout: time.Duration(m.FirstTokenTimeout),
		}
		for _, t := range m.Targets {
			mc.Targets = append(mc.Targets, gateway.TargetConfig{Provider: t.Provider, Model: t.Model, Weight: t.Weight})
		}
		for _, t := range m.Fallbacks {
			mc.Fallbacks = append(mc.Fallbacks, gateway.TargetConfig{Provider: t.Provider, Model: t.Model})
		}
		cfg.Models = append(cfg.Models, mc)
	}
	if len(h.Scripts) > 0 {
		chain, keys, err := loadScripts(h.Scripts, h.logger)
		h.scriptKeys = keys
		if err != nil {
			return fmt.Errorf("ai_gateway: %w", err)
		}
		cfg.Hooks = chainHooks{chain}
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		return fmt.Errorf("ai_gateway: %w", err)
	}
	h.gw = gw
	if len(h.Consumers) == 0 {
		h.logger.Warn("ai_gateway ready; no consumers are configured, so every client may call every model",
			zap.Int("providers", len(h.Providers)), zap.Int("models", len(h.Models)))
	} else {
		h.logger.Info("ai_gateway ready", zap.Int("providers", len(h.Providers)), zap.Int("models", len(h.Models)),
			zap.Int("consumers", len(h.Consumers)))
	}
	registered := make([]limits.ConsumerLimits, 0, len(cfg.Consumers))
	for _, c := range cfg.Consumers {
		registered = append(registered, limits.ConsumerLimits{Name: c.Name, Rules: c.Rules, Budget: c.Budget})
	}
	app.consumers.add(registered)
	return nil
}

// Cleanup lets go of the handler's scripts; a script no config uses any
// more is closed (its watcher stopped) once requests still running on it
// are done. It runs after a failed Provision too.
func (h *Handler) Cleanup() error {
	releaseScripts(h.scriptKeys)
	h.scriptKeys = nil
	return nil
}

// ServeHTTP serves the gateway's endpoints and hands every other request to
// next.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if h.gw.ServeHTTP(w, r) {
		return nil
	}
	return next.ServeHTTP(w, r)
}

var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
