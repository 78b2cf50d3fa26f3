package guard

// Detectors for numbers people type with separators: phone numbers, payment
// cards, IBANs and national identity numbers. Each reads a bounded number
// of bytes from its start and validates what it read (check digits, ranges,
// layouts), so that prose numbers - years, prices, dates, order numbers -
// stay untouched.

const (
	maxPhoneGroups  = 8
	maxPhoneDigits  = 15 // E.164
	maxCardGroups   = 5
	maxCardDigits   = 19
	minCardDigits   = 13
	maxIBANLength   = 34
	maxGroupDigits  = 15
	cardGroupDigits = 6
)

// phoneGroup is one run of digits in a phone number, maybe in parentheses.
type phoneGroup struct {
	start, n int  // first digit and count of digits
	end      int  // byte after the group (after ')' when parenthesized)
	paren    bool // "(415)"
	sep      int  // separator byte before the group, 0 for none
}

// matchPhone finds, longest first:
//   - international numbers: '+', 8 to 15 digits, groups separated by
//     space, '-', '.', '/' or a parenthesized group: "+44 20 7946 0958",
//     "+1 (415) 555-0100", "+49 (0)30 1234567", "+14155550100";
//   - North American numbers with separators: "(415) 555-0100",
//     "415-555-0100", "1-800-555-0100" (area and exchange start 2-9);
//   - national numbers with a trunk 0 and one kind of separator, 10 or 11
//     digits in groups of two or more: "020 7946 0958", "06 12 34 56 78",
//     "030/1234567".
//
// Plain digit runs without '+' (order numbers, "0612345678"), dates and
// years do not match. A phone number that goes on with '-', '.' or '/' and
// more digits is part of something else and does not match either.
func matchPhone(w *window, i int) int {
	c := w.at(i)
	if c != '+' && c != '(' && !isDigit(c) {
		return -1
	}
	p := w.at(i - 1)
	if isWord(p) || p == '+' || p == ')' || p == '(' || midNumber(w, i) {
		return -1
	}
	if c != '+' && p == ' ' && isDigit(w.at(i-2)) { // the tail of a longer digit run
		return -1
	}
	plus := c == '+'
	j := i
	if plus {
		j++
	}
	var groups [maxPhoneGroups]phoneGroup
	g, digits, sep := 0, 0, 0
	for g < maxPhoneGroups {
		grp := phoneGroup{start: j, sep: sep}
		if w.at(j) == '(' {
			grp.paren, grp.start = true, j+1
			j++
			for isDigit(w.at(j)) {
				j++
				if j-grp.start > 5 {
					break
				}
			}
			grp.n = j - grp.start
			if grp.n == 0 || grp.n > 5 || w.at(j) != ')' {
				break
			}
			j++
		} else {
			for isDigit(w.at(j)) {
				j++
				if j-grp.start > maxGroupDigits {
					break
				}
			}
			grp.n = j - grp.start
			if grp.n == 0 || grp.n > maxGroupDigits {
				break
			}
		}
		digits += grp.n
		if digits > maxPhoneDigits {
			break
		}
		grp.end = j
		groups[g] = grp
		g++
		s := w.at(j)
		if grp.paren && isDigit(s) { // "(0)30": no separator after ')'
			sep = 0
			continue
		}
		if s == ' ' || s == '-' || s == '.' || s == '/' {
			if n := w.at(j + 1); isDigit(n) || n == '(' {
				sep = s
				j++
				continue
			}
		}
		break
	}
	for k := g; k >= 1; k-- {
		if validPhone(w.s, plus, groups[:k]) && phoneEndOK(w, groups[k-1].end) {
			return groups[k-1].end
		}
	}
	return -1
}

func phoneEndOK(w *window, e int) bool {
	c := w.at(e)
	if isWord(c) {
		return false
	}
	return !((c == '-' || c == '.' || c == '/') && isDigit(w.at(e+1)))
}

func validPhone(s string, plus bool, gs []phoneGroup) bool {
	digits := 0
	for _, g := range gs {
		digits += g.n
	}
	if plus {
		return digits >= 8 && digits <= maxPhoneDigits && (len(gs) == 1 || gs[0].n <= 3)
	}
	first := func(g phoneGroup) byte { return s[g.start] }
	lens := func(want ...int) bool {
		if len(gs) != len(want) {
			return false
		}
		for k, n := range want {
			if gs[k].n != n {
				return false
			}
		}
		return true
	}
	slash := false // '/' is a German separator, not a North American one
	for _, g := range gs {
		slash = slash || g.sep == '/'
	}
	if !slash && lens(3, 3, 4) && first(gs[0]) >= '2' && first(gs[1]) >= '2' && (gs[1].sep != 0 || gs[0].paren) && gs[2].sep != 0 {
		return true
	}
	if !slash && lens(1, 3, 3, 4) && first(gs[0]) == '1' && first(gs[1]) >= '2' && first(gs[2]) >= '2' {
		return true
	}
	if first(gs[0]) != '0' || len(gs) < 2 || digits < 10 || digits > 11 {
		return false
	}
	sep := -1
	for k, g := range gs {
		if g.n < 2 {
			return false
		}
		if k == 0 || (gs[0].paren && k == 1) {
			continue
		}
		if sep == -1 {
			sep = g.sep
		} else if g.sep != sep {
			return false
		}
	}
	return true
}

// cardLayouts are the groupings cards are printed with (digits per group).
var cardLayouts = [][]int{
	{4, 4, 4, 4, 3}, {4, 4, 4, 4, 2}, {4, 4, 4, 4, 1}, {4, 4, 4, 4},
	{4, 6, 5}, {4, 6, 4}, {4, 4, 4, 3}, {4, 4, 4, 2}, {4, 4, 4, 1},
}

// matchCard finds payment card numbers: 13 to 19 digits starting with 2-6
// (the major networks), either in one run or in the printed layouts (4-4-4-4,
// Amex 4-6-5, ...) with one kind of separator, space or '-'. The number must
// pass the Luhn check; when several layouts fit, the longest that passes
// wins ("4111 1111 1111 1111 123" with a failing 19-digit check is the
// 16-digit card followed by 123).
func matchCard(w *window, i int) int {
	if c := w.at(i); c < '2' || c > '6' {
		return -1
	}
	if p := w.at(i - 1); isWord(p) || ((p == '.' || p == ',') && isDigit(w.at(i-2))) || afterMixedToken(w, i) {
		return -1
	}
	j := i
	for isDigit(w.at(j)) {
		j++
		if j-i > maxCardDigits {
			return -1
		}
	}
	if n := j - i; n >= minCardDigits {
		if cardEndOK(w, j) && luhnValid(w.s[i:j]) {
			return j
		}
		return -1
	} else if n != 4 {
		return -1
	}
	sep := w.at(j)
	if sep != ' ' && sep != '-' {
		return -1
	}
	var lens [maxCardGroups]int
	var ends [maxCardGroups]int
	lens[0], ends[0] = 4, j
	g := 1
	for g < maxCardGroups && w.at(j) == sep && isDigit(w.at(j+1)) {
		k := j + 1
		for isDigit(w.at(k)) {
			k++
			if k-(j+1) > cardGroupDigits {
				break
			}
		}
		if k-(j+1) > cardGroupDigits {
			break
		}
		lens[g], ends[g] = k-(j+1), k
		j = k
		g++
	}
	for _, layout := range cardLayouts {
		if len(layout) > g || !sameInts(layout, lens[:len(layout)]) {
			continue
		}
		end := ends[len(layout)-1]
		if cardEndOK(w, end) && luhnValid(w.s[i:end]) {
			return end
		}
	}
	return -1
}

// afterMixedToken reports whether i follows a separator that follows a
// token of letters and digits ("DE89 3704..."): the digits are the rest of
// that code (an IBAN that failed its check), not the start of a card.
func afterMixedToken(w *window, i int) bool {
	if p := w.at(i - 1); p != ' ' && p != '-' {
		return false
	}
	k := i - 2
	for isDigit(w.at(k)) && i-2-k < 8 {
		k--
	}
	return k < i-2 && is(w.at(k), clUpper|clLower)
}

func cardEndOK(w *window, e int) bool {
	c := w.at(e)
	return !isWord(c) && !((c == '.' || c == ',') && isDigit(w.at(e+1)))
}

func sameInts(a, b []int) bool {
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// matchIBAN finds IBANs, compact ("DE89370400440532013000") or printed in
// groups of four ("DE89 3704 0044 0532 0130 00"), in either case. The
// country fixes the length and the mod-97 check must hold.
func matchIBAN(w *window, i int) int {
	if p := w.at(i - 1); isWord(p) {
		return -1
	}
	var buf [maxIBANLength]byte
	for k := 0; k < 4; k++ {
		c := w.at(i + k)
		if k < 2 && !is(c, clUpper|clLower) || k >= 2 && !isDigit(c) {
			return -1
		}
		buf[k] = upperASCII(byte(c))
	}
	length := ibanLength(buf[0], buf[1])
	if length == 0 {
		return -1
	}
	j := i + 4
	grouped := w.at(j) == ' ' && isAlnum(w.at(j+1))
	for n := 4; n < length; n++ {
		if grouped && n%4 == 0 {
			if w.at(j) != ' ' {
				return -1
			}
			j++
		}
		c := w.at(j)
		if !isAlnum(c) {
			return -1
		}
		buf[n] = upperASCII(byte(c))
		j++
	}
	if isWord(w.at(j)) || !ibanChecksumValid(buf[:length]) {
		return -1
	}
	return j
}

// matchSSN finds US social security numbers written ddd-dd-dddd or
// ddd dd dddd, without the never-issued ranges (area 000, 666, 9xx; group
// 00; serial 0000) and the famous advertising number 078-05-1120.
func matchSSN(w *window, i int) int {
	if p := w.at(i - 1); isWord(p) || midNumber(w, i) {
		return -1
	}
	var d [9]byte
	n, sep := 0, 0
	for k := 0; k < 11; k++ {
		c := w.at(i + k)
		if k == 3 || k == 6 {
			if k == 3 && (c == '-' || c == ' ') {
				sep = c
			} else if k == 3 || c != sep {
				return -1
			}
			continue
		}
		if !isDigit(c) {
			return -1
		}
		d[n] = byte(c)
		n++
	}
	if c := w.at(i + 11); isWord(c) || (c == '-' && isDigit(w.at(i+12))) {
		return -1
	}
	if !ssnValid(d) {
		return -1
	}
	return i + 11
}

// matchSpanishID finds Spanish DNI numbers (8 digits and a check letter,
// "12345678Z", "12345678-Z") and NIE numbers (X, Y or Z, 7 digits and a
// check letter), checking the letter.
func matchSpanishID(w *window, i int) int {
	if p := w.at(i - 1); isWord(p) || midNumber(w, i) {
		return -1
	}
	c := w.at(i)
	num, j, want := 0, i, 8
	switch {
	case c == 'X' || c == 'Y' || c == 'Z':
		num, j, want = c-'X', i+1, 7
	case !isDigit(c):
		return -1
	}
	for k := 0; k < want; k++ {
		d := w.at(j)
		if !isDigit(d) {
			return -1
		}
		num = num*10 + d - '0'
		j++
	}
	if s := w.at(j); s == '-' || s == ' ' {
		j++
	}
	letter := w.at(j)
	if letter < 0 || !is(letter, clUpper|clLower) || isWord(w.at(j+1)) {
		return -1
	}
	if !dniLetterValid(num, upperASCII(byte(letter))) {
		return -1
	}
	return j + 1
}

// matchNINO finds UK National Insurance numbers, "AB123456C" or
// "AB 12 34 56 C", with the prefix rules HMRC publishes (no D, F, I, Q, U,
// V first; no D, F, I, O, Q, U, V second; not BG, GB, KN, NK, NT, TN, ZZ).
func matchNINO(w *window, i int) int {
	if p := w.at(i - 1); isWord(p) {
		return -1
	}
	a, b := w.at(i), w.at(i+1)
	if !isUpper(a) || !isUpper(b) || !ninoPrefixValid(byte(a), byte(b)) {
		return -1
	}
	j := i + 2
	spaced := w.at(j) == ' '
	for pair := 0; pair < 3; pair++ {
		if spaced {
			if w.at(j) != ' ' {
				return -1
			}
			j++
		}
		if !isDigit(w.at(j)) || !isDigit(w.at(j+1)) {
			return -1
		}
		j += 2
	}
	if spaced {
		if w.at(j) != ' ' {
			return -1
		}
		j++
	}
	if s := w.at(j); s < 'A' || s > 'D' || isWord(w.at(j+1)) {
		return -1
	}
	return j + 1
}

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
