package tests

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wat2wasm assembles WebAssembly text (Debian's wabt; make test installs it).
func wat2wasm(t *testing.T, wat, out string) {
	t.Helper()
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		t.Fatal("wat2wasm is not installed: apt-get install -y wabt (make test does it)")
	}
	if b, err := exec.Command("wat2wasm", wat, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
}

// TestWasmScriptThroughTheBinary routes with a WebAssembly plugin written in
// WebAssembly text (no SDK), then replaces the file and sees the new version
// served, as with Lua and JavaScript.
func TestWasmScriptThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../examples/wasm/fixed_route.wat")
	if err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(dir, "route.wasm")
	build := func(target string) {
		wat := filepath.Join(dir, "route.wat")
		if err := os.WriteFile(wat, []byte(strings.ReplaceAll(string(src), "openai/gpt-4o-mini", target)), 0o644); err != nil {
			t.Fatal(err)
		}
		wat2wasm(t, wat, plugin+".tmp")
		if err := os.Rename(plugin+".tmp", plugin); err != nil {
			t.Fatal(err)
		}
	}
	build("openai/gpt-4o-mini")
	g := startGateway(t, indent(`provider openai {
	type mock
}
script `+plugin))
	served := func() string {
		resp, err := http.Post(g.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"anything","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return resp.Header.Get("X-Sluice-Provider") + "/" + resp.Header.Get("X-Sluice-Model")
	}
	if got := served(); got != "openai/gpt-4o-mini" {
		t.Fatalf("routed to %s", got)
	}
	build("openai/gpt-4o-mino") // same length: the plugin's result length is fixed
	deadline := time.Now().Add(5 * time.Second)
	for served() != "openai/gpt-4o-mino" {
		if time.Now().After(deadline) {
			t.Fatal("the replaced plugin was never served")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
