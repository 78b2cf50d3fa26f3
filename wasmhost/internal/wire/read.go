package wire

import (
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Kind is the kind of a JSON value.
type Kind uint8

const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid JSON", "null", "boolean", "number", "string", "array", "object"}

func (k Kind) String() string { return kindNames[k] }

// MaxDepth bounds the nesting of arrays and objects a Reader accepts.
const MaxDepth = 64

// Reader reads one JSON document, value by value, without reflection and
// without building a tree. Its first error sticks: later reads return zero
// values, and Err reports it. The zero Reader is empty; Reset gives it a
// document.
//
// An object is read as
//
//	if r.BeginObject() {
//		for r.More() {
//			switch string(r.Key()) { case "a": x = r.String(); default: r.Skip() }
//		}
//	}
//
// and an array the same way, with no Key.
type Reader struct {
	b       []byte
	i       int
	err     error
	depth   int
	objects uint64 // bit d: the container at depth d+1 is an object
	first   bool   // no member read yet in the innermost container
	scratch []byte // unescaped string bytes

	// Trusted skips the check for control characters in strings, for
	// input known to be valid JSON (what the host hands a guest).
	Trusted bool
}

// SyntaxError is a document that is not JSON, or nested too deeply.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// Reset makes r read b from its start.
func (r *Reader) Reset(b []byte) {
	*r = Reader{b: b, scratch: r.scratch[:0], Trusted: r.Trusted}
}

// Err is the first error met, nil if none.
func (r *Reader) Err() error { return r.err }

// Offset is the position of the next byte to read.
func (r *Reader) Offset() int { return r.i }

func (r *Reader) fail(msg string) {
	if r.err == nil {
		r.err = &SyntaxError{Offset: r.i, Msg: msg}
	}
	r.i = len(r.b) // every later read meets the end
}

func (r *Reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// Kind is the kind of the next value, without reading it; Invalid at the
// end of the input, after an error, or before a byte no value starts with.
func (r *Reader) Kind() Kind {
	if r.i < len(r.b) && r.b[r.i] <= ' ' {
		r.ws()
	}
	if r.i >= len(r.b) { // also after an error: fail moves to the end
		return Invalid
	}
	return kindOf[r.b[r.i]]
}

// kindOf is the kind of value each byte starts.
var kindOf = func() (t [256]Kind) {
	t['n'] = Null
	t['t'], t['f'] = Bool, Bool
	t['"'] = String
	t['['] = Array
	t['{'] = Object
	t['-'] = Number
	for c := '0'; c <= '9'; c++ {
		t[c] = Number
	}
	return t
}()

func (r *Reader) literal(word string) bool {
	if len(r.b)-r.i >= len(word) && string(r.b[r.i:r.i+len(word)]) == word {
		r.i += len(word)
		return true
	}
	r.fail("expected " + word)
	return false
}

func (r *Reader) expectKind(k Kind) bool {
	if r.Kind() != k {
		r.kindError(k)
		return false
	}
	return true
}

func (r *Reader) kindError(k Kind) {
	if r.err == nil {
		r.fail("expected " + k.String() + ", found " + r.found())
	}
}

// found describes the next byte for an error message.
func (r *Reader) found() string {
	if r.i >= len(r.b) {
		return "the end of the input"
	}
	return strconv.QuoteRune(rune(r.b[r.i]))
}

// Null reads a null if one is next, and says whether it did.
func (r *Reader) Null() bool {
	if r.Kind() != Null {
		return false
	}
	return r.literal("null")
}

// Bool reads true or false.
func (r *Reader) Bool() bool {
	if !r.expectKind(Bool) {
		return false
	}
	if r.b[r.i] == 't' {
		return r.literal("true")
	}
	r.literal("false")
	return false
}

// number scans a number and returns its text.
func (r *Reader) number() []byte {
	start := r.i
	b := r.b
	i := r.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		r.i = i
		r.fail("malformed number")
		return nil
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			r.i = i
			r.fail("malformed number")
			return nil
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			r.i = i
			r.fail("malformed number")
			return nil
		}
	}
	r.i = i
	return b[start:i]
}

// Float reads a number.
func (r *Reader) Float() float64 {
	if !r.expectKind(Number) {
		return 0
	}
	text := r.number()
	if text == nil {
		return 0
	}
	if f, ok := smallInt(text); ok {
		return f
	}
	// strconv copies the text into any error it returns, so a view of the
	// input is safe here and saves an allocation.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(text), len(text)), 64)
	if err != nil {
		r.i -= len(text)
		r.fail("number out of range")
		return 0
	}
	return f
}

// smallInt converts the text of an integer of at most 15 digits, which a
// float64 holds exactly, without strconv.
func smallInt(text []byte) (float64, bool) {
	neg := text[0] == '-'
	digits := text
	if neg {
		digits = text[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		if n == 0 {
			return 0, false // -0: strconv keeps the sign
		}
		n = -n
	}
	return float64(n), true
}

// String reads a string.
func (r *Reader) String() string { return string(r.Bytes()) }

// Bytes reads a string and returns its bytes: a view of the input or of a
// scratch buffer, valid until the next read.
func (r *Reader) Bytes() []byte {
	if !r.expectKind(String) {
		return nil
	}
	b := r.b
	start := r.i + 1
	end := indexStringEnd(b, start, r.Trusted)
	if end < 0 {
		r.i = len(b)
		r.fail("unterminated string")
		return nil
	}
	switch b[end] {
	case '"':
		r.i = end + 1
		return b[start:end]
	case '\\':
		r.i = end
		return r.unescape(start)
	}
	r.i = end
	r.fail("control character in string")
	return nil
}

// View reads a string like String, but without copying it when it has no
// escapes: the string then shares the input's memory, and is valid only as
// long as the input is not changed. For a Reader over a buffer that is
// never reused.
func (r *Reader) View() string {
	// The common case, a string with no escapes, without the calls of the
	// general path: calls are slow inside WebAssembly, where guests read.
	if b, i := r.b, r.i; i < len(b) && b[i] == '"' {
		if end := indexStringEnd(b, i+1, r.Trusted); end > i+1 && b[end] == '"' {
			r.i = end + 1
			return unsafe.String(&b[i+1], end-i-1)
		}
	}
	return r.view(r.Bytes())
}

func (r *Reader) view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(r.scratch) > 0 && unsafe.SliceData(b) == unsafe.SliceData(r.scratch) {
		return string(b)
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// unescape finishes reading a string that has an escape at r.i, whose
// content started at start.
func (r *Reader) unescape(start int) []byte {
	out := append(r.scratch[:0], r.b[start:r.i]...)
	b := r.b
	i := r.i
	for i < len(b) {
		// Copy the run up to the next quote or backslash at once.
		n := indexStringEnd(b, i, r.Trusted)
		if n < 0 {
			break
		}
		out = append(out, b[i:n]...)
		i = n
		c := b[i]
		if c == '"' {
			r.i = i + 1
			r.scratch = out
			return out
		}
		if c != '\\' {
			r.i = i
			r.fail("control character in string")
			return nil
		}
		if i+1 >= len(b) {
			break
		}
		i++
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			cp, ok := hex4(b, i+1)
			if !ok {
				r.i = i
				r.fail("malformed \\u escape")
				return nil
			}
			i += 4
			if cp >= 0xD800 && cp < 0xDC00 { // a high surrogate: a low one should follow
				if lo, ok := hex4(b, i+3); ok && i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' && lo >= 0xDC00 && lo < 0xE000 {
					cp = 0x10000 + (cp-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				} else {
					cp = utf8.RuneError
				}
			} else if cp >= 0xDC00 && cp < 0xE000 {
				cp = utf8.RuneError
			}
			out = utf8.AppendRune(out, cp)
		default:
			r.i = i
			r.fail("unknown escape")
			return nil
		}
		i++
	}
	r.i = len(b)
	r.fail("unterminated string")
	return nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

func (r *Reader) begin(k Kind) bool {
	if r.i >= len(r.b) || kindOf[r.b[r.i]] != k {
		if !r.expectKind(k) {
			return false
		}
	}
	if r.depth >= MaxDepth {
		r.fail("nested deeper than " + strconv.Itoa(MaxDepth) + " levels")
		return false
	}
	if k == Object {
		r.objects |= 1 << r.depth
	} else {
		r.objects &^= 1 << r.depth
	}
	r.depth++
	r.i++
	r.first = true
	return true
}

// BeginObject reads the { of an object; More then steps through its
// members.
func (r *Reader) BeginObject() bool { return r.begin(Object) }

// BeginArray reads the [ of an array; More then steps through its items.
func (r *Reader) BeginArray() bool { return r.begin(Array) }

// More reports whether the innermost object or array has another member
// (for an object, read its Key next) or item; at its end it reads the
// closing bracket and returns false.
func (r *Reader) More() bool {
	if r.i < len(r.b) && r.b[r.i] <= ' ' {
		r.ws()
	}
	if r.depth == 0 || r.i >= len(r.b) {
		if r.err == nil && r.depth > 0 {
			r.fail("unexpected end of input")
		}
		return false
	}
	c := r.b[r.i]
	if c == '}' || c == ']' {
		if want := r.closing(); c != want {
			r.fail("expected ',' or '" + string(want) + "', found " + r.found())
			return false
		}
		r.i++
		r.depth--
		r.first = false
		return false
	}
	if !r.first {
		if c != ',' {
			r.fail("expected ',' or '" + string(r.closing()) + "', found " + r.found())
			return false
		}
		r.i++
		if r.i < len(r.b) && r.b[r.i] <= ' ' {
			r.ws()
		}
		if r.i < len(r.b) && (r.b[r.i] == '}' || r.b[r.i] == ']') {
			r.fail("unexpected " + r.found() + " after ','")
			return false
		}
	}
	r.first = false
	if r.i >= len(r.b) {
		r.fail("unexpected end of input")
		return false
	}
	return true
}

// closing is the bracket that ends the innermost container.
func (r *Reader) closing() byte {
	if r.objects&(1<<(r.depth-1)) != 0 {
		return '}'
	}
	return ']'
}

// Key reads an object member's key and its colon. The bytes are valid
// until the next read.
func (r *Reader) Key() []byte {
	// The common case (see View): "key": with no escapes or spaces.
	if b, i := r.b, r.i; i < len(b) && b[i] == '"' {
		if end := indexStringEnd(b, i+1, r.Trusted); end >= 0 && b[end] == '"' && end+1 < len(b) && b[end+1] == ':' {
			r.i = end + 2
			return b[i+1 : end]
		}
	}
	if r.Kind() != String {
		r.fail("expected a string key, found " + r.found())
		return nil
	}
	k := r.Bytes()
	if r.i < len(r.b) && r.b[r.i] <= ' ' {
		r.ws()
	}
	if r.i >= len(r.b) || r.b[r.i] != ':' {
		r.fail("expected ':' after a key, found " + r.found())
		return nil
	}
	r.i++
	return k
}

// KeyView reads a key like Key, as a string that shares the input's memory
// when it has no escapes (see View).
func (r *Reader) KeyView() string {
	k := r.Key()
	return r.view(k)
}

// Skip reads the next value, whatever it is, and returns its JSON text (a
// view of the input).
func (r *Reader) Skip() []byte {
	k := r.Kind()
	start := r.i
	switch k {
	case Null:
		r.literal("null")
	case Bool:
		r.Bool()
	case Number:
		r.number()
	case String:
		r.Bytes()
	case Array:
		if r.BeginArray() {
			for r.More() {
				r.Skip()
			}
		}
	case Object:
		if r.BeginObject() {
			for r.More() {
				r.Key()
				r.Skip()
			}
		}
	default:
		r.fail("expected a value, found " + r.found())
	}
	if r.err != nil {
		return nil
	}
	return r.b[start:r.i]
}

// End checks that nothing but white space follows the document.
func (r *Reader) End() error {
	r.ws()
	if r.err == nil && r.i < len(r.b) {
		r.fail("unexpected " + r.found() + " after the document")
	}
	return r.err
}
