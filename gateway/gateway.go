// Package gateway is Sluice's request pipeline: it takes an HTTP request in
// one of the APIs clients speak, decides which upstream serves it, calls that
// upstream, relays the answer (streamed event by event or whole), and reports
// what happened. It knows nothing of Caddy: the caddymodule package builds a
// Gateway from the Caddyfile and hands it requests.
package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/limits"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/pricing"
	"github.com/sluicegw/sluice/providers"
	"github.com/sluicegw/sluice/providers/mock"
	"github.com/sluicegw/sluice/providers/openai"
	"go.uber.org/zap"
)

// Gateway serves the AI endpoints of one site. It is safe for concurrent use
// and immutable once built; a config change builds a new one.
type Gateway struct {
	routes    *routeTable
	providers map[string]providers.Provider
	hooks     Hooks
	prices    *pricing.Table
	maxBody   int64
	log       *zap.Logger
	observer  Observer
	created   int64 // reported as each model's "created" in GET /v1/models

	guards        *guards        // nil: no guard block
	consumers     *consumerTable // nil: the gateway is open
	store         limits.Store   // nil: nothing is limited or counted
	failOpen      bool
	reserveOutput int
}

// New checks cfg and builds the gateway it describes.
func New(cfg Config) (*Gateway, error) {
	byName := make(map[string]providers.Provider, len(cfg.Providers))
	for _, pc := range cfg.Providers {
		if pc.Name == "" {
			return nil, fmt.Errorf("a provider has no name")
		}
		if _, dup := byName[pc.Name]; dup {
			return nil, fmt.Errorf("provider %s is declared twice", pc.Name)
		}
		p, err := newProvider(pc)
		if err != nil {
			return nil, err
		}
		byName[pc.Name] = p
	}
	prices := cfg.Prices
	if prices == nil {
		prices = pricing.Builtin()
	}
	routes, err := newRouteTable(cfg.Models, byName, cfg.Breakers.withDefaults(), prices)
	if err != nil {
		return nil, err
	}
	consumers, err := newConsumerTable(cfg.Consumers, cfg.ConsumerLabel)
	if err != nil {
		return nil, err
	}
	if consumers != nil && cfg.Store == nil {
		for _, c := range consumers.all {
			if c.limited {
				return nil, fmt.Errorf("consumer %s has limits or a budget, but the gateway has no store to keep them", c.name)
			}
		}
	}
	var gs *guards
	if cfg.Guards != nil {
		if gs, err = newGuards(*cfg.Guards); err != nil {
			return nil, err
		}
	}
	g := &Gateway{
		guards:        gs,
		consumers:     consumers,
		store:         cfg.Store,
		failOpen:      cfg.FailOpen,
		reserveOutput: cfg.ReserveOutputTokens,
		routes:        routes,
		providers:     byName,
		hooks:         cfg.Hooks,
		prices:        prices,
		maxBody:       cfg.MaxBody,
		log:           cfg.Logger,
		observer:      cfg.Observer,
		created:       time.Now().Unix(),
	}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxBody
	}
	if g.log == nil {
		g.log = zap.NewNop()
	}
	if g.reserveOutput <= 0 {
		g.reserveOutput = DefaultReserveOutput
	}
	metrics.Init()
	return g, nil
}

// newProvider builds one declared provider: the built-in mock here, every
// other type from the providers registry.
func newProvider(pc ProviderConfig) (providers.Provider, error) {
	switch pc.Type {
	case "mock":
		// The mock is an OpenAI upstream reached through an in-process
		// transport, so it exercises exactly the path a real one takes.
		return openai.New(openai.Config{
			Name: pc.Name, BaseURL: "http://mock.sluice.invalid/v1", APIKeys: pc.APIKeys, Headers: pc.Headers,
			Timeout: pc.Timeout, Transport: mock.New(pc.Mock),
		})
	case "":
		return nil, fmt.Errorf("provider %s has no type", pc.Name)
	default:
		return providers.New(providers.Config{
			Name: pc.Name, Type: pc.Type, BaseURL: pc.BaseURL, APIKeys: pc.APIKeys, Headers: pc.Headers, Timeout: pc.Timeout,
			APIVersion: pc.APIVersion, Region: pc.Region, AccessKeyID: pc.AccessKeyID, SecretAccessKey: pc.SecretAccessKey,
			SessionToken: pc.SessionToken,
		})
	}
}

// Endpoint paths, relative to where the handler is mounted. Each is also
// accepted without its /v1 prefix, for clients whose base URL omits it.
const (
	pathChat     = "/chat/completions"
	pathMessages = "/messages"
	pathResp     = "/responses"
	pathCount    = "/messages/count_tokens"
	pathEmbed    = "/embeddings"
	pathModels   = "/models"
)

// ServeHTTP serves r if its path is one of the gateway's endpoints and
// reports whether it did; for any other path it writes nothing and returns
// false, so the caller can hand r on.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) bool {
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	switch path {
	case pathChat:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, r, http.MethodPost)
			return true
		}
		g.serveEndpoint(w, r, apiChat)
	case pathMessages:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, r, http.MethodPost)
			return true
		}
		g.serveEndpoint(w, r, apiMessages)
	case pathResp:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, r, http.MethodPost)
			return true
		}
		g.serveEndpoint(w, r, apiResponses)
	case pathEmbed:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, r, http.MethodPost)
			return true
		}
		g.serveEmbeddings(w, r)
	case pathCount:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, r, http.MethodPost)
			return true
		}
		g.serveCountTokens(w, r)
	case pathModels:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, r, http.MethodGet)
			return true
		}
		g.serveModels(w, r)
	default:
		return false
	}
	return true
}

// serveEndpoint serves a call, counting it in flight.
func (g *Gateway) serveEndpoint(w http.ResponseWriter, r *http.Request, api clientAPI) {
	inFlight := metrics.InFlight.WithLabelValues(api.endpoint())
	inFlight.Inc()
	defer inFlight.Dec()
	g.serveCall(w, r, api)
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	shape := apierror.OpenAI
	if p := strings.TrimPrefix(r.URL.Path, "/v1"); p == pathMessages || p == pathCount {
		shape = apierror.Anthropic
	}
	apierror.Write(w, shape, apierror.MethodNotAllowed(r.Method, r.URL.Path, allow))
}
