package providers

import (
	"io"
	"testing"
)

func TestBodyReleasesOnceAfterEveryReaderAndTheOwner(t *testing.T) {
	released := 0
	call := &Call{Body: []byte("hello"), Release: func() { released++ }}
	b := NewBody(call)
	first := b.Reader()
	got, _ := io.ReadAll(first)
	if string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
	retry := b.Reader() // a transport's GetBody
	_ = first.Close()
	_ = first.Close() // a second Close drops nothing more
	b.Done()          // the attempt is over
	if released != 0 {
		t.Fatal("released while a reader was still open")
	}
	if got, _ := io.ReadAll(retry); string(got) != "hello" {
		t.Fatalf("retry read %q", got)
	}
	_ = retry.Close()
	if released != 1 {
		t.Fatalf("released %d times, want 1", released)
	}
	if _, err := first.Read(make([]byte, 1)); err == nil {
		t.Error("read after close succeeded")
	}
}
