// Package tests holds Sluice's end-to-end tests: they build the real caddy
// binary with the module, start it with a Caddyfile, and drive it with the
// official SDKs against a local fake upstream.
package tests

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// caddyBin is the binary built once for the whole run by TestMain.
var caddyBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	caddyBin = filepath.Join(dir, "caddy")
	_, thisFile, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(thisFile))
	build := exec.Command("go", "build", "-o", caddyBin, "./cmd/caddy")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building caddy:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// gateway is a running caddy process.
type gateway struct {
	URL       string // http://127.0.0.1:PORT
	Admin     string // the admin API's URL, when options.admin
	Caddyfile string
	cmd       *exec.Cmd
	logs      *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the process's writers and a test's
// reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stop ends the process (flushing what it buffers, such as spans) and waits.
func (g *gateway) stop() {
	if g.cmd.ProcessState != nil {
		return
	}
	_ = g.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = g.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = g.cmd.Process.Kill()
		<-done
	}
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startGateway runs the real binary with a Caddyfile whose site block holds
// body (the inside of `ai_gateway { ... }`), listening on loopback only.
func startGateway(t *testing.T, body string) *gateway {
	t.Helper()
	return startGatewayWith(t, options{body: body})
}

// options shape a test gateway beyond its ai_gateway block.
type options struct {
	body   string   // inside `ai_gateway { ... }`
	global string   // extra global options
	site   string   // extra site directives
	env    []string // extra environment
	admin  bool     // serve the admin API (and /metrics) on a loopback port
	// dataDir is Caddy's data and config home; default: a new temporary
	// directory. A test that restarts a gateway passes the same one twice.
	dataDir string
}

func startGatewayWith(t *testing.T, o options) *gateway {
	t.Helper()
	port := freePort(t)
	dir := o.dataDir
	if dir == "" {
		dir = t.TempDir()
	}
	admin := "admin off"
	g := &gateway{URL: fmt.Sprintf("http://127.0.0.1:%d", port), logs: new(syncBuffer)}
	if o.admin {
		adminPort := freePort(t)
		admin = fmt.Sprintf("admin 127.0.0.1:%d", adminPort)
		g.Admin = fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	}
	caddyfile := fmt.Sprintf(`{
	%s
	auto_https off
	persist_config off
%s
}

http://127.0.0.1:%d {
	bind 127.0.0.1
%s
	ai_gateway {
%s
	}
}
`, admin, o.global, port, o.site, o.body)
	g.Caddyfile = caddyfile
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	g.cmd = exec.Command(caddyBin, "run", "--config", path, "--adapter", "caddyfile")
	g.cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir, "HOME="+dir)
	g.cmd.Env = append(g.cmd.Env, o.env...)
	g.cmd.Stdout, g.cmd.Stderr = g.logs, g.logs
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.stop()
		if t.Failed() {
			t.Logf("caddy output:\n%s", g.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(g.URL + "/v1/models")
		if err == nil {
			resp.Body.Close()
			// 401: the site has consumers, and the probe carries no key.
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return g
			}
		}
		if time.Now().After(deadline) || g.cmd.ProcessState != nil {
			t.Fatalf("caddy did not come up: %v\n%s", err, g.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// indent puts a tab before each line, for nesting Caddyfile blocks.
func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "\t\t" + l
	}
	return strings.Join(lines, "\n")
}
