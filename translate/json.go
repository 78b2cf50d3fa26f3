package translate

import (
	"crypto/rand"
	"encoding/hex"
	"unicode/utf8"
	"unsafe"

	"github.com/sluicegw/sluice/internal/jsonw"
	"github.com/tidwall/gjson"
)

// The translators read with gjson and write by appending to a byte slice.
// Values that pass through unchanged (texts, schemas, tool arguments while
// streaming) are copied as their raw JSON text, already escaped, so most of
// a body is never decoded or re-encoded.

// view returns b as a string without copying it. The translators parse with
// gjson over such a view; any string kept past the call that made it (a tool
// call's id or name, the model) is cloned first.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// inner returns the inside of a raw JSON string literal: what lies between
// its quotes, still escaped. It can be pasted inside another literal.
func inner(raw string) string {
	if len(raw) < 2 {
		return ""
	}
	return raw[1 : len(raw)-1]
}

// forEach calls fn for each element of the array, or member of the object,
// r. Unlike gjson's ForEach it does nothing for other values (gjson calls fn
// once with them, which would make "tool_calls": null a tool call).
func forEach(r gjson.Result, fn func(k, v gjson.Result) bool) {
	if r.IsArray() || r.IsObject() {
		r.ForEach(fn)
	}
}

// typeName names a JSON value's type for error messages.
func typeName(r gjson.Result) string {
	switch r.Type {
	case gjson.String:
		return "string"
	case gjson.Number:
		return "number"
	case gjson.True, gjson.False:
		return "boolean"
	case gjson.Null:
		return "null"
	}
	if r.IsArray() {
		return "list"
	}
	return "object"
}

// appendString appends s as a JSON string literal (see jsonw.AppendString).
func appendString(b []byte, s string) []byte { return jsonw.AppendString(b, s) }

// appendEscaped appends s escaped for the inside of a JSON string literal.
func appendEscaped(b []byte, s string) []byte { return jsonw.AppendEscaped(b, s) }

// appendCompactEscaped appends the JSON text raw with its insignificant
// whitespace removed, escaped for the inside of a JSON string literal: the
// way a tool call's input becomes OpenAI's "arguments" string. raw must be
// valid JSON (the request was validated), so its strings hold no control
// characters and only quotes and backslashes need escaping.
func appendCompactEscaped(b []byte, raw string) []byte {
	inStr, esc := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '"':
			inStr = true
		}
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return b
}

// randomID returns prefix and 24 random hex digits, for ids the upstream did
// not give.
func randomID(prefix string) string {
	var r [12]byte
	_, _ = rand.Read(r[:]) // never fails (crypto/rand panics instead)
	return prefix + hex.EncodeToString(r[:])
}

// jsonEnd follows a JSON text arriving in pieces, just far enough to tell
// when its top-level object or array has closed. A streamed tool call whose
// arguments are complete can end its content block before the stream ends.
type jsonEnd struct {
	depth              int
	started, done, bad bool
	inStr, esc         bool
}

// feed takes the next decoded byte of the text.
func (s *jsonEnd) feed(c byte) {
	if s.done || s.bad {
		return
	}
	if s.inStr {
		switch {
		case s.esc:
			s.esc = false
		case c == '\\':
			s.esc = true
		case c == '"':
			s.inStr = false
		}
		return
	}
	switch c {
	case ' ', '\t', '\n', '\r':
	case '{', '[':
		s.started = true
		s.depth++
	case '}', ']':
		s.depth--
		if s.depth == 0 {
			s.done = true
		}
	case '"':
		s.inStr = true
	default:
		if !s.started {
			s.bad = true // not an object or array: no end to look for
		}
	}
}

// feedEscaped feeds the text that lit, the still-escaped inside of a JSON
// string literal, stands for, decoding its escapes on the fly (only
// structural characters matter, so a \u escape counts as its character when
// it is ASCII and as a letter otherwise).
func (s *jsonEnd) feedEscaped(lit string) {
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c != '\\' || i+1 >= len(lit) {
			s.feed(c)
			continue
		}
		i++
		switch lit[i] {
		case 'n':
			s.feed('\n')
		case 't':
			s.feed('\t')
		case 'r':
			s.feed('\r')
		case 'b', 'f':
			s.feed('x')
		case 'u':
			v := 0
			for j := i + 1; j < i+5 && j < len(lit); j++ {
				v = v<<4 | unhex(lit[j])
			}
			i += 4
			if v < utf8.RuneSelf {
				s.feed(byte(v))
			} else {
				s.feed('x')
			}
		default: // \" \\ \/
			s.feed(lit[i])
		}
	}
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 0
}
