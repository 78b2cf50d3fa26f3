package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/sluicegw/sluice/gateway"
)

// GuardConfig is the site's `guard` block: local checks on prompts and
// answers, run before any script and any upstream call. See docs/guards.md.
type GuardConfig struct {
	// MaxInputTokens refuses prompts over this many tokens (counted with the
	// o200k_base tokenizer and OpenAI's chat framing) with a 400
	// context_length_exceeded.
	MaxInputTokens int `json:"max_input_tokens,omitempty"`

	// MaxOutputTokens clamps max_tokens / max_completion_tokens: a call
	// asking for more, or for nothing, is sent with this cap.
	MaxOutputTokens int `json:"max_output_tokens,omitempty"`

	// MaxMessages refuses conversations with more messages (400
	// context_length_exceeded).
	MaxMessages int `json:"max_messages,omitempty"`

	// PromptInjection is off (default), log or block (400 content_blocked).
	PromptInjection string `json:"prompt_injection,omitempty"`

	// InjectionThreshold is the score (0 to 1) from which a text counts as
	// an injection. Default: 0.7.
	InjectionThreshold float64 `json:"injection_threshold,omitempty"`

	// PII is redact, block or mask_and_restore; empty: off.
	PII string `json:"pii,omitempty"`

	// PIIKinds restricts PII detection to these kinds (EMAIL, PHONE, CARD,
	// IBAN, ID, IP, SECRET). Default: all.
	PIIKinds []string `json:"pii_kinds,omitempty"`

	// DenyPrompt are regular expressions (case-insensitive) that refuse a
	// prompt that matches: 400 content_blocked naming the rule
	// (deny_prompt_<n>, counted from 0).
	DenyPrompt []string `json:"deny_prompt,omitempty"`

	// DenyAnswer are regular expressions that refuse (or, for a stream, cut
	// with an error event) an answer that matches.
	DenyAnswer []string `json:"deny_answer,omitempty"`
}

func (g *GuardConfig) gateway() *gateway.GuardConfig {
	if g == nil {
		return nil
	}
	return &gateway.GuardConfig{
		MaxInputTokens: g.MaxInputTokens, MaxOutputTokens: g.MaxOutputTokens, MaxMessages: g.MaxMessages,
		PromptInjection: g.PromptInjection, InjectionThreshold: g.InjectionThreshold,
		PII: g.PII, PIIKinds: g.PIIKinds, DenyPrompt: g.DenyPrompt, DenyAnswer: g.DenyAnswer,
	}
}

// parseGuard reads `guard { ... }`.
func parseGuard(d *caddyfile.Dispenser) (*GuardConfig, error) {
	g := new(GuardConfig)
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		word := d.Val()
		args := d.RemainingArgs()
		if word != "deny" {
			if seen[word] {
				return nil, d.Errf("guard: %s is already set", word)
			}
			seen[word] = true
		}
		count := func(max int) (int, error) {
			if len(args) != 1 {
				return 0, d.ArgErr()
			}
			return parseCount(d, word, args[0], 1, max)
		}
		var err error
		switch word {
		case "max_input_tokens":
			g.MaxInputTokens, err = count(100_000_000)
		case "max_output_tokens":
			g.MaxOutputTokens, err = count(100_000_000)
		case "max_messages":
			g.MaxMessages, err = count(1_000_000)
		case "prompt_injection":
			switch {
			case len(args) >= 1 && len(args) <= 3 && (args[0] == "off" || args[0] == "log" || args[0] == "block"):
				g.PromptInjection = args[0]
				if len(args) > 1 {
					if len(args) != 3 || args[1] != "threshold" {
						return nil, d.Errf("guard: prompt_injection %s takes only `threshold <0..1>` after it", args[0])
					}
					t, perr := strconv.ParseFloat(args[2], 64)
					if perr != nil || t <= 0 || t > 1 {
						return nil, d.Errf("guard: prompt_injection threshold %q must be a number above 0 and at most 1", args[2])
					}
					g.InjectionThreshold = t
				}
			default:
				return nil, d.Errf("guard: prompt_injection takes off, log or block [threshold <0..1>]")
			}
		case "redact":
			if len(args) == 0 || args[0] != "pii" {
				return nil, d.Errf("guard: redact takes pii [redact|block|mask_and_restore] [<kind>...]")
			}
			g.PII = "redact"
			rest := args[1:]
			if len(rest) > 0 && (rest[0] == "redact" || rest[0] == "block" || rest[0] == "mask_and_restore") {
				g.PII, rest = rest[0], rest[1:]
			}
			for _, k := range rest {
				switch k {
				case "EMAIL", "PHONE", "CARD", "IBAN", "ID", "IP", "SECRET":
					g.PIIKinds = append(g.PIIKinds, k)
				default:
					return nil, d.Errf("guard: redact pii: %q is not a mode (redact, block, mask_and_restore) or a kind (EMAIL, PHONE, CARD, IBAN, ID, IP, SECRET)", k)
				}
			}
		case "deny":
			if len(args) != 2 || (args[0] != "prompt" && args[0] != "answer") {
				return nil, d.Errf("guard: deny takes prompt|answer <regexp>")
			}
			if args[0] == "prompt" {
				g.DenyPrompt = append(g.DenyPrompt, args[1])
			} else {
				g.DenyAnswer = append(g.DenyAnswer, args[1])
			}
		default:
			return nil, d.Errf("guard: unknown subdirective %q", word)
		}
		if err != nil {
			return nil, err
		}
		if err := noBlock(d, word); err != nil {
			return nil, err
		}
	}
	return g, nil
}
