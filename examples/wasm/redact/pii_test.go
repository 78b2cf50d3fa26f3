package main

import "testing"

// The plugin's logic, tested natively: go test in this directory.

func TestRedactEmails(t *testing.T) {
	for in, want := range map[string]string{
		"no address here":                         "no address here",
		"write to ann@example.com.":               "write to [EMAIL].",
		"a@b.co and bob.smith+x@mail.example.org": "[EMAIL] and [EMAIL]",
		"user@localhost is not one":               "user@localhost is not one",
		"@example.com, x@, @":                     "@example.com, x@, @",
		"ann@example.com@example.org":             "[EMAIL]@example.org",
	} {
		if got := redactEmails(in); got != want {
			t.Errorf("redactEmails(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHasCardNumber(t *testing.T) {
	for in, want := range map[string]bool{
		"pay with 4111 1111 1111 1111 please": true,
		"4111-1111-1111-1111":                 true,
		"4111111111111111":                    true,
		"4111 1111 1111 1112":                 false, // fails the Luhn check
		"call 555 1234":                       false,
		"order 12345678901":                   false, // too short
	} {
		if got := hasCardNumber(in); got != want {
			t.Errorf("hasCardNumber(%q) = %v, want %v", in, got, want)
		}
	}
}
