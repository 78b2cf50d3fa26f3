package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// portkeyVersion is the version bench/portkey/package.json pins (with
// @hono/node-server 1.13.5: later versions fail every stream with
// "TypeError: immutable").
const portkeyVersion = "1.15.2"

// startPortkey installs Portkey's open-source gateway from npm into
// bench/.portkey (once; again when the pinned package files change) and
// starts it on a loopback port. Any failure leaves it out of the run, with
// the reason.
func (r *runner) startPortkey(ctx context.Context) *endpoint {
	e := &endpoint{name: "portkey", what: "Portkey " + portkeyVersion + " open-source gateway (Node, one process), custom host = the same fake", kind: "portkey", path: openAIPath}
	gw, err := r.installPortkey(ctx)
	if err != nil {
		e.skip = "could not install Portkey: " + err.Error()
		return e
	}
	port, err := freePort()
	if err != nil {
		e.skip = err.Error()
		return e
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TRUSTED_CUSTOM_HOSTS=") && !strings.HasPrefix(kv, "PORT=") {
			env = append(env, kv) // the default trusted hosts include 127.0.0.1
		}
	}
	preload := filepath.Join(r.root, "bench", "portkey", "bind-loopback.mjs")
	p, err := startProc("portkey", gw, r.logDir, "node",
		[]string{"--import", "file://" + preload, "build/start-server.js", fmt.Sprintf("--port=%d", port), "--headless"}, env)
	if err != nil {
		e.skip = "could not start Portkey: " + err.Error()
		return e
	}
	if err := p.waitPort(port, 30*time.Second); err != nil {
		p.stop()
		e.skip = "Portkey did not start: " + err.Error()
		return e
	}
	e.proc, e.base = p, fmt.Sprintf("http://127.0.0.1:%d", port)
	e.header = http.Header{
		"X-Portkey-Provider": {"openai"},
		"Authorization":      {"Bearer unused"},
	}
	// Portkey calls the custom host's /chat/completions: the fake of the workload.
	e.workloadHeader = func(w workload) (string, string) { return "X-Portkey-Custom-Host", r.fakeURL(w) + "/v1" }
	return e
}

// installPortkey makes sure bench/.portkey holds the pinned install and
// returns the gateway package's directory.
func (r *runner) installPortkey(ctx context.Context) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("node is not installed")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("npm is not installed")
	}
	src := filepath.Join(r.root, "bench", "portkey")
	dst := filepath.Join(r.root, "bench", ".portkey")
	gw := filepath.Join(dst, "node_modules", "@portkey-ai", "gateway")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	changed := false
	for _, f := range []string{"package.json", "package-lock.json"} {
		want, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return "", err
		}
		have, _ := os.ReadFile(filepath.Join(dst, f))
		if !bytes.Equal(want, have) {
			changed = true
			if err := os.WriteFile(filepath.Join(dst, f), want, 0o644); err != nil {
				return "", err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(gw, "build", "start-server.js")); err == nil && !changed {
		return gw, nil
	}
	r.logf("installing Portkey %s from npm into bench/.portkey (npm ci) ...", portkeyVersion)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = dst
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm ci: %v: %s", err, lastLines(string(out), 5))
	}
	if _, err := os.Stat(filepath.Join(gw, "build", "start-server.js")); err != nil {
		return "", fmt.Errorf("npm ci left no %s", filepath.Join(gw, "build", "start-server.js"))
	}
	return gw, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
