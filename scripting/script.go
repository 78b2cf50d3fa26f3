package scripting

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Engines returns the engines this package provides: Lua and JavaScript.
func Engines() []Engine { return []Engine{LuaEngine{}, JSEngine{}} }

// Script is one script, kept current: Open watches its file and swaps in
// each new version that compiles, while requests that started on an older
// version finish on it. A version that fails to compile is logged, counted
// and skipped; the previous one keeps serving.
//
// A request pins a version with Acquire and unpins it with Release; a
// replaced version's Program is closed once its last request releases it.
type Script struct {
	name   string // the path as given, or the inline name
	path   string // "" for an inline script
	engine Engine
	limits Limits
	log    Logger

	cur    atomic.Pointer[Version]
	closed atomic.Bool
	watch  *watcher // nil for an inline script

	mu      sync.Mutex // serialises reloads; guards the fields below
	sum     [32]byte   // of the source last compiled (good or not)
	seen    fileStamp  // of the file when last read
	missing bool       // the file could not be read last time
	stats   ReloadStats
}

// Version is one compiled version of a Script, pinned by a request.
type Version struct {
	Program Program
	// Seq numbers a Script's versions from 1.
	Seq uint64
	// SHA256 is the hash of the source.
	SHA256 [32]byte
	// Loaded is when this version was compiled.
	Loaded time.Time

	refs atomic.Int64 // the Script's own reference, plus one per Acquire
}

// Release unpins the version; the last release of a replaced version closes
// its Program.
func (v *Version) Release() {
	if v.refs.Add(-1) == 0 {
		v.Program.Close()
	}
}

func (v *Version) tryAcquire() bool {
	for {
		n := v.refs.Load()
		if n <= 0 {
			return false
		}
		if v.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// ReloadStats counts a Script's reloads, for metrics and status pages.
type ReloadStats struct {
	// Version is the Seq of the version serving now.
	Version uint64
	// Reloads counts new versions swapped in after the first.
	Reloads uint64
	// Failures counts new sources that failed to compile (the previous
	// version kept serving).
	Failures uint64
	// LastError is the latest compile failure, nil if none; Failing says
	// whether the source on disk is still the one that failed.
	LastError   error
	LastErrorAt time.Time
	Failing     bool
	// LastReload is when the serving version was swapped in.
	LastReload time.Time
}

// Open compiles the script file at path, with the engine that handles its
// extension, and watches it for changes until Close. limits and log are
// passed to every version's Compile; log also receives reload messages.
func Open(path string, engines []Engine, limits Limits, log Logger) (*Script, error) {
	engine, err := engineFor(path, engines)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	s := &Script{name: filepath.Clean(path), path: abs, engine: engine, limits: limits, log: orNop(log)}
	if err := s.load(); err != nil {
		return nil, err
	}
	s.watch = startWatcher(s)
	return s, nil
}

// NewInline compiles source (a Caddyfile heredoc, say) as a script named
// name with the engine named engineName ("lua" or "js"). It never reloads.
func NewInline(name, engineName string, source []byte, engines []Engine, limits Limits, log Logger) (*Script, error) {
	var engine Engine
	var names []string
	for _, e := range engines {
		if e.Name() == engineName {
			engine = e
		}
		names = append(names, e.Name())
	}
	if engine == nil {
		return nil, fmt.Errorf("script %s: unknown engine %q (known: %s)", name, engineName, strings.Join(names, ", "))
	}
	p, err := engine.Compile(name, source, limits, log)
	if err != nil {
		return nil, err
	}
	s := &Script{name: name, engine: engine, limits: limits, log: orNop(log)}
	s.sum = sha256.Sum256(source)
	s.publish(p)
	return s, nil
}

// engineFor picks the engine for a file by its extension.
func engineFor(path string, engines []Engine) (Engine, error) {
	ext := strings.ToLower(filepath.Ext(path))
	var known []string
	for _, e := range engines {
		for _, x := range e.Extensions() {
			if x == ext {
				return e, nil
			}
			known = append(known, x)
		}
	}
	return nil, fmt.Errorf("script %s: no engine for the extension %q (known: %s)", path, ext, strings.Join(known, ", "))
}

// Name is the script's path as given to Open, or its inline name.
func (s *Script) Name() string { return s.name }

// Engine is the name of the script's engine.
func (s *Script) Engine() string { return s.engine.Name() }

// Acquire pins the current version for a request; Release it when done. It
// returns nil once the Script is closed.
func (s *Script) Acquire() *Version {
	for {
		v := s.cur.Load()
		if v == nil || v.tryAcquire() {
			return v
		}
		// v was replaced and released meanwhile: load the new one.
	}
}

// Stats returns the reload counters.
func (s *Script) Stats() ReloadStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Reload checks the file now (the watcher does it on its own): it compiles
// and swaps in a changed source, and returns the compile error of a source
// that does not compile. Unchanged sources and inline scripts are a no-op.
func (s *Script) Reload() error {
	if s.path == "" {
		return nil
	}
	return s.check(true)
}

// Close stops watching the file and releases the current version (its
// Program closes when its last request releases it).
func (s *Script) Close() {
	if s.closed.Swap(true) {
		return
	}
	if s.watch != nil {
		s.watch.stop()
	}
	s.mu.Lock()
	v := s.cur.Swap(nil)
	s.mu.Unlock()
	if v != nil {
		v.Release()
	}
}

// load compiles the file for Open: an error is returned, not logged.
func (s *Script) load() error {
	stamp, src, err := readStamped(s.path)
	if err != nil {
		return fmt.Errorf("script %s: %w", s.name, err)
	}
	p, err := s.engine.Compile(s.name, src, s.limits, s.log)
	if err != nil {
		return err
	}
	s.sum, s.seen = sha256.Sum256(src), stamp
	s.publish(p)
	return nil
}

// check reads the file and, when its content changed, compiles it and
// swaps it in. report says to return a compile error, as well as log it.
func (s *Script) check(report bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil
	}
	stamp, src, err := readStamped(s.path)
	if err != nil {
		// Editors and ConfigMaps replace files: it usually comes back.
		if !s.missing {
			s.missing = true
			s.log.Log("warn", fmt.Sprintf("script %s: cannot read it, keeping version %d: %v", s.name, s.stats.Version, err))
		}
		return nil
	}
	s.missing, s.seen = false, stamp
	sum := sha256.Sum256(src)
	if sum == s.sum {
		return nil
	}
	s.sum = sum // a broken source is compiled (and logged) once
	p, err := s.engine.Compile(s.name, src, s.limits, s.log)
	if err != nil {
		s.stats.Failures++
		s.stats.LastError, s.stats.LastErrorAt, s.stats.Failing = err, time.Now(), true
		s.log.Log("error", fmt.Sprintf("script %s: reload failed, keeping version %d: %v", s.name, s.stats.Version, err))
		if report {
			return err
		}
		return nil
	}
	s.stats.Reloads++
	s.stats.Failing = false
	s.publish(p)
	s.log.Log("info", fmt.Sprintf("script %s: reloaded, now version %d", s.name, s.stats.Version))
	return nil
}

// publish makes p the current version. Callers hold s.mu (or own s).
func (s *Script) publish(p Program) {
	v := &Version{Program: p, Seq: s.stats.Version + 1, SHA256: s.sum, Loaded: time.Now()}
	v.refs.Store(1)
	s.stats.Version, s.stats.LastReload = v.Seq, v.Loaded
	if old := s.cur.Swap(v); old != nil {
		old.Release()
	}
}

// fileStamp is what the slow poll compares before reading a file.
type fileStamp struct {
	mod  int64 // Unix nanoseconds
	size int64
	info os.FileInfo
}

// same reports whether two stamps are of the same, unchanged file (a file
// replaced by a rename is another file, even with the same time and size).
func (a fileStamp) same(b fileStamp) bool {
	return a.mod == b.mod && a.size == b.size && a.info != nil && b.info != nil && os.SameFile(a.info, b.info)
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileStamp{}, errors.New("not a regular file")
	}
	return fileStamp{fi.ModTime().UnixNano(), fi.Size(), fi}, nil
}

// readStamped reads a file and its stamp (stamp first: a change between the
// two is seen again by the next poll).
func readStamped(path string) (fileStamp, []byte, error) {
	stamp, err := stampOf(path)
	if err != nil {
		return fileStamp{}, nil, err
	}
	src, err := os.ReadFile(path)
	return stamp, src, err
}
