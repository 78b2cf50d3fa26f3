package guard

import "strings"

// StreamHoldBack is the most a StreamRedactor ever holds back, in bytes.
// What it holds is the tail that could still be the start of a match: in
// practice the trailing partial word or number. Only three things can make
// it hold more: an e-mail address (up to 319 bytes), a JWT-looking token
// (up to 4 KiB; longer ones are not reported as JWTs, by Find either) and a
// PEM private key block (up to 8 KiB; see matchPEMPrivateKey for what is
// redacted of a longer one).
const StreamHoldBack = 8 << 10

// streamContext is how much already-emitted original text a stream keeps
// for detectors that look behind a match (word boundaries, the label of an
// AWS secret).
const streamContext = 128

// StreamRedactor redacts (or masks, or restores) text that arrives in
// chunks, such as a streamed model answer. Write returns what can be sent
// now; Flush returns the rest at the end of the stream. The concatenation
// of everything returned equals what the whole-text call returns on the
// concatenated input - Redact, Session.Mask or Session.Restore - however
// the text was split, including a secret split across chunks
// ("sk-proj-AB" + "CD..."). A StreamRedactor is for one stream and one
// goroutine; after Flush it starts over.
type StreamRedactor struct {
	// OnMatch, when set, is called for every match the stream replaces,
	// as it is replaced (for counting; the Match names the kind and the
	// detector, never the value).
	OnMatch func(Match)

	scan    func(w *window, from int, emit func(Match)) int
	replace func(m Match, value string) string
	ctx     string // emitted original text kept for look-behind
	pending string // received, not decided yet
}

// NewStream returns a stream that writes fixed masks, like Redact.
func (r *Redactor) NewStream() *StreamRedactor {
	return &StreamRedactor{
		scan: func(w *window, from int, emit func(Match)) int {
			return r.scan(w, from, r.enabled, emit)
		},
		replace: func(m Match, _ string) string { return m.Kind.Mask() },
	}
}

// NewMaskStream returns a stream that writes this session's placeholders,
// like Mask.
func (s *Session) NewMaskStream() *StreamRedactor {
	return &StreamRedactor{
		scan: func(w *window, from int, emit func(Match)) int {
			return s.r.scan(w, from, s.r.enabled, emit)
		},
		replace: s.placeholderFor,
	}
}

// NewRestoreStream returns a stream that puts this session's originals
// back, like Restore; a placeholder split across chunks ("[EMA" + "IL_1]")
// is held until it is complete.
func (s *Session) NewRestoreStream() *StreamRedactor {
	return &StreamRedactor{scan: s.scanPlaceholders, replace: s.originalFor}
}

// Write adds a chunk and returns the text that is now final.
func (st *StreamRedactor) Write(chunk string) string {
	if chunk == "" {
		return ""
	}
	w := window{s: st.ctx + st.pending + chunk}
	return st.advance(&w)
}

// Flush ends the stream and returns everything still held.
func (st *StreamRedactor) Flush() string {
	if st.pending == "" {
		st.ctx = ""
		return ""
	}
	w := window{s: st.ctx + st.pending, final: true}
	out := st.advance(&w)
	st.ctx, st.pending = "", ""
	return out
}

// Held is the number of bytes received but not returned yet.
func (st *StreamRedactor) Held() int { return len(st.pending) }

func (st *StreamRedactor) advance(w *window) string {
	from := len(st.ctx)
	var b strings.Builder
	last, masked := from, false
	stop := st.scan(w, from, func(m Match) {
		masked = true
		if st.OnMatch != nil {
			st.OnMatch(m)
		}
		b.WriteString(w.s[last:m.Start])
		b.WriteString(st.replace(m, w.s[m.Start:m.End]))
		last = m.End
	})
	if !masked {
		// Nothing was masked: return a slice of the input, no copy.
		out := w.s[from:stop]
		st.keep(w.s, stop)
		return out
	}
	b.WriteString(w.s[last:stop])
	st.keep(w.s, stop)
	return b.String()
}

func (st *StreamRedactor) keep(s string, stop int) {
	st.ctx = s[max(0, stop-streamContext):stop]
	st.pending = s[stop:]
}
