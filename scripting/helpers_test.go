package scripting

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// memLogger records what scripts log.
type memLogger struct {
	mu      sync.Mutex
	entries []string // "level: message"
}

func (l *memLogger) Log(level, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, level+": "+message)
}

func (l *memLogger) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.entries...)
}

var engines = []Engine{LuaEngine{}, JSEngine{}}

// compile compiles source for an engine or fails the test.
func compile(t testing.TB, e Engine, source string, limits Limits, log Logger) Program {
	t.Helper()
	p, err := e.Compile("test"+e.Extensions()[0], []byte(source), limits, log)
	if err != nil {
		t.Fatalf("%s: compile: %v", e.Name(), err)
	}
	t.Cleanup(p.Close)
	return p
}

// sampleRequest is a small chat request: a system prompt and two messages.
func sampleRequest() *Request {
	maxTokens := 256
	temperature := 0.7
	return &Request{
		Model:  "gpt-4o-mini",
		System: "You are terse.",
		Messages: []Message{
			{Role: "user", Content: "What is the capital of France?"},
			{Role: "assistant", Content: "Paris."},
		},
		MaxTokens:            &maxTokens,
		Temperature:          &temperature,
		Consumer:             Consumer{Name: "alice", Metadata: map[string]string{"tier": "gold"}},
		Headers:              map[string]string{"x-team": "search", "user-agent": "test"},
		ClientIP:             "10.0.0.7",
		EstimatedInputTokens: 21,
	}
}

// idleVM is the VM waiting in a Program's pool, if one is (for tests that
// check a VM was replaced).
func idleVM(p Program) any {
	switch p := p.(type) {
	case *program[*luaVM]:
		select {
		case v := <-p.pool.idle:
			p.pool.idle <- v
			return v
		default:
		}
	case *program[*jsVM]:
		select {
		case v := <-p.pool.idle:
			p.pool.idle <- v
			return v
		default:
		}
	}
	return nil
}

func mustRoute(t *testing.T, p Program, req *Request) []string {
	t.Helper()
	out, err := p.Route(context.Background(), req)
	if err != nil {
		t.Fatalf("route: %v", err)
	}
	return out
}

func fmtList(s []string) string { return fmt.Sprintf("%q", s) }
