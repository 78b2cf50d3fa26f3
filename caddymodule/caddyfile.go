package caddymodule

import (
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
)

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	handler := new(Handler)
	err := handler.UnmarshalCaddyfile(h.Dispenser)
	return handler, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ai_gateway [<matcher>] {
//		provider <name> {
//			type openai|openai_compatible|azure|anthropic|gemini|bedrock|mock
//			base_url <url>             # required for openai, openai_compatible, azure
//			api_key <key>              # may repeat: keys are used in turn
//			header <name> <value>      # may repeat
//			timeout <duration>
//			api_version <version>      # type azure only
//			region <aws-region>        # type bedrock only, as are the three below
//			access_key_id <id>
//			secret_access_key <secret>
//			session_token <token>
//
//			# type mock only
//			chunks <n>
//			chunk_delay <duration>
//			latency <duration>
//			fail_status <http-status>
//			fail_after <n>
//		}
//		model <name> {                 # <name> may hold * wildcards
//			target <provider>/<model> [weight <n>]   # may repeat; <model> may hold {model}
//			fallback <provider>/<model>              # may repeat; tried after the targets
//			strategy weighted|priority|least_busy|least_latency|least_cost
//			retries <n>
//			retry_on connect|timeout|429|5xx|<status> ...
//			timeout <duration>                       # per attempt
//			deadline <duration>                      # whole call
//			first_token_timeout <duration>           # streams
//			sticky consumer|client_ip|header <name>
//		}
//		consumer <name> {              # may repeat; once any is declared, keys are required
//			key <key>                  # may repeat; "Authorization: Bearer" or "x-api-key"
//			models <name>...           # may repeat; * wildcards; default: every model
//			limit requests|tokens <n>/<window> [model <name>]   # may repeat
//			budget <amount>usd/<period>                         # e.g. 25usd/1d
//			metadata <key> <value>     # may repeat; scripts see consumer.metadata
//		}
//		guard {
//			max_input_tokens <n>
//			max_output_tokens <n>      # clamps max_tokens
//			max_messages <n>
//			prompt_injection off|log|block [threshold <0..1>]
//			redact pii [redact|block|mask_and_restore] [EMAIL|PHONE|CARD|IBAN|ID|IP|SECRET ...]
//			deny prompt|answer <regexp>   # may repeat
//		}
//		reserve_output_tokens <n>      # admitted output when max_tokens is unset; default 4096
//		metrics_consumer_label name|none|metadata <key>   # default name
//		max_body <size>                # e.g. 8MB, 512KiB
//		script <path.lua|.js|.wasm> [{  # may repeat; run in the order written
//			timeout <duration>         # per hook call; default 50ms
//			on_error fail_closed|fail_open
//		}]
//		script lua|js <<EOF            # inline source
//			...
//			EOF
//		script lua|js {                # inline source with block words
//			source <<EOF
//				...
//				EOF
//			on_error fail_open
//		}
//	}
//
// The directive is ordered before reverse_proxy, so no `order` line is
// needed.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	seenMaxBody := false
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "provider":
			p, err := parseProvider(d)
			if err != nil {
				return err
			}
			for _, other := range h.Providers {
				if other.Name == p.Name {
					return d.Errf("provider %s is declared twice", p.Name)
				}
			}
			h.Providers = append(h.Providers, p)
		case "model":
			m, err := parseModel(d)
			if err != nil {
				return err
			}
			for _, other := range h.Models {
				if other.Name == m.Name {
					return d.Errf("model %s is declared twice", m.Name)
				}
			}
			h.Models = append(h.Models, m)
		case "script":
			sc, err := parseScript(d)
			if err != nil {
				return err
			}
			h.Scripts = append(h.Scripts, sc)
		case "consumer":
			c, err := parseConsumer(d)
			if err != nil {
				return err
			}
			for _, other := range h.Consumers {
				if other.Name == c.Name {
					return d.Errf("consumer %s is declared twice", c.Name)
				}
			}
			h.Consumers = append(h.Consumers, c)
		case "guard":
			if h.Guard != nil {
				return d.Err("guard is already set")
			}
			g, err := parseGuard(d)
			if err != nil {
				return err
			}
			h.Guard = g
		case "metrics_consumer_label":
			if h.MetricsConsumerLabel != "" {
				return d.Err("metrics_consumer_label is already set")
			}
			args := d.RemainingArgs()
			switch {
			case len(args) == 1 && (args[0] == "name" || args[0] == "none"):
				h.MetricsConsumerLabel = args[0]
			case len(args) == 2 && args[0] == "metadata":
				h.MetricsConsumerLabel = "metadata:" + args[1]
			default:
				return d.Err("metrics_consumer_label takes name, none or metadata <key>")
			}
			if err := noBlock(d, "metrics_consumer_label"); err != nil {
				return err
			}
		case "reserve_output_tokens":
			if h.ReserveOutputTokens != 0 {
				return d.Err("reserve_output_tokens is already set")
			}
			var arg string
			if !d.Args(&arg) || d.NextArg() {
				return d.ArgErr()
			}
			n, err := parseCount(d, "reserve_output_tokens", arg, 1, 10_000_000)
			if err != nil {
				return err
			}
			h.ReserveOutputTokens = n
			if err := noBlock(d, "reserve_output_tokens"); err != nil {
				return err
			}
		case "max_body":
			if seenMaxBody {
				return d.Err("max_body is already set")
			}
			seenMaxBody = true
			var arg string
			if !d.Args(&arg) || d.NextArg() {
				return d.ArgErr()
			}
			size, err := humanize.ParseBytes(arg)
			if err != nil || size == 0 || size > 1<<40 {
				return d.Errf("max_body %q is not a size such as 8MB or 512KiB", arg)
			}
			h.MaxBody = int64(size)
			if err := noBlock(d, "max_body"); err != nil {
				return err
			}
		default:
			return d.Errf("unknown ai_gateway subdirective %q", d.Val())
		}
	}
	return nil
}

// parseProvider reads `provider <name> { ... }`.
func parseProvider(d *caddyfile.Dispenser) (ProviderConfig, error) {
	var p ProviderConfig
	if !d.Args(&p.Name) || d.NextArg() {
		return p, d.ArgErr()
	}
	if strings.Contains(p.Name, "/") {
		return p, d.Errf("provider name %q must not hold a slash: targets are written <provider>/<model>", p.Name)
	}
	seen := map[string]bool{}
	once := func(word string) error {
		if seen[word] {
			return d.Errf("provider %s: %s is already set", p.Name, word)
		}
		seen[word] = true
		return nil
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		word := d.Val()
		switch word {
		case "api_key":
			var key string
			if !d.Args(&key) || d.NextArg() {
				return p, d.ArgErr()
			}
			p.APIKeys = append(p.APIKeys, key)
		case "header":
			var name, value string
			if !d.Args(&name, &value) || d.NextArg() {
				return p, d.ArgErr()
			}
			if p.Headers == nil {
				p.Headers = http.Header{}
			}
			p.Headers.Add(name, value)
		case "type", "base_url", "timeout", "chunk_delay", "latency", "chunks", "fail_after", "fail_status",
			"api_version", "region", "access_key_id", "secret_access_key", "session_token":
			if err := once(word); err != nil {
				return p, err
			}
			var arg string
			if !d.Args(&arg) || d.NextArg() {
				return p, d.ArgErr()
			}
			if err := p.setWord(d, word, arg); err != nil {
				return p, err
			}
		default:
			return p, d.Errf("provider %s: unknown subdirective %q", p.Name, word)
		}
		if err := noBlock(d, word); err != nil {
			return p, err
		}
	}
	if p.Type == "" {
		return p, d.Errf("provider %s: type is required (%s)", p.Name, strings.Join(providerTypes(), ", "))
	}
	for word, only := range typeOnlyWords {
		if seen[word] && p.Type != only {
			return p, d.Errf("provider %s: %s applies to type %s only", p.Name, word, only)
		}
	}
	if p.BaseURL == "" && baseURLRequired[p.Type] {
		return p, d.Errf("provider %s: base_url is required for type %s", p.Name, p.Type)
	}
	return p, nil
}

// setWord sets the provider word that takes one argument.
func (p *ProviderConfig) setWord(d *caddyfile.Dispenser, word, arg string) error {
	var err error
	switch word {
	case "type":
		if !slices.Contains(providerTypes(), arg) {
			return d.Errf("provider %s: unknown type %q (known: %s)", p.Name, arg, strings.Join(providerTypes(), ", "))
		}
		p.Type = arg
	case "base_url":
		p.BaseURL = arg
	case "api_version":
		p.APIVersion = arg
	case "region":
		p.Region = arg
	case "access_key_id":
		p.AccessKeyID = arg
	case "secret_access_key":
		p.SecretAccessKey = arg
	case "session_token":
		p.SessionToken = arg
	case "timeout":
		p.Timeout, err = parseDuration(d, word, arg)
	case "chunk_delay":
		p.ChunkDelay, err = parseDuration(d, word, arg)
	case "latency":
		p.Latency, err = parseDuration(d, word, arg)
	case "chunks":
		p.Chunks, err = parseCount(d, word, arg, 1, 1_000_000)
	case "fail_after":
		p.FailAfter, err = parseCount(d, word, arg, 1, 1_000_000)
	case "fail_status":
		p.FailStatus, err = parseCount(d, word, arg, 400, 599)
	}
	return err
}

// noBlock rejects a block opened after a word that takes none.
func noBlock(d *caddyfile.Dispenser, word string) error {
	if d.NextBlock(d.Nesting()) {
		return d.Errf("%s takes no block", word)
	}
	return nil
}

// parseScript reads `script <path> [{...}]` or `script <engine> <source> [{...}]`.
func parseScript(d *caddyfile.Dispenser) (ScriptConfig, error) {
	var sc ScriptConfig
	args := d.RemainingArgs()
	switch len(args) {
	case 1:
		if args[0] == "lua" || args[0] == "js" {
			sc.Engine = args[0] // source follows in the block
			break
		}
		sc.Path = args[0]
		if ext := filepath.Ext(sc.Path); ext != ".lua" && ext != ".js" && ext != ".wasm" {
			return sc, d.Errf("script %s: the file name must end in .lua, .js or .wasm (the extension picks the engine)", sc.Path)
		}
	case 2:
		sc.Engine, sc.Source = args[0], args[1]
		if sc.Engine != "lua" && sc.Engine != "js" {
			return sc, d.Errf("inline script: the language must be lua or js, not %q", sc.Engine)
		}
	default:
		return sc, d.Errf("script takes a file path, or a language (lua or js) and inline source (a heredoc)")
	}
	name := sc.Path
	if name == "" {
		name = "inline " + sc.Engine
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		word := d.Val()
		if seen[word] {
			return sc, d.Errf("script %s: %s is already set", name, word)
		}
		seen[word] = true
		var arg string
		if !d.Args(&arg) || d.NextArg() {
			return sc, d.ArgErr()
		}
		switch word {
		case "source":
			if sc.Path != "" || len(args) == 2 {
				return sc, d.Errf("script %s: source is only for `script lua|js { source ... }`", name)
			}
			sc.Source = arg
		case "timeout":
			dur, err := parseDuration(d, word, arg)
			if err != nil {
				return sc, err
			}
			if dur == 0 {
				return sc, d.Errf("script %s: timeout must be more than 0", name)
			}
			sc.Timeout = dur
		case "on_error":
			if arg != "fail_closed" && arg != "fail_open" {
				return sc, d.Errf("script %s: on_error must be fail_closed or fail_open, not %q", name, arg)
			}
			sc.OnError = arg
		default:
			return sc, d.Errf("script %s: unknown subdirective %q", name, word)
		}
		if err := noBlock(d, word); err != nil {
			return sc, err
		}
	}
	if sc.Engine != "" && sc.Source == "" {
		return sc, d.Errf("inline %s script: no source (write `script %s <<EOF` or a `source` line in its block)", sc.Engine, sc.Engine)
	}
	return sc, nil
}

// parseModel reads `model <name> { ... }`.
func parseModel(d *caddyfile.Dispenser) (ModelConfig, error) {
	var m ModelConfig
	if !d.Args(&m.Name) || d.NextArg() {
		return m, d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		word := d.Val()
		if word != "target" && word != "fallback" {
			if seen[word] {
				return m, d.Errf("model %s: %s is already set", m.Name, word)
			}
			seen[word] = true
		}
		args := d.RemainingArgs()
		one := func() (string, error) {
			if len(args) != 1 {
				return "", d.ArgErr()
			}
			return args[0], nil
		}
		var err error
		var arg string
		switch word {
		case "target", "fallback":
			var t TargetConfig
			if t, err = parseTargetRef(d, m.Name, word, args); err == nil {
				if word == "target" {
					m.Targets = append(m.Targets, t)
				} else {
					m.Fallbacks = append(m.Fallbacks, t)
				}
			}
		case "strategy":
			if arg, err = one(); err == nil {
				switch arg {
				case "weighted", "priority", "least_busy", "least_latency", "least_cost":
					m.Strategy = arg
				default:
					err = d.Errf("model %s: unknown strategy %q (known: weighted, priority, least_busy, least_latency, least_cost)", m.Name, arg)
				}
			}
		case "retries":
			if arg, err = one(); err == nil {
				var n int
				if n, err = parseCount(d, word, arg, 0, 100); err == nil {
					m.Retries = &n
				}
			}
		case "retry_on":
			if len(args) == 0 {
				return m, d.ArgErr()
			}
			for _, a := range args {
				if code, cerr := strconv.Atoi(a); a != "connect" && a != "timeout" && a != "429" && a != "5xx" && (cerr != nil || code < 400 || code > 599) {
					return m, d.Errf("model %s: retry_on %q is not connect, timeout, 429, 5xx or a status from 400 to 599", m.Name, a)
				}
			}
			m.RetryOn = args
		case "timeout", "deadline", "first_token_timeout":
			if arg, err = one(); err == nil {
				var dur caddy.Duration
				if dur, err = parseDuration(d, word, arg); err == nil {
					switch word {
					case "timeout":
						m.Timeout = dur
					case "deadline":
						m.Deadline = dur
					default:
						m.FirstTokenTimeout = dur
					}
				}
			}
		case "sticky":
			switch {
			case len(args) == 1 && (args[0] == "consumer" || args[0] == "client_ip"):
				m.Sticky = args[0]
			case len(args) == 2 && args[0] == "header":
				m.Sticky = args[1]
			default:
				err = d.Errf("model %s: sticky takes consumer, client_ip or header <name>", m.Name)
			}
		default:
			return m, d.Errf("model %s: unknown subdirective %q", m.Name, word)
		}
		if err != nil {
			return m, err
		}
		if err := noBlock(d, word); err != nil {
			return m, err
		}
	}
	if len(m.Targets) == 0 {
		return m, d.Errf("model %s: at least one target is required", m.Name)
	}
	return m, nil
}

// parseTargetRef reads `<provider>/<model> [weight <n>]` (weight for targets
// only).
func parseTargetRef(d *caddyfile.Dispenser, model, word string, args []string) (TargetConfig, error) {
	var t TargetConfig
	if len(args) == 0 {
		return t, d.ArgErr()
	}
	ref := args[0]
	provider, name, ok := strings.Cut(ref, "/")
	if !ok || provider == "" || name == "" {
		return t, d.Errf("model %s: %s %q must be <provider>/<model>", model, word, ref)
	}
	t = TargetConfig{Provider: provider, Model: name}
	switch {
	case len(args) == 1:
	case word == "target" && len(args) == 3 && args[1] == "weight":
		w, err := parseCount(d, "weight", args[2], 1, 1_000_000)
		if err != nil {
			return t, err
		}
		t.Weight = w
	case word == "target":
		return t, d.Errf("model %s: after target %s only `weight <n>` may follow", model, ref)
	default:
		return t, d.Errf("model %s: a fallback takes no weight", model)
	}
	return t, nil
}

func parseDuration(d *caddyfile.Dispenser, word, arg string) (caddy.Duration, error) {
	dur, err := caddy.ParseDuration(arg)
	if err != nil || dur < 0 {
		return 0, d.Errf("%s %q is not a duration such as 30s or 1m", word, arg)
	}
	return caddy.Duration(dur), nil
}

func parseCount(d *caddyfile.Dispenser, word, arg string, min, max int) (int, error) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < min || n > max {
		return 0, d.Errf("%s %q must be a whole number from %d to %d", word, arg, min, max)
	}
	return n, nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
