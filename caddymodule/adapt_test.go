package caddymodule_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"      // registers the caddyfile adapter
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy" // reverse_proxy, to check the directive order
	_ "github.com/sluicegw/sluice/caddymodule"                         // registers ai_gateway
)

// update rewrites the expected JSON of the success cases from the actual
// output: go test ./caddymodule/ -run Adapt -update. Read the diff before
// committing it; error cases are never rewritten.
var update = flag.Bool("update", false, "rewrite the expected JSON of testdata/adapt/*.caddyfiletest from the actual output")

// adaptSeparator is the line between the Caddyfile and what is expected of
// it, as in Caddy's caddytest/integration/caddyfile_adapt.
const adaptSeparator = "----------"

// errorPrefix starts the expected part of a case that must fail to adapt; the
// rest of the line is a substring the error must contain.
const errorPrefix = "ERROR: "

// TestCaddyfileAdapt adapts every testdata/adapt/*.caddyfiletest and compares
// the result with the file's expected JSON or error.
func TestCaddyfileAdapt(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "adapt", "*.caddyfiletest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/adapt/*.caddyfiletest files")
	}
	adapter := caddyconfig.GetAdapter("caddyfile")
	if adapter == nil {
		t.Fatal("the caddyfile adapter is not registered")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
			rawCaddyfile, expected, ok := splitAdaptCase(string(data))
			if !ok {
				t.Fatalf("no %q line between the Caddyfile and the expected output", adaptSeparator)
			}
			// As Caddy's own adapt tests do: trim, and end with one newline
			// as the formatter expects.
			input := strings.TrimSpace(rawCaddyfile) + "\n"
			expected = strings.TrimSpace(expected)

			out, warnings, adaptErr := adapter.Adapt([]byte(input), nil)

			if wantErr, isErr := strings.CutPrefix(expected, errorPrefix); isErr {
				wantErr = strings.TrimSpace(wantErr)
				if wantErr == "" {
					t.Fatalf("the %q line gives no substring to look for", errorPrefix)
				}
				if adaptErr == nil {
					t.Fatalf("adapt succeeded, want an error containing %q; output:\n%s", wantErr, prettyJSON(t, out))
				}
				if !strings.Contains(adaptErr.Error(), wantErr) {
					t.Fatalf("adapt error does not contain the expected text\n got: %v\nwant: …%s…", adaptErr, wantErr)
				}
				return
			}

			if adaptErr != nil {
				t.Fatalf("adapt failed: %v", adaptErr)
			}
			for _, w := range warnings {
				if isFormattingWarning(w) {
					continue
				}
				t.Errorf("unexpected adapt warning: %s", w.String())
			}
			got := prettyJSON(t, out)

			if *update {
				rewritten := strings.TrimRight(rawCaddyfile, "\n") + "\n" + adaptSeparator + "\n" + got + "\n"
				if err := os.WriteFile(file, []byte(rewritten), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}

			if expected == "" {
				t.Fatalf("no expected JSON (run with -update to write it); got:\n%s", got)
			}
			want := prettyJSON(t, []byte(expected))
			if got != want {
				t.Errorf("adapted JSON differs from the expected JSON\n--- got:\n%s\n--- want:\n%s", got, want)
			}
		})
	}
}

// splitAdaptCase splits a case file at its first separator line into the
// Caddyfile and the expected part.
func splitAdaptCase(data string) (caddyfile, expected string, ok bool) {
	lines := strings.SplitAfter(data, "\n")
	offset := 0
	for _, line := range lines {
		if strings.TrimRight(line, " \t\n") == adaptSeparator {
			return data[:offset], data[offset+len(line):], true
		}
		offset += len(line)
	}
	return "", "", false
}

// prettyJSON normalises raw JSON: object keys sorted, two-space indent,
// numbers kept as written.
func prettyJSON(t *testing.T, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, raw)
	}
	if dec.More() {
		t.Fatalf("trailing data after the JSON value:\n%s", raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// isFormattingWarning reports whether w is only the adapter's lint that the
// input is not laid out as `caddy fmt` would.
func isFormattingWarning(w caddyconfig.Warning) bool {
	return strings.Contains(w.Message, "not formatted")
}
