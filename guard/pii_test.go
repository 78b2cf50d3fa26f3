package guard

import (
	"fmt"
	"strings"
	"testing"
)

func mustRedactor(t testing.TB, kinds ...PIIKind) *Redactor {
	t.Helper()
	r, err := NewRedactor(RedactOptions{Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// found renders findings as "KIND:value" for readable comparisons.
func found(r *Redactor, text string) []string {
	var out []string
	for _, m := range r.Find(text) {
		out = append(out, string(m.Kind)+":"+text[m.Start:m.End])
	}
	return out
}

// Fake credentials in the documented formats. None of them is real.
var (
	fakeOpenAIKey    = "sk-proj-" + strings.Repeat("Ab3dEf9hIj", 8) + "_xY-12"
	fakeOpenAILegacy = "sk-" + strings.Repeat("aB3", 16)
	fakeAnthropicKey = "sk-ant-api03-" + strings.Repeat("Zq8-Wx2_Lm", 9) + "AAAAA"
	fakeGitHubToken  = "ghp_" + strings.Repeat("a1B2c3D4e5F6", 3)
	fakeGitHubPAT    = "github_pat_11ABCDEFG0" + strings.Repeat("x9Y8", 16) + "_abc"
	fakeAWSKeyID     = "AKIAIOSFODNN7EXAMPLE"
	fakeAWSSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	fakeSlack        = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	fakeGoogleKey    = "AIzaSyD" + strings.Repeat("x7Q_", 8)
	fakeJWT          = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	fakePEM          = "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n", 5) + "dGVzdA==\n-----END RSA PRIVATE KEY-----"
)

func TestDetectors(t *testing.T) {
	r := mustRedactor(t)
	cases := []struct {
		text string
		want []string
	}{
		// e-mail
		{"write to jane.doe+tag@mail.example.co.uk.", []string{"EMAIL:jane.doe+tag@mail.example.co.uk"}},
		{"(bob@example.org) and bob@example.org", []string{"EMAIL:bob@example.org", "EMAIL:bob@example.org"}},
		{"user@localhost, @handle, a@b.c, x@-bad.com", nil},
		// phones
		{"call +44 20 7946 0958 now", []string{"PHONE:+44 20 7946 0958"}},
		{"or +1 (415) 555-0100.", []string{"PHONE:+1 (415) 555-0100"}},
		{"office (415) 555-0100, cell 415-555-0199, fax 415.555.0142", []string{"PHONE:(415) 555-0100", "PHONE:415-555-0199", "PHONE:415.555.0142"}},
		{"FR 06 12 34 56 78, UK 020 7946 0958, DE 030/1234567", []string{"PHONE:06 12 34 56 78", "PHONE:020 7946 0958", "PHONE:030/1234567"}},
		{"+49 (0)30 1234567 and +14155550100", []string{"PHONE:+49 (0)30 1234567", "PHONE:+14155550100"}},
		{"1-800-555-0199", []string{"PHONE:1-800-555-0199"}},
		{"in 2023 we sold 1,299 units at $12.50 on 2023-10-05 (05.10.2023), order #12345678", nil},
		{"order 0612345678, ISBN 978-3-16-148410-0, v10.2.3, pages 10-20, 2019-2023", nil},
		{"meeting 01.02.2023 10:30, room 123 456", nil},
		{"call 555-0100 or 123-456-7890", nil}, // 7 digits; exchange may not start with 1... area 123 starts with 1
		// cards
		{"card 4111 1111 1111 1111 exp 12/29", []string{"CARD:4111 1111 1111 1111"}},
		{"5555555555554444; 3782 822463 10005; 6011-1111-1111-1117", []string{"CARD:5555555555554444", "CARD:3782 822463 10005", "CARD:6011-1111-1111-1117"}},
		{"4111 1111 1111 1111 123 is the card and cvv", []string{"CARD:4111 1111 1111 1111"}},
		{"bad luhn 4111 1111 1111 1112, 1234 5678 9012 3452, x4111111111111111, 4111-1111 1111-1111", nil},
		// IBAN
		{"IBAN DE89 3704 0044 0532 0130 00.", []string{"IBAN:DE89 3704 0044 0532 0130 00"}},
		{"GB82WEST12345698765432 / fr1420041010050500013m02606 / NL91 ABNA 0417 1643 00", []string{"IBAN:GB82WEST12345698765432", "IBAN:fr1420041010050500013m02606", "IBAN:NL91 ABNA 0417 1643 00"}},
		{"DE89 3704 0044 0532 0130 01 and DE89370400440532013000X and QQ89370400440532013000", nil},
		// national ids
		{"SSN 536-22-4312 or 536 22 4312", []string{"ID:536-22-4312", "ID:536 22 4312"}},
		{"000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000 078-05-1120 123-45-67890", nil},
		{"DNI 12345678Z, 12345678-Z, NIE X1234567L", []string{"ID:12345678Z", "ID:12345678-Z", "ID:X1234567L"}},
		{"12345678A 12345678 Z9 X1234567A", nil},
		{"NINO AB123456C or AB 12 34 56 C", []string{"ID:AB123456C", "ID:AB 12 34 56 C"}},
		{"DA123456C GB123456A AB123456E AB12345C", nil},
		// IP
		{"from 192.168.1.20 and 8.8.8.8:53", []string{"IP:192.168.1.20", "IP:8.8.8.8"}},
		{"v6 2001:db8::1, fe80::1ff:fe23:4567:890a and ::ffff:192.0.2.1.", []string{"IP:2001:db8::1", "IP:fe80::1ff:fe23:4567:890a", "IP:::ffff:192.0.2.1"}},
		{"256.1.1.1 1.2.3.4.5 01.02.03.04 12:30:45 std::vector Add::Dec 00:1A:2B:3C:4D:5E", nil},
		// secrets
		{"key=" + fakeOpenAIKey + ".", []string{"SECRET:" + fakeOpenAIKey}},
		{"OPENAI_API_KEY=" + fakeOpenAILegacy, []string{"SECRET:" + fakeOpenAILegacy}},
		{"x-api-key: " + fakeAnthropicKey, []string{"SECRET:" + fakeAnthropicKey}},
		{fakeAWSKeyID + " / aws_secret_access_key = " + fakeAWSSecret, []string{"SECRET:" + fakeAWSKeyID, "SECRET:" + fakeAWSSecret}},
		{`{"SecretAccessKey": "` + fakeAWSSecret + `"}`, []string{"SECRET:" + fakeAWSSecret}},
		{"token " + fakeGitHubToken + " and " + fakeGitHubPAT, []string{"SECRET:" + fakeGitHubToken, "SECRET:" + fakeGitHubPAT}},
		{"slack " + fakeSlack + " google " + fakeGoogleKey, []string{"SECRET:" + fakeSlack, "SECRET:" + fakeGoogleKey}},
		{"Authorization: Bearer " + fakeJWT + ". Done", []string{"SECRET:" + fakeJWT}},
		{"key:\n" + fakePEM + "\nthanks", []string{"SECRET:" + fakePEM}},
		{"sk-this-is-not-a-real-key-example, eyJhbGciOi, AKIA123, ghp_short, " + strings.Repeat("a", 40) + " secret", nil},
		{"the secret is " + fakeAWSSecret, nil}, // no AWS label: 40 chars of base64 alone are not reported
	}
	for _, c := range cases {
		got := found(r, c.text)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Find(%q)\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

func TestPEMWithoutEndLine(t *testing.T) {
	r := mustRedactor(t)
	body := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\nAAAAMwAAAAtzc2gtZW\n"
	got, _ := r.Redact("here:\n" + body + "Thanks, Bob")
	if got != "here:\n[SECRET]\nThanks, Bob" {
		t.Fatalf("truncated PEM: %q", got)
	}
	long := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat(strings.Repeat("A", 63)+"\n", 200) + "-----END PRIVATE KEY-----"
	ms := r.Find(long)
	if len(ms) == 0 || ms[0].Start != 0 || ms[0].End > maxPEMLength {
		t.Fatalf("over-long PEM: %+v", ms)
	}
}

func TestChecks(t *testing.T) {
	for s, want := range map[string]bool{"4111111111111111": true, "4111111111111112": false, "79927398713": true, "0": true, "": false} {
		if luhnValid(s) != want {
			t.Errorf("luhn(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"DE89370400440532013000": true, "DE89370400440532013001": false, "GB82WEST12345698765432": true, "GB82WEST1234569876543": false} {
		if ibanChecksumValid([]byte(s)) != want {
			t.Errorf("iban(%q) != %v", s, want)
		}
	}
	if !dniLetterValid(12345678, 'Z') || dniLetterValid(12345678, 'A') {
		t.Error("dni letter")
	}
	head := strings.SplitN(fakeJWT, ".", 2)[0]
	if !jwtHeaderValid(head) || jwtHeaderValid("eyJmb28iOiJiYXIifQ") || jwtHeaderValid("!!!") {
		t.Error("jwt header")
	}
}

func TestKindsAndMasks(t *testing.T) {
	r := mustRedactor(t, KindEmail, "secret")
	text := "mail a@example.com, call +44 20 7946 0958, key " + fakeGitHubToken
	got, ms := r.Redact(text)
	if got != "mail [EMAIL], call +44 20 7946 0958, key [SECRET]" || len(ms) != 2 {
		t.Fatalf("got %q %v", got, ms)
	}
	if ms[1].Detector != "github_token" {
		t.Errorf("detector %q", ms[1].Detector)
	}
	if _, err := NewRedactor(RedactOptions{Kinds: []PIIKind{"PASSPORT"}}); err == nil {
		t.Error("unknown kind accepted")
	}
	for _, k := range AllKinds() {
		if k.Mask() != "["+string(k)+"]" {
			t.Errorf("mask %s", k)
		}
	}
	if m, err := ParseMode("mask-and-restore"); err != nil || m != ModeMaskAndRestore || m.String() != "mask_and_restore" {
		t.Errorf("ParseMode: %v %v", m, err)
	}
	if _, err := ParseMode("shred"); err == nil {
		t.Error("bad mode accepted")
	}
	plain := "Nothing to see here, just prose."
	if out, ms := r.Redact(plain); out != plain || ms != nil {
		t.Error("prose changed")
	}
}

func TestOverlapPriority(t *testing.T) {
	r := mustRedactor(t)
	// An SSN-shaped number is an ID, not a phone; a card is not a phone.
	if got := found(r, "536-22-4312 and 3782 822463 10005"); fmt.Sprint(got) != "[ID:536-22-4312 CARD:3782 822463 10005]" {
		t.Errorf("got %q", got)
	}
}
