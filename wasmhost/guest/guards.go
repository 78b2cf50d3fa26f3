package guest

import "github.com/sluicegw/sluice/wasmhost/internal/wire"

// The gateway's guards, as scripts have them in gw.detect_injection and
// gw.redact: the same detector and redactor, with the same defaults, run by
// the host (a plugin does not carry their patterns).

// Injection is the prompt-injection detector's verdict on a text.
type Injection struct {
	// Injection is Score at or over the detector's default threshold.
	Injection bool
	// Score in [0, 1]: how strongly the text reads as an injection.
	Score float64
	// Signals name what the detector saw, e.g. "override" or "exfiltrate".
	Signals []string
}

// DetectInjection scores text as a prompt: gw.detect_injection(text).
func DetectInjection(text string) Injection { return detectInjection(text, 0) }

// DetectToolInjection scores text as a tool result or retrieved content,
// stricter on text addressed to the assistant (indirect injection):
// gw.detect_injection(text, "tool").
func DetectToolInjection(text string) Injection { return detectInjection(text, 1) }

func detectInjection(text string, tool int32) Injection {
	out := callForResult(256, func(buf []byte) int { return hostDetectInjection(text, tool, buf) })
	var v Injection
	r := &registry.guardReader
	r.Reset(out)
	if r.BeginObject() {
		for r.More() {
			switch string(r.Key()) {
			case "injection":
				v.Injection = r.Bool()
			case "score":
				v.Score = r.Float()
			case "signals":
				v.Signals = readStrings(r)
			default:
				r.Skip()
			}
		}
	}
	mustRead(r, "sluice.detect_injection")
	return v
}

// Redact returns text with e-mails, phone numbers, card numbers, IBANs,
// national IDs, IP addresses and secrets replaced by [EMAIL], [PHONE],
// [CARD], [IBAN], [ID], [IP] and [SECRET], and the kind of each match in
// order (nil when there was none): gw.redact(text).
func Redact(text string) (string, []string) {
	out := callForResult(len(text)+len(text)/8+64, func(buf []byte) int { return hostRedact(text, buf) })
	var redacted string
	var kinds []string
	r := &registry.guardReader
	r.Reset(out)
	if r.BeginObject() {
		for r.More() {
			switch string(r.Key()) {
			case "text":
				redacted = r.String()
			case "kinds":
				kinds = readStrings(r)
			default:
				r.Skip()
			}
		}
	}
	mustRead(r, "sluice.redact")
	if len(kinds) == 0 {
		return text, nil
	}
	return redacted, kinds
}

// callForResult calls a host function that writes its result into buf
// when it fits and returns its length, with a buffer of at least size
// bytes (reused from call to call), and again with a larger one when the
// result did not fit. The result is valid until the next call.
func callForResult(size int, call func(buf []byte) int) []byte {
	if cap(registry.guardOut) < size {
		registry.guardOut = make([]byte, size)
	}
	buf := registry.guardOut[:cap(registry.guardOut)]
	n := call(buf)
	if n > len(buf) {
		registry.guardOut = make([]byte, n)
		buf = registry.guardOut
		n = call(buf)
	}
	return buf[:n]
}

func readStrings(r *wire.Reader) []string {
	if r.Null() || !r.BeginArray() {
		return nil
	}
	var out []string
	for r.More() {
		out = append(out, r.String())
	}
	return out
}

// mustRead panics when the host's result was not what the ABI says: the
// hook then fails with an error that names the host function.
func mustRead(r *wire.Reader, fn string) {
	if err := r.End(); err != nil {
		panic(fn + ": unreadable result: " + err.Error())
	}
}
