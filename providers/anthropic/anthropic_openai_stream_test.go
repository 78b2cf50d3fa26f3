package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/openai/openai-go/v3"
	"github.com/sluicegw/sluice/sse"
)

// upstreamBody is a fake upstream body that records its closing.
type upstreamBody struct {
	io.Reader
	closed bool
}

func (u *upstreamBody) Close() error { u.closed = true; return nil }

// readStream translates an upstream stream and returns what the client
// reads and the read error that ended it (nil at a clean end).
func readStream(t testing.TB, upstream []byte, reads func(io.Reader) io.Reader) ([]byte, error) {
	t.Helper()
	body := newStreamBody(&upstreamBody{Reader: bytes.NewReader(upstream)}, created)
	var r io.Reader = body
	if reads != nil {
		r = reads(body)
	}
	out, err := io.ReadAll(r)
	_ = body.Close()
	return out, err
}

// chunks decodes the client's stream into chunks, checking its framing and
// that it ends with [DONE].
func chunks(t *testing.T, stream []byte) []openai.ChatCompletionChunk {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(stream), 1<<20)
	var out []openai.ChatCompletionChunk
	done := false
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if done {
			t.Fatalf("an event after [DONE]: %s", ev.Data)
		}
		if string(ev.Data) == "[DONE]" {
			done = true
			continue
		}
		var c openai.ChatCompletionChunk
		if err := json.Unmarshal(ev.Data, &c); err != nil || c.Object != "chat.completion.chunk" {
			t.Fatalf("not a chunk (%v): %s", err, ev.Data)
		}
		out = append(out, c)
	}
	if !done {
		t.Fatal("no [DONE]")
	}
	return out
}

// accumulate runs the chunks through the OpenAI SDK's accumulator.
func accumulate(t *testing.T, cs []openai.ChatCompletionChunk) openai.ChatCompletionAccumulator {
	t.Helper()
	var acc openai.ChatCompletionAccumulator
	for _, c := range cs {
		if !acc.AddChunk(c) {
			t.Fatalf("the SDK refused chunk %s", c.RawJSON())
		}
	}
	return acc
}

func TestStreamGolden(t *testing.T) {
	for _, name := range []string{"text", "tool_use"} {
		t.Run(name, func(t *testing.T) {
			out, err := readStream(t, readFixture(t, "anthropic_stream_"+name+".sse"), nil)
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenText(t, "openai_stream_"+name+".sse", out)
			// Byte-sized reads give the same stream.
			small, err := readStream(t, readFixture(t, "anthropic_stream_"+name+".sse"), iotest.OneByteReader)
			if err != nil || !bytes.Equal(small, out) {
				t.Errorf("one-byte reads: %v\n%s", err, small)
			}
		})
	}
}

func TestStreamWithSDK(t *testing.T) {
	out, _ := readStream(t, readFixture(t, "anthropic_stream_text.sse"), nil)
	cs := chunks(t, out)
	acc := accumulate(t, cs)
	if got := acc.Choices[0].Message.Content; got != "Hello \"there\" <friend>,\nhow can I help? é" {
		t.Errorf("content %q", got)
	}
	if acc.Choices[0].FinishReason != "stop" || acc.ID != "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY" {
		t.Errorf("finish %q id %q", acc.Choices[0].FinishReason, acc.ID)
	}
	last := cs[len(cs)-1]
	if len(last.Choices) != 0 || last.Usage.PromptTokens != 25+1024 || last.Usage.PromptTokensDetails.CachedTokens != 1024 ||
		last.Usage.CompletionTokens != 15 || last.Usage.TotalTokens != 1064 {
		t.Errorf("usage chunk %s", last.RawJSON())
	}

	// Cache writes: in prompt_tokens, and as cache_write_tokens.
	written := bytes.Replace(readFixture(t, "anthropic_stream_text.sse"), []byte(`"cache_creation_input_tokens":0`), []byte(`"cache_creation_input_tokens":300`), 1)
	out, _ = readStream(t, written, nil)
	cs = chunks(t, out)
	if u := cs[len(cs)-1].Usage; u.PromptTokens != 25+1024+300 || u.PromptTokensDetails.CachedTokens != 1024 || u.PromptTokensDetails.CacheWriteTokens != 300 {
		t.Errorf("usage chunk with cache writes %s", cs[len(cs)-1].RawJSON())
	}

	out, _ = readStream(t, readFixture(t, "anthropic_stream_tool_use.sse"), nil)
	acc = accumulate(t, chunks(t, out))
	msg := acc.Choices[0].Message
	if msg.Content != "Okay, let's check." || acc.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 2 {
		t.Fatalf("%+v", acc.ChatCompletion)
	}
	if tc := msg.ToolCalls[0]; tc.ID != "toolu_01T1x1fJ34qAmk2tNTrN7Up6" || tc.Function.Name != "get_weather" ||
		tc.Function.Arguments != `{"city": "San Francisco, CA"}` {
		t.Errorf("first call %+v", tc)
	}
	if tc := msg.ToolCalls[1]; tc.ID != "toolu_01TimeNoArgs" || tc.Function.Arguments != "{}" {
		t.Errorf("call without arguments %+v", tc)
	}
	if acc.Usage.PromptTokens != 472 || acc.Usage.CompletionTokens != 89 {
		t.Errorf("usage %+v", acc.Usage)
	}
	if !strings.Contains(string(out), `"reasoning_content":"I need the weather "`) {
		t.Error("thinking deltas lost")
	}
}

func TestStreamFailures(t *testing.T) {
	text := string(readFixture(t, "anthropic_stream_text.sse"))
	cut := text[:strings.Index(text, "event: content_block_stop")]
	for _, c := range []struct {
		name, upstream string
		wantErr        string
		wantOut        string // a prefix of what the client read before the error
	}{
		{"cut before message_stop", cut, "ended before message_stop", `data: {"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"`},
		{"empty", "", "ended before message_stop", ""},
		{"error event", "event: message_start\n" + strings.SplitN(text, "\n", 3)[1] + "\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
			"(overloaded_error): Overloaded", `data: {"id":`},
		{"error first", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}\n\n", "Internal server error", ""},
		{"not JSON", "event: message_start\ndata: {not json\n\n", "not JSON", ""},
		{"no message_start", "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", "instead of message_start", ""},
	} {
		out, err := readStream(t, []byte(c.upstream), nil)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.wantErr)
		}
		if !strings.HasPrefix(string(out), c.wantOut) || (c.wantOut == "" && len(out) > 0) {
			t.Errorf("%s: read %q", c.name, out)
		}
	}
	// A read error of the upstream body is passed on as it is.
	boom := errors.New("connection reset")
	body := newStreamBody(&upstreamBody{Reader: iotest.ErrReader(boom)}, created)
	if _, err := io.ReadAll(body); !errors.Is(err, boom) {
		t.Errorf("upstream read error: %v", err)
	}
}

func TestStreamClose(t *testing.T) {
	up := &upstreamBody{Reader: bytes.NewReader(readFixture(t, "anthropic_stream_text.sse"))}
	body := newStreamBody(up, created)
	buf := make([]byte, 10)
	if _, err := body.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := body.Close(); err != nil || !up.closed {
		t.Fatalf("close: %v, upstream closed %v", err, up.closed)
	}
	if _, err := body.Read(buf); err == nil {
		t.Error("read after close")
	}
	if err := body.Close(); err != nil {
		t.Error("second close:", err)
	}
}

// TestStreamIgnoresWhatHasNoCounterpart: pings, signatures, citations,
// redacted thinking, server tool blocks and unknown events give nothing;
// deltas for blocks never started are dropped.
func TestStreamIgnoresWhatHasNoCounterpart(t *testing.T) {
	events := []string{
		`{"type":"message_start","message":{"id":"msg_x","model":"claude-x","usage":{"input_tokens":3,"output_tokens":1}}}`,
		`{"type":"ping"}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"abc"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"query\":\"x\"}"}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"content_block_delta","index":7,"delta":{"type":"text_delta","text":"orphan"}}`,
		`{"type":"content_block_start","index":2,"content_block":{"type":"text","text":"Hi"}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{"type":"char_location"}}}`,
		`{"type":"a_future_event","x":1}`,
		`{"type":"content_block_stop","index":2}`,
		`{"type":"message_delta","delta":{"stop_reason":"refusal"},"usage":{"input_tokens":5,"output_tokens":4}}`,
		`{"type":"message_stop"}`,
		`{"type":"content_block_start","index":3,"content_block":{"type":"text","text":"after the end"}}`,
	}
	var up strings.Builder
	for _, e := range events {
		up.WriteString("data: " + e + "\n\n")
	}
	out, err := readStream(t, []byte(up.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := chunks(t, out)
	acc := accumulate(t, cs)
	if acc.Choices[0].Message.Content != "Hi" || len(acc.Choices[0].Message.ToolCalls) != 0 || acc.Choices[0].FinishReason != "content_filter" {
		t.Errorf("%s", out)
	}
	if u := cs[len(cs)-1].Usage; u.PromptTokens != 5 || u.CompletionTokens != 4 {
		t.Errorf("usage %+v", u)
	}
}

func benchmarkStream(b *testing.B, fixture string) {
	in := readFixture(b, fixture)
	events := bytes.Count(in, []byte("\n\n"))
	buf := make([]byte, 32<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		body := newStreamBody(&upstreamBody{Reader: bytes.NewReader(in)}, created)
		for {
			if _, err := body.Read(buf); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

func BenchmarkStreamText(b *testing.B)    { benchmarkStream(b, "anthropic_stream_text.sse") }
func BenchmarkStreamToolUse(b *testing.B) { benchmarkStream(b, "anthropic_stream_tool_use.sse") }

// FuzzStream: any upstream stream gives chunks that are JSON (or [DONE]),
// then either a clean end after [DONE] or an error; never a panic.
func FuzzStream(f *testing.F) {
	f.Add(readFixture(f, "anthropic_stream_text.sse"))
	f.Add(readFixture(f, "anthropic_stream_tool_use.sse"))
	f.Add([]byte("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"x\",\"message\":\"y\"}}\n\n"))
	f.Fuzz(func(t *testing.T, upstream []byte) {
		out, err := readStream(t, upstream, nil)
		rd := sse.NewReader(bytes.NewReader(out), 16<<20)
		done := false
		for {
			ev, rerr := rd.Next()
			if rerr != nil {
				break
			}
			if done {
				t.Fatalf("an event after [DONE]: %s", ev.Data)
			}
			if string(ev.Data) == "[DONE]" {
				done = true
			} else if !json.Valid(ev.Data) {
				t.Fatalf("not JSON: %s", ev.Data)
			}
		}
		if done != (err == nil) {
			t.Fatalf("[DONE] %v but error %v", done, err)
		}
	})
}
