package guard

import (
	"fmt"
	"math/bits"
	"strings"
)

// Mode says what the caller does with what a Redactor finds. The Redactor
// itself always finds and masks the same way; the mode travels with it so
// that the code wiring it into a pipeline reads one setting.
type Mode int

const (
	// ModeRedact replaces each finding with the fixed mask of its kind.
	ModeRedact Mode = iota
	// ModeBlock refuses the text when anything is found (Find returns a
	// non-empty list); Redact stays available for logging what was refused.
	ModeBlock
	// ModeMaskAndRestore replaces findings with numbered placeholders of a
	// per-request Session and puts the originals back in the answer.
	ModeMaskAndRestore
)

func (m Mode) String() string {
	switch m {
	case ModeRedact:
		return "redact"
	case ModeBlock:
		return "block"
	case ModeMaskAndRestore:
		return "mask_and_restore"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads "redact", "block" or "mask_and_restore" (also written
// "mask-and-restore" or "mask").
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "redact", "":
		return ModeRedact, nil
	case "block":
		return ModeBlock, nil
	case "mask_and_restore", "mask-and-restore", "mask":
		return ModeMaskAndRestore, nil
	}
	return 0, fmt.Errorf("guard: unknown mode %q (want redact, block or mask_and_restore)", s)
}

// RedactOptions configures a Redactor.
type RedactOptions struct {
	// Kinds to look for; empty means AllKinds().
	Kinds []PIIKind
	// Mode is carried for the caller; see Mode.
	Mode Mode
}

// detector is one rule. match returns the end of the match starting at i,
// or -1; it reads the text only through the window.
type detector struct {
	name  string
	kind  PIIKind
	match func(w *window, i int) int
	// starts lists the bytes a match can begin with; startClass adds a class.
	starts     string
	startClass uint8
	// Whole-text prefilter: a match needs a digit, an '@', or one of lits.
	needDigit, needAt bool
	lits              []string
}

const digits = "0123456789"

// detectors in priority order: when two rules match the same longest span
// at the same position, the earlier one names it.
var detectors = []detector{
	{name: "pem_private_key", kind: KindSecret, match: matchPEMPrivateKey, starts: "-", lits: []string{"-----BEGIN "}},
	{name: "anthropic_key", kind: KindSecret, match: matchAnthropicKey, starts: "s", lits: []string{"sk-ant-"}},
	{name: "openai_key", kind: KindSecret, match: matchOpenAIKey, starts: "s", lits: []string{"sk-"}},
	{name: "stripe_key", kind: KindSecret, match: matchStripeKey, starts: "sr", lits: []string{"k_live_", "k_test_"}},
	{name: "aws_access_key_id", kind: KindSecret, match: matchAWSKeyID, starts: "A", lits: []string{"AKIA", "ASIA"}},
	{name: "aws_secret_access_key", kind: KindSecret, match: matchAWSSecret, startClass: clB64, lits: []string{"ecret", "ECRET"}},
	{name: "github_token", kind: KindSecret, match: matchGitHubToken, starts: "g", lits: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{name: "slack_token", kind: KindSecret, match: matchSlackToken, starts: "x", lits: []string{"xox"}},
	{name: "google_api_key", kind: KindSecret, match: matchGoogleAPIKey, starts: "A", lits: []string{"AIza"}},
	{name: "jwt", kind: KindSecret, match: matchJWT, starts: "e", lits: []string{"eyJ"}},
	{name: "luhn_card", kind: KindCard, match: matchCard, starts: "23456", needDigit: true},
	{name: "iban", kind: KindIBAN, match: matchIBAN, startClass: clUpper | clLower, needDigit: true},
	{name: "us_ssn", kind: KindID, match: matchSSN, starts: digits, needDigit: true},
	{name: "es_dni", kind: KindID, match: matchSpanishID, starts: digits + "XYZ", needDigit: true},
	{name: "uk_nino", kind: KindID, match: matchNINO, startClass: clUpper, needDigit: true},
	{name: "ipv4", kind: KindIP, match: matchIPv4, starts: digits, needDigit: true},
	{name: "ipv6", kind: KindIP, match: matchIPv6, starts: ":", startClass: clHex, needDigit: true},
	{name: "email", kind: KindEmail, match: matchEmail, startClass: clLocal, needAt: true},
	{name: "phone", kind: KindPhone, match: matchPhone, starts: digits + "+(", needDigit: true},
}

// firstByte maps a byte to the set of detectors (bit k for detectors[k])
// that can start a match with it.
var firstByte [256]uint32

func init() {
	if len(detectors) > 32 {
		panic("guard: more than 32 detectors")
	}
	for k, d := range detectors {
		for c := 0; c < 256; c++ {
			if strings.IndexByte(d.starts, byte(c)) >= 0 || charClass[c]&d.startClass != 0 {
				firstByte[c] |= 1 << k
			}
		}
	}
}

// Redactor finds and masks personal data and secrets. It is immutable and
// safe for concurrent use; build it once per configuration.
type Redactor struct {
	enabled uint32
	kinds   []PIIKind
	mode    Mode
}

// NewRedactor builds a Redactor for the given kinds (all when empty).
func NewRedactor(opts RedactOptions) (*Redactor, error) {
	kinds := opts.Kinds
	if len(kinds) == 0 {
		kinds = AllKinds()
	}
	r := &Redactor{mode: opts.Mode}
	if opts.Mode < ModeRedact || opts.Mode > ModeMaskAndRestore {
		return nil, fmt.Errorf("guard: unknown mode %d", int(opts.Mode))
	}
	for _, name := range kinds {
		k, err := ParseKind(string(name))
		if err != nil {
			return nil, err
		}
		r.kinds = append(r.kinds, k)
		for b, d := range detectors {
			if d.kind == k {
				r.enabled |= 1 << b
			}
		}
	}
	return r, nil
}

// Kinds returns the kinds this Redactor looks for.
func (r *Redactor) Kinds() []PIIKind { return append([]PIIKind(nil), r.kinds...) }

// Mode returns the configured mode.
func (r *Redactor) Mode() Mode { return r.mode }

// Find returns the findings in text, in order and non-overlapping. Where
// candidates overlap, the leftmost wins, then the longest, then the first
// in priority order (secrets, cards, IBANs, IDs, IPs, e-mail, phones).
func (r *Redactor) Find(text string) []Match {
	var out []Match
	w := window{s: text, final: true}
	r.scan(&w, 0, r.activeFor(text), func(m Match) { out = append(out, m) })
	return out
}

// Redact returns text with every finding replaced by its fixed mask
// ("[EMAIL]", "[SECRET]", ...) and the findings, whose offsets refer to
// the original text. Text without findings is returned unchanged.
func (r *Redactor) Redact(text string) (string, []Match) {
	ms := r.Find(text)
	if len(ms) == 0 {
		return text, nil
	}
	return replaceMatches(text, ms, func(m Match, _ string) string { return m.Kind.Mask() }), ms
}

func replaceMatches(text string, ms []Match, repl func(m Match, value string) string) string {
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range ms {
		b.WriteString(text[last:m.Start])
		b.WriteString(repl(m, text[m.Start:m.End]))
		last = m.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// activeFor narrows the enabled detectors to those whose trigger occurs in
// a complete text. Streams cannot use it: the trigger may come later.
func (r *Redactor) activeFor(text string) uint32 {
	hasAt := strings.IndexByte(text, '@') >= 0
	hasDigit := containsDigit(text)
	act := uint32(0)
	for m := r.enabled; m != 0; m &= m - 1 {
		k := bits.TrailingZeros32(m)
		d := &detectors[k]
		ok := (!d.needDigit || hasDigit) && (!d.needAt || hasAt)
		if ok && len(d.lits) > 0 {
			ok = false
			for _, lit := range d.lits {
				if strings.Contains(text, lit) {
					ok = true
					break
				}
			}
		}
		if ok {
			act |= 1 << k
		}
	}
	return act
}

// skipWord moves past position i and, when s[i] is a letter, digit or
// underscore, past the rest of that word: every detector except the PEM
// one (which starts at '-') needs a non-word byte before its start, so no
// match can begin inside a word.
func skipWord(s string, i int, c byte) int {
	i++
	if isWord(int(c)) {
		for i < len(s) && isWord(int(s[i])) {
			i++
		}
	}
	return i
}

func containsDigit(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k]-'0' < 10 {
			return true
		}
	}
	return false
}

// scan walks w.s from 'from', leftmost-longest, reporting each match. It
// returns len(w.s), or, on a non-final window, the first position whose
// decision needs bytes that have not arrived: everything before it is
// final.
func (r *Redactor) scan(w *window, from int, active uint32, emit func(Match)) int {
	s := w.s
	for i := from; i < len(s); {
		c := s[i]
		cand := firstByte[c] & active
		if cand == 0 {
			i = skipWord(s, i, c)
			continue
		}
		w.short = false
		best, bestEnd := -1, -1
		for ; cand != 0; cand &= cand - 1 {
			k := bits.TrailingZeros32(cand)
			if e := detectors[k].match(w, i); e > bestEnd {
				best, bestEnd = k, e
			}
		}
		if w.short {
			return i
		}
		if best < 0 {
			i = skipWord(s, i, c)
			continue
		}
		emit(Match{Kind: detectors[best].kind, Start: i, End: bestEnd, Detector: detectors[best].name})
		i = bestEnd
	}
	return len(s)
}
