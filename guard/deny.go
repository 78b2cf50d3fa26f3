package guard

import (
	"fmt"
	"regexp"
	"strconv"
)

// DenyRule is one custom pattern with a name for logs and errors.
type DenyRule struct {
	Name    string
	Pattern string
}

// DenyList is a list of custom patterns (Go regexp syntax, RE2: linear
// time, no backtracking) that an operator forbids in prompts or answers.
// Patterns are case-insensitive unless they start with "(?-i)". It is
// immutable and safe for concurrent use.
type DenyList struct {
	rules []compiledDenyRule
}

type compiledDenyRule struct {
	name string
	re   *regexp.Regexp
}

// NewDenyList compiles patterns; each rule is named by its index ("0",
// "1", ...). An invalid pattern is an error naming it.
func NewDenyList(patterns []string) (*DenyList, error) {
	rules := make([]DenyRule, len(patterns))
	for k, p := range patterns {
		rules[k] = DenyRule{Name: strconv.Itoa(k), Pattern: p}
	}
	return NewNamedDenyList(rules)
}

// NewNamedDenyList compiles named rules; an empty Name falls back to the
// rule's index.
func NewNamedDenyList(rules []DenyRule) (*DenyList, error) {
	d := &DenyList{}
	for k, r := range rules {
		name := r.Name
		if name == "" {
			name = strconv.Itoa(k)
		}
		if r.Pattern == "" {
			return nil, fmt.Errorf("guard: deny rule %s: empty pattern", name)
		}
		re, err := regexp.Compile("(?i)" + r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("guard: deny rule %s: %w", name, err)
		}
		d.rules = append(d.rules, compiledDenyRule{name: name, re: re})
	}
	return d, nil
}

// Match reports the first rule, in list order, that matches text.
func (d *DenyList) Match(text string) (ruleName string, ok bool) {
	if d == nil {
		return "", false
	}
	for _, r := range d.rules {
		if r.re.MatchString(text) {
			return r.name, true
		}
	}
	return "", false
}

// Len is the number of rules.
func (d *DenyList) Len() int {
	if d == nil {
		return 0
	}
	return len(d.rules)
}
