package main

import "strings"

// hasCardNumber reports whether s holds a run of 13 to 19 digits, single
// spaces or dashes allowed between them, that passes the Luhn check.
func hasCardNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			continue
		}
		var digits []byte
		for j := i; j < len(s) && len(digits) < 19; j++ {
			c := s[j]
			switch {
			case isDigit(c):
				digits = append(digits, c)
			case (c == ' ' || c == '-') && j+1 < len(s) && isDigit(s[j+1]) && isDigit(s[j-1]):
				continue
			default:
				j = len(s) // the run ends
				continue
			}
			if len(digits) >= 13 && luhn(digits) {
				return true
			}
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// luhn is the check digit test of payment card numbers.
func luhn(digits []byte) bool {
	sum := 0
	for i := range digits {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// redactEmails replaces each e-mail address in s with [EMAIL]: a local part
// of letters, digits and ._%+-, an @, and a domain of letters, digits, dots
// and dashes with at least one dot and a final letter.
func redactEmails(s string) string {
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return s // the common case: nothing to do, nothing copied
	}
	var b strings.Builder
	last := 0 // s[:last] is written
	for at >= 0 {
		start := at
		for start > last && isLocal(s[start-1]) {
			start--
		}
		end := at + 1
		for end < len(s) && isDomain(s[end]) {
			end++
		}
		for end > at+1 && !isLetter(s[end-1]) { // a final dot or dash ends the sentence
			end--
		}
		domain := s[at+1 : end]
		if start < at && strings.Contains(domain, ".") && domain[0] != '.' {
			b.WriteString(s[last:start])
			b.WriteString("[EMAIL]")
			last = end
		}
		next := strings.IndexByte(s[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isLocal(c byte) bool {
	return isLetter(c) || isDigit(c) || strings.IndexByte("._%+-", c) >= 0
}

func isDomain(c byte) bool { return isLetter(c) || isDigit(c) || c == '.' || c == '-' }
