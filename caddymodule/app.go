// Package caddymodule is the Caddy glue of Sluice: the `ai_gateway` app (the
// global option block, for state shared by every site), the
// `http.handlers.ai_gateway` handler and its Caddyfile directive. It only
// turns configuration into a gateway.Gateway and hands it requests; the
// request pipeline itself lives in package gateway and knows nothing of Caddy.
package caddymodule

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/sluicegw/sluice/limits"
	"github.com/sluicegw/sluice/pricing"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(App{})
	httpcaddyfile.RegisterGlobalOption("ai_gateway", parseGlobalOption)
}

// App is the `ai_gateway` app: what every ai_gateway handler of a config
// shares: the price table and the store of rate limits, budgets and usage.
type App struct {
	// Prices is a JSON file of model prices laid over the built-in table:
	// {"model": {"input": 2.5, "output": 10, "cached_input": 1.25}}, in US
	// dollars per million tokens. Relative to Caddy's working directory.
	Prices string `json:"prices,omitempty"`

	// Store keeps rate limits, budgets and usage counters. Default: memory.
	Store *StoreConfig `json:"store,omitempty"`

	// OnStoreError is what calls of limited consumers get while the store
	// cannot be reached: fail_closed (default: a 503) or fail_open (they go
	// through unlimited). Either way the failure is logged and counted in
	// ai_gateway_store_errors_total, and the gateway uses the store again as
	// soon as it answers.
	OnStoreError string `json:"on_store_error,omitempty"`

	prices    *pricing.Table
	logger    *zap.Logger
	store     limits.Store
	storeKey  string
	consumers *consumerRegistry
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "ai_gateway", New: func() caddy.Module { return new(App) }}
}

// Provision sets the app up. Handlers may serve before Start runs (Caddy
// starts apps in random order), so everything they need is done here.
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	a.consumers = new(consumerRegistry)
	a.prices = pricing.Builtin()
	if a.Prices != "" {
		table, err := a.prices.WithFile(a.Prices)
		if err != nil {
			return err
		}
		a.prices = table
	}
	a.logger.Debug("price table loaded", zap.String("source", a.prices.Source))
	if a.OnStoreError != "" && a.OnStoreError != "fail_open" && a.OnStoreError != "fail_closed" {
		return fmt.Errorf("ai_gateway: on_store_error must be fail_open or fail_closed, not %q", a.OnStoreError)
	}
	store, key, err := openStore(a.Store, a.logger)
	if err != nil {
		return err
	}
	a.store, a.storeKey = store, key
	return nil
}

// Start makes this app the one the admin API reports on.
func (a *App) Start() error {
	currentApp.Store(a)
	return nil
}

// Stop implements caddy.App.
func (a *App) Stop() error {
	currentApp.CompareAndSwap(a, nil)
	return nil
}

// Cleanup lets go of the store; the last config to use it closes it (the
// memory store writes its state to disk then).
func (a *App) Cleanup() error {
	if a.storeKey == "" {
		return nil
	}
	_, err := stores.Delete(a.storeKey)
	a.storeKey = ""
	return err
}

// parseGlobalOption sets up the app from the global option block:
//
//	{
//		ai_gateway {
//			prices <file.json>
//			store memory|redis <url>     # default memory
//			on_store_error fail_closed|fail_open
//		}
//	}
func parseGlobalOption(d *caddyfile.Dispenser, existing any) (any, error) {
	app := new(App)
	d.Next() // the option name
	if existing != nil {
		return nil, d.Err("the ai_gateway global option may appear only once")
	}
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "prices":
			if app.Prices != "" {
				return nil, d.Err("prices is already set")
			}
			if !d.Args(&app.Prices) || d.NextArg() {
				return nil, d.ArgErr()
			}
		case "store":
			if app.Store != nil {
				return nil, d.Err("store is already set")
			}
			args := d.RemainingArgs()
			switch {
			case len(args) == 1 && args[0] == "memory":
				app.Store = &StoreConfig{Type: "memory"}
			case len(args) == 2 && args[0] == "redis":
				app.Store = &StoreConfig{Type: "redis", URL: args[1]}
			default:
				return nil, d.Err("store takes memory, or redis <url> (redis://[:password@]host:port/db)")
			}
		case "on_store_error":
			if app.OnStoreError != "" {
				return nil, d.Err("on_store_error is already set")
			}
			if !d.Args(&app.OnStoreError) || d.NextArg() {
				return nil, d.ArgErr()
			}
			if app.OnStoreError != "fail_open" && app.OnStoreError != "fail_closed" {
				return nil, d.Errf("on_store_error must be fail_open or fail_closed, not %q", app.OnStoreError)
			}
		default:
			return nil, d.Errf("unknown ai_gateway global option %q", d.Val())
		}
	}
	return httpcaddyfile.App{Name: "ai_gateway", Value: caddyconfig.JSON(app, nil)}, nil
}

var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
