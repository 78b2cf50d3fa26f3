package caddymodule

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
	"github.com/sluicegw/sluice/limits"
	"github.com/sluicegw/sluice/metrics"
	"go.uber.org/zap"
)

// StoreConfig says where rate limits, budgets and usage are kept.
type StoreConfig struct {
	// Type is memory (in this process; its state is written to Caddy's data
	// directory, ai_gateway/usage.json, every second and on shutdown, so a
	// restart loses no spend) or redis (shared by every replica that names
	// the same Redis).
	Type string `json:"type"`
	// URL (type redis) is redis://[:password@]host:port/db, or rediss://
	// for TLS. It is never logged.
	URL string `json:"url,omitempty"`
}

// stores holds the open stores, one per distinct StoreConfig, across config
// reloads: a reload that keeps the same store keeps every limit's state and
// every counter.
var stores = caddy.NewUsagePool()

type pooledStore struct{ limits.Store }

func (p pooledStore) Destruct() error { return p.Close() }

// openStore opens (or shares) the store sc describes, and returns it with
// its key in the pool.
func openStore(sc *StoreConfig, log *zap.Logger) (limits.Store, string, error) {
	if sc == nil {
		sc = &StoreConfig{Type: "memory"}
	}
	var key string
	var open func() (limits.Store, error)
	switch sc.Type {
	case "memory", "":
		path := filepath.Join(caddy.AppDataDir(), "ai_gateway", "usage.json")
		key = "memory " + path
		open = func() (limits.Store, error) {
			return limits.NewMemory(limits.MemoryOptions{Path: path, OnError: func(op string, err error) {
				metrics.StoreErrors.WithLabelValues(op).Inc()
				log.Error("memory store error", zap.String("op", op), zap.Error(err))
			}})
		}
	case "redis":
		u, err := url.Parse(sc.URL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return nil, "", fmt.Errorf("ai_gateway: store redis: the URL must look like redis://host:port/db")
		}
		key = "redis " + sc.URL
		safe := u.Redacted()
		open = func() (limits.Store, error) {
			return limits.NewRedis(limits.RedisOptions{
				URL: sc.URL,
				OnError: func(op string, err error) {
					metrics.StoreErrors.WithLabelValues(op).Inc()
					log.Warn("redis store error", zap.String("op", op), zap.String("redis", safe), zap.Error(err))
				},
			})
		}
	default:
		return nil, "", fmt.Errorf("ai_gateway: store type %q is not memory or redis", sc.Type)
	}
	metrics.Init()
	val, _, err := stores.LoadOrNew(key, func() (caddy.Destructor, error) {
		s, err := open()
		if err != nil {
			return nil, err
		}
		return pooledStore{s}, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("ai_gateway: opening the %s store: %w", sc.Type, err)
	}
	return val.(pooledStore).Store, key, nil
}

// currentApp is the running config's app, which the admin API reports on.
var currentApp atomic.Pointer[App]

// consumerRegistry collects the consumers every handler of a config
// declares, so the usage API can report their budgets and limits.
type consumerRegistry struct {
	mu   sync.Mutex
	list []limits.ConsumerLimits
}

func (r *consumerRegistry) add(cs []limits.ConsumerLimits) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, cs...)
}

func (r *consumerRegistry) all() []limits.ConsumerLimits {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]limits.ConsumerLimits(nil), r.list...)
}
