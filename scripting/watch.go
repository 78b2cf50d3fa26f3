package scripting

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// How a Script notices changes: fsnotify on the file's directory (editors
// and ConfigMaps replace files rather than write them), debounced, for
// speed; and a slow poll of the file's modification time and size, for
// what fsnotify misses (network file systems, exhausted inotify limits).
// Either way the content is hashed and an unchanged file is not compiled.
var (
	debounceDelay = 100 * time.Millisecond
	pollInterval  = 2 * time.Second
)

type watcher struct {
	s        *Script
	fs       *fsnotify.Watcher // nil when fsnotify is unavailable: poll only
	debounce *time.Timer
	interval time.Duration // of the poll
	quit     chan struct{}
	done     sync.WaitGroup
}

func startWatcher(s *Script) *watcher {
	w := &watcher{s: s, interval: pollInterval, quit: make(chan struct{})}
	w.debounce = time.AfterFunc(time.Hour, func() { _ = s.check(false) })
	w.debounce.Stop()
	fsw, err := fsnotify.NewWatcher()
	if err == nil {
		if err = fsw.Add(filepath.Dir(s.path)); err != nil {
			_ = fsw.Close()
		}
	}
	if err != nil {
		s.log.Log("warn", fmt.Sprintf("script %s: cannot watch its directory, polling every %v instead: %v", s.name, w.interval, err))
	} else {
		w.fs = fsw
	}
	w.done.Add(1)
	go w.loop()
	return w
}

func (w *watcher) loop() {
	defer w.done.Done()
	var events chan fsnotify.Event
	var errs chan error
	if w.fs != nil {
		events, errs = w.fs.Events, w.fs.Errors
	}
	poll := time.NewTicker(w.interval)
	defer poll.Stop()
	base := filepath.Base(w.s.path)
	for {
		select {
		case <-w.quit:
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			// Our file, or a Kubernetes ConfigMap's ..data link swap.
			if name := filepath.Base(ev.Name); name == base || strings.HasPrefix(name, "..") {
				w.debounce.Reset(debounceDelay)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.s.log.Log("warn", fmt.Sprintf("script %s: watching: %v", w.s.name, err))
		case <-poll.C:
			w.poll()
		}
	}
}

// poll rereads the file when its stamp changed (or it was unreadable).
func (w *watcher) poll() {
	stamp, err := stampOf(w.s.path)
	w.s.mu.Lock()
	changed := err != nil || w.s.missing || !stamp.same(w.s.seen)
	w.s.mu.Unlock()
	if changed {
		_ = w.s.check(false)
	}
}

func (w *watcher) stop() {
	close(w.quit)
	w.done.Wait()
	w.debounce.Stop()
	if w.fs != nil {
		_ = w.fs.Close()
	}
}
