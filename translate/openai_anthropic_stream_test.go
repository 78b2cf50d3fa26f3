package translate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func names(evs []event) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = e.name
		if strings.HasPrefix(e.name, "content_block") {
			var ev struct{ Index int }
			_ = json.Unmarshal(e.data, &ev)
			s[i] = fmt.Sprintf("%s#%d", strings.TrimPrefix(e.name, "content_block_"), ev.Index)
		}
	}
	return strings.Join(s, " ")
}

func TestStreamGolden(t *testing.T) {
	for _, tc := range []struct {
		in, golden, model string
		check             func(*testing.T, message, []event)
	}{
		{"openai_stream_text.sse", "anthropic_stream_text.sse", "claude-sonnet-4-5", func(t *testing.T, m message, evs []event) {
			if m.ID != "msg_C3xm1aB2cD3eF4gH5iJ6kL7mN8oP" || m.Model != "claude-sonnet-4-5" {
				t.Errorf("id %q model %q", m.ID, m.Model)
			}
			want := "Canberra was chosen as a compromise between Sydney and Melbourne. \"Quoted\"\nand done."
			if len(m.Content) != 1 || m.Content[0].Text != want {
				t.Errorf("content %+v", m.Content)
			}
			if *m.StopReason != "end_turn" || m.Usage != (usageJS{InputTokens: 93, CacheRead: 1024, OutputTokens: 27}) {
				t.Errorf("stop %q usage %+v", *m.StopReason, m.Usage)
			}
		}},
		{"openai_stream_tool_calls.sse", "anthropic_stream_tool_calls.sse", "claude-sonnet-4-5", func(t *testing.T, m message, evs []event) {
			// Sequential tool calls give the same order of events as Anthropic's API.
			want := "message_start start#0 delta#0 delta#0 stop#0 start#1 " + strings.Repeat("delta#1 ", 13) + "stop#1 start#2 " +
				strings.Repeat("delta#2 ", 7) + "stop#2 message_delta message_stop"
			if got := names(evs); got != want {
				t.Errorf("events\n got %s\nwant %s", got, want)
			}
			if len(m.Content) != 3 || m.Content[0].Text != "I'll look up both cities." || m.Content[1].ID != "call_DdmO9pD3xa9XTPNJ32zg2hcA" {
				t.Fatalf("content %+v", m.Content)
			}
			in := toolInputs(t, m)
			if !reflect.DeepEqual(in, []map[string]any{{"location": "San Francisco, CA", "unit": "celsius"}, {"location": "Paris, France"}}) {
				t.Errorf("inputs %v", in)
			}
			if *m.StopReason != "tool_use" || m.Usage != (usageJS{InputTokens: 412, OutputTokens: 58}) {
				t.Errorf("stop %q usage %+v", *m.StopReason, m.Usage)
			}
		}},
		{"openai_stream_parallel_interleaved.sse", "anthropic_stream_parallel_interleaved.sse", "claude-haiku-4-5", func(t *testing.T, m message, evs []event) {
			// Fragments alternate between the calls: each block stays open
			// until its arguments are whole.
			want := "message_start start#0 start#1 delta#0 delta#1 delta#0 delta#1 delta#0 stop#0 delta#1 stop#1 message_delta message_stop"
			if got := names(evs); got != want {
				t.Errorf("events\n got %s\nwant %s", got, want)
			}
			in := toolInputs(t, m)
			if !reflect.DeepEqual(in, []map[string]any{{"location": "Oslo, Norway"}, {"path": "src/main.go"}}) {
				t.Errorf("inputs %v", in)
			}
			if m.Content[0].Name != "get_weather" || m.Content[1].Name != "read_file" || m.Content[1].ID != "call_3d4e5f" {
				t.Errorf("content %+v", m.Content)
			}
			// The usage rode on the finish chunk; the stream ended at [DONE].
			if *m.StopReason != "tool_use" || m.Usage != (usageJS{InputTokens: 102, CacheRead: 128, OutputTokens: 41}) {
				t.Errorf("stop %q usage %+v", *m.StopReason, m.Usage)
			}
		}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			evs, tr := translateStream(t, tc.model, sseData(t, readFixture(t, tc.in)))
			checkGoldenText(t, tc.golden, renderSSE(evs))
			m := accumulate(t, evs)
			tc.check(t, m, evs)
			if in, out, cached, ok := tr.Usage(); !ok || in != m.Usage.InputTokens+m.Usage.CacheRead || out != m.Usage.OutputTokens || cached != m.Usage.CacheRead {
				t.Errorf("Usage() = %d %d %d %v", in, out, cached, ok)
			}
		})
	}
}

// chunk is an OpenAI chunk with choice 0's delta and finish_reason.
func chunk(delta, finish string) []byte {
	if finish == "" {
		finish = "null"
	} else {
		finish = `"` + finish + `"`
	}
	return []byte(`{"id":"chatcmpl-s1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":` + finish + `}],"usage":null}`)
}

func usageChunk(prompt, completion, cached int) []byte {
	return fmt.Appendf(nil, `{"id":"chatcmpl-s1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d}}}`,
		prompt, completion, prompt+completion, cached)
}

func toolChunk(index int, id, name, args string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"index":%d`, index)
	if id != "" {
		fmt.Fprintf(&b, `,"id":%q,"type":"function"`, id)
	}
	b.WriteString(`,"function":{`)
	if name != "" {
		fmt.Fprintf(&b, `"name":%q,`, name)
	}
	a, _ := json.Marshal(args)
	fmt.Fprintf(&b, `"arguments":%s}}`, a)
	return chunk(`{"tool_calls":[`+b.String()+`]}`, "")
}

var done = []byte("[DONE]")

func TestStreamCases(t *testing.T) {
	role := chunk(`{"role":"assistant","content":"","refusal":null}`, "")
	text := func(s string) []byte { q, _ := json.Marshal(s); return chunk(`{"content":`+string(q)+`}`, "") }
	for _, tc := range []struct {
		name   string
		in     [][]byte
		events string  // the event sequence (see names)
		text   string  // the text of block 0, if it is text
		stop   string  // the stop_reason
		usage  usageJS // the final usage
		inputs []map[string]any
	}{
		{"role only", [][]byte{role}, "message_start", "", "", usageJS{}, nil},
		{"empty stream", [][]byte{done}, "message_start message_delta message_stop", "", "end_turn", usageJS{}, nil},
		{"no usage chunk: ends at [DONE]", [][]byte{role, text("hi"), chunk(`{}`, "stop"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "hi", "end_turn", usageJS{}, nil},
		{"usage chunk ends the stream, [DONE] adds nothing", [][]byte{role, text("hi"), chunk(`{}`, "length"), usageChunk(10, 1, 0), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "hi", "max_tokens", usageJS{InputTokens: 10, OutputTokens: 1}, nil},
		{"usage chunk before the finish", [][]byte{role, text("hi"), usageChunk(10, 1, 4), chunk(`{}`, "stop"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "hi", "end_turn", usageJS{InputTokens: 6, CacheRead: 4, OutputTokens: 1}, nil},
		{"content_filter", [][]byte{role, text("I"), chunk(`{}`, "content_filter"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "I", "refusal", usageJS{}, nil},
		{"refusal text", [][]byte{role, chunk(`{"refusal":"I can't."}`, ""), chunk(`{}`, "stop"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "I can't.", "end_turn", usageJS{}, nil},
		{"whole tool calls in one chunk each", [][]byte{role, toolChunk(0, "c0", "f", `{"a":1}`), toolChunk(1, "c1", "g", `{"b":2}`), chunk(`{}`, "tool_calls"), done},
			"message_start start#0 delta#0 stop#0 start#1 delta#1 stop#1 message_delta message_stop", "", "tool_use", usageJS{}, []map[string]any{{"a": 1.0}, {"b": 2.0}}},
		{"name after arguments", [][]byte{role, toolChunk(0, "c0", "", `{"a"`), toolChunk(0, "", "f", `:1}`), chunk(`{}`, "tool_calls"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "", "tool_use", usageJS{}, []map[string]any{{"a": 1.0}}},
		{"tool call without arguments", [][]byte{role, toolChunk(0, "c0", "now", ``), chunk(`{}`, "tool_calls"), done},
			"message_start start#0 stop#0 message_delta message_stop", "", "tool_use", usageJS{}, nil},
		{"stop with tool calls is tool_use", [][]byte{role, toolChunk(0, "c0", "f", `{}`), chunk(`{}`, "stop"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "", "tool_use", usageJS{}, []map[string]any{{}}},
		{"text after a tool call opens a new block", [][]byte{role, text("a"), toolChunk(0, "c0", "f", `{}`), text("b"), chunk(`{}`, "stop"), done},
			"message_start start#0 delta#0 stop#0 start#1 delta#1 stop#1 start#2 delta#2 stop#2 message_delta message_stop", "a", "tool_use", usageJS{}, []map[string]any{{}}},
		{"fragments after complete arguments are dropped once closed", [][]byte{role, toolChunk(0, "c0", "f", `{}`), toolChunk(1, "c1", "g", `{}`), toolChunk(0, "", "", ` `), chunk(`{}`, "tool_calls"), done},
			"message_start start#0 delta#0 stop#0 start#1 delta#1 stop#1 message_delta message_stop", "", "tool_use", usageJS{}, []map[string]any{{}, {}}},
		{"other choices ignored", [][]byte{role, []byte(`{"id":"x","choices":[{"index":1,"delta":{"content":"other"},"finish_reason":null},{"index":0,"delta":{"content":"mine"},"finish_reason":null}]}`), chunk(`{}`, "stop"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "mine", "end_turn", usageJS{}, nil},
		{"content after the finish ignored", [][]byte{role, text("a"), chunk(`{}`, "stop"), text("late"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "a", "end_turn", usageJS{}, nil},
		{"null and odd fields ignored", [][]byte{role, chunk(`{"content":"a","tool_calls":null,"refusal":null}`, ""), chunk(`{"tool_calls":[5,"x",null]}`, ""), chunk(`null`, "stop"),
			[]byte(`{"id":"chatcmpl-s1","choices":null,"usage":{"prompt_tokens":3,"completion_tokens":1}}`), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "a", "end_turn", usageJS{InputTokens: 3, OutputTokens: 1}, nil},
		{"reasoning deltas dropped", [][]byte{role, chunk(`{"reasoning_content":"thinking..."}`, ""), text("a"), chunk(`{}`, "stop"), done},
			"message_start start#0 delta#0 stop#0 message_delta message_stop", "a", "end_turn", usageJS{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := translateStream(t, "claude-x", tc.in)
			if got := names(evs); got != tc.events {
				t.Fatalf("events\n got %s\nwant %s", got, tc.events)
			}
			if tc.stop == "" {
				return // not finished
			}
			m := accumulate(t, evs)
			if *m.StopReason != tc.stop {
				t.Errorf("stop_reason %q, want %q", *m.StopReason, tc.stop)
			}
			if tc.text != "" && m.Content[0].Text != tc.text {
				t.Errorf("text %q, want %q", m.Content[0].Text, tc.text)
			}
			if m.Usage != tc.usage {
				t.Errorf("usage %+v, want %+v", m.Usage, tc.usage)
			}
			if tc.inputs != nil {
				if in := toolInputs(t, m); !reflect.DeepEqual(in, tc.inputs) {
					t.Errorf("inputs %v, want %v", in, tc.inputs)
				}
			}
		})
	}
}

func TestStreamClose(t *testing.T) {
	role := chunk(`{"role":"assistant"}`, "")
	t.Run("after the finish, without [DONE]", func(t *testing.T) {
		evs, tr := translateStream(t, "m", [][]byte{role, chunk(`{"content":"a"}`, ""), chunk(`{}`, "stop")})
		if err := tr.Close(collect(&evs)); err != nil {
			t.Fatal(err)
		}
		if m := accumulate(t, evs); m.Content[0].Text != "a" || *m.StopReason != "end_turn" {
			t.Errorf("%+v", m)
		}
	})
	t.Run("cut short", func(t *testing.T) {
		evs, tr := translateStream(t, "m", [][]byte{role, chunk(`{"content":"a"}`, "")})
		n := len(evs)
		if err := tr.Close(collect(&evs)); !errors.Is(err, ErrIncomplete) || len(evs) != n {
			t.Errorf("err %v, %d new events", err, len(evs)-n)
		}
	})
	t.Run("after [DONE]", func(t *testing.T) {
		evs, tr := translateStream(t, "m", [][]byte{role, chunk(`{}`, "stop"), done})
		n := len(evs)
		if err := tr.Close(collect(&evs)); err != nil || len(evs) != n {
			t.Errorf("err %v, %d new events", err, len(evs)-n)
		}
	})
}

func TestStreamUpstreamError(t *testing.T) {
	errChunk := []byte(`{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`)
	evs, tr := translateStream(t, "m", [][]byte{chunk(`{"role":"assistant"}`, ""), chunk(`{"content":"a"}`, ""), errChunk, done})
	if got := names(evs); got != "message_start start#0 delta#0 error" {
		t.Fatalf("events %s", got)
	}
	want := `{"type":"error","error":{"type":"api_error","message":"The server had an error while processing your request."}}`
	if last := evs[len(evs)-1]; string(last.data) != want {
		t.Errorf("error event %s, want %s", last.data, want)
	}
	if err := tr.Close(collect(&evs)); err != nil {
		t.Errorf("Close after the error: %v", err)
	}
	// An error before anything else comes alone.
	evs, _ = translateStream(t, "m", [][]byte{[]byte(`{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}`)})
	if len(evs) != 1 || string(evs[0].data) != `{"type":"error","error":{"type":"rate_limit_error","message":"Rate limit reached"}}` {
		t.Errorf("events %v", names(evs))
	}
}

func TestStreamMalformed(t *testing.T) {
	for _, in := range []string{`{"choices":[`, `[1]`, `"x"`, ``} {
		tr := NewOpenAIStreamToAnthropic("m")
		var evs []event
		if err := tr.Event([]byte(in), collect(&evs)); err == nil || len(evs) != 0 {
			t.Errorf("%q: err %v, events %s", in, err, names(evs))
		}
	}
}

// Arguments split anywhere and interleaved between parallel calls in any
// order still give every block its own whole input.
func TestStreamInterleavedProperty(t *testing.T) {
	args := []string{
		`{"location": "San Francisco, CA", "unit": "celsius"}`,
		`{"path": "dir/\"quoted\" name\\x.txt", "lines": [1, 2, {"deep": "}]"}]}`,
		`{"q": "naïve café 😀 \u2028", "n": null}`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		// Cut each call's arguments into fragments of random sizes (on rune
		// boundaries, as OpenAI sends text).
		frags := make([][]string, len(args))
		for i, a := range args {
			r := []rune(a)
			for len(r) > 0 {
				n := min(1+rng.IntN(6), len(r))
				frags[i] = append(frags[i], string(r[:n]))
				r = r[n:]
			}
		}
		in := [][]byte{chunk(`{"role":"assistant"}`, "")}
		started := make([]bool, len(args))
		for {
			var live []int
			for i := range args {
				if len(frags[i]) > 0 {
					live = append(live, i)
				}
			}
			if len(live) == 0 {
				break
			}
			i := live[rng.IntN(len(live))]
			if round%2 == 0 { // in half the rounds, calls keep to their order
				i = live[0]
			}
			id, name := "", ""
			if !started[i] {
				id, name, started[i] = fmt.Sprintf("call_%d", i), fmt.Sprintf("tool%d", i), true
			}
			in = append(in, toolChunk(i, id, name, frags[i][0]))
			frags[i] = frags[i][1:]
		}
		in = append(in, chunk(`{}`, "tool_calls"), usageChunk(100, 50, 0), done)
		evs, _ := translateStream(t, "m", in)
		m := accumulate(t, evs)
		if len(m.Content) != len(args) {
			t.Fatalf("round %d: %d blocks", round, len(m.Content))
		}
		for k, b := range m.Content {
			i := int(b.Name[len(b.Name)-1] - '0')
			if b.ID != fmt.Sprintf("call_%d", i) || !jsonEqual(t, b.Input, []byte(args[i])) {
				t.Fatalf("round %d: block %d = %s %s %s, want the input %s\nevents: %s", round, k, b.ID, b.Name, b.Input, args[i], names(evs))
			}
		}
		if round%2 == 0 && !strings.Contains(names(evs), "stop#0 start#1") {
			t.Fatalf("round %d: sequential calls should stop each block before the next starts: %s", round, names(evs))
		}
	}
}

func benchmarkStream(b *testing.B, fixture string) {
	datas := sseData(b, readFixture(b, fixture))
	emitted := 0
	emit := func(_ string, data []byte) { emitted += len(data) }
	tr := NewOpenAIStreamToAnthropic("claude-sonnet-4-5")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(datas) {
			i, tr = 0, NewOpenAIStreamToAnthropic("claude-sonnet-4-5")
		}
		if err := tr.Event(datas[i], emit); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// Each op is one OpenAI event (a new translator per stream, its cost
// spread over the stream's events).
func BenchmarkStreamEventText(b *testing.B)      { benchmarkStream(b, "openai_stream_text.sse") }
func BenchmarkStreamEventToolCalls(b *testing.B) { benchmarkStream(b, "openai_stream_tool_calls.sse") }

// Whatever the chunks, the translator never panics and emits only JSON.
func FuzzStream(f *testing.F) {
	f.Add([]byte(`{"choices":[{"index":0,"delta":{"content":"hi","tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{\"a\\u0022:"}}]}}]}`), []byte(`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`))
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{}"}},{"id":"x","function":{"name":"g"}}]}}]}`), []byte(`{"error":"boom"}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		tr := NewOpenAIStreamToAnthropic("m")
		check := func(name string, data []byte) {
			if !json.Valid(data) {
				t.Fatalf("%s: invalid JSON %s", name, data)
			}
		}
		_ = tr.Event(a, check)
		_ = tr.Event(b, check)
		_ = tr.Event(a, check)
		_ = tr.Close(check)
		_ = tr.Event([]byte("[DONE]"), check)
	})
}
