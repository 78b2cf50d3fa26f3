package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, r *Reader) []string {
	t.Helper()
	var out []string
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		s := string(ev.Data)
		if ev.Name != nil {
			s = string(ev.Name) + "|" + s
		}
		out = append(out, s)
	}
}

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []string{`{"a":1}`, "[DONE]"}},
		{"crlf", "data: x\r\n\r\ndata: y\r\n\r\n", []string{"x", "y"}},
		{"lone CR", "data: a\rdata: b\r\revent: e\rdata: c\r\r", []string{"a\nb", "e|c"}},
		{"named", "event: message_start\ndata: {}\n\n", []string{"message_start|{}"}},
		{"multiline data", "data: a\ndata: b\n\n", []string{"a\nb"}},
		{"no space after colon", "data:x\n\n", []string{"x"}},
		{"comments and keep-alives skipped", ": ping\n\n: OPENROUTER PROCESSING\n\ndata: x\n\n", []string{"x"}},
		{"id and retry ignored", "id: 1\nretry: 10\ndata: x\n\n", []string{"x"}},
		{"last event without blank line", "data: x\n\ndata: [DONE]", []string{"x", "[DONE]"}},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readAll(t, NewReader(strings.NewReader(tc.in), 1<<20))
			if strings.Join(got, "\x00") != strings.Join(tc.want, "\x00") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			// The same input fed one byte at a time gives the same events.
			got = readAll(t, NewReader(iotest.OneByteReader(strings.NewReader(tc.in)), 1<<20))
			if strings.Join(got, "\x00") != strings.Join(tc.want, "\x00") {
				t.Errorf("one byte at a time: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	got := readAll(t, NewReader(strings.NewReader("data: "+long+"\n\ndata: y\n\n"), 1<<20))
	if len(got) != 2 || got[0] != long || got[1] != "y" {
		t.Fatalf("long line lost: %d events", len(got))
	}
	_, err := NewReader(strings.NewReader("data: "+long+"\n\n"), 1000).Next()
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("err = %v, want ErrEventTooLarge", err)
	}
	_, err = NewReader(strings.NewReader(strings.Repeat("data: abc\n", 1000)+"\n"), 1000).Next()
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("many data lines: err = %v, want ErrEventTooLarge", err)
	}
}

func TestReaderPassesSourceErrors(t *testing.T) {
	boom := errors.New("reset")
	r := NewReader(io.MultiReader(strings.NewReader("data: x\n\ndata: y"), iotest.ErrReader(boom)), 1<<20)
	if ev, err := r.Next(); err != nil || string(ev.Data) != "x" {
		t.Fatalf("first event: %q %v", ev.Data, err)
	}
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the source's", err)
	}
}

func TestAppendEventRoundTrips(t *testing.T) {
	var b []byte
	b = AppendEvent(b, "", []byte(`{"a":1}`))
	b = AppendEvent(b, "error", []byte("line1\nline2"))
	if want := "data: {\"a\":1}\n\nevent: error\ndata: line1\ndata: line2\n\n"; string(b) != want {
		t.Fatalf("got %q", b)
	}
	got := readAll(t, NewReader(strings.NewReader(string(b)), 1<<20))
	if len(got) != 2 || got[1] != "error|line1\nline2" {
		t.Fatalf("round trip: %q", got)
	}
}

func FuzzReader(f *testing.F) {
	f.Add("data: {\"a\":1}\n\ndata: [DONE]\n\n")
	f.Add("event: x\r\ndata: y\r\n\r\n: c\n\n")
	f.Add("data:\n\ndata")
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in), 4096)
		for i := 0; i < len(in)+2; i++ {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if len(ev.Data) > 4096 {
				t.Fatalf("event over the limit: %d bytes", len(ev.Data))
			}
			// What AppendEvent writes reads back the same.
			back, err := NewReader(strings.NewReader(string(AppendEvent(nil, string(ev.Name), ev.Data))), 1<<20).Next()
			if err != nil || string(back.Data) != string(ev.Data) {
				t.Fatalf("round trip of %q: %q, %v", ev.Data, back.Data, err)
			}
		}
		t.Fatal("reader did not end")
	})
}
