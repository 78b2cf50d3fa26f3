package guard

import "strings"

// Detectors for credentials. Most secrets announce themselves with a
// vendor prefix, which keeps them cheap to find and precise; the two that
// do not (an AWS secret access key, a PEM body) are tied to the label or
// armour around them.

const (
	maxKeyLength     = 256                // longest API key run accepted
	maxJWTLength     = 4096               // a longer dotted token is not reported as a JWT
	maxPEMLength     = StreamHoldBack - 8 // a key block is redacted up to this many bytes; the detector reads a few past it
	awsLabelLookBack = 48                 // how far before an AWS secret its label may start
)

// keyEnd returns the end of the run of key characters at j, or -1 when the
// run is longer than maxKeyLength or touches another word character. The
// class is clB64URL (letters, digits, '_' and '-').
func keyEnd(w *window, from, j int) int {
	for is(w.at(j), clB64URL) {
		j++
		if j-from > maxKeyLength {
			return -1
		}
	}
	return j
}

func keyStartOK(w *window, i int) bool { return !is(w.at(i-1), clB64URL) }

// mixedCase reports whether s has an upper-case letter, a lower-case letter
// and a digit: real keys do, prose words joined by hyphens do not.
func mixedCase(s string) bool {
	var u, l, d bool
	for k := 0; k < len(s); k++ {
		c := int(s[k])
		u = u || isUpper(c)
		l = l || (c >= 'a' && c <= 'z')
		d = d || isDigit(c)
	}
	return u && l && d
}

// matchAnthropicKey finds "sk-ant-" keys (sk-ant-api03-..., sk-ant-admin01-...).
func matchAnthropicKey(w *window, i int) int {
	if !w.has(i, "sk-ant-") || !keyStartOK(w, i) {
		return -1
	}
	e := keyEnd(w, i, i+7)
	if e < 0 || e-(i+7) < 32 {
		return -1
	}
	return e
}

// matchOpenAIKey finds OpenAI keys: "sk-" and 20 or more key characters
// with mixed case and digits, which covers the legacy 48-character keys and
// the sk-proj-, sk-svcacct- and sk-admin- forms.
func matchOpenAIKey(w *window, i int) int {
	if !w.has(i, "sk-") || !keyStartOK(w, i) || w.has(i+3, "ant-") {
		return -1
	}
	e := keyEnd(w, i, i+3)
	if e < 0 || e-(i+3) < 20 || !mixedCase(w.s[i+3:e]) {
		return -1
	}
	return e
}

// matchStripeKey finds Stripe secret and restricted keys (sk_live_, sk_test_,
// rk_live_, rk_test_).
func matchStripeKey(w *window, i int) int {
	c := w.at(i)
	if (c != 's' && c != 'r') || !keyStartOK(w, i) || !w.has(i+1, "k_") {
		return -1
	}
	if !w.has(i+3, "live_") && !w.has(i+3, "test_") {
		return -1
	}
	e := keyEnd(w, i, i+8)
	if e < 0 || e-(i+8) < 16 {
		return -1
	}
	return e
}

// matchAWSKeyID finds AWS access key ids: AKIA (long-term) or ASIA
// (temporary) and 16 upper-case letters or digits.
func matchAWSKeyID(w *window, i int) int {
	if !w.has(i, "AKIA") && !w.has(i, "ASIA") {
		return -1
	}
	if isWord(w.at(i - 1)) {
		return -1
	}
	j := i + 4
	for k := 0; k < 16; k++ {
		if c := w.at(j); !isUpper(c) && !isDigit(c) {
			return -1
		}
		j++
	}
	if isWord(w.at(j)) {
		return -1
	}
	return j
}

// matchAWSSecret finds a 40-character AWS secret access key, which has no
// prefix of its own, when it follows its label within a few separators:
// aws_secret_access_key = ..., "SecretAccessKey": "...", AWS secret key: ...
func matchAWSSecret(w *window, i int) int {
	switch w.at(i - 1) {
	case '=', ':', '"', '\'', ' ', '\t':
	default:
		return -1
	}
	j := i
	for is(w.at(j), clB64) {
		j++
		if j-i > 40 {
			return -1
		}
	}
	if j-i != 40 || !mixedCase(w.s[i:j]) {
		return -1
	}
	k := i - 1 // skip the separators between label and value
	for k >= 0 && i-k <= 8 && strings.IndexByte("=:\"' \t", w.s[k]) >= 0 {
		k--
	}
	from := max(0, k+1-awsLabelLookBack)
	var label []byte
	for _, c := range []byte(w.s[from : k+1]) {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' {
			label = append(label, c)
		}
	}
	for _, suffix := range []string{"secretaccesskey", "awssecretkey", "awssecret", "secretkey"} {
		if strings.HasSuffix(string(label), suffix) {
			return j
		}
	}
	return -1
}

// matchGitHubToken finds GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_ with 36
// or more alphanumerics, and fine-grained github_pat_ tokens.
func matchGitHubToken(w *window, i int) int {
	if w.at(i) != 'g' || isWord(w.at(i-1)) {
		return -1
	}
	body, minBody := 0, 36
	switch c := w.at(i + 2); {
	case w.at(i+1) == 'h' && (c == 'p' || c == 'o' || c == 'u' || c == 's' || c == 'r') && w.at(i+3) == '_':
		body = i + 4
	case w.has(i+1, "ithub_pat_"):
		body, minBody = i+11, 22
	default:
		return -1
	}
	j := body
	for isWord(w.at(j)) {
		j++
		if j-body > maxKeyLength {
			return -1
		}
	}
	if j-body < minBody {
		return -1
	}
	return j
}

// matchSlackToken finds Slack tokens: xoxb-, xoxp-, xoxa-, xoxo-, xoxr-,
// xoxs- and then ten or more letters, digits and dashes.
func matchSlackToken(w *window, i int) int {
	if !w.has(i, "xox") || isWord(w.at(i-1)) {
		return -1
	}
	if c := w.at(i + 3); c < 0 || strings.IndexByte("abposr", byte(c)) < 0 || w.at(i+4) != '-' {
		return -1
	}
	j := i + 5
	for c := w.at(j); isAlnum(c) || c == '-'; c = w.at(j) {
		j++
		if j-i > maxKeyLength {
			return -1
		}
	}
	if j-(i+5) < 10 {
		return -1
	}
	return j
}

// matchGoogleAPIKey finds Google API keys: AIza and 35 key characters.
func matchGoogleAPIKey(w *window, i int) int {
	if !w.has(i, "AIza") || !keyStartOK(w, i) {
		return -1
	}
	j := i + 4
	for k := 0; k < 35; k++ {
		if !is(w.at(j), clB64URL) {
			return -1
		}
		j++
	}
	if is(w.at(j), clB64URL) {
		return -1
	}
	return j
}

// matchJWT finds JSON Web Tokens: three dot-separated base64url parts (or
// five, for an encrypted JWE) whose header decodes to JSON with "alg". A
// trailing dot followed by a space ends a sentence, not the token.
func matchJWT(w *window, i int) int {
	if !w.has(i, "eyJ") {
		return -1
	}
	if p := w.at(i - 1); is(p, clB64URL) || p == '.' {
		return -1
	}
	j, parts, headerEnd := i, 1, -1
	for {
		c := w.at(j)
		if is(c, clB64URL) {
			j++
		} else if c == '.' && w.s[j-1] != '.' && is(w.at(j+1), clB64URL) {
			if headerEnd < 0 {
				headerEnd = j
			}
			parts++
			j++
		} else {
			break
		}
		if j-i > maxJWTLength {
			return -1
		}
	}
	if (parts != 3 && parts != 5) || headerEnd-i < 10 || !jwtHeaderValid(w.s[i:headerEnd]) {
		return -1
	}
	return j
}

// matchPEMPrivateKey finds a PEM private key block (RSA, EC, DSA, OPENSSH,
// ENCRYPTED, PGP ... PRIVATE KEY) from its BEGIN line through the matching
// END line. When the END line is missing - a truncated paste, a model that
// stopped mid-key - the header and the body lines that follow are
// redacted. Either way the match stops at maxPEMLength bytes, at the end
// of the last whole line before that bound; body lines past it are left.
func matchPEMPrivateKey(w *window, i int) int {
	const begin = "-----BEGIN "
	if !w.has(i, begin) {
		return -1
	}
	j := i + len(begin)
	for c := w.at(j); isUpper(c) || isDigit(c) || c == ' '; c = w.at(j) {
		j++
		if j-i > 64 {
			return -1
		}
	}
	label := w.s[i+len(begin) : j]
	if !strings.Contains(label, "PRIVATE KEY") || !w.has(j, "-----") {
		return -1
	}
	j += 5
	lastGood, pos := j, j
	for {
		c := w.at(pos)
		if c == '\r' {
			pos++
			c = w.at(pos)
		}
		if c != '\n' {
			return lastGood
		}
		pos++
		start := pos
		for c = w.at(pos); c >= 0 && c != '\n' && c != '\r'; c = w.at(pos) {
			pos++
			if pos-i > maxPEMLength {
				return lastGood
			}
		}
		line := w.s[start:pos]
		if strings.HasPrefix(line, "-----END ") {
			if line == "-----END "+label+"-----" {
				return pos
			}
			return lastGood
		}
		if !pemBodyLine(line) {
			return lastGood
		}
		if line != "" {
			lastGood = pos
		}
		if c < 0 {
			return lastGood
		}
	}
}

// pemBodyLine accepts base64 lines and "Name: value" armour headers
// (Proc-Type, DEK-Info, Comment, Version).
func pemBodyLine(line string) bool {
	if colon := strings.Index(line, ": "); colon > 0 {
		for k := 0; k < colon; k++ {
			if c := int(line[k]); !isAlnum(c) && c != '-' {
				return false
			}
		}
		return true
	}
	for k := 0; k < len(line); k++ {
		if c := int(line[k]); !is(c, clB64) && c != '=' {
			return false
		}
	}
	return true
}
