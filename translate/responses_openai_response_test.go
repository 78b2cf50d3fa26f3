package translate

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// The response tests run on a fixed clock: completed_at is deterministic.
const testNow = 1741570290

func init() { nowUnix = func() int64 { return testNow } }

// responsesInfo translates a request fixture for its ResponsesInfo.
func responsesInfo(t testing.TB, fixture string) ResponsesInfo {
	t.Helper()
	_, info, err := ResponsesRequestToOpenAI(readFixture(t, "responses/"+fixture))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestResponsesAnswerGolden(t *testing.T) {
	for _, tc := range []struct{ request, in, golden string }{
		{"request_chat.json", "chat_response_text.json", "response_text.json"},
		{"request_agent.json", "chat_response_tool_calls.json", "response_tool_calls.json"},
		{"request_chat.json", "chat_response_length.json", "response_length.json"},
		{"request_structured.json", "chat_response_refusal.json", "response_refusal.json"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			out, err := OpenAIResponseToResponses(readFixture(t, "responses/"+tc.in), responsesInfo(t, tc.request))
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenJSON(t, "responses/"+tc.golden, out)
			checkResponseObject(t, out)
		})
	}
}

func TestResponsesAnswerMapping(t *testing.T) {
	info := ResponsesInfo{Model: "public-model"}
	for _, tc := range []struct {
		name, body string
		want       map[string]string
	}{
		{"text", `{"id":"chatcmpl-abc","created":17,"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`, map[string]string{
			"id": `"resp_abc"`, "created_at": "17", "status": `"completed"`, "completed_at": "1741570290", "model": `"public-model"`,
			"output": `[{"id":"msg_abc","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi","annotations":[],"logprobs":[]}]}]`,
			"usage":  `{"input_tokens":0,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":0,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":0}`,
			"store":  "false", "error": "null", "incomplete_details": "null", "tools": "[]", "tool_choice": `"auto"`, "object": `"response"`,
		}},
		{"content filter", `{"id":"x","choices":[{"index":0,"message":{"content":"par"},"finish_reason":"content_filter"}]}`, map[string]string{
			"status": `"incomplete"`, "incomplete_details": `{"reason":"content_filter"}`, "completed_at": "null", "output.0.status": `"incomplete"`,
		}},
		{"length with a call: the call is incomplete", `{"id":"x","choices":[{"index":0,"message":{"content":"a","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a"}}]},"finish_reason":"length"}]}`, map[string]string{
			"status": `"incomplete"`, "output.0.status": `"completed"`, "output.1.status": `"incomplete"`, "output.1.arguments": `"{\"a"`,
		}},
		{"call without text or arguments", `{"id":"x","choices":[{"index":0,"message":{"content":null,"tool_calls":[{"id":"call_q","type":"function","function":{"name":"now","arguments":""}}]},"finish_reason":"tool_calls"}]}`, map[string]string{
			"output": `[{"id":"fc_q","type":"function_call","status":"completed","arguments":"{}","call_id":"call_q","name":"now"}]`,
		}},
		{"stop with tool calls", `{"id":"x","choices":[{"index":0,"message":{"tool_calls":[{"id":"t1","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}]}`, map[string]string{
			"status": `"completed"`, "output.0.id": `"fc_t1"`, "output.0.call_id": `"t1"`,
		}},
		{"content parts", `{"id":"x","choices":[{"index":0,"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"stop"}]}`, map[string]string{
			"output.0.content.#": "2", "output.0.content.1.text": `"b"`,
		}},
		{"empty content", `{"id":"x","choices":[{"index":0,"message":{"content":""},"finish_reason":"stop"}]}`, map[string]string{
			"output": "[]",
		}},
		{"first choice only, reasoning dropped", `{"id":"x","choices":[{"index":1,"message":{"content":"no"}},{"index":0,"message":{"content":"yes","reasoning_content":"hmm"},"finish_reason":"stop"}]}`, map[string]string{
			"output.#": "1", "output.0.content.0.text": `"yes"`,
		}},
		{"usage", `{"id":"x","choices":[{"index":0,"message":{"content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":3}}}`, map[string]string{
			"usage": `{"input_tokens":10,"input_tokens_details":{"cached_tokens":4,"cache_write_tokens":0},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":3},"total_tokens":15}`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := OpenAIResponseToResponses([]byte(tc.body), info)
			if err != nil {
				t.Fatal(err)
			}
			checkResponseObject(t, out)
			for path, want := range tc.want {
				if got := gjson.GetBytes(out, path); !got.Exists() || !jsonEqual(t, []byte(got.Raw), []byte(want)) {
					t.Errorf("%s = %s\n want %s", path, got.Raw, want)
				}
			}
		})
	}
}

// An answer without ids gets random ones, with the documented prefixes.
func TestResponsesAnswerRandomIDs(t *testing.T) {
	out, err := OpenAIResponseToResponses([]byte(`{"choices":[{"index":0,"message":{"content":"a","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`), ResponsesInfo{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	r := gjson.ParseBytes(out)
	if id := r.Get("id").Str; !strings.HasPrefix(id, "resp_") || len(id) != len("resp_")+24 {
		t.Errorf("id %q", id)
	}
	if id, call := r.Get("output.1.id").Str, r.Get("output.1.call_id").Str; !strings.HasPrefix(call, "call_") || id != "fc_"+strings.TrimPrefix(call, "call_") {
		t.Errorf("function call id %q call_id %q", id, call)
	}
	if r.Get("output.0.id").Str != "msg_"+strings.TrimPrefix(r.Get("id").Str, "resp_") {
		t.Errorf("message id %s", r.Get("output.0.id").Raw)
	}
}

func TestResponsesAnswerErrors(t *testing.T) {
	for _, body := range []string{`{`, `[]`, `{"error":{"message":"boom"}}`, `{"choices":[]}`, `{"choices":[{"index":2}]}`} {
		if out, err := OpenAIResponseToResponses([]byte(body), ResponsesInfo{}); err == nil {
			t.Errorf("%s: no error, got %s", body, out)
		}
	}
}
