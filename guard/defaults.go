package guard

import "sync"

// The guards every script's gw.detect_injection and gw.redact use, in Lua,
// JavaScript and WebAssembly alike: the injection detector at its default
// threshold, and a redactor of every kind with the fixed masks. A script
// that needs other settings uses the guard block instead.
var (
	defaultDetector = sync.OnceValue(func() *InjectionDetector {
		return NewInjectionDetector(InjectionOptions{})
	})
	defaultRedactor = sync.OnceValue(func() *Redactor {
		r, err := NewRedactor(RedactOptions{})
		if err != nil {
			panic("guard: the default redactor: " + err.Error())
		}
		return r
	})
)

// DetectInjection is gw.detect_injection(text [, "tool"]): the default
// detector's verdict on text, scored as a prompt, or with tool as a tool
// result or retrieved content (indirect injection).
func DetectInjection(text string, tool bool) InjectionResult {
	if tool {
		return defaultDetector().ScoreToolResult(text)
	}
	return defaultDetector().Score(text)
}

// RedactText is gw.redact(text): text with personal data and secrets
// replaced by [EMAIL], [PHONE], [CARD], [IBAN], [ID], [IP] and [SECRET],
// and the kinds found, in order, one entry per match.
func RedactText(text string) (string, []string) {
	out, ms := defaultRedactor().Redact(text)
	kinds := make([]string, 0, len(ms))
	for _, m := range ms {
		kinds = append(kinds, string(m.Kind))
	}
	return out, kinds
}
