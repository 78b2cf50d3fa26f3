package guard

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns the folded view of text that the injection detector
// reads, so that spelling tricks do not hide a phrase:
//
//   - invisible characters are removed: zero-width spaces and joiners, bidi
//     controls, soft hyphens, variation selectors; Unicode tag characters
//     (invisible copies of ASCII) are turned back into the ASCII they hide;
//   - compatibility forms are folded by NFKC: fullwidth "ｉｇｎｏｒｅ" and
//     mathematical "𝐢𝐠𝐧𝐨𝐫𝐞" become "ignore";
//   - letters are lower-cased;
//   - in a word that mixes Latin with Cyrillic or Greek letters, the
//     look-alikes are folded to Latin ("іgnоrе" with Cyrillic і, о, е);
//     whole Cyrillic or Greek words are kept, so Russian text stays Russian;
//   - runs of spaces collapse to one space, runs with a line break to one
//     line break.
//
// Normalize is idempotent: Normalize(Normalize(s)) == Normalize(s). Two
// further readings are made per word by the detector rather than here,
// because they are guesses that must not rewrite ordinary text: leetspeak
// ("1gn0r3") and letters split by spaces or punctuation ("i g n o r e",
// "ig-no-re"); see InjectionDetector.
func Normalize(text string) string { return normalize(text).text }

// normalized is the folded text and what the folding had to undo; the
// detector treats the latter as a sign of deliberate obfuscation.
type normalized struct {
	text   string
	hidden bool // invisible characters between letters
	tags   bool // a run of Unicode tag characters (hidden ASCII text)
	compat bool // fullwidth or mathematical letters
	mixed  bool // a word mixing Latin with Cyrillic/Greek look-alikes
}

func normalize(text string) normalized {
	var n normalized
	s := text
	for pass := 0; pass < 3; pass++ {
		next := normalizeOnce(s, &n)
		if next == s {
			break
		}
		s = next
	}
	n.text = s
	return n
}

func normalizeOnce(s string, n *normalized) string {
	if isASCII(s) {
		return collapseSpace(lowerASCII(s))
	}
	s = stripInvisible(s, n)
	if !norm.NFKC.IsNormalString(s) {
		s = norm.NFKC.String(s)
	}
	s = strings.ToLower(s)
	s = foldMixedScript(s, n)
	return collapseSpace(s)
}

func isASCII(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(s string) string {
	for k := 0; k < len(s); k++ {
		if c := s[k]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// collapseSpace turns each run of white space into one space, or one line
// break when the run holds one.
func collapseSpace(s string) string {
	if isASCII(s) && !asciiSpaceToCollapse(s) {
		return s
	}
	var b strings.Builder
	changed := false
	for k := 0; k < len(s); {
		r, size := utf8.DecodeRuneInString(s[k:])
		if !unicode.IsSpace(r) {
			if changed {
				b.WriteString(s[k : k+size])
			}
			k += size
			continue
		}
		end, newline := k, false
		for end < len(s) {
			r2, size2 := utf8.DecodeRuneInString(s[end:])
			if !unicode.IsSpace(r2) {
				break
			}
			newline = newline || r2 == '\n' || r2 == '\r' || r2 == '\u2028' || r2 == '\u2029' || r2 == '\v' || r2 == '\f' || r2 == '\u0085'
			end += size2
		}
		sep := " "
		if newline {
			sep = "\n"
		}
		if !changed && s[k:end] != sep {
			changed = true
			b.Grow(len(s))
			b.WriteString(s[:k])
		}
		if changed {
			b.WriteString(sep)
		}
		k = end
	}
	if !changed {
		return s
	}
	return b.String()
}

// asciiSpaceToCollapse reports whether collapseSpace would change an
// ASCII string: a run of two spaces or a space other than ' ' and '\n'.
func asciiSpaceToCollapse(s string) bool {
	prevSpace := false
	for k := 0; k < len(s); k++ {
		switch c := s[k]; c {
		case ' ', '\n':
			if prevSpace {
				return true
			}
			prevSpace = true
		case '\t', '\r', '\v', '\f':
			return true
		default:
			prevSpace = false
		}
	}
	return false
}

// invisible reports characters that render as nothing.
func invisible(r rune) bool {
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x061C, r == 0x115F, r == 0x1160,
		r == 0x17B4, r == 0x17B5, r == 0x3164, r == 0xFEFF, r == 0xFFA0:
		return true
	case r >= 0x180B && r <= 0x180F, r >= 0x200B && r <= 0x200F,
		r >= 0x202A && r <= 0x202E, r >= 0x2060 && r <= 0x206F,
		r >= 0xFE00 && r <= 0xFE0F, r >= 0x1D173 && r <= 0x1D17A,
		r >= 0xE0000 && r <= 0xE007F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return false
}

// minHiddenTagRun is the shortest run of tag characters reported as hidden
// text; emoji subdivision flags (England: "gbeng") use five.
const minHiddenTagRun = 8

func stripInvisible(s string, n *normalized) string {
	var b strings.Builder
	b.Grow(len(s))
	prev := rune(0)
	tagRun := 0
	for k := 0; k < len(s); {
		r, size := utf8.DecodeRuneInString(s[k:])
		k += size
		if r >= 0xE0020 && r <= 0xE007E { // tag characters spell ASCII
			b.WriteRune(r - 0xE0000)
			if tagRun++; tagRun >= minHiddenTagRun {
				n.tags = true
			}
			continue
		}
		tagRun = 0
		if invisible(r) {
			if next, _ := utf8.DecodeRuneInString(s[k:]); isScriptLetter(prev) && isScriptLetter(next) {
				n.hidden = true
			}
			continue
		}
		if (r >= 0xFF01 && r <= 0xFF5E) || (r >= 0x1D400 && r <= 0x1D7FF) || (r >= 0x2460 && r <= 0x24FF) {
			n.compat = true
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// isScriptLetter is a Latin, Cyrillic or Greek letter: where an invisible
// character inside a word is a trick rather than typography (Persian uses
// the zero-width non-joiner legitimately).
func isScriptLetter(r rune) bool {
	return unicode.IsLetter(r) && (r < 0x0250 || unicode.In(r, unicode.Cyrillic, unicode.Greek) || (r >= 0xFF21 && r <= 0xFF5A) || (r >= 0x1D400 && r <= 0x1D7FF))
}

// confusables maps lower-case Cyrillic and Greek letters, and a few Latin
// variants, to the ASCII letter they imitate.
var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y',
	'х': 'x', 'і': 'i', 'ї': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'һ': 'h', 'ӏ': 'l',
	'к': 'k', 'м': 'm', 'т': 't', 'н': 'h', 'п': 'n', 'г': 'r', 'ԛ': 'q', 'ԝ': 'w',
	'ь': 'b', 'ѵ': 'v', 'ɡ': 'g', 'ı': 'i', 'ɑ': 'a',
	'α': 'a', 'β': 'b', 'γ': 'y', 'δ': 'd', 'ε': 'e', 'ζ': 'z', 'η': 'n', 'ι': 'i',
	'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'σ': 'o', 'ς': 's', 'τ': 't', 'υ': 'u',
	'χ': 'x', 'ω': 'w',
}

// foldMixedScript folds look-alikes in words that mix Latin letters with
// Cyrillic or Greek ones.
func foldMixedScript(s string, n *normalized) string {
	var b strings.Builder
	out := false
	for k := 0; k < len(s); {
		end, latin, other := k, false, false
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
				break
			}
			if r < 0x250 {
				latin = true
			} else if _, ok := confusables[r]; ok {
				other = true
			}
			end += size
		}
		if end == k { // not a letter: copy one rune
			_, size := utf8.DecodeRuneInString(s[k:])
			if out {
				b.WriteString(s[k : k+size])
			}
			k += size
			continue
		}
		word := s[k:end]
		if latin && other {
			if !out {
				out = true
				b.Grow(len(s))
				b.WriteString(s[:k])
			}
			n.mixed = true
			word = foldConfusables(word)
		}
		if out {
			b.WriteString(word)
		}
		k = end
	}
	if !out {
		return s
	}
	return b.String()
}

func foldConfusables(word string) string {
	return strings.Map(func(r rune) rune {
		if a, ok := confusables[r]; ok {
			return a
		}
		return r
	}, word)
}

// stripMarks removes diacritics (é -> e, ü -> u, ё -> е) and spells ß as
// ss, so that lexicon entries match text typed with or without accents.
func stripMarks(s string) string {
	if isASCII(s) {
		return s
	}
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'ß':
			b.WriteString("ss")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
