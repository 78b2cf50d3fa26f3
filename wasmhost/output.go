package wasmhost

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/sluicegw/sluice/scripting"
)

// maxOutputBytes bounds what one call's stdout (or stderr) may hold; the
// rest is dropped, and the log says how much.
const maxOutputBytes = 64 << 10

// lineLog is a guest's stdout or stderr (WASI file descriptors 1 and 2).
// What a call writes is logged line by line when the call ends. When the
// call failed, stderr is kept instead, for describeFailure to quote the
// line that says why, and is then logged as one entry.
type lineLog struct {
	log     scripting.Logger
	level   string
	keep    bool // stderr: keep the text of a failed call
	buf     []byte
	dropped int
	kept    []byte // the stderr of the failed call
}

// Write buffers p (io.Writer for wazero's WASI).
func (l *lineLog) Write(p []byte) (int, error) {
	n := len(p) // what is dropped is dropped silently: the guest goes on
	room := maxOutputBytes - len(l.buf)
	if len(p) > room {
		l.dropped += len(p) - max(room, 0)
		p = p[:max(room, 0)]
	}
	l.buf = append(l.buf, p...)
	return n, nil
}

// flush logs the buffered lines, or keeps them when the call failed and
// this is stderr.
func (l *lineLog) flush(failed bool) {
	if len(l.buf) == 0 && l.dropped == 0 {
		return
	}
	if failed && l.keep {
		l.kept = append(l.kept[:0], l.buf...)
	} else {
		for _, line := range strings.Split(strings.TrimRight(string(l.buf), "\n"), "\n") {
			l.log.Log(l.level, line)
		}
	}
	if l.dropped > 0 {
		l.log.Log("warn", "the guest wrote more than "+strconv.Itoa(maxOutputBytes)+" bytes in one call; "+
			strconv.Itoa(l.dropped)+" were dropped")
	}
	l.buf, l.dropped = l.buf[:0], 0
}

// reason is the line of a failed call's stderr that says why it failed: a
// Go guest's "fatal error: ..." or "panic: ...", else the first line.
func (l *lineLog) reason() string {
	text := bytes.TrimSpace(l.kept)
	if len(text) == 0 {
		return ""
	}
	first := ""
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "fatal error: ") || strings.HasPrefix(line, "panic: ") {
			return clip(line, 300)
		}
		if first == "" {
			first = line
		}
	}
	return clip(first, 300)
}

// reset logs the kept stderr of a failed call as one entry and forgets it.
func (l *lineLog) reset() {
	if text := bytes.TrimSpace(l.kept); len(text) > 0 {
		l.log.Log(l.level, "stderr of the failed call:\n"+clip(string(text), 8<<10))
	}
	l.kept = l.kept[:0]
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
