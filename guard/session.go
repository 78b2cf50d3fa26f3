package guard

import (
	"strconv"
	"strings"
	"sync"
)

// Session masks one request's personal data with numbered placeholders
// and restores the originals in the answer (ModeMaskAndRestore). The same
// value always gets the same placeholder within a session, so the model can
// still tell "[EMAIL_1] wrote to [EMAIL_2]" apart and refer back to them:
// placeholders are numbered per kind in order of first appearance.
//
// A Session lives as long as one request and its answer. It is safe for
// concurrent use (the request and the streamed answer may run on different
// goroutines).
type Session struct {
	r            *Redactor
	mu           sync.Mutex
	placeholders map[sessionKey]string // (kind, value) -> "[EMAIL_1]"
	originals    map[string]string     // "[EMAIL_1]" -> value
	counts       map[PIIKind]int
}

type sessionKey struct {
	kind  PIIKind
	value string
}

// Longest placeholder kind name and number accepted by Restore: they bound
// how much a restoring stream holds back.
const (
	maxPlaceholderKind   = 8
	maxPlaceholderDigits = 9
)

// NewSession starts a mask-and-restore session using this Redactor's kinds.
func (r *Redactor) NewSession() *Session {
	return &Session{
		r:            r,
		placeholders: map[sessionKey]string{},
		originals:    map[string]string{},
		counts:       map[PIIKind]int{},
	}
}

// Mask replaces every finding in text with its placeholder, "[EMAIL_1]",
// "[PHONE_2]", ..., allocating new ones for values not seen before.
func (s *Session) Mask(text string) string {
	ms := s.r.Find(text)
	if len(ms) == 0 {
		return text
	}
	return replaceMatches(text, ms, s.placeholderFor)
}

// Restore puts the original values back in place of this session's
// placeholders. Placeholders the session did not issue (a model inventing
// "[EMAIL_9]") are left as they are.
func (s *Session) Restore(text string) string {
	if strings.IndexByte(text, '[') < 0 || s.Len() == 0 {
		return text
	}
	var ms []Match
	w := window{s: text, final: true}
	s.scanPlaceholders(&w, 0, func(m Match) { ms = append(ms, m) })
	if len(ms) == 0 {
		return text
	}
	return replaceMatches(text, ms, s.originalFor)
}

// Len is the number of distinct values masked so far.
func (s *Session) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.originals)
}

func (s *Session) placeholderFor(m Match, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := sessionKey{m.Kind, value}
	if p, ok := s.placeholders[key]; ok {
		return p
	}
	s.counts[m.Kind]++
	p := "[" + string(m.Kind) + "_" + strconv.Itoa(s.counts[m.Kind]) + "]"
	s.placeholders[key] = p
	s.originals[p] = value
	return p
}

func (s *Session) originalFor(_ Match, placeholder string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.originals[placeholder]; ok {
		return v
	}
	return placeholder
}

// scanPlaceholders reports the session's placeholders in w.s from 'from',
// with the same contract as Redactor.scan.
func (s *Session) scanPlaceholders(w *window, from int, emit func(Match)) int {
	str := w.s
	for i := from; i < len(str); {
		k := strings.IndexByte(str[i:], '[')
		if k < 0 {
			return len(str)
		}
		i += k
		w.short = false
		e := s.placeholderAt(w, i)
		if w.short {
			return i
		}
		if e < 0 {
			i++
			continue
		}
		emit(Match{Kind: PIIKind(str[i+1 : strings.IndexByte(str[i:], '_')+i]), Start: i, End: e, Detector: "placeholder"})
		i = e
	}
	return len(str)
}

// placeholderAt returns the end of an issued placeholder "[KIND_N]" at i.
func (s *Session) placeholderAt(w *window, i int) int {
	j := i + 1
	for isUpper(w.at(j)) {
		j++
		if j-(i+1) > maxPlaceholderKind {
			return -1
		}
	}
	if j == i+1 || w.at(j) != '_' {
		return -1
	}
	j++
	digitsStart := j
	for isDigit(w.at(j)) {
		j++
		if j-digitsStart > maxPlaceholderDigits {
			return -1
		}
	}
	if j == digitsStart || w.at(j) != ']' {
		return -1
	}
	j++
	s.mu.Lock()
	_, ok := s.originals[w.s[i:j]]
	s.mu.Unlock()
	if !ok {
		return -1
	}
	return j
}
