// Command guard is a Sluice plugin in Go that guards calls with the
// gateway's own detectors, as a script does with gw.detect_injection and
// gw.redact:
//
//   - on_request refuses (400) a call whose user messages read as a prompt
//     injection, and one whose tool results read as an indirect one;
//   - on_response redacts e-mails, phone numbers, card numbers, IBANs,
//     national IDs, IP addresses and secrets in a whole answer, and logs
//     the kinds it found.
//
// The guard block does both without a plugin (guard { prompt_injection
// block; redact pii }); a plugin is for rules of your own around them, such
// as refusing only some consumers, or scoring only some messages.
//
// Build it (any Go 1.24 or later):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o guard.wasm .
package main

import (
	"strings"

	"github.com/sluicegw/sluice/wasmhost/guest"
)

// A plugin registers its hooks in init: main is never run.
func main() {}

func init() {
	guest.OnRequest(refuseInjections, guest.FieldMessages)
	guest.OnResponse(redactAnswer, guest.NoFields)
}

func refuseInjections(req *guest.Request) error {
	for _, m := range req.Messages {
		switch m.Role {
		case "user":
			if v := guest.DetectInjection(text(m)); v.Injection {
				return guest.Deny(400, "the prompt reads as an injection ("+strings.Join(v.Signals, ", ")+")")
			}
		case "tool":
			if v := guest.DetectToolInjection(text(m)); v.Injection {
				return guest.Deny(400, "a tool result reads as an injection ("+strings.Join(v.Signals, ", ")+")")
			}
		}
	}
	return nil
}

func redactAnswer(_ *guest.Request, res *guest.Response) error {
	redacted, kinds := guest.Redact(res.Content)
	if kinds != nil {
		res.Content = redacted
		guest.Log(guest.LevelInfo, "redacted "+strings.Join(kinds, ", ")+" in an answer")
	}
	return nil
}

// text is a message's text: its content, or its text parts.
func text(m guest.Message) string {
	if m.Parts == nil {
		return m.Content
	}
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
