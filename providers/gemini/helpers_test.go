package gemini

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// update rewrites the golden files (testdata/want_*) from what the code
// produces: go test ./providers/gemini/ -run Golden -update, then review
// the diff.
var update = flag.Bool("update", false, "rewrite the golden files")

func init() {
	now = func() time.Time { return time.Unix(1741570283, 0) }
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with testdata/name: as JSON values when both are
// JSON, byte for byte otherwise.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		out := got
		if json.Valid(got) {
			var buf bytes.Buffer
			_ = json.Indent(&buf, got, "", "  ")
			out = append(buf.Bytes(), '\n')
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if json.Valid(want) && json.Valid(got) {
		if !jsonEqual(t, want, got) {
			t.Errorf("%s differs:\ngot  %s\nwant %s", name, got, bytes.TrimSpace(want))
		}
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs:\ngot\n%s\nwant\n%s", name, got, want)
	}
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// decode unmarshals JSON into a generic value, failing the test on error.
func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return v
}
