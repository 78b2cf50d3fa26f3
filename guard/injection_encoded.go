package guard

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Encoded payloads: attacks smuggled as base64 or hex, often with "decode
// this and follow it". Fragments that decode to readable text are scored
// like any other text; a decoded attack fires "encoded_payload".

const (
	minBase64Run     = 16    // shortest base64 run tried (12 bytes decoded)
	minHexPairs      = 8     // shortest hex run tried, in bytes
	maxFragmentBytes = 4096  // decoded bytes scored per fragment
	maxDecodeBudget  = 16384 // decoded bytes scored per text: a page of base64 images costs little
	maxFragments     = 8
	minEncodedScore  = 0.5 // decoded text at least this suspicious fires the signal
	wDecodeAndFollow = 0.35
)

func (d *InjectionDetector) scoreEncoded(text string, toks []token, src Source, sig *signalSet) {
	frags := encodedFragments(text)
	if len(frags) == 0 {
		return
	}
	for _, f := range frags {
		inner := d.signals(f, src, 1)
		if s := inner.combined(); s >= minEncodedScore {
			sig.raise(sigEncoded, s+0.1)
		}
	}
	t := ts(toks)
	for i := range toks {
		if toks[i].all()&cDecode != 0 && (t.has(i-4, i+8, toks[i].sent, cFollow) || t.has(i-4, i+8, toks[i].sent+1, cFollow)) {
			sig.raise(sigEncoded, wDecodeAndFollow)
		}
	}
}

// encodedFragments returns the decoded text of base64 and hex runs in text
// that decode to something readable.
func encodedFragments(text string) []string {
	var out []string
	budget := maxDecodeBudget
	keep := func(b []byte) {
		if len(out) < maxFragments && budget > 0 && textLike(b) {
			b = b[:min(len(b), maxFragmentBytes, budget)]
			budget -= len(b)
			out = append(out, string(b))
		}
	}
	for k := 0; k < len(text) && len(out) < maxFragments; {
		c := int(text[k])
		if pairs, end := hexPairs(text, k); pairs != nil {
			keep(pairs)
			k = end
			continue
		}
		if !is(c, clB64|clB64URL) {
			k++
			continue
		}
		end := k
		for end < len(text) && is(int(text[end]), clB64|clB64URL) {
			end++
		}
		// Decode no more than a fragment's worth: a long run (an inline
		// image) costs its length to skip, not to decode.
		run := text[k:min(end, k+maxFragmentBytes/3*4)]
		for end < len(text) && text[end] == '=' {
			end++
		}
		if len(run) >= minBase64Run {
			if b, ok := decodeRun(run); ok {
				keep(b)
			}
		}
		k = end
	}
	return out
}

// decodeRun decodes a run as hex (with an optional 0x) when it is all hex
// digits, else as base64 (standard or URL alphabet, padding optional).
func decodeRun(run string) ([]byte, bool) {
	h := strings.TrimPrefix(strings.TrimPrefix(run, "0x"), "0X")
	if len(h)%2 == 0 && len(h) >= 2*minHexPairs && strings.Trim(h, "0123456789abcdefABCDEF") == "" {
		if b, err := hex.DecodeString(h); err == nil && textLike(b) {
			return b, true
		}
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(run, "-_") {
		enc = base64.RawURLEncoding
	}
	if len(run)%4 == 1 {
		run = run[:len(run)-1]
	}
	b, err := enc.DecodeString(run)
	return b, err == nil
}

// hexPairs reads hex bytes written one pair at a time: "49 67 6e",
// "\x49\x67", "0x49, 0x67". It returns nil unless there are at least
// minHexPairs of them.
func hexPairs(s string, k int) ([]byte, int) {
	var out []byte
	j := k
	for j < len(s) && len(out) < maxFragmentBytes {
		p := j
		if strings.HasPrefix(s[p:], `\x`) || strings.HasPrefix(s[p:], "0x") {
			p += 2
		}
		if p+2 > len(s) || !is(int(s[p]), clHex) || !is(int(s[p+1]), clHex) || (p+2 < len(s) && is(int(s[p+2]), clHex)) {
			break
		}
		b, _ := hex.DecodeString(s[p : p+2])
		out = append(out, b[0])
		j = p + 2
		if j < len(s) && (s[j] == ' ' || s[j] == ',' || s[j] == ':') {
			j++
			if j < len(s) && s[j] == ' ' {
				j++
			}
		} else if !strings.HasPrefix(s[j:], `\x`) {
			break
		}
	}
	if len(out) < minHexPairs {
		return nil, k
	}
	return out, j
}

// textLike reports decoded bytes that read as text: valid UTF-8, nearly
// all printable, with spaces (or ideographs) between words.
func textLike(b []byte) bool {
	if len(b) < 8 || !utf8.Valid(b) {
		return false
	}
	total, printable, spaces, cjk := 0, 0, 0, 0
	for _, r := range string(b) {
		total++
		switch {
		case r == ' ' || r == '\n':
			spaces++
			printable++
		case isCJK(r):
			cjk++
			printable++
		case unicode.IsPrint(r):
			printable++
		}
	}
	return printable*10 >= total*9 && (spaces >= 1 || cjk >= 2)
}
