package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/sluicegw/sluice/metrics"
)

func init() {
	caddy.RegisterModule(adminUsage{})
}

// adminUsage serves GET /ai_gateway/usage on Caddy's admin listener (never
// on a site): per consumer and model, the requests, tokens and cost counted
// since the store was created, with each consumer's remaining budget and
// limits now. Calls from sites without consumers count as "anonymous".
type adminUsage struct{}

// CaddyModule returns the Caddy module information.
func (adminUsage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.ai_gateway", New: func() caddy.Module { return new(adminUsage) }}
}

// Routes implements caddy.AdminRouter.
func (adminUsage) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/ai_gateway/usage", Handler: caddy.AdminHandlerFunc(serveUsage)}}
}

func serveUsage(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed; use GET", r.Method)}
	}
	app := currentApp.Load()
	if app == nil || app.store == nil {
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: fmt.Errorf("no ai_gateway is running")}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	report, err := app.store.Usage(ctx, app.consumers.all())
	if err != nil {
		metrics.StoreErrors.WithLabelValues("usage").Inc()
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: fmt.Errorf("reading usage from the store: %v", err)}
	}
	body, err := json.Marshal(report)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(body)
	return err
}

var _ caddy.AdminRouter = adminUsage{}
