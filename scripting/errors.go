package scripting

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Errors a hook call can wrap. Test for them with errors.Is; the error a
// Program returns is a *ScriptError (or a *Denial, never wrapped).
var (
	// ErrTimeout: the hook ran longer than Limits.Timeout and was stopped.
	ErrTimeout = errors.New("script timed out")
	// ErrClosed: the Program was closed (its script was replaced or removed).
	ErrClosed = errors.New("script program closed")
	// ErrInputTooLarge: the request's text and tools exceed
	// Limits.MaxInputBytes; the hook was not run.
	ErrInputTooLarge = errors.New("script input too large")
	// ErrStackOverflow: the script nested calls deeper than
	// Limits.MaxCallDepth (usually an infinite recursion).
	ErrStackOverflow = errors.New("script call stack overflow")
)

// ScriptError is a hook that failed: a runtime error in the script (its
// message says file:line), a timeout (errors.Is(err, ErrTimeout)), a value
// of the wrong shape handed back to the gateway, or a call the Program could
// not start. A hook that calls gw.deny returns a *Denial instead.
type ScriptError struct {
	Script string // the script's name (its path, or the inline name)
	Hook   Hook
	Err    error
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("script %s, %s: %v", e.Script, e.Hook, e.Err)
}

func (e *ScriptError) Unwrap() error { return e.Err }

// CompileError is a script that could not be loaded: a syntax error, an
// error raised by its top level, or no hook defined. Message starts with
// "name:line:" when the line is known (Line > 0).
type CompileError struct {
	Script  string
	Line    int
	Message string
}

func (e *CompileError) Error() string { return e.Message }

func compileErrorf(script string, line int, format string, args ...any) *CompileError {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("%s:%d: %s", script, line, msg)
	} else {
		msg = script + ": " + msg
	}
	return &CompileError{Script: script, Line: line, Message: msg}
}

// Defaults for the zero fields of Limits.
const (
	DefaultTimeout       = 50 * time.Millisecond
	DefaultMaxCallDepth  = 200
	DefaultMaxInputBytes = 4 << 20
)

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.PoolSize <= 0 {
		l.PoolSize = 4 * runtime.GOMAXPROCS(0)
	}
	if l.MaxCallDepth <= 0 {
		l.MaxCallDepth = DefaultMaxCallDepth
	}
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = DefaultMaxInputBytes
	}
	return l
}

// CheckInput returns ErrInputTooLarge (wrapped) when the text handed to a
// hook, the request's plus extra (a response or a chunk), exceeds max. Every
// engine (the Wasm one included) uses it, so all refuse the same requests.
func CheckInput(req *Request, extra string, max int) error {
	n := len(extra) + len(req.System) + len(req.Model)
	for i := range req.Messages {
		m := &req.Messages[i]
		n += len(m.Content) + len(m.Role)
		for _, p := range m.Parts {
			n += len(p.Text) + len(p.URL)
		}
		if n > max {
			break
		}
	}
	for i := range req.Tools {
		if n > max {
			break
		}
		t := &req.Tools[i]
		n += len(t.Name) + len(t.Description) + jsonSize(t.Parameters, max-n)
	}
	if n > max {
		return fmt.Errorf("%w: more than %d bytes of text", ErrInputTooLarge, max)
	}
	return nil
}

// jsonSize approximates the size of a decoded JSON value, stopping once it
// passes budget.
func jsonSize(v any, budget int) int {
	switch v := v.(type) {
	case string:
		return len(v) + 2
	case []byte:
		return len(v)
	case map[string]any:
		n := 2
		for k, e := range v {
			if n > budget {
				break
			}
			n += len(k) + 4 + jsonSize(e, budget-n)
		}
		return n
	case []any:
		n := 2
		for _, e := range v {
			if n > budget {
				break
			}
			n += 1 + jsonSize(e, budget-n)
		}
		return n
	case nil:
		return 4
	default:
		return 8
	}
}
