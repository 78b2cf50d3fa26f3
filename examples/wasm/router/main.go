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
	"bytes"

	"github.com/sluicegw/sluice/wasmhost/guest"
)

const (
	cheap  = "mock/cheap-1"
	strong = "mock/strong-1"
	canary = "mock/canary-1"
	stable = "mock/stable-1"
)

var keywords = [][]byte{[]byte("prove"), []byte("step by step"), []byte("analyse"), []byte("analyze"), []byte("debug"), []byte("architecture")}

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

// The answers, made once: the SDK copies a route out before the next
// call, so they can be shared.
var (
	toStrong        = []string{strong}
	cheapThenStrong = []string{cheap, strong} // the strong one if the cheap one fails
	toCanary        = []string{canary}
	toStable        = []string{stable}
)

func byPrompt(req *guest.Request) []string {
	if req.EstimatedInputTokens > 1000 || asksForReasoning(req) {
		return toStrong
	}
	return cheapThenStrong
}

// byConsumer sends the same 10 % of consumers to the canary every time:
// guest.Hash is stable, and equal to gw.hash in Lua and JavaScript.
func byConsumer(req *guest.Request) []string {
	key := req.Consumer.Name
	if key == "" {
		key = req.ClientIP
	}
	if guest.Hash(key)%100 < 10 {
		return toCanary
	}
	return toStable
}

// asksForReasoning reports whether the system prompt or a message's text
// holds one of the keywords, in any case. Each text is checked on its own
// (no keyword spans a line break, so this is the same as checking them
// joined, as the Lua example does) in a buffer reused from call to call:
// an instance runs one call at a time, and allocating is slow inside
// WebAssembly.
func asksForReasoning(req *guest.Request) bool {
	if mentionsKeyword(req.System) {
		return true
	}
	for _, m := range req.Messages {
		if mentionsKeyword(m.Content) {
			return true
		}
		for _, p := range m.Parts {
			if p.Type == "text" && mentionsKeyword(p.Text) {
				return true
			}
		}
	}
	return false
}

var lower []byte

func mentionsKeyword(text string) bool {
	lower = lower[:0]
	for i := 0; i < len(text); i++ {
		c := text[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	for _, word := range keywords {
		if bytes.Contains(lower, word) {
			return true
		}
	}
	return false
}
