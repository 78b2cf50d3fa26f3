package bedrock

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzEventStream feeds arbitrary bytes to the stream translator as the
// upstream's event stream: it must end (with EOF or an error), never panic,
// and every event it writes before that must be JSON or [DONE].
func FuzzEventStream(f *testing.F) {
	f.Add(streamFixture(f, "converse_stream_tools.json"))
	f.Add(encodeFrames(f, []frame{start, hello, stop, metadata}))
	f.Add(encodeFrames(f, []frame{start, hello, exception}))
	f.Add(encodeFrames(f, []frame{start, event("contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}`),
		event("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":"}}}`), stop}))
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, upstream []byte) {
		r := newStreamReader(io.NopCloser(bytes.NewReader(upstream)), "chatcmpl-f", "m", 1)
		out, _ := io.ReadAll(io.LimitReader(r, 64<<20))
		if len(out) > 64<<20-1 {
			t.Fatalf("%d bytes out of %d in", len(out), len(upstream))
		}
		for _, ev := range strings.Split(string(out), "\n\n") {
			if ev == "" {
				continue
			}
			data, ok := strings.CutPrefix(ev, "data: ")
			if !ok || (data != "[DONE]" && !json.Valid([]byte(data))) {
				t.Fatalf("bad event %q", ev)
			}
		}
	})
}

// FuzzTranslateRequest: any body is refused or becomes valid JSON.
func FuzzTranslateRequest(f *testing.F) {
	f.Add(readFixture(f, "openai_request_full.json"), "anthropic.claude-3-7-sonnet-20250219-v1:0")
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high","max_tokens":1}`), "us.amazon.nova-2-lite-v1:0")
	f.Add([]byte(`{"messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{"}}]},{"role":"tool","tool_call_id":"a","content":null}],"tool_choice":"none"}`), "m")
	f.Fuzz(func(t *testing.T, body []byte, model string) {
		out, e := translateRequest(body, model)
		if e == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON out: %s", out)
		}
	})
}

// FuzzTranslateResponse: any answer is refused or becomes a valid
// chat.completion.
func FuzzTranslateResponse(f *testing.F) {
	f.Add(readFixture(f, "converse_response_text.json"))
	f.Add(readFixture(f, "converse_response_tools.json"))
	f.Add([]byte(`{"output":{"message":{"content":[{"toolUse":{"input":"not an object"}}]}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := translateResponse(raw, "m", "id", 1)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON out: %s", out)
		}
	})
}

// FuzzErrorResponse: any error answer becomes a valid OpenAI error body.
func FuzzErrorResponse(f *testing.F) {
	f.Add(429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", []byte(`{"message":"slow down"}`))
	f.Add(400, "", []byte(`{"__type":"a#ValidationException","Message":"bad"}`))
	f.Add(502, "", []byte("\xff<html>"))
	f.Fuzz(func(t *testing.T, status int, typ string, body []byte) {
		if status < 300 || status > 599 {
			return
		}
		resp := translateErrorResponse("aws", &http.Response{StatusCode: status, Header: http.Header{"X-Amzn-Errortype": {typ}}, Body: io.NopCloser(bytes.NewReader(body))})
		out, _ := io.ReadAll(resp.Body)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out: %s", out)
		}
	})
}
