package caddymodule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/sluicegw/sluice/gateway"
	"github.com/sluicegw/sluice/limits"
)

// ConsumerConfig declares one caller of the site: once any consumer is
// declared, every call must carry one of their keys (as "Authorization:
// Bearer KEY" or "x-api-key: KEY"); a missing or unknown key gets a 401, a
// model outside the consumer's models a 403.
type ConsumerConfig struct {
	// Name identifies the consumer in metrics, logs, the usage API and
	// scripts (consumer.name).
	Name string `json:"name"`

	// Keys are the consumer's virtual keys. Placeholders such as
	// {env.TEAM_A_KEY} are replaced at load time; a key that is empty after
	// replacement is an error. Keys are kept only as SHA-256 digests and
	// never logged.
	Keys []string `json:"keys"`

	// Models are the public model names the consumer may ask for; `*`
	// matches any run of characters. Default: every model.
	Models []string `json:"models,omitempty"`

	// Limits are the consumer's rate limits, checked before each call.
	Limits []LimitConfig `json:"limits,omitempty"`

	// Budget caps what the consumer's calls may cost per period.
	Budget *BudgetConfig `json:"budget,omitempty"`

	// Metadata is handed to scripts as consumer.metadata.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// LimitConfig is one rate limit: Limit requests or tokens per Window.
type LimitConfig struct {
	// Kind is requests or tokens.
	Kind string `json:"kind"`
	// Limit is how many requests or tokens a Window allows.
	Limit int64 `json:"limit"`
	// Window is the period the limit is spread over (GCRA: capacity comes
	// back continuously, Limit per Window).
	Window caddy.Duration `json:"window"`
	// Model, when set, limits only calls for matching public model names
	// (`*` wildcards), each limit counted on its own.
	Model string `json:"model,omitempty"`
}

// BudgetConfig is a money cap: AmountUSD per Period, windows aligned to the
// Unix epoch (a 1d budget renews at 00:00 UTC).
type BudgetConfig struct {
	AmountUSD float64        `json:"amount_usd"`
	Period    caddy.Duration `json:"period"`
}

// gatewayConsumers turns the declared consumers into the gateway's, with
// placeholders in keys and metadata replaced.
func gatewayConsumers(cs []ConsumerConfig, repl *caddy.Replacer) ([]gateway.ConsumerConfig, error) {
	out := make([]gateway.ConsumerConfig, 0, len(cs))
	for _, c := range cs {
		gc := gateway.ConsumerConfig{Name: c.Name, Models: c.Models}
		for i, k := range c.Keys {
			k = repl.ReplaceKnown(k, "")
			if k == "" {
				return nil, fmt.Errorf("consumer %s: key %d is empty after placeholder replacement (an unset environment variable?)", c.Name, i+1)
			}
			gc.Keys = append(gc.Keys, k)
		}
		for _, l := range c.Limits {
			kind := limits.Kind(l.Kind)
			if kind != limits.Requests && kind != limits.Tokens {
				return nil, fmt.Errorf("consumer %s: limit kind %q is not requests or tokens", c.Name, l.Kind)
			}
			gc.Rules = append(gc.Rules, limits.Rule{Kind: kind, Limit: l.Limit, Window: time.Duration(l.Window), Model: l.Model})
		}
		if c.Budget != nil {
			gc.Budget = &limits.Budget{AmountUSD: c.Budget.AmountUSD, Period: time.Duration(c.Budget.Period)}
		}
		if len(c.Metadata) > 0 {
			gc.Metadata = make(map[string]string, len(c.Metadata))
			for k, v := range c.Metadata {
				gc.Metadata[k] = repl.ReplaceKnown(v, "")
			}
		}
		out = append(out, gc)
	}
	return out, nil
}

// parseConsumer reads `consumer <name> { ... }`.
func parseConsumer(d *caddyfile.Dispenser) (ConsumerConfig, error) {
	var c ConsumerConfig
	if !d.Args(&c.Name) || d.NextArg() {
		return c, d.ArgErr()
	}
	hasBudget := false
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		word := d.Val()
		args := d.RemainingArgs()
		switch word {
		case "key":
			if len(args) != 1 {
				return c, d.Errf("consumer %s: key takes exactly one key", c.Name)
			}
			c.Keys = append(c.Keys, args[0])
		case "models":
			if len(args) == 0 {
				return c, d.Errf("consumer %s: models takes one or more model names", c.Name)
			}
			c.Models = append(c.Models, args...)
		case "limit":
			l, err := parseLimit(d, c.Name, args)
			if err != nil {
				return c, err
			}
			c.Limits = append(c.Limits, l)
		case "budget":
			if hasBudget {
				return c, d.Errf("consumer %s: budget is already set", c.Name)
			}
			hasBudget = true
			if len(args) != 1 {
				return c, d.Errf("consumer %s: budget takes one AMOUNTusd/PERIOD, such as 25usd/1d", c.Name)
			}
			b, err := parseBudget(args[0])
			if err != nil {
				return c, d.Errf("consumer %s: %v", c.Name, err)
			}
			c.Budget = b
		case "metadata":
			if len(args) != 2 {
				return c, d.Errf("consumer %s: metadata takes a key and a value", c.Name)
			}
			if c.Metadata == nil {
				c.Metadata = map[string]string{}
			}
			c.Metadata[args[0]] = args[1]
		default:
			return c, d.Errf("consumer %s: unknown subdirective %q", c.Name, word)
		}
		if err := noBlock(d, word); err != nil {
			return c, err
		}
	}
	if len(c.Keys) == 0 {
		return c, d.Errf("consumer %s: at least one key is required", c.Name)
	}
	return c, nil
}

// parseLimit reads `limit requests|tokens <n>/<window> [model <pattern>]`.
func parseLimit(d *caddyfile.Dispenser, consumer string, args []string) (LimitConfig, error) {
	var l LimitConfig
	if len(args) != 2 && !(len(args) == 4 && args[2] == "model") {
		return l, d.Errf("consumer %s: limit takes requests|tokens <n>/<window> [model <name>]", consumer)
	}
	if args[0] != "requests" && args[0] != "tokens" {
		return l, d.Errf("consumer %s: limit %q: the kind is requests or tokens", consumer, args[0])
	}
	l.Kind = args[0]
	n, window, ok := strings.Cut(args[1], "/")
	count, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || count <= 0 {
		return l, d.Errf("consumer %s: limit %s %q must be <n>/<window> with n a positive whole number, such as 1000/1m", consumer, args[0], args[1])
	}
	dur, err := caddy.ParseDuration(window)
	if err != nil || dur <= 0 {
		return l, d.Errf("consumer %s: limit %s %q: the window must be a duration such as 1s, 1m, 1h or 1d", consumer, args[0], args[1])
	}
	l.Limit, l.Window = count, caddy.Duration(dur)
	if len(args) == 4 {
		l.Model = args[3]
	}
	return l, nil
}

// parseBudget reads AMOUNTusd/PERIOD, such as 25usd/1d or 0.5usd/1h.
func parseBudget(arg string) (*BudgetConfig, error) {
	amount, period, ok := strings.Cut(arg, "/")
	lower := strings.ToLower(amount)
	if !ok || !strings.HasSuffix(lower, "usd") {
		return nil, fmt.Errorf("budget %q must be AMOUNTusd/PERIOD, such as 25usd/1d", arg)
	}
	usd, err := strconv.ParseFloat(strings.TrimSuffix(lower, "usd"), 64)
	if err != nil || usd <= 0 || usd > 1e9 {
		return nil, fmt.Errorf("budget %q: the amount must be a positive number of US dollars", arg)
	}
	dur, err := caddy.ParseDuration(period)
	if err != nil || dur <= 0 {
		return nil, fmt.Errorf("budget %q: the period must be a duration such as 1h, 1d or 30d", arg)
	}
	return &BudgetConfig{AmountUSD: usd, Period: caddy.Duration(dur)}, nil
}
