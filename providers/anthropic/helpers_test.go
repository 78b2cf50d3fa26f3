package anthropic

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGoldenJSON compares got with the golden file (as JSON values),
// or rewrites it, indented, with -update.
func checkGoldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		var out bytes.Buffer
		if err := json.Indent(&out, got, "", "  "); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, got)
		}
		out.WriteByte('\n')
		if err := os.WriteFile(filepath.Join("testdata", name), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFixture(t, name)
	if !jsonEqual(t, got, want) {
		t.Errorf("%s differs:\n got %s\nwant %s", name, got, compact(t, want))
	}
}

// checkGoldenText compares got with the golden file byte for byte, or
// rewrites it with -update.
func checkGoldenText(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", name), got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := readFixture(t, name); !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got %s\nwant %s", name, got, want)
	}
}

func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	x, _ := json.Marshal(decodeJSON(t, a))
	y, _ := json.Marshal(decodeJSON(t, b))
	return bytes.Equal(x, y)
}

func compact(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
