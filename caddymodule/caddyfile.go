package caddymodule

import (
	"net/http"
	"path/filepath"
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
//			type openai|openai_compatible|mock
//			base_url <url>
//			api_key <key>              # may repeat: keys are used in turn
//			header <name> <value>      # may repeat
//			timeout <duration>
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
//		}
//		max_body <size>                # e.g. 8MB, 512KiB
//		script <path.lua|path.js> [{    # may repeat; run in the order written
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
		case "type", "base_url", "timeout", "chunk_delay", "latency", "chunks", "fail_after", "fail_status":
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
		return p, d.Errf("provider %s: type is required (openai, openai_compatible or mock)", p.Name)
	}
	if p.Type != "mock" {
		for _, word := range []string{"chunks", "chunk_delay", "latency", "fail_status", "fail_after"} {
			if seen[word] {
				return p, d.Errf("provider %s: %s applies to type mock only", p.Name, word)
			}
		}
		if p.BaseURL == "" {
			return p, d.Errf("provider %s: base_url is required for type %s", p.Name, p.Type)
		}
	}
	return p, nil
}

// setWord sets the provider word that takes one argument.
func (p *ProviderConfig) setWord(d *caddyfile.Dispenser, word, arg string) error {
	var err error
	switch word {
	case "type":
		switch arg {
		case "openai", "openai_compatible", "mock":
			p.Type = arg
		default:
			return d.Errf("provider %s: unknown type %q (known: openai, openai_compatible, mock)", p.Name, arg)
		}
	case "base_url":
		p.BaseURL = arg
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
		if ext := filepath.Ext(sc.Path); ext != ".lua" && ext != ".js" {
			return sc, d.Errf("script %s: the file name must end in .lua or .js (the extension picks the engine)", sc.Path)
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

// parseModel reads `model <name> { target <provider>/<model> [weight <n>] ... }`.
func parseModel(d *caddyfile.Dispenser) (ModelConfig, error) {
	var m ModelConfig
	if !d.Args(&m.Name) || d.NextArg() {
		return m, d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() != "target" {
			return m, d.Errf("model %s: unknown subdirective %q", m.Name, d.Val())
		}
		var ref string
		if !d.Args(&ref) {
			return m, d.ArgErr()
		}
		provider, model, ok := strings.Cut(ref, "/")
		if !ok || provider == "" || model == "" {
			return m, d.Errf("model %s: target %q must be <provider>/<model>", m.Name, ref)
		}
		t := TargetConfig{Provider: provider, Model: model}
		if d.NextArg() {
			if d.Val() != "weight" || !d.NextArg() {
				return m, d.Errf("model %s: after target %s only `weight <n>` may follow", m.Name, ref)
			}
			w, err := parseCount(d, "weight", d.Val(), 1, 1_000_000)
			if err != nil {
				return m, err
			}
			t.Weight = w
			if d.NextArg() {
				return m, d.ArgErr()
			}
		}
		if err := noBlock(d, "target"); err != nil {
			return m, err
		}
		m.Targets = append(m.Targets, t)
	}
	if len(m.Targets) == 0 {
		return m, d.Errf("model %s: at least one target is required", m.Name)
	}
	return m, nil
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
