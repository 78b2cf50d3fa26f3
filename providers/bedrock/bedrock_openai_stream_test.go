package bedrock

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tidwall/gjson"
)

// translateStream runs a whole upstream stream through the translator,
// reading the translation a few bytes at a time.
func translateStream(upstream []byte) (string, error) {
	r := newStreamReader(io.NopCloser(bytes.NewReader(upstream)), fixtureID, fixtureModel, fixtureCreated)
	out, err := io.ReadAll(iotest.HalfReader(r))
	return string(out), err
}

func TestStreamFixture(t *testing.T) {
	got, err := translateStream(streamFixture(t, "converse_stream_tools.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := string(readFixture(t, "chat_stream_tools.sse"))
	if got != want {
		g, w := sseData(got), sseData(want)
		for i := range max(len(g), len(w)) {
			if i >= len(g) || i >= len(w) || g[i] != w[i] {
				t.Errorf("event %d:\n got %s\nwant %s", i, at(g, i), at(w, i))
			}
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

var (
	start     = event("messageStart", `{"role":"assistant"}`)
	hello     = event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello"}}`)
	stop      = event("messageStop", `{"stopReason":"max_tokens"}`)
	metadata  = event("metadata", `{"usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":5}}`)
	exception = frame{Headers: map[string]string{":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception"},
		Payload: []byte(`{"message":"Too many tokens, please wait before trying again."}`)}
	errorFrame = frame{Headers: map[string]string{":error-code": "InternalFailure", ":error-message": "An internal error occurred", ":message-type": "error"}}
)

func TestStreamEndings(t *testing.T) {
	for _, c := range []struct {
		name   string
		frames []frame
		cut    int // bytes cut off the end
		err    string
		last   string // the last event's data, when no error
	}{
		{"complete", []frame{start, hello, stop, metadata}, 0, "", "[DONE]"},
		{"no metadata", []frame{start, hello, stop}, 0, "", "[DONE]"},
		{"no messageStop", []frame{start, hello}, 0, "ended before its messageStop", ""},
		{"empty", nil, 0, "ended before its messageStop", ""},
		{"cut in a message", []frame{start, hello, stop, metadata}, 7, "ended inside a message", ""},
		{"exception", []frame{start, hello, exception}, 0, "bedrock throttlingException: Too many tokens", ""},
		{"error message", []frame{start, errorFrame}, 0, "bedrock InternalFailure: An internal error occurred", ""},
		{"not JSON", []frame{start, event("contentBlockDelta", `{"delta":`)}, 0, "not JSON", ""},
		{"tool input without start", []frame{start, event("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{}"}}}`)}, 0, "did not start a tool call", ""},
		{"unknown message type", []frame{{Headers: map[string]string{":message-type": "telemetry"}, Payload: []byte(`{}`)}}, 0, `"telemetry"`, ""},
		{"metadata before messageStop", []frame{start, hello, metadata, stop}, 0, "", "[DONE]"},
		{"unknown events skipped", []frame{start, event("citation", `{}`), event("contentBlockStop", `{"contentBlockIndex":0}`), stop, metadata}, 0, "", "[DONE]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			up := encodeFrames(t, c.frames)
			out, err := translateStream(up[:len(up)-c.cut])
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q; out %s", err, c.err, out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			evs := sseData(out)
			if evs[len(evs)-1] != c.last {
				t.Errorf("last event %s", evs[len(evs)-1])
			}
			for _, ev := range evs[:len(evs)-1] {
				if !gjson.Valid(ev) {
					t.Errorf("not JSON: %s", ev)
				}
			}
		})
	}
}

func TestStreamUsageAndFinish(t *testing.T) {
	out, err := translateStream(encodeFrames(t, []frame{start, hello, stop, metadata}))
	if err != nil {
		t.Fatal(err)
	}
	evs := sseData(out)
	if len(evs) != 5 {
		t.Fatalf("events %q", evs)
	}
	if gjson.Get(evs[2], "choices.0.finish_reason").String() != "length" {
		t.Errorf("finish %s", evs[2])
	}
	if gjson.Get(evs[3], "choices").Raw != "[]" || gjson.Get(evs[3], "usage").Raw != `{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0}}` {
		t.Errorf("usage chunk %s", evs[3])
	}
	early, err := translateStream(encodeFrames(t, []frame{start, hello, metadata, stop}))
	if err != nil || early != out {
		t.Errorf("metadata before messageStop: %v\n%s", err, early)
	}
}

func TestStreamRejectsCorruptMessages(t *testing.T) {
	good := encodeFrames(t, []frame{start, hello, stop, metadata})
	corrupt := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	for name, up := range map[string][]byte{
		"payload CRC": corrupt(func(b []byte) { b[20] ^= 0xff }),
		"prelude CRC": corrupt(func(b []byte) { b[9] ^= 0xff }),
		"huge length": corrupt(func(b []byte) { binary.BigEndian.PutUint32(b[0:4], 1<<30) }),
		"tiny length": corrupt(func(b []byte) { binary.BigEndian.PutUint32(b[0:4], 8) }),
		"headers over total": corrupt(func(b []byte) {
			binary.BigEndian.PutUint32(b[4:8], binary.BigEndian.Uint32(b[0:4]))
		}),
	} {
		if out, err := translateStream(up); err == nil {
			t.Errorf("%s: no error; out %s", name, out)
		}
	}
}

// gatedReader hands out its bytes only as the test releases them.
type gatedReader struct {
	chunks chan []byte
	cur    []byte
	closed bool
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if len(g.cur) == 0 {
		c, ok := <-g.chunks
		if !ok {
			return 0, io.EOF
		}
		g.cur = c
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

func (g *gatedReader) Close() error { g.closed = true; return nil }

func TestStreamTranslatesAsEventsArrive(t *testing.T) {
	up := &gatedReader{chunks: make(chan []byte, 1)}
	r := newStreamReader(up, fixtureID, fixtureModel, fixtureCreated)
	buf := make([]byte, 64<<10)
	for _, f := range []frame{start, hello} {
		up.chunks <- encodeFrames(t, []frame{f})
		n, err := r.Read(buf)
		if err != nil || n == 0 {
			t.Fatalf("read %d %v", n, err)
		}
		if f.Headers[":event-type"] == "contentBlockDelta" && !strings.Contains(string(buf[:n]), `"content":"Hello"`) {
			t.Errorf("delta chunk %s", buf[:n])
		}
	}
	if err := r.Close(); err != nil || !up.closed {
		t.Errorf("close: %v, upstream closed %v", err, up.closed)
	}
	if _, err := r.Read(buf); err == nil {
		t.Error("read after close")
	}
}

func TestStreamKeepsReadErrors(t *testing.T) {
	sentinel := errors.New("connection reset")
	up := io.MultiReader(bytes.NewReader(encodeFrames(t, []frame{start})), iotest.ErrReader(sentinel))
	r := newStreamReader(io.NopCloser(up), fixtureID, fixtureModel, fixtureCreated)
	_, err := io.ReadAll(r)
	if !errors.Is(err, sentinel) {
		t.Errorf("err %v", err)
	}
}
