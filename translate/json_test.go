package translate

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

var jsonStrings = []string{
	"", "plain", `quote " and backslash \`, "ctl \x00\x01\x1f\x7f", "\n\r\t\b\f",
	"é 😀 \u2028\u2029", "<html> & 'x'", "bad utf8 \xff\xfe end", "\xed\xa0\x80 surrogate",
}

func FuzzAppendString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q gives invalid JSON %s: %v", s, b, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); utf8.ValidString(s) && got != want {
			t.Fatalf("%q round-trips as %q", s, got)
		}
	})
}

func FuzzAppendCompactEscaped(f *testing.F) {
	for _, s := range []string{`{}`, `{"a" : [1, 2, {"b":"x y\"z\\"}]}`, "[\n\t1 ,\r\n 2 ]", `"s p a c e"`, `{"é":"😀\u00e9"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) || !utf8.ValidString(raw) {
			return
		}
		lit := append(appendCompactEscaped([]byte{'"'}, raw), '"')
		var s string
		if err := json.Unmarshal(lit, &s); err != nil {
			t.Fatalf("%q gives an invalid literal %s: %v", raw, lit, err)
		}
		var want bytes.Buffer
		_ = json.Compact(&want, []byte(raw))
		if s != want.String() {
			t.Fatalf("%q: got %q, want %q", raw, s, want.String())
		}
	})
}

func TestJSONEnd(t *testing.T) {
	for _, tc := range []struct {
		pieces []string // each the inside of a JSON string literal, escaped
		done   bool
	}{
		{[]string{`{}`}, true},
		{[]string{`{\"a\"`, `:1`, `}`}, true},
		{[]string{`{\"a\":\"}\"`}, false},          // the brace is in a string
		{[]string{`{\"a\":\"\\\\\"}`}, true},       // an escaped backslash ends the string
		{[]string{`{\"a\":\"\\\"}\"`}, false},      // an escaped quote does not
		{[]string{`{\"a\":\"\u0022}`}, true},       // \u0022 is a quote: the string ends
		{[]string{`{\"a\":[1,{\"b\":[]}]`}, false}, // one level still open
		{[]string{`  \n{ } `}, true},
		{[]string{`[`, `1`, `]`}, true},
		{[]string{`42`}, false}, // not an object or array: never done
		{[]string{``}, false},
	} {
		var s jsonEnd
		for _, p := range tc.pieces {
			s.feedEscaped(p)
		}
		if s.done != tc.done {
			t.Errorf("%q: done %v, want %v", tc.pieces, s.done, tc.done)
		}
	}
}

func TestMessageID(t *testing.T) {
	for in, want := range map[string]string{
		"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT": "msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT",
		"gen-1741569952-abc":                     "msg_gen-1741569952-abc",
	} {
		if got := messageID(in); got != want {
			t.Errorf("messageID(%q) = %q, want %q", in, got, want)
		}
	}
	if a, b := messageID(""), messageID(""); a == b || !strings.HasPrefix(a, "msg_") {
		t.Errorf("random ids %q %q", a, b)
	}
}
