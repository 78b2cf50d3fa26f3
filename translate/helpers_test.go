package translate

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/sluicegw/sluice/sse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the translators' output")

// readFixture reads a file of testdata.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGoldenJSON compares got with the golden file as JSON values (key
// order and spacing aside), or rewrites the file under -update.
func checkGoldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var buf bytes.Buffer
		if err := json.Indent(&buf, got, "", "  "); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, got)
		}
		buf.WriteByte('\n')
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFixture(t, name)
	if !jsonEqual(t, got, want) {
		t.Errorf("%s: output differs from the golden file\ngot:  %s\nwant: %s", name, got, compact(t, want))
	}
}

// checkGoldenText compares got with the golden file byte for byte, or
// rewrites the file under -update.
func checkGoldenText(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := readFixture(t, name); !bytes.Equal(got, want) {
		t.Errorf("%s: output differs from the golden file\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(decodeJSON(t, a), decodeJSON(t, b))
}

func compact(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sseData reads the data of each event of an SSE stream.
func sseData(t testing.TB, stream []byte) [][]byte {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(stream), 1<<20)
	var out [][]byte
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(ev.Data))
	}
}

// event is one Anthropic stream event the translator emitted.
type event struct {
	name string
	data []byte
}

// collect returns an emit func that copies each event into *evs (the
// translator reuses its buffer).
func collect(evs *[]event) func(string, []byte) {
	return func(name string, data []byte) {
		*evs = append(*evs, event{name, bytes.Clone(data)})
	}
}

// translateStream runs every event of an OpenAI stream through a translator.
func translateStream(t testing.TB, model string, datas [][]byte) ([]event, *OpenAIStreamToAnthropic) {
	t.Helper()
	tr := NewOpenAIStreamToAnthropic(model)
	var evs []event
	for _, d := range datas {
		if err := tr.Event(d, collect(&evs)); err != nil {
			t.Fatalf("Event(%s): %v", d, err)
		}
	}
	return evs, tr
}

// renderSSE writes events as the gateway does.
func renderSSE(evs []event) []byte {
	var b []byte
	for _, e := range evs {
		b = sse.AppendEvent(b, e.name, e.data)
	}
	return b
}

// message is an Anthropic Message, decoded by hand (the SDK test, behind the
// anthropicsdk build tag, decodes with the official SDK).
type message struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	Role         string  `json:"role"`
	Model        string  `json:"model"`
	Content      []block `json:"content"`
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
	Usage        usageJS `json:"usage"`
}

type block struct {
	Type  string          `json:"type"`
	Text  string          `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

type usageJS struct {
	InputTokens   int `json:"input_tokens"`
	CacheCreation int `json:"cache_creation_input_tokens"`
	CacheRead     int `json:"cache_read_input_tokens"`
	OutputTokens  int `json:"output_tokens"`
}

// keys checks that the JSON object raw has exactly the given keys.
func keys(t testing.TB, what string, raw json.RawMessage, want ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: not an object: %s", what, raw)
	}
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: keys %v, want %v: %s", what, got, want, raw)
	}
}

// accumulate builds the Message a stream of Anthropic events describes, the
// way Anthropic's SDKs do (by block index), and checks the protocol on the
// way: event names match their types, message_start comes first and
// message_stop last, blocks start at the next index, deltas and stops go to
// open blocks of the right kind, every block stops before message_delta,
// and each object has the documented fields.
func accumulate(t testing.TB, evs []event) message {
	t.Helper()
	var msg message
	var partial []string
	var open []bool
	fail := func(i int, format string, args ...any) {
		t.Helper()
		t.Fatalf("event %d (%s %s): %s", i, evs[i].name, evs[i].data, fmt.Sprintf(format, args...))
	}
	var sawDelta bool
	for i, e := range evs {
		var ev struct {
			Type         string          `json:"type"`
			Index        *int            `json:"index"`
			Message      json.RawMessage `json:"message"`
			ContentBlock json.RawMessage `json:"content_block"`
			Delta        json.RawMessage `json:"delta"`
			Usage        json.RawMessage `json:"usage"`
		}
		if err := json.Unmarshal(e.data, &ev); err != nil {
			fail(i, "not JSON: %v", err)
		}
		if ev.Type != e.name {
			fail(i, "type %q under event name %q", ev.Type, e.name)
		}
		if (i == 0) != (e.name == "message_start") {
			fail(i, "message_start must come first, and once")
		}
		if e.name == "message_stop" && i != len(evs)-1 {
			fail(i, "events after message_stop")
		}
		switch e.name {
		case "message_start":
			keys(t, "message_start", e.data, "type", "message")
			keys(t, "message_start.message", ev.Message, "id", "type", "role", "content", "model", "stop_reason", "stop_sequence", "usage")
			if err := json.Unmarshal(ev.Message, &msg); err != nil {
				fail(i, "%v", err)
			}
			if msg.Type != "message" || msg.Role != "assistant" || len(msg.Content) != 0 || msg.StopReason != nil || msg.StopSequence != nil {
				fail(i, "message_start.message is not an empty assistant message")
			}
		case "content_block_start":
			keys(t, "content_block_start", e.data, "type", "index", "content_block")
			if ev.Index == nil || *ev.Index != len(msg.Content) {
				fail(i, "block index, want %d", len(msg.Content))
			}
			var b block
			if err := json.Unmarshal(ev.ContentBlock, &b); err != nil {
				fail(i, "%v", err)
			}
			switch b.Type {
			case "text":
				keys(t, "text block", ev.ContentBlock, "type", "text")
				if b.Text != "" {
					fail(i, "a text block starts empty")
				}
			case "tool_use":
				keys(t, "tool_use block", ev.ContentBlock, "type", "id", "name", "input")
				if b.ID == "" || string(b.Input) != "{}" {
					fail(i, "a tool_use block starts with an id and input {}")
				}
			default:
				fail(i, "unexpected block type %q", b.Type)
			}
			msg.Content = append(msg.Content, b)
			partial = append(partial, "")
			open = append(open, true)
		case "content_block_delta":
			keys(t, "content_block_delta", e.data, "type", "index", "delta")
			if ev.Index == nil || *ev.Index >= len(msg.Content) || !open[*ev.Index] {
				fail(i, "delta for a block that is not open")
			}
			var d struct {
				Type        string  `json:"type"`
				Text        *string `json:"text"`
				PartialJSON *string `json:"partial_json"`
			}
			if err := json.Unmarshal(ev.Delta, &d); err != nil {
				fail(i, "%v", err)
			}
			b := &msg.Content[*ev.Index]
			switch {
			case d.Type == "text_delta" && b.Type == "text" && d.Text != nil:
				keys(t, "text_delta", ev.Delta, "type", "text")
				b.Text += *d.Text
			case d.Type == "input_json_delta" && b.Type == "tool_use" && d.PartialJSON != nil:
				keys(t, "input_json_delta", ev.Delta, "type", "partial_json")
				partial[*ev.Index] += *d.PartialJSON
			default:
				fail(i, "delta %s does not fit a %s block", ev.Delta, b.Type)
			}
		case "content_block_stop":
			keys(t, "content_block_stop", e.data, "type", "index")
			if ev.Index == nil || *ev.Index >= len(msg.Content) || !open[*ev.Index] {
				fail(i, "stop for a block that is not open")
			}
			open[*ev.Index] = false
		case "message_delta":
			keys(t, "message_delta", e.data, "type", "delta", "usage")
			keys(t, "message_delta.delta", ev.Delta, "stop_reason", "stop_sequence")
			if slices.Contains(open, true) {
				fail(i, "message_delta while blocks are open")
			}
			var d struct {
				StopReason   *string `json:"stop_reason"`
				StopSequence *string `json:"stop_sequence"`
			}
			if err := json.Unmarshal(ev.Delta, &d); err != nil {
				fail(i, "%v", err)
			}
			if d.StopReason == nil || d.StopSequence != nil {
				fail(i, "stop_reason must be set and stop_sequence null")
			}
			msg.StopReason = d.StopReason
			// Usage counts here are totals and replace those of message_start.
			var u map[string]int
			if err := json.Unmarshal(ev.Usage, &u); err != nil {
				fail(i, "%v", err)
			}
			if _, ok := u["output_tokens"]; !ok {
				fail(i, "message_delta.usage.output_tokens is required")
			}
			for k, v := range u {
				switch k {
				case "input_tokens":
					msg.Usage.InputTokens = v
				case "cache_creation_input_tokens":
					msg.Usage.CacheCreation = v
				case "cache_read_input_tokens":
					msg.Usage.CacheRead = v
				case "output_tokens":
					msg.Usage.OutputTokens = v
				default:
					fail(i, "unexpected usage field %q", k)
				}
			}
			sawDelta = true
		case "message_stop":
			keys(t, "message_stop", e.data, "type")
			if !sawDelta {
				fail(i, "message_stop without message_delta")
			}
		default:
			fail(i, "unexpected event")
		}
	}
	if len(evs) == 0 || evs[len(evs)-1].name != "message_stop" {
		t.Fatalf("the stream does not end with message_stop")
	}
	for i := range msg.Content {
		if msg.Content[i].Type == "tool_use" && partial[i] != "" {
			msg.Content[i].Input = json.RawMessage(partial[i])
		}
	}
	return msg
}

// toolInputs decodes each tool_use block's input.
func toolInputs(t testing.TB, m message) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, b := range m.Content {
		if b.Type != "tool_use" {
			continue
		}
		var in map[string]any
		if err := json.Unmarshal(b.Input, &in); err != nil {
			t.Fatalf("tool %s input %s: %v", b.Name, b.Input, err)
		}
		out = append(out, in)
	}
	return out
}
