package guard

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// piiSamples are values the property tests splice into prose.
var piiSamples = []string{
	"jane.doe+tag@mail.example.co.uk", "bob@example.org", "+44 20 7946 0958", "(415) 555-0100",
	"06 12 34 56 78", "4111 1111 1111 1111", "5555555555554444", "3782 822463 10005",
	"DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "536-22-4312", "12345678Z",
	"AB 12 34 56 C", "192.168.1.20", "2001:db8::1", fakeOpenAIKey, fakeOpenAILegacy,
	fakeAnthropicKey, fakeGitHubToken, fakeGitHubPAT, fakeAWSKeyID,
	"aws_secret_access_key=" + fakeAWSSecret, fakeSlack, fakeGoogleKey, fakeJWT, fakePEM,
	"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n",
}

// proseSamples include near misses so that chunk boundaries land on them.
var proseSamples = []string{
	"Hello there, ", "the build is fine. ", "in 2023 ", "costs $12.50 ", "order #12345678 ", "\n",
	"sk-not-a-key ", "eyJ ", "-----BEGIN CERTIFICATE----- ", "AKIA ", "x@y ", "4111 1111 ", "v1.2.3.4.5 ",
	"12:30:45 ", "Straße ", "日本語 ", "[EMAIL_1] ", "[EMA", "ghp_ ", "(", "+", "-", " ", "@",
}

func randomText(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(12); n >= 0; n-- {
		if rng.IntN(3) == 0 {
			b.WriteString(piiSamples[rng.IntN(len(piiSamples))])
		} else {
			b.WriteString(proseSamples[rng.IntN(len(proseSamples))])
		}
		if rng.IntN(4) == 0 {
			b.WriteString(" ")
		}
	}
	return b.String()
}

// randomChunks splits s at random byte offsets, favouring small chunks.
func randomChunks(rng *rand.Rand, s string) []string {
	var out []string
	for len(s) > 0 {
		n := 1 + rng.IntN(min(len(s), []int{1, 3, 20, 200}[rng.IntN(4)]))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func streamAll(t testing.TB, st *StreamRedactor, chunks []string) string {
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString(st.Write(c))
		if st.Held() > StreamHoldBack {
			t.Fatalf("held %d bytes > StreamHoldBack", st.Held())
		}
	}
	b.WriteString(st.Flush())
	return b.String()
}

func TestStreamEqualsRedact(t *testing.T) {
	r := mustRedactor(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 3000; iter++ {
		text := randomText(rng)
		want, _ := r.Redact(text)
		chunks := randomChunks(rng, text)
		if got := streamAll(t, r.NewStream(), chunks); got != want {
			t.Fatalf("chunks %q\n got %q\nwant %q", chunks, got, want)
		}
	}
}

func TestStreamSplitSecret(t *testing.T) {
	r := mustRedactor(t)
	st := r.NewStream()
	key := fakeOpenAIKey
	out := st.Write("my key is sk-proj-AB")
	if out != "my key is " {
		t.Fatalf("first write emitted %q", out)
	}
	out += st.Write(key[len("sk-proj-AB"):])
	out += st.Write(" ok, thanks")
	out += st.Flush()
	if out != "my key is [SECRET] ok, thanks" {
		t.Fatalf("got %q", out)
	}
}

func TestStreamEmitsEarly(t *testing.T) {
	r := mustRedactor(t)
	st := r.NewStream()
	if got := st.Write("Hello world, this is plain prose. Goodb"); got != "Hello world, this is plain prose. " {
		t.Fatalf("emitted %q", got)
	}
	if st.Held() != len("Goodb") {
		t.Fatalf("held %d", st.Held())
	}
	if got := st.Write("ye!"); got != "Goodbye!" {
		t.Fatalf("emitted %q", got)
	}
	// A long PEM block is held until its END line, then masked whole.
	pem := strings.SplitAfter(fakePEM, "\n")
	out := ""
	for _, line := range pem[:len(pem)-1] {
		out += st.Write(line)
	}
	if out != "" {
		t.Fatalf("PEM leaked early: %q", out)
	}
	out += st.Write(pem[len(pem)-1]) + st.Write("\nbye") + st.Flush()
	if out != "[SECRET]\nbye" {
		t.Fatalf("got %q", out)
	}
}

func TestSessionMaskRestore(t *testing.T) {
	r := mustRedactor(t)
	s := r.NewSession()
	in := "From a@example.com to b@example.com, cc a@example.com; call +44 20 7946 0958."
	masked := s.Mask(in)
	want := "From [EMAIL_1] to [EMAIL_2], cc [EMAIL_1]; call [PHONE_1]."
	if masked != want {
		t.Fatalf("Mask: %q", masked)
	}
	// A later message in the same session reuses the numbering.
	if got := s.Mask("again b@example.com and c@example.com"); got != "again [EMAIL_2] and [EMAIL_3]" {
		t.Fatalf("second Mask: %q", got)
	}
	answer := "I wrote to [EMAIL_2] and [EMAIL_1], not [EMAIL_9] or [PHONE_1 ]; phone [PHONE_1]."
	restored := s.Restore(answer)
	if restored != "I wrote to b@example.com and a@example.com, not [EMAIL_9] or [PHONE_1 ]; phone +44 20 7946 0958." {
		t.Fatalf("Restore: %q", restored)
	}
	if s.Len() != 4 {
		t.Errorf("Len %d", s.Len())
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 500; iter++ {
		if got := streamAll(t, s.NewRestoreStream(), randomChunks(rng, answer)); got != restored {
			t.Fatalf("restore stream: %q", got)
		}
	}
}

func TestSessionStreamsEqualWholeText(t *testing.T) {
	r := mustRedactor(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 1000; iter++ {
		text := randomText(rng)
		whole, streamed := r.NewSession(), r.NewSession()
		want := whole.Mask(text)
		got := streamAll(t, streamed.NewMaskStream(), randomChunks(rng, text))
		if got != want {
			t.Fatalf("mask stream\n got %q\nwant %q", got, want)
		}
		back := streamAll(t, streamed.NewRestoreStream(), randomChunks(rng, got))
		if back != whole.Restore(want) {
			t.Fatalf("restore stream %q", back)
		}
	}
}

// A PEM body longer than the cap: the stream never holds more than
// StreamHoldBack and still equals Redact (which masks the first 8 KiB).
func TestStreamLongPEM(t *testing.T) {
	r := mustRedactor(t)
	text := "start\n-----BEGIN PRIVATE KEY-----\n" + strings.Repeat(strings.Repeat("Q", 64)+"\n", 300) + "-----END PRIVATE KEY-----\nend"
	want, ms := r.Redact(text)
	if len(ms) != 1 || ms[0].End-ms[0].Start > StreamHoldBack {
		t.Fatalf("matches %+v", ms)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 20; iter++ {
		if got := streamAll(t, r.NewStream(), randomChunks(rng, text)); got != want {
			t.Fatal("long PEM stream differs from Redact")
		}
	}
}
