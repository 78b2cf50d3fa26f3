package guard

import (
	"sync"
	"testing"
)

func TestDenyList(t *testing.T) {
	d, err := NewDenyList([]string{`project\s+falcon`, `(?-i)ACME-\d{4}`})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"Tell me about Project  FALCON": "0",
		"ticket ACME-1234":              "1",
		"ticket acme-1234":              "",
		"nothing here":                  "",
	}
	for text, want := range cases {
		name, ok := d.Match(text)
		if name != want || ok != (want != "") {
			t.Errorf("Match(%q) = %q %v, want %q", text, name, ok, want)
		}
	}
	named, err := NewNamedDenyList([]DenyRule{{Name: "codename", Pattern: "falcon"}, {Pattern: "eagle"}})
	if err != nil || named.Len() != 2 {
		t.Fatal(err)
	}
	if name, _ := named.Match("the EAGLE has landed"); name != "1" {
		t.Errorf("unnamed rule name %q", name)
	}
	if _, err := NewDenyList([]string{"("}); err == nil {
		t.Error("bad pattern accepted")
	}
	if _, err := NewDenyList([]string{""}); err == nil {
		t.Error("empty pattern accepted")
	}
	var nilList *DenyList
	if _, ok := nilList.Match("x"); ok || nilList.Len() != 0 {
		t.Error("nil list")
	}
}

// TestConcurrentUse shares one Redactor, Session and detector across
// goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	r := mustRedactor(t)
	d := NewInjectionDetector(InjectionOptions{})
	s := r.NewSession()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				m := s.Mask("mail a@example.com and b@example.com, key " + fakeGitHubToken)
				if s.Restore(m) == m {
					t.Error("nothing restored")
				}
				r.Redact(pii1KB)
				d.Score(attack1KB)
			}
		}()
	}
	wg.Wait()
	if s.Len() != 3 {
		t.Errorf("session has %d values", s.Len())
	}
}
