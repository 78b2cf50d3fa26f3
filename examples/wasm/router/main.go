// Command router is a Sluice plugin in Go: it routes by prompt, like
// examples/scripts/route_by_prompt.lua, and splits a canary by consumer,
// like examples/scripts/canary.lua.
//
//   - model "auto": short, simple prompts go to a cheap model (with the
//     strong one as fallback); long ones, or ones that ask for reasoning,
//     to a strong one.
//   - model "chat": 10 % of consumers (the same ones every time) go to a
//     canary model; anonymous callers are split by client address.
//   - every other model is routed by the config.
//
// Build it (any Go 1.24 or later):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o router.wasm .
package main

import (
	"strings"

	"github.com/sluicegw/sluice/wasmhost/guest"
)

const (
	cheap  = "mock/cheap-1"
	strong = "mock/strong-1"
	canary = "mock/canary-1"
	stable = "mock/stable-1"
)

var keywords = []string{"prove", "step by step", "analyse", "analyze", "debug", "architecture"}

// A plugin registers its hooks in init: main is never run.
func main() {}

func init() {
	// route reads only these fields: the host sends nothing else.
	guest.Route(route, guest.FieldModel, guest.FieldSystem, guest.FieldMessages,
		guest.FieldConsumer, guest.FieldClientIP, guest.FieldEstimatedInputTokens)
}

func route(req *guest.Request) ([]string, error) {
	switch req.Model {
	case "auto":
		return byPrompt(req), nil
	case "chat":
		return byConsumer(req), nil
	}
	return nil, nil
}

func byPrompt(req *guest.Request) []string {
	if req.EstimatedInputTokens > 1000 {
		return []string{strong}
	}
	text := strings.ToLower(promptText(req))
	for _, word := range keywords {
		if strings.Contains(text, word) {
			return []string{strong}
		}
	}
	// The cheap model first; the strong one if the cheap one fails.
	return []string{cheap, strong}
}

// byConsumer sends the same 10 % of consumers to the canary every time:
// guest.Hash is stable, and equal to gw.hash in Lua and JavaScript.
func byConsumer(req *guest.Request) []string {
	key := req.Consumer.Name
	if key == "" {
		key = req.ClientIP
	}
	if guest.Hash(key)%100 < 10 {
		return []string{canary}
	}
	return []string{stable}
}

// promptText is the system prompt and the text of every message.
func promptText(req *guest.Request) string {
	var b strings.Builder
	b.WriteString(req.System)
	for _, m := range req.Messages {
		b.WriteByte('\n')
		b.WriteString(m.Content)
		for _, p := range m.Parts {
			if p.Type == "text" {
				b.WriteByte('\n')
				b.WriteString(p.Text)
			}
		}
	}
	return b.String()
}
