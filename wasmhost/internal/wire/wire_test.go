package wire

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// strs are strings that exercise the escapes, the word-at-a-time scans
// (lengths around 8) and invalid UTF-8.
var strs = []string{
	"", "a", "abcdefg", "abcdefgh", "abcdefghi", `"`, `\`, "\x00", "\x1f", "\n\r\t",
	`a "quoted" word`, `back\slash`, "é", "héllo wörld", "日本語のテキスト", "emoji 🙂 here",
	"\xff", "abc\xffdef", "\xed\xa0\x80", "tab\tinside a longer string of words",
	strings.Repeat("x", 100) + `"` + strings.Repeat("y", 7), "</script>&amp;", "\u2028\u2029",
}

func randomString(r *rand.Rand) string {
	const alphabet = "ab \"\\\n\x01\x7fé🙂\xff/"
	n := r.IntN(40)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	all := append([]string{}, strs...)
	for i := 0; i < 2000; i++ {
		all = append(all, randomString(r))
	}
	for _, s := range all {
		out := AppendString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("AppendString(%q) = %s: not JSON", s, out)
		}
		var got, want string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		std, _ := json.Marshal(s)
		_ = json.Unmarshal(std, &want)
		if got != want {
			t.Fatalf("AppendString(%q) decodes to %q; encoding/json's to %q", s, got, want)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("AppendString(%q) decodes to %q", s, got)
		}
	}
}

func TestReaderStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	all := append([]string{}, strs...)
	for i := 0; i < 2000; i++ {
		all = append(all, randomString(r))
	}
	for _, trusted := range []bool{false, true} {
		for _, s := range all {
			// encoding/json's form (\u003c, \ufffd, ...) and ours.
			std, _ := json.Marshal(s)
			for _, doc := range [][]byte{std, AppendString(nil, s)} {
				var want string
				_ = json.Unmarshal(doc, &want)
				rd := Reader{Trusted: trusted}
				rd.Reset(doc)
				got := rd.String()
				if err := rd.End(); err != nil || got != want {
					t.Fatalf("reading %s: %q, %v; want %q", doc, got, err, want)
				}
				rd.Reset(doc)
				if v := rd.View(); v != want {
					t.Fatalf("View of %s = %q, want %q", doc, v, want)
				}
			}
		}
	}
}

func TestFloats(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.5, 0.7, 1e21, 1e-7, 123456789012345, 1234567890123456789, math.MaxFloat64, -2.5e-300} {
		out := AppendFloat(nil, f)
		std, _ := json.Marshal(f)
		if string(out) != string(std) {
			t.Errorf("AppendFloat(%v) = %s, encoding/json %s", f, out, std)
		}
		var r Reader
		r.Reset(out)
		if got := r.Float(); got != f || r.End() != nil {
			t.Errorf("Float(%s) = %v, %v", out, got, r.Err())
		}
	}
	if got := string(AppendFloat(nil, math.NaN())); got != "null" {
		t.Errorf("NaN = %s", got)
	}
}

// walk reads a whole document through the Reader's typed methods, as the
// host and the guest do, and returns it re-encoded.
func walk(r *Reader, b []byte) []byte {
	switch r.Kind() {
	case Null:
		r.Null()
		return append(b, "null"...)
	case Bool:
		return AppendBool(b, r.Bool())
	case Number:
		return AppendFloat(b, r.Float())
	case String:
		return AppendString(b, r.String())
	case Array:
		b = append(b, '[')
		r.BeginArray()
		for i := 0; r.More(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = walk(r, b)
		}
		return append(b, ']')
	case Object:
		b = append(b, '{')
		r.BeginObject()
		for i := 0; r.More(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, string(r.Key()))
			b = append(b, ':')
			b = walk(r, b)
		}
		return append(b, '}')
	}
	r.Skip()
	return b
}

var docs = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0.5e+3`, `"x"`, ` { "a" : [ 1 , 2.5 , { "b" : true } ] , "c" : "x<y" } `,
	`{"req":{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":256}}`,
	`[[[[[]]]]]`, `{"a":{"b":{"c":{}}}}`, `"\ud83d\ude00 and \ud83d alone"`,
	// invalid
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1 2]`, `01`, `1.`, `.5`, `-`, `1e`, `tru`, `nul`,
	`"unterminated`, "\"ctl\x01\"", `"\x"`, `"\u12"`, `{"a":1}x`, `[1]]`, `{"a":1]`, `[}`, `NaN`, `"a" "b"`,
}

func TestReaderAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range docs {
		checkDoc(t, []byte(doc))
	}
}

func checkDoc(t *testing.T, doc []byte) {
	t.Helper()
	var r Reader
	r.Reset(doc)
	raw := r.Skip()
	err := r.End()
	valid := json.Valid(doc)
	if deep := strings.Count(string(doc), "[") + strings.Count(string(doc), "{"); deep > MaxDepth {
		return // we refuse what encoding/json may accept
	}
	if (err == nil) != valid {
		t.Fatalf("%q: Skip says %v, encoding/json valid = %v", doc, err, valid)
	}
	if !valid {
		return
	}
	if strings.TrimSpace(string(raw)) != strings.TrimSpace(string(doc)) {
		t.Fatalf("%q: Skip returned %q", doc, raw)
	}
	var a, b any
	if json.Unmarshal(doc, &a) != nil {
		return // valid, but out of range for a float64 (1e1000): both refuse it
	}
	// Reading it value by value and writing it again gives the same data.
	r.Reset(doc)
	out := walk(&r, nil)
	if r.End() != nil {
		t.Fatalf("%q: walk: %v", doc, r.Err())
	}
	if json.Unmarshal(out, &b) != nil {
		t.Fatalf("%q: re-encoded as %s", doc, out)
	}
	if ja, jb := mustJSON(a), mustJSON(b); ja != jb {
		t.Fatalf("%q: re-encoded as %s", doc, out)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDepthLimit(t *testing.T) {
	doc := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	var r Reader
	r.Reset([]byte(doc))
	r.Skip()
	if r.Err() == nil || !strings.Contains(r.Err().Error(), "nested deeper") {
		t.Fatalf("err = %v", r.Err())
	}
}

func TestHash(t *testing.T) {
	// Values of gw.hash from package scripting's FNV-1a (see the
	// conformance tests for the comparison with a running Lua script).
	if Hash("") != 14695981039346656037&(1<<53-1) {
		t.Fatalf("Hash(\"\") = %d", Hash(""))
	}
	if Hash("alice") != Hash([]byte("alice")) {
		t.Fatal("Hash differs for a string and its bytes")
	}
}

func TestPack(t *testing.T) {
	p, n := Unpack(Pack(0xdeadbeef, 42))
	if p != 0xdeadbeef || n != 42 {
		t.Fatalf("Unpack(Pack) = %#x, %d", p, n)
	}
}

func FuzzReader(f *testing.F) {
	for _, d := range docs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkDoc(t, doc)
	})
}

func TestFieldID(t *testing.T) {
	for i, name := range FieldNames {
		if FieldID(name) != i {
			t.Fatalf("FieldID(%q) = %d, want %d", name, FieldID(name), i)
		}
	}
	if FieldID("nope") != -1 {
		t.Fatal("FieldID of an unknown key")
	}
}
