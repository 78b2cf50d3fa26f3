package gateway

import (
	"net/http"
	"time"

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
	// Logger receives the gateway's logs; nil means none.
	Logger *zap.Logger
	// Hooks, when set, runs the site's scripts.
	Hooks Hooks
	// Observer, when set, learns about every call (placeholders, logs and
	// accounting hang off it).
	Observer Observer
}

// ProviderConfig declares one upstream (`provider NAME { ... }`).
type ProviderConfig struct {
	Name    string
	Type    string // openai | openai_compatible | mock
	BaseURL string
	APIKeys []string
	Headers http.Header
	Timeout time.Duration
	Mock    mock.Options // type mock only
}

// ModelConfig declares one public model name (`model NAME { ... }`). A name
// may hold `*` wildcards; a target model may hold {model}, replaced by the
// name the client asked for.
type ModelConfig struct {
	Name    string
	Targets []TargetConfig
}

// TargetConfig is one `target PROVIDER/MODEL [weight N]`.
type TargetConfig struct {
	Provider string
	Model    string
	Weight   int // 0 means 1
}
