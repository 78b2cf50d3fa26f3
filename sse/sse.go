// Package sse reads and writes server-sent events (text/event-stream) as LLM
// providers use them: one event at a time, without buffering the stream.
//
// The reader follows the WHATWG event-stream grammar: lines end in LF, CRLF
// or a lone CR, an empty line ends an event, "data" lines are joined with LF,
// "event" names the event, lines starting with ":" are comments. Comment-only
// blocks (keep-alives) are skipped; "id" and "retry" are ignored.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Event is one server-sent event. Its slices are valid until the next call
// to Reader.Next.
type Event struct {
	Name []byte // the "event" field; nil when absent
	Data []byte // the "data" lines joined with LF
}

// ErrEventTooLarge is returned when one event grows past the reader's limit.
var ErrEventTooLarge = errors.New("sse: event too large")

// Reader splits a stream into events.
type Reader struct {
	br       *bufio.Reader
	maxEvent int
	line     []byte // spill buffer for lines longer than br's buffer
	pending  []byte // the rest of a line after a lone CR: more lines
	inLine   bool   // pending is set
	name     []byte
	data     []byte
	hasData  bool
}

// NewReader reads events from r. maxEvent bounds the size of one event's data
// (a hostile or broken upstream cannot make the gateway buffer without end).
func NewReader(r io.Reader, maxEvent int) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, bufferSize), maxEvent: maxEvent}
}

// bufferSize is the read buffer of a Reader: every open stream holds one. An
// upstream flushes an event or a few at a time, far under 4 KiB, so one
// read rarely fills it; longer lines spill into Reader.line. (At 16 KiB,
// 512 streams held 8 MiB of mostly empty buffers.)
const bufferSize = 4 << 10

// Reset makes the reader read from src, dropping all state; it lets callers
// pool readers and their buffers.
func (r *Reader) Reset(src io.Reader) {
	r.br.Reset(src)
	r.line = r.line[:0]
	r.pending, r.inLine = nil, false
}

// Buffered reports how many bytes are already read from the source but not
// yet returned as events. A relay flushes its client when this is zero:
// events that arrived together leave together.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Next returns the next event. At the end of the stream it returns io.EOF; an
// event that the stream ends without its terminating empty line is still
// returned first. Any other error is the source's.
func (r *Reader) Next() (Event, error) {
	r.name = r.name[:0]
	r.data = r.data[:0]
	r.hasData = false
	hasName := false
	for {
		line, err := r.nextLine()
		if err != nil {
			if err == io.EOF && (r.hasData || hasName) {
				return r.event(hasName), nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if r.hasData || hasName {
				return r.event(hasName), nil
			}
			continue // empty block or comment-only keep-alive
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if r.hasData {
				r.data = append(r.data, '\n')
			}
			if len(r.data)+len(value) > r.maxEvent {
				return Event{}, fmt.Errorf("%w (over %d bytes)", ErrEventTooLarge, r.maxEvent)
			}
			r.data = append(r.data, value...)
			r.hasData = true
		case "event":
			r.name = append(r.name[:0], value...)
			hasName = true
		}
	}
}

func (r *Reader) event(hasName bool) Event {
	ev := Event{Data: r.data}
	if hasName {
		ev.Name = r.name
	}
	return ev
}

// nextLine returns the next line, splitting at lone CRs.
func (r *Reader) nextLine() ([]byte, error) {
	if !r.inLine {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		r.pending, r.inLine = line, true
	}
	line := r.pending
	if i := bytes.IndexByte(line, '\r'); i >= 0 {
		r.pending = line[i+1:]
		return line[:i], nil
	}
	r.pending, r.inLine = nil, false
	return line, nil
}

// readLine returns the next LF-terminated line without its LF or CRLF.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.line = append(r.line[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.line) > r.maxEvent {
				return nil, fmt.Errorf("%w (a line over %d bytes)", ErrEventTooLarge, r.maxEvent)
			}
			line, err = r.br.ReadSlice('\n')
			r.line = append(r.line, line...)
		}
		line = r.line
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return trimEOL(line), nil // last line without its LF
		}
		return nil, err
	}
	return trimEOL(line), nil
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// AppendEvent appends one event in wire form to dst: an "event" line when
// name is not empty, one "data" line per line of data, and the empty line
// that ends the event.
func AppendEvent(dst []byte, name string, data []byte) []byte {
	if name != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	for {
		i := bytes.IndexByte(data, '\n')
		dst = append(dst, "data: "...)
		if i < 0 {
			dst = append(dst, data...)
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		data = data[i+1:]
	}
	return append(dst, '\n', '\n')
}
