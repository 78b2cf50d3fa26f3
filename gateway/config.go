package gateway

import (
	"net/http"
	"time"

	"github.com/sluicegw/sluice/limits"
	"github.com/sluicegw/sluice/pricing"
	"github.com/sluicegw/sluice/providers/mock"
	"go.uber.org/zap"
)

// DefaultMaxBody caps request bodies when Config.MaxBody is zero.
const DefaultMaxBody = 8 << 20

// Config is everything one gateway (one `ai_gateway` site block) serves.
type Config struct {
	Providers []ProviderConfig
	Models    []ModelConfig
	// MaxBody caps request bodies in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// Prices prices calls (cost metrics, least_cost); nil means the
	// built-in table.
	Prices *pricing.Table
	// Breakers sets every target's circuit breaker.
	Breakers BreakerConfig
	// Logger receives the gateway's logs; nil means none.
	Logger *zap.Logger
	// Hooks, when set, runs the site's scripts.
	Hooks Hooks
	// Observer, when set, learns about every call (placeholders, logs and
	// accounting hang off it).
	Observer Observer

	// Consumers, when any, close the gateway: every call must carry one of
	// their keys.
	Consumers []ConsumerConfig
	// ConsumerLabel is what the consumer label of metrics holds: "name"
	// (default: the consumer's name), "none" ("_all": one series for every
	// consumer), or "metadata:KEY" (the consumer's metadata value for KEY,
	// "_unset" when it has none: a department, a cost centre). Calls
	// without a consumer are "anonymous" whatever the setting.
	ConsumerLabel string
	// Store keeps rate limits, budgets and usage counters; nil: nothing is
	// limited or counted (consumers may then have no limits or budget).
	Store limits.Store
	// FailOpen admits calls without limits while the store is unreachable
	// (`on_store_error fail_open`); otherwise they get a 503.
	FailOpen bool
	// Guards, when set, checks prompts and answers (`guard { ... }`).
	Guards *GuardConfig
	// ReserveOutputTokens is the output a call without max_tokens is
	// admitted for; 0 means DefaultReserveOutput.
	ReserveOutputTokens int
}

// ProviderConfig declares one upstream (`provider NAME { ... }`).
type ProviderConfig struct {
	Name    string
	Type    string // mock, or a type the providers registry knows (openai, openai_compatible, azure, ...)
	BaseURL string
	APIKeys []string
	Headers http.Header
	Timeout time.Duration
	Mock    mock.Options // type mock only

	APIVersion string // azure
	// AWS credentials (bedrock); each empty one defaults to its usual
	// environment variable.
	Region, AccessKeyID, SecretAccessKey, SessionToken string
}

// ModelConfig declares one public model name (`model NAME { ... }`). A name
// may hold `*` wildcards; a target model may hold {model}, replaced by the
// name the client asked for.
type ModelConfig struct {
	Name      string
	Strategy  string // weighted (default) | priority | least_busy | least_latency
	Targets   []TargetConfig
	Fallbacks []TargetConfig // tried in order after the targets
	// Retries is the number of attempts after the first, walking the
	// targets then the fallbacks and starting over; nil: each once.
	Retries *int
	// RetryOn lists the failures that hand over to the next attempt:
	// connect, timeout, 429, 5xx, or a status. Default: all four words.
	RetryOn           []string
	Timeout           time.Duration // per attempt; 0: the provider's
	Deadline          time.Duration // the whole call; 0: none
	FirstTokenTimeout time.Duration // streams: until the first event; 0: none
	// Sticky makes the weighted pick the same for the same key: "consumer",
	// "client_ip", or a request header's name.
	Sticky string
}

// TargetConfig is one `target PROVIDER/MODEL [weight N]`.
type TargetConfig struct {
	Provider string
	Model    string
	Weight   int // 0 means 1
}
