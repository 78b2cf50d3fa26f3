package bedrock

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

const (
	fixtureID      = "chatcmpl-8b0a6a7c-5f3e-4d8e-9c1a-2b3c4d5e6f70"
	fixtureModel   = "anthropic.claude-3-5-sonnet-20240620-v1:0"
	fixtureCreated = 1730000000
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t testing.TB, got, want []byte) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	return reflect.DeepEqual(g, w)
}

// frame is one event stream message, as the stream fixtures write them.
type frame struct {
	Headers map[string]string `json:"headers"`
	Payload json.RawMessage   `json:"payload"`
}

// encodeFrames writes frames with the AWS SDK's encoder.
func encodeFrames(t testing.TB, frames []frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, f := range frames {
		var hs eventstream.Headers
		for _, name := range []string{":event-type", ":exception-type", ":error-code", ":error-message", ":content-type", ":message-type"} {
			if v, ok := f.Headers[name]; ok {
				hs.Set(name, eventstream.StringValue(v))
			}
		}
		if err := enc.Encode(&buf, eventstream.Message{Headers: hs, Payload: f.Payload}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// streamFixture is a stream fixture's frames, encoded.
func streamFixture(t testing.TB, name string) []byte {
	t.Helper()
	var frames []frame
	if err := json.Unmarshal(readFixture(t, name), &frames); err != nil {
		t.Fatal(err)
	}
	return encodeFrames(t, frames)
}

// event is a one-frame helper: an event of a type with a JSON payload.
func event(typ, payload string) frame {
	return frame{Headers: map[string]string{":event-type": typ, ":content-type": "application/json", ":message-type": "event"}, Payload: json.RawMessage(payload)}
}

// sseData splits an SSE text into its events' data.
func sseData(s string) []string {
	var out []string
	for _, block := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if block != "" {
			out = append(out, strings.TrimPrefix(block, "data: "))
		}
	}
	return out
}
