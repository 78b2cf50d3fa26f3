package scripting

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func routeScript(target string) string {
	return `function route(req) return "` + target + `" end`
}

// writeReplace writes a file the way editors save: a new file renamed over
// the old one.
func writeReplace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func openScript(t *testing.T, path string) (*Script, *memLogger) {
	t.Helper()
	log := &memLogger{}
	s, err := Open(path, Engines(), Limits{}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, log
}

func routeOf(t *testing.T, s *Script) string {
	t.Helper()
	v := s.Acquire()
	defer v.Release()
	out, err := v.Program.Route(context.Background(), &Request{})
	if err != nil || len(out) != 1 {
		t.Fatalf("route = %v, %v", out, err)
	}
	return out[0]
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOpenPicksTheEngineByExtension(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.lua", "b.js"} {
		path := filepath.Join(dir, name)
		src := routeScript("p/" + name)
		if strings.HasSuffix(name, ".js") {
			src = `function route() { return "p/b.js" }`
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		s, _ := openScript(t, path)
		if got := routeOf(t, s); got != "p/"+name {
			t.Fatalf("%s: route = %q", name, got)
		}
	}
	_, err := Open(filepath.Join(dir, "c.py"), Engines(), Limits{}, nil)
	if err == nil || !strings.Contains(err.Error(), `".py"`) || !strings.Contains(err.Error(), ".lua, .js") {
		t.Fatalf("err = %v, want one naming the known extensions", err)
	}
	_, err = Open(filepath.Join(dir, "missing.lua"), Engines(), Limits{}, nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}

func TestAnEditIsServedSoon(t *testing.T) {
	old := pollInterval
	pollInterval = time.Hour // the watcher alone must see it
	defer func() { pollInterval = old }()

	path := filepath.Join(t.TempDir(), "route.lua")
	writeReplace(t, path, routeScript("a/1"))
	s, log := openScript(t, path)
	if got := routeOf(t, s); got != "a/1" {
		t.Fatalf("route = %q", got)
	}
	writeReplace(t, path, routeScript("a/2")) // an editor's save
	waitFor(t, "version 2", func() bool { return routeOf(t, s) == "a/2" })
	if err := os.WriteFile(path, []byte(routeScript("a/3")), 0o644); err != nil { // an in-place write
		t.Fatal(err)
	}
	waitFor(t, "version 3", func() bool { return routeOf(t, s) == "a/3" })
	st := s.Stats()
	if st.Version != 3 || st.Reloads != 2 || st.Failures != 0 {
		t.Fatalf("stats = %+v", st)
	}
	if !strings.Contains(strings.Join(log.all(), "\n"), "reloaded, now version 3") {
		t.Fatalf("log = %q", log.all())
	}
}

func TestThePollCatchesWhatTheWatcherMissed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route.js")
	writeReplace(t, path, `function route() { return "a/1" }`)
	s, _ := openScript(t, path)
	writeReplace(t, path, `function route() { return "a/2" }`)
	s.watch.poll() // before the watcher's debounce ends
	if got := routeOf(t, s); got != "a/2" {
		t.Fatalf("route = %q", got)
	}
}

func TestAFailedReloadKeepsTheOldVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route.lua")
	writeReplace(t, path, routeScript("a/1"))
	s, log := openScript(t, path)

	writeReplace(t, path, "function route(req)\n  return (\nend")
	err := s.Reload()
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Line != 3 || !strings.Contains(err.Error(), "route.lua:3:") {
		t.Fatalf("err = %v, want a CompileError at line 3", err)
	}
	if got := routeOf(t, s); got != "a/1" {
		t.Fatalf("route = %q, want the old version", got)
	}
	st := s.Stats()
	if st.Version != 1 || st.Failures != 1 || !st.Failing || st.LastError == nil {
		t.Fatalf("stats = %+v", st)
	}
	if !strings.Contains(strings.Join(log.all(), "\n"), "reload failed, keeping version 1") {
		t.Fatalf("log = %q", log.all())
	}
	if err := s.Reload(); err != nil { // the same broken source: not compiled again
		t.Fatalf("second reload: %v", err)
	}
	writeReplace(t, path, routeScript("a/2"))
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	st = s.Stats()
	if routeOf(t, s) != "a/2" || st.Version != 2 || st.Reloads != 1 || st.Failures != 1 || st.Failing {
		t.Fatalf("stats = %+v", st)
	}
}

func TestARequestFinishesOnItsVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route.lua")
	writeReplace(t, path, routeScript("a/1"))
	s, _ := openScript(t, path)

	pinned := s.Acquire()
	writeReplace(t, path, routeScript("a/2"))
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := routeOf(t, s); got != "a/2" {
		t.Fatalf("new requests: route = %q", got)
	}
	out, err := pinned.Program.Route(context.Background(), &Request{})
	if err != nil || !reflect.DeepEqual(out, []string{"a/1"}) {
		t.Fatalf("the pinned request: route = %v, %v", out, err)
	}
	pinned.Release() // the last holder: the old Program closes
	if _, err := pinned.Program.Route(context.Background(), &Request{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after release: err = %v, want ErrClosed", err)
	}
}

func TestARemovedFileKeepsServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route.lua")
	writeReplace(t, path, routeScript("a/1"))
	s, _ := openScript(t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := routeOf(t, s); got != "a/1" {
		t.Fatalf("route = %q", got)
	}
	writeReplace(t, path, routeScript("a/2"))
	waitFor(t, "the file to come back", func() bool { return routeOf(t, s) == "a/2" })
}

func TestInlineScripts(t *testing.T) {
	s, err := NewInline("site:inline", "js", []byte(`function route() { return "x/y" }`), Engines(), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := routeOf(t, s); got != "x/y" || s.Name() != "site:inline" || s.Engine() != "js" {
		t.Fatalf("route = %q, name %q, engine %q", got, s.Name(), s.Engine())
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewInline("x", "python", nil, Engines(), Limits{}, nil); err == nil || !strings.Contains(err.Error(), "lua, js") {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewInline("x", "lua", []byte("route("), Engines(), Limits{}, nil); err == nil {
		t.Fatal("a syntax error compiled")
	}
}

func TestCloseReleasesTheVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route.lua")
	writeReplace(t, path, routeScript("a/1"))
	s, err := Open(path, Engines(), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := s.Acquire()
	s.Close()
	s.Close()
	if s.Acquire() != nil {
		t.Fatal("Acquire after Close returned a version")
	}
	if got, err := v.Program.Route(context.Background(), &Request{}); err != nil || got[0] != "a/1" {
		t.Fatalf("a request in flight: %v, %v", got, err)
	}
	v.Release()
	if _, err := v.Program.Route(context.Background(), &Request{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}
