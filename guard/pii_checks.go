package guard

import (
	"encoding/base64"
	"strings"
)

// Check digits and validity rules. They are what lets the detectors accept
// a number only when it really is a card, an IBAN or an identity number,
// rather than any digit string of the right length.

// luhnValid runs the Luhn (mod 10) check over the digits of s, skipping
// separators. Every payment card number passes it; a random digit string
// passes one time in ten.
func luhnValid(s string) bool {
	sum, n := 0, 0
	for k := len(s) - 1; k >= 0; k-- {
		c := s[k]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n > 0 && sum%10 == 0
}

// ibanLengths is the length of the IBAN of each country in the SWIFT
// registry (the common ones; an unknown country is not an IBAN).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
	"BG": 22, "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28,
	"CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
	"FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
	"GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23,
	"IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
	"LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
	"MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
	"SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

func ibanLength(a, b byte) int { return ibanLengths[string([]byte{a, b})] }

// ibanChecksumValid applies ISO 13616: move the first four characters to
// the end, read letters as 10..35, and the number mod 97 must be 1. The
// remainder is folded digit by digit so no big integers are needed.
func ibanChecksumValid(iban []byte) bool {
	if len(iban) < 5 {
		return false
	}
	rem := 0
	add := func(c byte) bool {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range iban[4:] {
		if !add(c) {
			return false
		}
	}
	for _, c := range iban[:4] {
		if !add(c) {
			return false
		}
	}
	return rem == 1
}

// ssnValid rejects the SSNs the Social Security Administration never
// issues, so that "000-12-3456" or a 9xx test range is not reported.
func ssnValid(d [9]byte) bool {
	area := string(d[0:3])
	group := string(d[3:5])
	serial := string(d[5:9])
	switch {
	case area == "000" || area == "666" || d[0] == '9':
		return false
	case group == "00" || serial == "0000":
		return false
	case area+group+serial == "078051120" || area+group+serial == "219099999":
		return false // numbers printed in advertisements
	}
	return true
}

// dniLetterValid checks the control letter of a Spanish DNI or NIE.
func dniLetterValid(num int, letter byte) bool {
	const letters = "TRWAGMYFPDXBNJZSQVHLCKE"
	return letters[num%23] == letter
}

// ninoPrefixValid applies HMRC's rules for the two letters of a National
// Insurance number.
func ninoPrefixValid(a, b byte) bool {
	if strings.IndexByte("DFIQUV", a) >= 0 || strings.IndexByte("DFIOQUV", b) >= 0 {
		return false
	}
	switch string([]byte{a, b}) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

// jwtHeaderValid reports whether the first part of a JWT decodes (base64url,
// padding optional) to a JSON object naming its "alg", as every JWS and
// JWE header does; random dotted base64 does not.
func jwtHeaderValid(part string) bool {
	part = strings.TrimRight(part, "=")
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return false
	}
	head := strings.TrimSpace(string(raw))
	return strings.HasPrefix(head, "{") && strings.Contains(head, `"alg"`)
}
