package providers

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config is a declared provider (`provider NAME { ... }`) as every provider
// type gets it. Each type reads the fields that apply to it and says which
// it needs.
type Config struct {
	Name    string
	Type    string
	BaseURL string
	APIKeys []string
	Headers http.Header
	Timeout time.Duration

	// APIVersion (azure) is the api-version query parameter.
	APIVersion string
	// Region, AccessKeyID, SecretAccessKey, SessionToken (bedrock) are the
	// AWS credentials; each defaults to its usual environment variable.
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string

	// Transport carries the calls; nil means SharedTransport.
	Transport http.RoundTripper
}

// Factory builds a provider of one type from its declaration.
type Factory func(Config) (Provider, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a provider type known. Provider packages call it from
// init; the Caddy module imports them all.
func Register(typ string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[typ]; dup {
		panic(fmt.Sprintf("providers: type %q registered twice", typ))
	}
	registry[typ] = f
}

// New builds a provider of a registered type.
func New(cfg Config) (Provider, error) {
	registryMu.RLock()
	f, ok := registry[cfg.Type]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("provider %s: unknown type %q (known: %v)", cfg.Name, cfg.Type, Types())
	}
	return f(cfg)
}

// Types lists the registered provider types, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	types := make([]string, 0, len(registry))
	for t := range registry {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}
