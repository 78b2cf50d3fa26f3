package guard

import (
	"fmt"
	"net/netip"
	"strings"
)

// PIIKind names a family of personal data or secrets. Its string form is
// the text inside the fixed mask: KindEmail is masked as "[EMAIL]".
type PIIKind string

// The kinds the Redactor knows.
const (
	KindEmail  PIIKind = "EMAIL"
	KindPhone  PIIKind = "PHONE"
	KindCard   PIIKind = "CARD"
	KindIBAN   PIIKind = "IBAN"
	KindID     PIIKind = "ID"
	KindIP     PIIKind = "IP"
	KindSecret PIIKind = "SECRET"
)

// AllKinds lists every kind, the default set of a Redactor.
func AllKinds() []PIIKind {
	return []PIIKind{KindEmail, KindPhone, KindCard, KindIBAN, KindID, KindIP, KindSecret}
}

// Mask is the fixed replacement Redact writes for the kind, e.g. "[EMAIL]".
func (k PIIKind) Mask() string { return "[" + string(k) + "]" }

// ParseKind reads a kind name case-insensitively ("email", "EMAIL").
func ParseKind(name string) (PIIKind, error) {
	up := PIIKind(strings.ToUpper(strings.TrimSpace(name)))
	for _, k := range AllKinds() {
		if k == up {
			return k, nil
		}
	}
	return "", fmt.Errorf("guard: unknown PII kind %q (want one of EMAIL, PHONE, CARD, IBAN, ID, IP, SECRET)", name)
}

// Match is one finding: the byte range text[Start:End] holds a value of the
// given Kind. Detector names the rule that found it ("email", "luhn_card",
// "openai_key", ...) for logs and metrics; it never contains the value.
type Match struct {
	Kind     PIIKind
	Start    int
	End      int
	Detector string
}

// window is the text a detector reads, through at(), so that the stream
// redactor can tell whether a decision depended on bytes not received yet:
// reading past the end of a non-final window sets short, and the caller
// then holds the position back instead of deciding it. Every detector is a
// pure function of the bytes it reads, which is what makes streaming
// output equal to whole-text output.
type window struct {
	s     string
	final bool
	short bool
}

func (w *window) at(i int) int {
	if uint(i) < uint(len(w.s)) {
		return int(w.s[i])
	}
	if i >= len(w.s) && !w.final {
		w.short = true
	}
	return -1
}

// has reports whether the bytes at i spell lit, reading them one by one so
// that a prefix cut by the end of a stream chunk is held back.
func (w *window) has(i int, lit string) bool {
	for k := 0; k < len(lit); k++ {
		if w.at(i+k) != int(lit[k]) {
			return false
		}
	}
	return true
}

// Character classes, as bit flags over single bytes. All detectors work on
// ASCII; non-ASCII bytes belong to no class.
const (
	clDigit  = 1 << iota
	clUpper  // A-Z
	clLower  // a-z
	clLocal  // e-mail local part: alnum . _ % + -
	clDomain // e-mail domain: alnum . -
	clB64URL // alnum _ -
	clB64    // alnum + /
	clHex    // 0-9 a-f A-F
)

var charClass [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var f uint8
		switch {
		case c >= '0' && c <= '9':
			f |= clDigit | clLocal | clDomain | clB64URL | clB64 | clHex
		case c >= 'A' && c <= 'Z':
			f |= clUpper | clLocal | clDomain | clB64URL | clB64
		case c >= 'a' && c <= 'z':
			f |= clLower | clLocal | clDomain | clB64URL | clB64
		}
		if (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			f |= clHex
		}
		switch c {
		case '.', '%', '+':
			f |= clLocal
		case '_':
			f |= clLocal | clB64URL
		case '-':
			f |= clLocal | clDomain | clB64URL
		}
		switch c {
		case '.':
			f |= clDomain
		case '+', '/':
			f |= clB64
		}
		charClass[c] = f
	}
}

func is(c int, class uint8) bool { return c >= 0 && charClass[c]&class != 0 }

func isDigit(c int) bool { return c >= '0' && c <= '9' }
func isUpper(c int) bool { return c >= 'A' && c <= 'Z' }
func isAlnum(c int) bool { return is(c, clDigit|clUpper|clLower) }

// isWord is a letter, digit or underscore: what may not touch a match.
func isWord(c int) bool { return isAlnum(c) || c == '_' }

// midNumber reports whether position i sits inside a longer number, right
// after a separator that follows a digit ("1.5", "10-20"), so that a
// detector does not start in its middle.
func midNumber(w *window, i int) bool {
	p := w.at(i - 1)
	return (p == '.' || p == ',' || p == '-' || p == '/') && isDigit(w.at(i-2))
}

// Bounds of what a detector reads; they bound the stream hold-back.
const (
	maxEmailLocal  = 64
	maxEmailDomain = 253
	maxIPv6Text    = 45
)

// matchEmail finds addresses like jane.doe+tag@mail.example.co.uk. The
// local part is the run of local-part characters before '@' (at most 64);
// the domain needs two or more labels and an alphabetic top-level label.
// A trailing dot or hyphen belongs to the prose, not the address.
func matchEmail(w *window, i int) int {
	if c := w.at(i); !is(c, clLocal) || c == '.' {
		return -1
	}
	if p := w.at(i - 1); is(p, clLocal) && p != '.' {
		return -1
	}
	j := i
	for is(w.at(j), clLocal) {
		j++
		if j-i > maxEmailLocal {
			return -1
		}
	}
	if w.at(j) != '@' || w.s[j-1] == '.' {
		return -1
	}
	k := j + 1
	for is(w.at(k), clDomain) {
		k++
		if k-(j+1) > maxEmailDomain {
			return -1
		}
	}
	e := k
	for e > j+1 && (w.s[e-1] == '.' || w.s[e-1] == '-') {
		e--
	}
	if !validDomain(w.s[j+1 : e]) {
		return -1
	}
	return e
}

func validDomain(d string) bool {
	labels := 0
	for d != "" {
		label := d
		if dot := strings.IndexByte(d, '.'); dot >= 0 {
			label, d = d[:dot], d[dot+1:]
		} else {
			d = ""
		}
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		labels++
		if d == "" { // top-level label: letters only, two or more
			if len(label) < 2 {
				return false
			}
			for k := 0; k < len(label); k++ {
				if !is(int(label[k]), clUpper|clLower) {
					return false
				}
			}
		}
	}
	return labels >= 2
}

// matchIPv4 finds dotted quads with octets 0-255 and no leading zeros. A
// fifth part ("1.2.3.4.5") or a letter right after means it is not an
// address (a version or an OID).
func matchIPv4(w *window, i int) int {
	if !isDigit(w.at(i)) {
		return -1
	}
	if p := w.at(i - 1); isWord(p) || p == '.' {
		return -1
	}
	j := i
	for part := 0; part < 4; part++ {
		if part > 0 {
			if w.at(j) != '.' {
				return -1
			}
			j++
		}
		start, v := j, 0
		for c := w.at(j); isDigit(c); c = w.at(j) {
			v = v*10 + c - '0'
			j++
			if j-start > 3 {
				return -1
			}
		}
		n := j - start
		if n == 0 || v > 255 || (n > 1 && w.s[start] == '0') {
			return -1
		}
	}
	c := w.at(j)
	if isWord(c) || (c == '.' && isDigit(w.at(j+1))) {
		return -1
	}
	return j
}

// matchIPv6 finds IPv6 addresses in any textual form netip accepts
// (compressed, full, with an embedded IPv4 tail). It needs two colons and
// one decimal digit, which keeps C++ scopes ("Add::Dec") and clock times
// ("12:30:45", rejected by the parser) out.
func matchIPv6(w *window, i int) int {
	if c := w.at(i); !is(c, clHex) && c != ':' {
		return -1
	}
	if p := w.at(i - 1); isWord(p) || p == ':' || p == '.' {
		return -1
	}
	j, colons, digits := i, 0, 0
	for {
		c := w.at(j)
		if !is(c, clHex) && c != ':' && c != '.' {
			if isWord(c) {
				return -1
			}
			break
		}
		if c == ':' {
			colons++
		} else if isDigit(c) {
			digits++
		}
		j++
		if j-i > maxIPv6Text {
			return -1
		}
	}
	e := j
	for e > i && w.s[e-1] == '.' {
		e--
	}
	if colons < 2 || digits == 0 {
		return -1
	}
	addr, err := netip.ParseAddr(w.s[i:e])
	if err != nil || !addr.Is6() {
		return -1
	}
	return e
}
