// These tests check the Responses translators against OpenAI's official Go
// SDK (github.com/openai/openai-go/v3): the SDK's types decode every
// response object and stream event, and, end to end, the SDK sends real
// requests to a test server that translates them and reads the translated
// answers and streams.

package translate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/respjson"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/sse"
	"github.com/tidwall/gjson"
)

var respjsonField = reflect.TypeFor[respjson.Field]()

// sdkOmitted are the fields the SDK marks required that the gateway leaves
// out on purpose, by Go type and JSON name.
var sdkOmitted = map[string]bool{
	// The OpenAI access program that served the response: the gateway
	// serves none, and inventing one would mislead.
	"Response.access_programs": true,
}

// sdkWalk checks a value the SDK decoded, through its JSON metadata: every
// field the SDK marks api:"required" is present (null counts), and no field
// failed to decode (a string where the SDK wants an object, say). Unions
// are checked as the variant their AsAny selects.
func sdkWalk(t testing.TB, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			sdkWalk(t, path, v.Elem())
		}
		return
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			sdkWalk(t, path+"["+strconv.Itoa(i)+"]", v.Index(i))
		}
		return
	case reflect.Struct:
	default:
		return
	}
	typ := v.Type()
	if m := v.MethodByName("AsAny"); m.IsValid() && m.Type().NumIn() == 0 && m.Type().NumOut() == 1 {
		r := m.Call(nil)[0]
		if r.IsNil() {
			t.Errorf("%s: the SDK knows no variant of %s for this value", path, typ.Name())
			return
		}
		sdkWalk(t, path, r)
		return
	}
	if strings.HasSuffix(typ.Name(), "Union") {
		return // a union without AsAny: its parent's metadata checked it decoded
	}
	meta := v.FieldByName("JSON")
	if !meta.IsValid() || meta.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() || f.Name == "JSON" {
			continue
		}
		mf := meta.FieldByName(f.Name)
		if !mf.IsValid() || mf.Type() != respjsonField {
			continue
		}
		field := mf.Interface().(respjson.Field)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		p := path + "." + name
		switch raw := field.Raw(); {
		case raw == respjson.Omitted:
			if strings.Contains(f.Tag.Get("api"), "required") && !sdkOmitted[typ.Name()+"."+name] {
				t.Errorf("%s: required by the SDK (%s.%s), missing", p, typ.Name(), f.Name)
			}
		case raw == respjson.Null:
		case !field.Valid():
			t.Errorf("%s: the SDK cannot decode %s as %s", p, raw, f.Type)
		default:
			sdkWalk(t, p, v.Field(i))
		}
	}
}

// checkResponseObject decodes a response object with the SDK and checks it
// holds what the SDK requires, tools included.
func checkResponseObject(t testing.TB, data []byte) *responses.Response {
	t.Helper()
	var r responses.Response
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("the SDK cannot decode the response: %v\n%s", err, data)
	}
	sdkWalk(t, "response", reflect.ValueOf(r))
	for i, tool := range r.Tools {
		if tool.Type != "function" {
			t.Errorf("tools[%d] type %q", i, tool.Type)
		}
		sdkWalk(t, "response.tools["+strconv.Itoa(i)+"]", reflect.ValueOf(tool.AsFunction()))
	}
	if r.Object != "response" || !strings.HasPrefix(r.ID, "resp_") || r.Model == "" {
		t.Errorf("object %q id %q model %q", r.Object, r.ID, r.Model)
	}
	return &r
}

// rsItem is an output item as a stream builds it.
type rsItem struct {
	id, typ, callID, name, args string
	parts                       []rsPart
	done                        bool
}

type rsPart struct {
	typ, text string
	done      bool
}

// checkResponsesStream checks a translated stream the way the SDKs'
// accumulators read it, and returns the terminal event's type and the
// response it carries. Every event decodes as the SDK's event union, with
// what the SDK requires; names match types; sequence numbers count from 0;
// response.created and response.in_progress come first; items are added at
// the next output_index and parts at the next content_index; deltas go to
// open items and parts of their kind; .done events repeat what the deltas
// built; the stream ends with response.completed or response.incomplete
// (whose output is what the events built), or with error and
// response.failed.
func checkResponsesStream(t testing.TB, evs []event) (string, *responses.Response) {
	t.Helper()
	var items []rsItem
	var final *responses.Response
	terminal := ""
	fail := func(i int, format string, args ...any) {
		t.Helper()
		t.Fatalf("event %d (%s %s): %s", i, evs[i].name, evs[i].data, fmt.Sprintf(format, args...))
	}
	for i, e := range evs {
		var u responses.ResponseStreamEventUnion
		if err := json.Unmarshal(e.data, &u); err != nil {
			fail(i, "the SDK cannot decode it: %v", err)
		}
		sdkWalk(t, e.name, reflect.ValueOf(u))
		if u.Type != e.name {
			fail(i, "type %q under event name %q", u.Type, e.name)
		}
		if u.SequenceNumber != int64(i) || !u.JSON.SequenceNumber.Valid() {
			fail(i, "sequence_number %d, want %d", u.SequenceNumber, i)
		}
		if terminal != "" && terminal != "error" {
			fail(i, "an event after %s", terminal)
		}
		if (i == 0) != (e.name == "response.created") || (i == 1) != (e.name == "response.in_progress") {
			if !(i == 0 && e.name == "error") {
				fail(i, "response.created and response.in_progress come first")
			}
		}
		item := func(want string) *rsItem {
			t.Helper()
			if u.OutputIndex < 0 || int(u.OutputIndex) >= len(items) {
				fail(i, "output_index %d of %d items", u.OutputIndex, len(items))
			}
			it := &items[u.OutputIndex]
			if it.done || it.typ != want || (u.ItemID != "" && u.ItemID != it.id) {
				fail(i, "not an open %s item (%+v)", want, *it)
			}
			return it
		}
		part := func(want string) *rsPart {
			t.Helper()
			it := item("message")
			if u.ContentIndex < 0 || int(u.ContentIndex) >= len(it.parts) {
				fail(i, "content_index %d of %d parts", u.ContentIndex, len(it.parts))
			}
			p := &it.parts[u.ContentIndex]
			if p.done || p.typ != want {
				fail(i, "not an open %s part", want)
			}
			return p
		}
		switch ev := u.AsAny().(type) {
		case responses.ResponseCreatedEvent, responses.ResponseInProgressEvent:
			r := u.Response
			if r.Status != "in_progress" || len(r.Output) != 0 || r.JSON.Usage.Raw() != "null" {
				fail(i, "the response does not start empty and in_progress")
			}
			checkResponseObject(t, []byte(u.JSON.Response.Raw()))
		case responses.ResponseOutputItemAddedEvent:
			if int(ev.OutputIndex) != len(items) {
				fail(i, "output_index %d, want the next one, %d", ev.OutputIndex, len(items))
			}
			it := rsItem{id: ev.Item.ID, typ: ev.Item.Type, callID: ev.Item.CallID, name: ev.Item.Name}
			switch {
			case ev.Item.Status != "in_progress" || it.id == "":
				fail(i, "an item starts in_progress, with an id")
			case it.typ == "message" && (len(ev.Item.Content) != 0 || ev.Item.Role != "assistant"):
				fail(i, "a message starts empty")
			case it.typ == "function_call" && (ev.Item.Arguments.OfString != "" || it.callID == "" || !strings.HasPrefix(it.id, "fc_")):
				fail(i, "a function call starts with a call_id and no arguments")
			case it.typ != "message" && it.typ != "function_call":
				fail(i, "unexpected item type")
			}
			items = append(items, it)
		case responses.ResponseContentPartAddedEvent:
			it := item("message")
			if int(ev.ContentIndex) != len(it.parts) {
				fail(i, "content_index %d, want the next one, %d", ev.ContentIndex, len(it.parts))
			}
			if ev.Part.Text != "" || ev.Part.Refusal != "" || (ev.Part.Type != "output_text" && ev.Part.Type != "refusal") {
				fail(i, "a part starts empty")
			}
			it.parts = append(it.parts, rsPart{typ: ev.Part.Type})
		case responses.ResponseTextDeltaEvent:
			part("output_text").text += ev.Delta
		case responses.ResponseRefusalDeltaEvent:
			part("refusal").text += ev.Delta
		case responses.ResponseTextDoneEvent:
			if p := part("output_text"); ev.Text != p.text {
				fail(i, "text %q, the deltas made %q", ev.Text, p.text)
			}
		case responses.ResponseRefusalDoneEvent:
			if p := part("refusal"); ev.Refusal != p.text {
				fail(i, "refusal %q, the deltas made %q", ev.Refusal, p.text)
			}
		case responses.ResponseContentPartDoneEvent:
			p := part(ev.Part.Type)
			if ev.Part.Text+ev.Part.Refusal != p.text {
				fail(i, "part %q, the deltas made %q", ev.Part.Text+ev.Part.Refusal, p.text)
			}
			p.done = true
		case responses.ResponseFunctionCallArgumentsDeltaEvent:
			item("function_call").args += ev.Delta
		case responses.ResponseFunctionCallArgumentsDoneEvent:
			if it := item("function_call"); ev.Arguments != it.args {
				fail(i, "arguments %q, the deltas made %q", ev.Arguments, it.args)
			}
		case responses.ResponseOutputItemDoneEvent:
			it := item(ev.Item.Type)
			for _, p := range it.parts {
				if !p.done {
					fail(i, "the item ends before its parts")
				}
			}
			checkItem(t, i, ev.Item, it)
			if ev.Item.Status != "completed" && ev.Item.Status != "incomplete" {
				fail(i, "status %q", ev.Item.Status)
			}
			it.done = true
		case responses.ResponseCompletedEvent, responses.ResponseIncompleteEvent, responses.ResponseFailedEvent:
			terminal = e.name
			r := checkResponseObject(t, []byte(u.JSON.Response.Raw()))
			final = r
			want := map[string]string{"response.completed": "completed", "response.incomplete": "incomplete", "response.failed": "failed"}[e.name]
			if string(r.Status) != want {
				fail(i, "status %q", r.Status)
			}
			if len(r.Output) != len(items) {
				fail(i, "%d output items, the events made %d", len(r.Output), len(items))
			}
			for k := range items {
				if e.name != "response.failed" && !items[k].done {
					fail(i, "item %d never ended", k)
				}
				checkItem(t, i, r.Output[k], &items[k])
			}
		case responses.ResponseErrorEvent:
			terminal = "error"
			if ev.Message == "" || ev.Code == "" {
				fail(i, "an error event needs a code and a message")
			}
		default:
			fail(i, "unexpected event %T", ev)
		}
	}
	if terminal == "" || terminal == "error" && evs[len(evs)-1].name != "error" && evs[len(evs)-1].name != "response.failed" {
		t.Fatalf("the stream does not end with a terminal event")
	}
	return terminal, final
}

// checkItem checks that an output item (in output_item.done or the final
// response) is what the events built.
func checkItem(t testing.TB, i int, got responses.ResponseOutputItemUnion, want *rsItem) {
	t.Helper()
	if got.ID != want.id || got.Type != want.typ {
		t.Fatalf("event %d: item %s %s, the events made %s %s", i, got.ID, got.Type, want.id, want.typ)
	}
	switch got.Type {
	case "function_call":
		if got.CallID != want.callID || got.Name != want.name || got.Arguments.OfString != want.args {
			t.Fatalf("event %d: call %s %s %q, the events made %s %s %q", i, got.CallID, got.Name, got.Arguments.OfString, want.callID, want.name, want.args)
		}
	case "message":
		if len(got.Content) != len(want.parts) {
			t.Fatalf("event %d: %d parts, the events made %d", i, len(got.Content), len(want.parts))
		}
		for k, p := range got.Content {
			if p.Type != want.parts[k].typ || p.Text+p.Refusal != want.parts[k].text {
				t.Fatalf("event %d: part %d %s %q, the events made %s %q", i, k, p.Type, p.Text+p.Refusal, want.parts[k].typ, want.parts[k].text)
			}
		}
	}
}

// responsesServer answers POST /v1/responses by translating the request,
// then translating the chat fixture answer (a .json completion or an .sse
// stream) back; breakAfter > 0 cuts the stream after that many upstream
// events and ends it with Fail. It records the translated request.
func responsesServer(t *testing.T, fixture string, breakAfter int) (*httptest.Server, func() []byte) {
	var mu sync.Mutex
	var last []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/responses" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		converted, info, aerr := ResponsesRequestToOpenAI(body)
		if aerr != nil {
			t.Errorf("the SDK's request does not translate: %v\n%s", aerr, body)
			apierror.Write(w, apierror.OpenAI, aerr)
			return
		}
		mu.Lock()
		last = converted
		mu.Unlock()
		if !info.Stream {
			out, err := OpenAIResponseToResponses(readFixture(t, "responses/"+fixture), info)
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		tr := NewOpenAIStreamToResponses(info)
		var buf []byte
		emit := func(name string, data []byte) { buf = sse.AppendEvent(buf, name, data) }
		for i, d := range sseData(t, readFixture(t, "responses/"+fixture)) {
			if breakAfter > 0 && i == breakAfter {
				tr.Fail(apierror.Upstream("The upstream provider p broke off its answer."), emit)
				break
			}
			if err := tr.Event(d, emit); err != nil {
				t.Error(err)
			}
			_, _ = w.Write(buf)
			buf = buf[:0]
			w.(http.Flusher).Flush()
		}
		if err := tr.Close(emit); err != nil {
			tr.Fail(apierror.Upstream("cut short"), emit)
		}
		_, _ = w.Write(buf)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []byte { mu.Lock(); defer mu.Unlock(); return last }
}

func responsesClient(srv *httptest.Server) openai.Client {
	return openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("test"), option.WithMaxRetries(0))
}

// sdkResponsesParams is an agent turn as an application builds it with the
// SDK: instructions, a user message with an image, the model's earlier
// function calls and their outputs, a function tool.
func sdkResponsesParams() responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model:        "gpt-4.1",
		Instructions: openai.String("You are a weather assistant."),
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage(responses.ResponseInputMessageContentListParam{
				{OfInputText: &responses.ResponseInputTextParam{Text: "What is the weather in San Francisco and in Paris?"}},
				{OfInputImage: &responses.ResponseInputImageParam{ImageURL: openai.String("https://example.com/sky.jpg"), Detail: responses.ResponseInputImageDetailLow}},
			}, responses.EasyInputMessageRoleUser),
			responses.ResponseInputItemParamOfFunctionCall(`{"location":"San Francisco, CA"}`, "call_DdmO9pD3xa9XTPNJ32zg2hcA", "get_weather"),
			{OfFunctionCallOutput: &responses.ResponseInputItemFunctionCallOutputParam{
				CallID: openai.String("call_DdmO9pD3xa9XTPNJ32zg2hcA"),
				Output: responses.ResponseInputItemFunctionCallOutputOutputUnionParam{OfString: openai.String("15 degrees, foggy")},
			}},
			responses.ResponseInputItemParamOfMessage("And in Paris?", responses.EasyInputMessageRoleUser),
		}},
		Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
			Name:        "get_weather",
			Description: openai.String("Get the current weather in a given location"),
			Parameters:  map[string]any{"type": "object", "properties": map[string]any{"location": map[string]any{"type": "string"}}, "required": []string{"location"}},
			Strict:      openai.Bool(false),
		}}},
		ToolChoice:        responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: openai.Opt(responses.ToolChoiceOptionsAuto)},
		ParallelToolCalls: openai.Bool(true),
		MaxOutputTokens:   openai.Int(1024),
		Temperature:       openai.Float(0.2),
		Store:             openai.Bool(false),
		Reasoning:         shared.ReasoningParam{Effort: shared.ReasoningEffortLow},
		Metadata:          shared.Metadata{"session": "a81f3c"},
		SafetyIdentifier:  openai.String("hashed-9d2c"),
	}
}

// checkSDKResponsesRequest checks the translation of the request
// sdkResponsesParams builds.
func checkSDKResponsesRequest(t *testing.T, out []byte, stream bool) {
	t.Helper()
	want := map[string]string{
		"model":                 `"gpt-4.1"`,
		"messages.0":            `{"role":"system","content":"You are a weather assistant."}`,
		"messages.1":            `{"role":"user","content":[{"type":"text","text":"What is the weather in San Francisco and in Paris?"},{"type":"image_url","image_url":{"url":"https://example.com/sky.jpg","detail":"low"}}]}`,
		"messages.2":            `{"role":"assistant","content":null,"tool_calls":[{"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\"}"}}]}`,
		"messages.3":            `{"role":"tool","tool_call_id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","content":"15 degrees, foggy"}`,
		"messages.4":            `{"role":"user","content":"And in Paris?"}`,
		"messages.#":            `5`,
		"tools.0.function.name": `"get_weather"`,
		"tool_choice":           `"auto"`,
		"parallel_tool_calls":   `true`,
		"max_completion_tokens": `1024`,
		"temperature":           `0.2`,
		"reasoning_effort":      `"low"`,
		"user":                  `"hashed-9d2c"`,
	}
	if stream {
		want["stream_options"] = `{"include_usage":true}`
	}
	for path, w := range want {
		if got := gjson.GetBytes(out, path); !got.Exists() || !jsonEqual(t, []byte(got.Raw), []byte(w)) {
			t.Errorf("%s = %s, want %s", path, got.Raw, w)
		}
	}
}

func TestResponsesSDK(t *testing.T) {
	srv, last := responsesServer(t, "chat_response_tool_calls.json", 0)
	client := responsesClient(srv)
	resp, err := client.Responses.New(context.Background(), sdkResponsesParams())
	if err != nil {
		t.Fatal(err)
	}
	checkSDKResponsesRequest(t, last(), false)
	sdkWalk(t, "response", reflect.ValueOf(*resp))
	if resp.ID != "resp_C3xkTq8vHn2LpW4rYz6XcB0dEfGh" || resp.Model != "gpt-4.1" || resp.Status != responses.ResponseStatusCompleted {
		t.Errorf("id %q model %q status %q", resp.ID, resp.Model, resp.Status)
	}
	if resp.OutputText() != "I'll look up both cities." {
		t.Errorf("OutputText %q", resp.OutputText())
	}
	var calls []responses.ResponseFunctionToolCall
	for _, item := range resp.Output {
		if c, ok := item.AsAny().(responses.ResponseFunctionToolCall); ok {
			calls = append(calls, c)
		}
	}
	if len(calls) != 2 || calls[0].CallID != "call_DdmO9pD3xa9XTPNJ32zg2hcA" || calls[1].Name != "get_weather" ||
		calls[1].Arguments != `{"location": "Paris, France", "unit": "celsius"}` {
		t.Errorf("calls %+v", calls)
	}
	u := resp.Usage
	if u.InputTokens != 412 || u.OutputTokens != 186 || u.OutputTokensDetails.ReasoningTokens != 128 || u.TotalTokens != 598 {
		t.Errorf("usage %+v", u)
	}
	if resp.Temperature != 0.2 || resp.MaxOutputTokens != 1024 || !resp.ParallelToolCalls || resp.Instructions.OfString != "You are a weather assistant." ||
		resp.Metadata["session"] != "a81f3c" || resp.Reasoning.Effort != shared.ReasoningEffortLow || resp.ToolChoice.OfToolChoiceMode != responses.ToolChoiceOptionsAuto {
		t.Errorf("echoed fields: %s", resp.RawJSON())
	}
	if f := resp.Tools[0].AsFunction(); f.Name != "get_weather" || f.Parameters["type"] != "object" {
		t.Errorf("tools %+v", resp.Tools)
	}
}

// A request the gateway refuses reaches the SDK as an API error.
func TestResponsesSDKRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, _, aerr := ResponsesRequestToOpenAI(body); aerr != nil {
			apierror.Write(w, apierror.OpenAI, aerr)
			return
		}
		t.Error("the request was not refused")
	}))
	defer srv.Close()
	p := sdkResponsesParams()
	p.PreviousResponseID = openai.String("resp_123")
	client := responsesClient(srv)
	_, err := client.Responses.New(context.Background(), p)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "previous_response_id" || apiErr.Code != "invalid_request" {
		t.Fatalf("error %v", err)
	}
}

func TestResponsesSDKStream(t *testing.T) {
	for _, tc := range []struct {
		fixture, text, status string
		calls                 int
		input, output         int64
	}{
		{"chat_stream_text.sse", "Canberra was chosen as a compromise between Sydney and Melbourne. \"Quoted\"\nand done. Café ☕", "completed", 0, 1117, 27},
		{"chat_stream_tool_calls.sse", "I'll look up both cities.", "completed", 2, 412, 58},
		{"chat_stream_parallel_interleaved.sse", "", "completed", 2, 230, 41},
		{"chat_stream_length.sse", "Canberra was chosen as a compromise between", "incomplete", 0, 38, 16},
		{"chat_stream_refusal.sse", "", "completed", 0, 61, 11},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			srv, last := responsesServer(t, tc.fixture, 0)
			client := responsesClient(srv)
			stream := client.Responses.NewStreaming(context.Background(), sdkResponsesParams())
			var evs []event
			var final responses.Response
			for stream.Next() {
				ev := stream.Current()
				evs = append(evs, event{ev.Type, []byte(ev.RawJSON())})
				switch e := ev.AsAny().(type) {
				case responses.ResponseCompletedEvent:
					final = e.Response
				case responses.ResponseIncompleteEvent:
					final = e.Response
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			checkSDKResponsesRequest(t, last(), true)
			terminal, _ := checkResponsesStream(t, evs)
			if terminal != "response."+tc.status {
				t.Errorf("terminal event %s", terminal)
			}
			if final.OutputText() != tc.text || string(final.Status) != tc.status || final.Model != "gpt-4.1" {
				t.Errorf("text %q status %q model %q", final.OutputText(), final.Status, final.Model)
			}
			calls := 0
			for _, item := range final.Output {
				if item.Type == "function_call" {
					calls++
					var args map[string]any
					if err := json.Unmarshal([]byte(item.Arguments.OfString), &args); err != nil {
						t.Errorf("call %s arguments %q: %v", item.CallID, item.Arguments.OfString, err)
					}
				}
			}
			if calls != tc.calls || final.Usage.InputTokens != tc.input || final.Usage.OutputTokens != tc.output {
				t.Errorf("%d calls, usage %+v", calls, final.Usage)
			}
		})
	}
}

// A stream that breaks ends with the error event and response.failed; the
// SDK hands both over, then the stream ends without an error of its own.
func TestResponsesSDKStreamBroken(t *testing.T) {
	srv, _ := responsesServer(t, "chat_stream_tool_calls.sse", 6)
	client := responsesClient(srv)
	stream := client.Responses.NewStreaming(context.Background(), sdkResponsesParams())
	var evs []event
	for stream.Next() {
		evs = append(evs, event{stream.Current().Type, []byte(stream.Current().RawJSON())})
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	terminal, final := checkResponsesStream(t, evs)
	if terminal != "response.failed" || evs[len(evs)-2].name != "error" {
		t.Fatalf("events end %s", names2(evs))
	}
	var ev responses.ResponseErrorEvent
	if err := json.Unmarshal(evs[len(evs)-2].data, &ev); err != nil || ev.Code != "upstream_error" || ev.Message != "The upstream provider p broke off its answer." {
		t.Errorf("error event %+v (%v)", ev, err)
	}
	if final.Error.Code != "server_error" || final.Error.Message != ev.Message || final.Status != "failed" || final.Output[0].Status != "completed" {
		t.Errorf("failed response %s", final.RawJSON())
	}
}

func names2(evs []event) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = e.name
	}
	return strings.Join(s, " ")
}
