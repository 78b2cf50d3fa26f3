package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/sluicegw/sluice/internal/fakeupstream"
	"github.com/tidwall/sjson"
)

// TestResponsesAPIThroughTheBinary drives POST /v1/responses with the
// official OpenAI SDK's Responses client: translated to chat completions
// for the upstream and back, whole and streamed, with a tool round trip on
// the mock, usage equal to the upstream's, and stateful features refused.
func TestResponsesAPIThroughTheBinary(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	// openai_compatible: chat completions only, so Responses calls are
	// translated (TestResponsesPassthrough covers the openai type).
	g := startGatewayWith(t, options{admin: true, body: indent(fmt.Sprintf(`provider up {
	type openai_compatible
	base_url %s/v1
}
provider mock {
	type mock
	chunks 4
}
model gpt-4o {
	target up/fixture
}
model bill-* {
	target up/{model}
}
model mock-* {
	target mock/{model}
}`, up.URL))})
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0))
	ctx := context.Background()
	content, usage := fixtureAnswer(t)

	t.Run("whole answer", func(t *testing.T) {
		resp, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model:        "gpt-4o",
			Instructions: openai.String("Be brief."),
			Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Describe the image.")},
			Store:        openai.Bool(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.OutputText() != content || resp.Status != responses.ResponseStatusCompleted || resp.Model != "gpt-4o" {
			t.Errorf("response %s", resp.RawJSON())
		}
		if resp.Usage.InputTokens != usage.PromptTokens || resp.Usage.OutputTokens != usage.CompletionTokens ||
			resp.Usage.InputTokensDetails.CachedTokens != usage.PromptTokensDetails.CachedTokens {
			t.Errorf("usage %+v, upstream %+v", resp.Usage, usage)
		}
		sent := string(up.Last().Body)
		if !strings.Contains(sent, `"role":"system","content":"Be brief."`) || !strings.Contains(sent, `"model":"fixture"`) {
			t.Errorf("upstream got %s", sent)
		}
	})

	t.Run("streamed answer", func(t *testing.T) {
		stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
			Model: "gpt-4o", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello.")},
		})
		var deltas strings.Builder
		var final responses.Response
		types := map[string]int{}
		for stream.Next() {
			ev := stream.Current()
			types[ev.Type]++
			switch e := ev.AsAny().(type) {
			case responses.ResponseTextDeltaEvent:
				deltas.WriteString(e.Delta)
			case responses.ResponseCompletedEvent:
				final = e.Response
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if types["response.created"] != 1 || types["response.completed"] != 1 || types["response.output_text.delta"] < 2 {
			t.Errorf("events %v", types)
		}
		if final.OutputText() != deltas.String() || final.Usage.TotalTokens == 0 {
			t.Errorf("final %q vs deltas %q, usage %+v", final.OutputText(), deltas.String(), final.Usage)
		}
	})

	t.Run("tool round trip", func(t *testing.T) {
		tools := []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
			Name: "get_weather", Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		}}}
		input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("What is the weather in Paris?", responses.EasyInputMessageRoleUser)}
		first, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "mock-1", Tools: tools, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input},
		})
		if err != nil {
			t.Fatal(err)
		}
		var call *responses.ResponseFunctionToolCall
		for _, item := range first.Output {
			if c, ok := item.AsAny().(responses.ResponseFunctionToolCall); ok {
				call = &c
			}
		}
		if call == nil || call.Name != "get_weather" || call.CallID == "" {
			t.Fatalf("no function call in %s", first.RawJSON())
		}
		// Stateless: the client sends the history back, with the result.
		result := responses.ResponseInputItemParamOfFunctionCallOutput(`{"temperature_c":21}`)
		result.OfFunctionCallOutput.CallID = openai.String(call.CallID)
		input = append(input, responses.ResponseInputItemParamOfFunctionCall(call.Arguments, call.CallID, call.Name), result)
		second, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "mock-1", Tools: tools, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input},
		})
		if err != nil {
			t.Fatal(err)
		}
		if second.OutputText() == "" {
			t.Errorf("no answer after the tool result: %s", second.RawJSON())
		}
	})

	t.Run("usage accounted like chat", func(t *testing.T) {
		before := up.Billed()
		s := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
			Model: "bill-6", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Name things.")},
		})
		var final responses.Response
		for s.Next() {
			if e, ok := s.Current().AsAny().(responses.ResponseCompletedEvent); ok {
				final = e.Response
			}
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
		billed := up.Billed()
		if final.Usage.InputTokens != int64(billed.InputTokens-before.InputTokens) || final.Usage.OutputTokens != int64(billed.OutputTokens-before.OutputTokens) {
			t.Errorf("usage %+v, billed %+v", final.Usage, billed)
		}
	})

	t.Run("stateful features are refused", func(t *testing.T) {
		_, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "gpt-4o", PreviousResponseID: openai.String("resp_123"),
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("and then?")},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "previous_response_id" {
			t.Errorf("previous_response_id: %v", err)
		}
	})

	m := scrape(t, g, "ai_gateway_requests_total")
	n := 0.0
	for k, v := range m {
		if strings.Contains(k, `status_class="2xx"`) {
			n += v
		}
	}
	if n < 5 {
		t.Errorf("requests counted: %v", m)
	}
}

// TestResponsesPassthrough sends Responses calls to a model served by the
// openai type, which speaks the Responses API: the upstream gets the
// client's bytes (model name set) at /v1/responses, and the client gets the
// upstream's answer untouched, whole and streamed, with usage accounted from
// the Responses fields.
func TestResponsesPassthrough(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{admin: true, body: indent(fmt.Sprintf(`provider openai {
	type openai
	base_url %s/v1
}
model gpt-4.1 {
	target openai/gpt-4.1-2025-04-14
}`, up.URL))})
	body := `{"model": "gpt-4.1",  "input": "Say hello.", "instructions": "Be brief.", "store": false}`
	for _, stream := range []bool{false, true} {
		b, _ := sjson.Set(body, "stream", stream)
		resp, got := post(t, g, "/v1/responses", "", b)
		if resp.StatusCode != 200 {
			t.Fatalf("stream=%v: %d %s", stream, resp.StatusCode, got)
		}
		last := up.Last()
		wantSent, _ := sjson.Set(b, "model", "gpt-4.1-2025-04-14")
		if last.URL != "/v1/responses" || string(last.Body) != wantSent {
			t.Errorf("stream=%v: the upstream got %s %s", stream, last.URL, last.Body)
		}
		direct, err := http.Post(up.URL+"/v1/responses", "application/json", strings.NewReader(wantSent))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(direct.Body)
		direct.Body.Close()
		if string(got) != string(want) {
			t.Errorf("stream=%v: the client got\n%s\nnot the upstream's\n%s", stream, got, want)
		}
	}
	// The SDK reads the passed-through answer; usage is accounted.
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0))
	r, err := client.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: "gpt-4.1", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
	})
	if err != nil || r.OutputText() != "Hello from the Responses API." {
		t.Fatalf("SDK: %v %+v", err, r)
	}
	doc := waitUsage(t, g, 3)
	if doc.Totals.InputTokens != 36 || doc.Totals.OutputTokens != 18 {
		t.Errorf("usage %+v, want 3 × (12 in, 6 out)", doc.Totals)
	}
}
