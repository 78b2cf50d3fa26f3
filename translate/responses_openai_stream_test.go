package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluicegw/sluice/apierror"
	"github.com/tidwall/gjson"
)

// translateResponsesStream runs every event of a chat stream through a
// translator, then Close.
func translateResponsesStream(t testing.TB, info ResponsesInfo, datas [][]byte) ([]event, *OpenAIStreamToResponses, error) {
	t.Helper()
	tr := NewOpenAIStreamToResponses(info)
	var evs []event
	for _, d := range datas {
		if err := tr.Event(d, collect(&evs)); err != nil {
			t.Fatalf("Event(%s): %v", d, err)
		}
	}
	err := tr.Close(collect(&evs))
	return evs, tr, err
}

// rsNames lists the events, with the output_index of item events.
func rsNames(evs []event) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = strings.TrimPrefix(e.name, "response.")
		if idx := gjson.GetBytes(e.data, "output_index"); idx.Exists() {
			s[i] += "#" + idx.Raw
		}
	}
	return strings.Join(s, " ")
}

func TestResponsesStreamGolden(t *testing.T) {
	for _, tc := range []struct {
		request, in, golden, events string
	}{
		{"request_chat.json", "chat_stream_text.sse", "stream_text.sse",
			"created in_progress output_item.added#0 content_part.added#0 " + strings.Repeat("output_text.delta#0 ", 7) +
				"output_text.done#0 content_part.done#0 output_item.done#0 completed"},
		{"request_agent.json", "chat_stream_tool_calls.sse", "stream_tool_calls.sse",
			"created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.delta#0 " +
				"output_text.done#0 content_part.done#0 output_item.done#0 output_item.added#1 " + strings.Repeat("function_call_arguments.delta#1 ", 13) +
				"function_call_arguments.done#1 output_item.done#1 output_item.added#2 " + strings.Repeat("function_call_arguments.delta#2 ", 7) +
				"function_call_arguments.done#2 output_item.done#2 completed"},
		{"request_agent.json", "chat_stream_parallel_interleaved.sse", "stream_parallel_interleaved.sse",
			"created in_progress output_item.added#0 function_call_arguments.delta#0 output_item.added#1 function_call_arguments.delta#1 " +
				"function_call_arguments.delta#0 function_call_arguments.done#0 output_item.done#0 function_call_arguments.delta#1 " +
				"function_call_arguments.done#1 output_item.done#1 completed"},
		{"request_chat.json", "chat_stream_length.sse", "stream_length.sse",
			"created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.delta#0 output_text.delta#0 " +
				"output_text.done#0 content_part.done#0 output_item.done#0 incomplete"},
		{"request_structured.json", "chat_stream_refusal.sse", "stream_refusal.sse",
			"created in_progress output_item.added#0 content_part.added#0 refusal.delta#0 refusal.delta#0 refusal.delta#0 " +
				"refusal.done#0 content_part.done#0 output_item.done#0 completed"},
		{"request_chat.json", "chat_stream_error.sse", "stream_error.sse",
			"created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.delta#0 error failed"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			evs, _, err := translateResponsesStream(t, responsesInfo(t, tc.request), sseData(t, readFixture(t, "responses/"+tc.in)))
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenText(t, "responses/"+tc.golden, renderSSE(evs))
			for _, e := range evs {
				if strings.IndexByte(string(e.data), '\n') >= 0 {
					t.Errorf("%s: data spans lines", e.name)
				}
			}
			if got := rsNames(evs); got != strings.TrimSpace(tc.events) {
				t.Errorf("events\n got %s\nwant %s", got, tc.events)
			}
			checkResponsesStream(t, evs)
		})
	}
}

func TestResponsesStreamFinal(t *testing.T) {
	info := responsesInfo(t, "request_agent.json")
	evs, tr, err := translateResponsesStream(t, info, sseData(t, readFixture(t, "responses/chat_stream_tool_calls.sse")))
	if err != nil {
		t.Fatal(err)
	}
	_, final := checkResponsesStream(t, evs)
	if final.ID != "resp_C3xn4qR5sT6uV7wX8yZ9aB0cD1eF" || final.Output[0].ID != "msg_C3xn4qR5sT6uV7wX8yZ9aB0cD1eF" ||
		final.Output[1].ID != "fc_DdmO9pD3xa9XTPNJ32zg2hcA" || final.Output[1].CallID != "call_DdmO9pD3xa9XTPNJ32zg2hcA" ||
		final.Output[1].Arguments.OfString != `{"location":"San Francisco, CA","unit":"celsius"}` || final.Output[2].Arguments.OfString != `{"location":"Paris, France"}` {
		t.Errorf("output %s", gjson.Get(final.RawJSON(), "output").Raw)
	}
	if final.CreatedAt != 1741570283 || final.CompletedAt != testNow || final.Model != "gpt-4.1" || len(final.Tools) != 2 || final.Text.Verbosity != "low" {
		t.Errorf("response %s", final.RawJSON())
	}
	if in, out, cached, ok := tr.Usage(); in != 412 || out != 58 || cached != 0 || !ok {
		t.Errorf("Usage() = %d %d %d %v", in, out, cached, ok)
	}
}

// Cases of the stream, by the upstream events (JSON chunks) given; the
// events expected, and checks on the final response.
func TestResponsesStreamCases(t *testing.T) {
	const id = `"id":"chatcmpl-x","created":5,`
	ch := func(delta string, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `{` + id + `"choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + f + `}]}`
	}
	usage := `{` + id + `"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`
	for _, tc := range []struct {
		name     string
		chunks   []string
		closeErr error
		events   string
		final    map[string]string
	}{
		{"text after tool calls is a new message", []string{
			ch(`{"content":"a"}`, ""),
			ch(`{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{}"}}]}`, ""),
			ch(`{"content":"b"}`, ""),
			ch(`{}`, "stop"), usage,
		}, nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.done#0 content_part.done#0 output_item.done#0 " +
			"output_item.added#1 function_call_arguments.delta#1 function_call_arguments.done#1 output_item.done#1 " +
			"output_item.added#2 content_part.added#2 output_text.delta#2 output_text.done#2 content_part.done#2 output_item.done#2 completed",
			map[string]string{"output.0.id": `"msg_x"`, "output.2.id": `"msg_x_1"`, "output.2.content.0.text": `"b"`, "usage.total_tokens": "12", "created_at": "5"}},
		{"no arguments become {}", []string{
			ch(`{"tool_calls":[{"index":0,"id":"call_n","function":{"name":"now","arguments":""}}]}`, ""),
			ch(`{}`, "tool_calls"), usage,
		}, nil, "created in_progress output_item.added#0 function_call_arguments.delta#0 function_call_arguments.done#0 output_item.done#0 completed",
			map[string]string{"output.0.arguments": `"{}"`, "output.0.name": `"now"`}},
		{"arguments before the name", []string{
			ch(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}`, ""),
			ch(`{"tool_calls":[{"index":0,"id":"call_z","function":{"name":"f","arguments":"1}"}}]}`, ""),
			ch(`{}`, "tool_calls"), usage,
		}, nil, "created in_progress output_item.added#0 function_call_arguments.delta#0 function_call_arguments.done#0 output_item.done#0 completed",
			map[string]string{"output.0.arguments": `"{\"a\":1}"`, "output.0.call_id": `"call_z"`}},
		{"a call whose name never came", []string{
			ch(`{"tool_calls":[{"index":0,"id":"call_q","function":{"arguments":"{}"}}]}`, ""),
			ch(`{}`, "tool_calls"), usage,
		}, nil, "created in_progress output_item.added#0 function_call_arguments.delta#0 function_call_arguments.done#0 output_item.done#0 completed",
			map[string]string{"output.0.name": `""`, "output.0.arguments": `"{}"`}},
		{"length cuts a call", []string{
			ch(`{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{\"a"}}]}`, ""),
			ch(`{}`, "length"), usage,
		}, nil, "created in_progress output_item.added#0 function_call_arguments.delta#0 function_call_arguments.done#0 output_item.done#0 incomplete",
			map[string]string{"status": `"incomplete"`, "incomplete_details.reason": `"max_output_tokens"`, "output.0.status": `"incomplete"`, "completed_at": "null"}},
		{"content filter", []string{ch(`{"content":"a"}`, ""), ch(`{}`, "content_filter"), usage},
			nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.done#0 content_part.done#0 output_item.done#0 incomplete",
			map[string]string{"incomplete_details.reason": `"content_filter"`}},
		{"text and refusal", []string{ch(`{"content":"a"}`, ""), ch(`{"refusal":"no"}`, ""), ch(`{}`, "stop"), usage},
			nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 content_part.added#0 refusal.delta#0 " +
				"output_text.done#0 content_part.done#0 refusal.done#0 content_part.done#0 output_item.done#0 completed",
			map[string]string{"output.0.content": `[{"type":"output_text","text":"a","annotations":[],"logprobs":[]},{"type":"refusal","refusal":"no"}]`}},
		{"done without finish_reason", []string{ch(`{"content":"a"}`, ""), "[DONE]"},
			nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.done#0 content_part.done#0 output_item.done#0 completed",
			map[string]string{"status": `"completed"`, "usage.total_tokens": "0"}},
		{"done alone", []string{"[DONE]"}, nil, "created in_progress completed", map[string]string{"output": "[]"}},
		{"ends at Close after the finish_reason", []string{ch(`{"content":"a"}`, ""), ch(`{}`, "stop")},
			nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.done#0 content_part.done#0 output_item.done#0 completed", nil},
		{"usage on the finish chunk waits for the end", []string{ch(`{"content":"a"}`, ""), `{` + id + `"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2}}`, "[DONE]"},
			nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.done#0 content_part.done#0 output_item.done#0 completed",
			map[string]string{"usage.input_tokens": "4", "usage.total_tokens": "6"}},
		{"cut short", []string{ch(`{"content":"a"}`, "")}, ErrIncomplete,
			"created in_progress output_item.added#0 content_part.added#0 output_text.delta#0", nil},
		{"upstream error first", []string{`{"error":{"message":"overloaded","type":"rate_limit_error","code":"rate_limit_exceeded"}}`}, nil, "error", nil},
		{"events after the end yield nothing", []string{ch(`{"content":"a"}`, ""), ch(`{}`, "stop"), usage, ch(`{"content":"late"}`, ""), usage, "[DONE]"},
			nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.done#0 content_part.done#0 output_item.done#0 completed", nil},
		{"other choices are ignored", []string{`{` + id + `"choices":[{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"content":"a"}}]}`, ch(`{}`, "stop"), usage},
			nil, "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 output_text.done#0 content_part.done#0 output_item.done#0 completed",
			map[string]string{"output.0.content.0.text": `"a"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			datas := make([][]byte, len(tc.chunks))
			for i, c := range tc.chunks {
				datas[i] = []byte(c)
			}
			evs, _, err := translateResponsesStream(t, ResponsesInfo{Model: "m"}, datas)
			if !errors.Is(err, tc.closeErr) {
				t.Fatalf("Close: %v, want %v", err, tc.closeErr)
			}
			if got := rsNames(evs); got != tc.events {
				t.Errorf("events\n got %s\nwant %s", got, tc.events)
			}
			if tc.closeErr != nil {
				return
			}
			checkResponsesStream(t, evs)
			last := evs[len(evs)-1].data
			for path, want := range tc.final {
				if got := gjson.GetBytes(last, "response."+path); !got.Exists() || !jsonEqual(t, []byte(got.Raw), []byte(want)) {
					t.Errorf("%s = %s, want %s", path, got.Raw, want)
				}
			}
		})
	}
}

// Fail ends a stream with the error event and response.failed, numbered in
// sequence; before anything was sent, with the error event alone; after the
// end, with nothing.
func TestResponsesStreamFail(t *testing.T) {
	e := apierror.RateLimited(3, "Too many tokens.")
	e.Param = "model"
	tr := NewOpenAIStreamToResponses(ResponsesInfo{Model: "m"})
	var evs []event
	_ = tr.Event([]byte(`{"id":"chatcmpl-f","choices":[{"index":0,"delta":{"content":"partial"}}]}`), collect(&evs))
	tr.Fail(e, collect(&evs))
	if got := rsNames(evs); got != "created in_progress output_item.added#0 content_part.added#0 output_text.delta#0 error failed" {
		t.Fatalf("events %s", got)
	}
	checkResponsesStream(t, evs)
	if want := `{"type":"error","code":"rate_limit_exceeded","message":"Too many tokens.","param":"model","sequence_number":5}`; string(evs[5].data) != want {
		t.Errorf("error event\n got %s\nwant %s", evs[5].data, want)
	}
	failed := gjson.GetBytes(evs[6].data, "response")
	if failed.Get("error").Raw != `{"code":"rate_limit_exceeded","message":"Too many tokens."}` || failed.Get("output.0.status").Str != "incomplete" ||
		failed.Get("output.0.content.0.text").Str != "partial" {
		t.Errorf("failed response %s", failed.Raw)
	}
	n := len(evs)
	tr.Fail(e, collect(&evs))
	_ = tr.Event([]byte(`{"choices":[{"index":0,"delta":{"content":"more"}}]}`), collect(&evs))
	if len(evs) != n || tr.Close(collect(&evs)) != nil {
		t.Errorf("events after the end: %s", rsNames(evs[n:]))
	}

	evs = nil
	NewOpenAIStreamToResponses(ResponsesInfo{}).Fail(apierror.Upstream("down"), collect(&evs))
	if len(evs) != 1 || string(evs[0].data) != `{"type":"error","code":"upstream_error","message":"down","param":null,"sequence_number":0}` {
		t.Errorf("events %v", evs)
	}
}

func TestResponsesErrorEvent(t *testing.T) {
	name, data := ResponsesErrorEvent(apierror.UpstreamTimeout("The upstream provider p ran out of time."))
	if name != "error" || string(data) != `{"type":"error","code":"upstream_timeout","message":"The upstream provider p ran out of time.","param":null,"sequence_number":0}` {
		t.Errorf("%s %s", name, data)
	}
	checkResponsesStream(t, []event{{name, data}})
}

func TestResponsesStreamBadEvents(t *testing.T) {
	tr := NewOpenAIStreamToResponses(ResponsesInfo{})
	for _, d := range []string{`{`, `[1]`, `"x"`} {
		if err := tr.Event([]byte(d), func(string, []byte) { t.Errorf("emitted for %s", d) }); err == nil {
			t.Errorf("%s: no error", d)
		}
	}
}

// Parallel tool calls whose fragments arrive in any interleaving, cut at
// random points, give each call its own whole arguments, in a stream the
// SDKs accept.
func TestResponsesStreamInterleavings(t *testing.T) {
	args := []string{`{"location":"Paris, France","unit":"celsius"}`, `{"city":"Zürich \"CH\""}`, `{"q":[1,{"a":"}"}]}`}
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 200 {
		type frag struct {
			call int
			s    string
		}
		var queues [][]frag
		for c, a := range args {
			var q []frag
			for rest := a; rest != ""; {
				n := min(len(rest), 1+rng.IntN(6))
				for n < len(rest) && !utf8.RuneStart(rest[n]) {
					n++ // upstream fragments are whole UTF-8 strings
				}
				q = append(q, frag{c, rest[:n]})
				rest = rest[n:]
			}
			queues = append(queues, q)
		}
		var datas [][]byte
		started := make([]bool, len(args))
		for {
			var live []int
			for c, q := range queues {
				if len(q) > 0 && (round%2 == 1 || c == 0 || len(queues[c-1]) == 0) {
					live = append(live, c)
				}
			}
			if len(live) == 0 {
				break
			}
			c := live[rng.IntN(len(live))]
			f := queues[c][0]
			queues[c] = queues[c][1:]
			fn := map[string]string{"arguments": f.s}
			tc := map[string]any{"index": c, "function": fn}
			if !started[c] {
				started[c] = true
				tc["id"] = fmt.Sprintf("call_%d", c)
				fn["name"] = fmt.Sprintf("tool%d", c)
			}
			d, _ := json.Marshal(map[string]any{"id": "chatcmpl-r", "choices": []any{map[string]any{"index": 0, "delta": map[string]any{"tool_calls": []any{tc}}}}})
			datas = append(datas, d)
		}
		datas = append(datas, []byte(`{"id":"chatcmpl-r","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`), []byte("[DONE]"))
		evs, _, err := translateResponsesStream(t, ResponsesInfo{Model: "m"}, datas)
		if err != nil {
			t.Fatal(err)
		}
		_, final := checkResponsesStream(t, evs)
		if len(final.Output) != len(args) {
			t.Fatalf("round %d: %d items", round, len(final.Output))
		}
		for _, item := range final.Output {
			c := int(item.Name[len(item.Name)-1] - '0')
			if item.CallID != fmt.Sprintf("call_%d", c) || item.Arguments.OfString != args[c] {
				t.Fatalf("round %d: item %s %s %q, want %q\nevents: %s", round, item.CallID, item.Name, item.Arguments.OfString, args[c], rsNames(evs))
			}
		}
	}
}

func benchmarkResponsesStream(b *testing.B, fixture string) {
	datas := sseData(b, readFixture(b, "responses/"+fixture))
	emitted := 0
	emit := func(_ string, data []byte) { emitted += len(data) }
	info := responsesInfo(b, "request_agent.json")
	tr := NewOpenAIStreamToResponses(info)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(datas) {
			i, tr = 0, NewOpenAIStreamToResponses(info)
		}
		if err := tr.Event(datas[i], emit); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// Each op is one upstream event (a new translator per stream, its cost
// spread over the stream's events).
func BenchmarkOpenAIStreamToResponses(b *testing.B) {
	b.Run("text", func(b *testing.B) { benchmarkResponsesStream(b, "chat_stream_text.sse") })
	b.Run("tool_calls", func(b *testing.B) { benchmarkResponsesStream(b, "chat_stream_tool_calls.sse") })
}

func BenchmarkOpenAIResponseToResponses(b *testing.B) {
	body := readFixture(b, "responses/chat_response_tool_calls.json")
	info := responsesInfo(b, "request_agent.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenAIResponseToResponses(body, info); err != nil {
			b.Fatal(err)
		}
	}
}

// Whatever the chunks, the translator never panics, emits only JSON objects
// whose type is their name and whose sequence numbers count up, ends the
// stream with a terminal event, and keeps the protocol the SDKs read
// (checkResponsesStream).
func FuzzOpenAIStreamToResponses(f *testing.F) {
	f.Add([]byte(`{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"hi","tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{\"a\\u0022:"}}]}}]}`), []byte(`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`))
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{}"}},{"id":"x","function":{"name":"g"}}]}}]}`), []byte(`{"error":"boom"}`))
	f.Add([]byte(`{"choices":[{"index":0,"delta":{"refusal":"no","content":"a"},"finish_reason":"length"}]}`), []byte(`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		tr := NewOpenAIStreamToResponses(ResponsesInfo{Model: "m"})
		var seq int64
		last := ""
		var evs []event
		check := func(name string, data []byte) {
			evs = append(evs, event{name, bytes.Clone(data)})
			var ev struct {
				Type string `json:"type"`
				Seq  *int64 `json:"sequence_number"`
			}
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatalf("%s: invalid JSON %s", name, data)
			}
			if ev.Type != name || ev.Seq == nil || *ev.Seq != seq {
				t.Fatalf("%s: type %q sequence %v, want %d", name, ev.Type, ev.Seq, seq)
			}
			seq++
			last = name
		}
		_ = tr.Event(a, check)
		_ = tr.Event(b, check)
		_ = tr.Event(a, check)
		if tr.Close(check) != nil {
			tr.Fail(apierror.Upstream("cut"), check)
		}
		_ = tr.Event([]byte("[DONE]"), check)
		switch last {
		case "response.completed", "response.incomplete", "response.failed", "error":
		default:
			t.Fatalf("the stream ends with %q", last)
		}
		checkResponsesStream(t, evs)
	})
}
