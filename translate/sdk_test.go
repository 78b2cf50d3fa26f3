// This test drives the translators with Anthropic's official Go SDK
// (github.com/anthropics/anthropic-sdk-go/v2): the SDK builds and sends real
// requests to a test server that translates them, and decodes and
// accumulates the translated answers and streams.

package translate

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/sluicegw/sluice/sse"
	"github.com/tidwall/gjson"
)

// sdkServer answers POST /v1/messages by translating the request, then
// translating the OpenAI fixture answer (a .json completion or an .sse
// stream) back. It records the translated request.
func sdkServer(t *testing.T, fixture string) (*httptest.Server, func() []byte) {
	var mu sync.Mutex
	var last []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/messages" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		converted, info, aerr := AnthropicRequestToOpenAI(body)
		if aerr != nil {
			t.Errorf("the SDK's request does not translate: %v\n%s", aerr, body)
			http.Error(w, aerr.Message, 400)
			return
		}
		mu.Lock()
		last = converted
		mu.Unlock()
		if !info.Stream {
			out, err := OpenAIResponseToAnthropic(readFixture(t, fixture), info.Model)
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		tr := NewOpenAIStreamToAnthropic(info.Model)
		for _, d := range sseData(t, readFixture(t, fixture)) {
			var buf []byte
			if err := tr.Event(d, func(name string, data []byte) { buf = sse.AppendEvent(buf, name, data) }); err != nil {
				t.Error(err)
			}
			_, _ = w.Write(buf)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []byte { mu.Lock(); defer mu.Unlock(); return last }
}

func sdkParams() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		System:    []anthropic.TextBlockParam{{Text: "You are terse."}},
		Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("What is the weather in San Francisco?")),
			anthropic.NewAssistantMessage(anthropic.NewTextBlock("Checking."),
				anthropic.NewToolUseBlock("toolu_01A09q90qw90lq917835lq9", map[string]any{"location": "San Francisco, CA"}, "get_weather")),
			anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_01A09q90qw90lq917835lq9", "15 degrees, foggy", false),
				anthropic.NewTextBlock("And in Paris?")),
		},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
			Name:        "get_weather",
			Description: anthropic.String("Get the current weather in a given location"),
			InputSchema: anthropic.ToolInputSchemaParam{
				Properties: map[string]any{"location": map[string]any{"type": "string"}},
				Required:   []string{"location"},
			},
		}}},
		ToolChoice:    anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{DisableParallelToolUse: anthropic.Bool(true)}},
		StopSequences: []string{"END"},
		Metadata:      anthropic.MetadataParam{UserID: anthropic.String("user-7f3a9c")},
	}
}

// checkSDKRequest checks the translation of the request sdkParams builds.
func checkSDKRequest(t *testing.T, out []byte, stream bool) {
	t.Helper()
	want := map[string]string{
		"model":               `"claude-sonnet-4-5"`,
		"max_tokens":          `1024`,
		"messages.0":          `{"role":"system","content":"You are terse."}`,
		"messages.1":          `{"role":"user","content":"What is the weather in San Francisco?"}`,
		"messages.2":          `{"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\"}"}}]}`,
		"messages.3":          `{"role":"tool","tool_call_id":"toolu_01A09q90qw90lq917835lq9","content":"15 degrees, foggy"}`,
		"messages.4":          `{"role":"user","content":"And in Paris?"}`,
		"tools.0.function":    `{"name":"get_weather","description":"Get the current weather in a given location","parameters":{"properties":{"location":{"type":"string"}},"required":["location"],"type":"object"}}`,
		"tool_choice":         `"auto"`,
		"parallel_tool_calls": `false`,
		"stop":                `["END"]`,
		"user":                `"user-7f3a9c"`,
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

func TestSDKMessage(t *testing.T) {
	srv, last := sdkServer(t, "openai_response_tool_calls.json")
	client := anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test"), option.WithMaxRetries(0))
	msg, err := client.Messages.New(context.Background(), sdkParams())
	if err != nil {
		t.Fatal(err)
	}
	checkSDKRequest(t, last(), false)
	checkSDKMessage(t, msg, usageJS{InputTokens: 412, OutputTokens: 58})
}

func TestSDKStream(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		usage   usageJS
	}{
		{"openai_stream_tool_calls.sse", usageJS{InputTokens: 412, OutputTokens: 58}},
		{"openai_stream_parallel_interleaved.sse", usageJS{InputTokens: 102, CacheRead: 128, OutputTokens: 41}},
		{"openai_stream_text.sse", usageJS{InputTokens: 93, CacheRead: 1024, OutputTokens: 27}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			srv, last := sdkServer(t, tc.fixture)
			client := anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test"), option.WithMaxRetries(0))
			stream := client.Messages.NewStreaming(context.Background(), sdkParams())
			var msg anthropic.Message
			n := 0
			for stream.Next() {
				if err := msg.Accumulate(stream.Current()); err != nil {
					t.Fatalf("Accumulate: %v", err)
				}
				n++
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			checkSDKRequest(t, last(), true)
			// The accumulated message equals the hand-accumulated one.
			evs, _ := translateStream(t, "claude-sonnet-4-5", sseData(t, readFixture(t, tc.fixture)))
			if n != len(evs) {
				t.Errorf("the SDK saw %d events, the translator emitted %d", n, len(evs))
			}
			want := accumulate(t, evs)
			if string(msg.StopReason) != *want.StopReason || msg.ID != want.ID || msg.Model != "claude-sonnet-4-5" {
				t.Errorf("stop %q id %q model %q", msg.StopReason, msg.ID, msg.Model)
			}
			if got := (usageJS{int(msg.Usage.InputTokens), int(msg.Usage.CacheCreationInputTokens), int(msg.Usage.CacheReadInputTokens), int(msg.Usage.OutputTokens)}); got != tc.usage {
				t.Errorf("usage %+v, want %+v", got, tc.usage)
			}
			if len(msg.Content) != len(want.Content) {
				t.Fatalf("%d blocks, want %d", len(msg.Content), len(want.Content))
			}
			for i, b := range msg.Content {
				w := want.Content[i]
				if b.Type != w.Type || b.Text != w.Text || b.ID != w.ID || b.Name != w.Name {
					t.Errorf("block %d = %+v, want %+v", i, b, w)
				}
				if b.Type == "tool_use" && !jsonEqual(t, b.Input, w.Input) {
					t.Errorf("block %d input %s, want %s", i, b.Input, w.Input)
				}
			}
		})
	}
}

func checkSDKMessage(t *testing.T, msg *anthropic.Message, usage usageJS) {
	t.Helper()
	if msg.StopReason != anthropic.StopReasonToolUse || msg.Model != "claude-sonnet-4-5" || msg.ID != "msg_C3xkTq8vHn2LpW4rYz6XcB0dEfGh" {
		t.Errorf("stop %q model %q id %q", msg.StopReason, msg.Model, msg.ID)
	}
	if len(msg.Content) != 3 {
		t.Fatalf("content %+v", msg.Content)
	}
	if tb, ok := msg.Content[0].AsAny().(anthropic.TextBlock); !ok || tb.Text != "I'll look up both cities." {
		t.Errorf("block 0 %+v", msg.Content[0])
	}
	var inputs []map[string]any
	for _, b := range msg.Content[1:] {
		tu, ok := b.AsAny().(anthropic.ToolUseBlock)
		if !ok || tu.Name != "get_weather" {
			t.Fatalf("block %+v", b)
		}
		var in map[string]any
		if err := json.Unmarshal(tu.Input, &in); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, in)
	}
	if !reflect.DeepEqual(inputs, []map[string]any{{"location": "San Francisco, CA", "unit": "celsius"}, {"location": "Paris, France"}}) {
		t.Errorf("inputs %v", inputs)
	}
	if got := (usageJS{int(msg.Usage.InputTokens), int(msg.Usage.CacheCreationInputTokens), int(msg.Usage.CacheReadInputTokens), int(msg.Usage.OutputTokens)}); got != usage {
		t.Errorf("usage %+v, want %+v", got, usage)
	}
}
