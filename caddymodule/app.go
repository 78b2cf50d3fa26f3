// Package caddymodule is the Caddy glue of Sluice: the `ai_gateway` app (the
// global option block, for state shared by every site), the
// `http.handlers.ai_gateway` handler and its Caddyfile directive. It only
// turns configuration into a gateway.Gateway and hands it requests; the
// request pipeline itself lives in package gateway and knows nothing of Caddy.
package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/sluicegw/sluice/pricing"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(App{})
	httpcaddyfile.RegisterGlobalOption("ai_gateway", parseGlobalOption)
}

// App is the `ai_gateway` app: what every ai_gateway handler of a config
// shares. It holds the price table (and will hold the shared store).
type App struct {
	// Prices is a JSON file of model prices laid over the built-in table:
	// {"model": {"input": 2.5, "output": 10, "cached_input": 1.25}}, in US
	// dollars per million tokens. Relative to Caddy's working directory.
	Prices string `json:"prices,omitempty"`

	prices *pricing.Table
	logger *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "ai_gateway", New: func() caddy.Module { return new(App) }}
}

// Provision sets the app up. Handlers may serve before Start runs (Caddy
// starts apps in random order), so everything they need is done here.
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	a.prices = pricing.Builtin()
	if a.Prices != "" {
		table, err := a.prices.WithFile(a.Prices)
		if err != nil {
			return err
		}
		a.prices = table
	}
	a.logger.Debug("price table loaded", zap.String("source", a.prices.Source))
	return nil
}

// Start implements caddy.App.
func (a *App) Start() error { return nil }

// Stop implements caddy.App.
func (a *App) Stop() error { return nil }

// parseGlobalOption sets up the app from the global option block:
//
//	{
//		ai_gateway {
//			prices <file.json>
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
		default:
			return nil, d.Errf("unknown ai_gateway global option %q", d.Val())
		}
	}
	return httpcaddyfile.App{Name: "ai_gateway", Value: caddyconfig.JSON(app, nil)}, nil
}

var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
)
