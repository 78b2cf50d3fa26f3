package guard

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of the normalized text with what the lexicon knows
// about it.
type token struct {
	form   string // the reading that matched the lexicon, else the folded word
	class  uint64 // classes of the word itself
	pclass uint64 // classes of phrases starting at this token
	sent   int    // sentence number: rules pair words within one sentence
	quoted bool   // inside quotation marks
	obf    bool   // read through leetspeak, look-alikes or split letters
	colon  bool   // followed by ':' or ','
}

func (t *token) all() uint64 { return t.class | t.pclass }

// tokenizer splits normalized text into tokens. Sentences end at . ! ? ;
// and at line breaks that end a line of three or more words (so that
// "ignore\n\nall\n\nprevious" stays one sentence).
type tokenizer struct {
	toks       []token
	sent       int
	quoted     bool
	lineTokens int
}

func tokenize(s string) []token {
	tz := tokenizer{toks: make([]token, 0, len(s)/5+4)}
	for k := 0; k < len(s); {
		c := s[k]
		if c == ' ' {
			k++
			continue
		}
		if c == '\n' {
			if tz.lineTokens > 2 {
				tz.endSentence()
			}
			tz.lineTokens = 0
			k++
			continue
		}
		end := k
		for end < len(s) && s[end] != ' ' && s[end] != '\n' {
			end++
		}
		tz.chunk(s[k:end])
		k = end
	}
	tz.joinSpacedLetters()
	matchPhrases(tz.toks)
	return tz.toks
}

func (tz *tokenizer) endSentence() {
	if n := len(tz.toks); n > 0 && tz.toks[n-1].sent == tz.sent {
		tz.sent++
	}
}

func isQuote(r rune) bool {
	switch r {
	case '"', '\'', '`', '“', '”', '‘', '’', '«', '»', '„', '「', '」', '『', '』':
		return true
	}
	return false
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', ';', '。', '！', '？', '；':
		return true
	}
	return false
}

// isWordRune is what words are made of; digits, '@' and '$' included so
// that leetspeak stays in one piece.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isAlnum(int(r)) || r == '@' || r == '$'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '@' || r == '$'
}

// looksLikeURL reports chunks that name a destination: URLs and e-mail
// addresses.
func looksLikeURL(c string) bool {
	if strings.Contains(c, "://") || strings.HasPrefix(c, "www.") {
		return true
	}
	at := strings.IndexByte(c, '@')
	return at > 0 && strings.IndexByte(c[at:], '.') > 1
}

func opensQuote(r rune, inQuote bool) bool {
	switch r {
	case '”', '»', '」', '』':
		return false
	case '“', '«', '「', '『', '„':
		return true
	}
	return !inQuote
}

// chunkPart is a run of word runes (or of ideographs) inside a chunk.
type chunkPart struct {
	start, end int
	cjk        bool
}

func (tz *tokenizer) chunk(c string) {
	if r, _ := utf8.DecodeRuneInString(c); isQuote(r) {
		tz.quoted = opensQuote(r, tz.quoted)
	}
	if looksLikeURL(c) {
		tz.emit(token{form: "<url>", class: cURL})
		tz.endChunk(c)
		return
	}
	var partsBuf [8]chunkPart
	parts := partsBuf[:0]
	short, joinable, apostrophes := true, true, true
	for k := 0; k < len(c); {
		r, size := utf8.DecodeRuneInString(c[k:])
		if !isWordRune(r) {
			if len(parts) > 0 && r != '\'' && r != '’' {
				apostrophes = false
			}
			k += size
			continue
		}
		cjk := isCJK(r)
		end := k
		for end < len(c) {
			r2, s2 := utf8.DecodeRuneInString(c[end:])
			if !isWordRune(r2) || isCJK(r2) != cjk {
				break
			}
			end += s2
		}
		parts = append(parts, chunkPart{k, end, cjk})
		joinable = joinable && !cjk
		short = short && utf8.RuneCountInString(c[k:end]) <= 4
		k = end
	}
	// "ig-no-re", "i.g.n.o.r.e", "don't": try the parts glued together.
	if len(parts) >= 2 && joinable && (short || apostrophes) {
		var buf [64]byte
		glued := buf[:0]
		for _, p := range parts {
			glued = append(glued, c[p.start:p.end]...)
		}
		if form, class, known, obf := resolve(string(glued)); known {
			tz.emit(token{form: form, class: class, obf: obf || !apostrophes})
			tz.endChunk(c)
			return
		}
	}
	for k, p := range parts {
		if p.cjk {
			tz.cjk(c[p.start:p.end])
		} else {
			form, class, _, obf := resolve(c[p.start:p.end])
			tz.emit(token{form: form, class: class, obf: obf})
		}
		// A sentence end between two parts ("done.Ignore") splits sentences.
		if k+1 < len(parts) && strings.ContainsFunc(c[p.end:parts[k+1].start], isSentenceEnd) {
			tz.endSentence()
		}
	}
	tz.endChunk(c)
}

func (tz *tokenizer) emit(t token) {
	t.sent, t.quoted = tz.sent, tz.quoted
	tz.toks = append(tz.toks, t)
	tz.lineTokens++
}

// endChunk applies the punctuation that ends a chunk: a closing quote, a
// colon or comma (direct address: "Assistant, ..."), a sentence end.
func (tz *tokenizer) endChunk(c string) {
	core := strings.TrimRightFunc(c, func(r rune) bool { return unicode.IsPunct(r) && !isQuote(r) })
	punct := c[len(core):]
	if r, _ := utf8.DecodeLastRuneInString(core); isQuote(r) && len(core) > 1 {
		tz.quoted = false
		core = strings.TrimRightFunc(core, isQuote)
		if punct == "" {
			punct = c[len(core):]
		}
	}
	if n := len(tz.toks); n > 0 && strings.ContainsAny(punct, ":,，：") {
		tz.toks[n-1].colon = true
	}
	if strings.ContainsFunc(punct, isSentenceEnd) {
		tz.endSentence()
	}
}

// cjk segments a run of ideographs by longest lexicon match; characters
// not in the lexicon become filler tokens of two characters, so that
// distances in tokens stay comparable with spaced languages.
func (tz *tokenizer) cjk(s string) {
	runes := []rune(s)
	filler := 0
	for k := 0; k < len(runes); {
		matched := 0
		var class uint64
		for n := min(maxCJKLen, len(runes)-k); n >= 1; n-- {
			if c, ok := lexCJK[string(runes[k:k+n])]; ok {
				matched, class = n, c
				break
			}
		}
		if matched == 0 {
			if filler%2 == 0 {
				tz.emit(token{form: string(runes[k])})
			}
			filler++
			if isSentenceEnd(runes[k]) {
				tz.endSentence()
			}
			k++
			continue
		}
		filler = 0
		tz.emit(token{form: string(runes[k : k+matched]), class: class})
		k += matched
	}
}

// joinSpacedLetters rejoins words written one letter at a time ("i g n o r
// e a l l ...") by segmenting the glued letters with the lexicon.
func (tz *tokenizer) joinSpacedLetters() {
	toks := tz.toks
	run, longest := 0, 0
	for k := range toks {
		if utf8.RuneCountInString(toks[k].form) == 1 {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest < 4 {
		return
	}
	var out []token
	changed := false
	for k := 0; k < len(toks); {
		end := k
		for end < len(toks) && utf8.RuneCountInString(toks[end].form) == 1 && toks[end].form != "<" {
			end++
		}
		if end-k < 4 {
			out = append(out, toks[k])
			k++
			continue
		}
		var glued strings.Builder
		for _, t := range toks[k:end] {
			glued.WriteString(t.form)
		}
		words := segment(glued.String())
		if len(words) == 0 {
			out = append(out, toks[k:end]...)
		} else {
			changed = true
			for _, w := range words {
				form, class, _, _ := resolve(w)
				out = append(out, token{form: form, class: class, obf: true, sent: toks[k].sent, quoted: toks[k].quoted})
			}
		}
		k = end
	}
	if changed {
		tz.toks = out
	}
}

// segment splits glued letters into known words, longest first; letters
// that start no known word are skipped. Leetspeak is undone first.
func segment(s string) []string {
	if hasLeet(s) {
		s = deleet(s, 'i')
	}
	var words []string
	for k := 0; k < len(s); {
		found := 0
		for n := min(maxWordLen, len(s)-k); n >= 2; n-- {
			if _, ok := lexWords[s[k:k+n]]; ok {
				found = n
				break
			}
		}
		if found == 0 {
			k++
			continue
		}
		words = append(words, s[k:k+found])
		k += found
	}
	return words
}

// resolve finds the lexicon reading of a word: as written, without
// accents, with look-alike letters folded, with leetspeak undone, or with
// an English inflection removed. known is false when no reading is in the
// lexicon; obf is true when the reading needed folding or leetspeak.
func resolve(w string) (form string, class uint64, known, obf bool) {
	if c, ok := lexWords[w]; ok {
		return w, c, true, false
	}
	if strings.HasPrefix(w, "@") && len(w) > 1 { // "@assistant", a mention
		if c, ok := lexWords[w[1:]]; ok {
			return w[1:], c, true, false
		}
	}
	b := w
	if !isASCII(w) {
		b = stripMarks(w)
		if c, ok := lexWords[b]; ok {
			return b, c, true, false
		}
		if f := foldConfusables(b); f != b {
			if c, ok := lexWords[f]; ok {
				return f, c, true, true
			}
			b = f
		}
	}
	if hasLeet(b) && strings.ContainsFunc(b, unicode.IsLetter) {
		for _, one := range []rune{'i', 'l'} {
			v := deleet(b, one)
			if c, ok := lexWords[v]; ok {
				return v, c, true, true
			}
		}
	}
	if isASCII(b) && len(b) > 4 {
		for _, suffix := range []string{"s", "es", "ed", "d", "ing"} {
			base := strings.TrimSuffix(b, suffix)
			if base == b || len(base) < 3 {
				continue
			}
			if c, ok := lexWords[base]; ok && c != 0 {
				return base, c, true, false
			}
		}
	}
	// German compounds end with their head noun: Sicherheitsrichtlinien.
	for _, head := range []string{"anweisungen", "richtlinien", "regeln", "einschrankungen", "vorgaben", "prompt"} {
		if strings.HasSuffix(b, head) && len(b) > len(head)+2 {
			return head, lexWords[head], true, false
		}
	}
	return b, 0, false, false
}

func hasLeet(s string) bool {
	for k := 0; k < len(s); k++ {
		switch s[k] {
		case '0', '1', '3', '4', '5', '7', '8', '@', '$':
			return true
		}
	}
	return false
}

// deleet undoes leetspeak; one is what '1' stands for ('i' or 'l').
func deleet(s string, one rune) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '0':
			return 'o'
		case '1':
			return one
		case '3':
			return 'e'
		case '4', '@':
			return 'a'
		case '5', '$':
			return 's'
		case '7':
			return 't'
		case '8':
			return 'b'
		}
		return r
	}, s)
}

// matchPhrases marks, on each token, the classes of the lexicon phrases
// that start there.
func matchPhrases(toks []token) {
	for k := range toks {
		for _, ph := range lexPhrases[toks[k].form] {
			if k+len(ph.words) > len(toks) {
				continue
			}
			ok := true
			for n := 1; n < len(ph.words); n++ {
				if toks[k+n].form != ph.words[n] {
					ok = false
					break
				}
			}
			if ok {
				toks[k].pclass |= ph.class
			}
		}
	}
}
