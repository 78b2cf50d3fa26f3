package gemini

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/sluicegw/sluice/sse"
)

// Every decoder of this package meets untrusted bytes: requests from
// clients, answers and streams from the upstream. None may panic, and what
// each produces must be valid JSON. Seeds: the testdata fixtures and
// testdata/fuzz/<Name>/.

func FuzzTranslateRequest(f *testing.F) {
	f.Add(readFixture(f, "openai_request_chat.json"), "gemini-2.5-flash")
	f.Add(readFixture(f, "openai_request_tools.json"), "gemini-3-pro-preview")
	f.Fuzz(func(t *testing.T, body []byte, model string) {
		out, err := translateRequest(body, model)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON for %q: %s", body, out)
		}
	})
}

func FuzzTranslateCompletion(f *testing.F) {
	f.Add(readFixture(f, "gemini_response_text.json"))
	f.Add(readFixture(f, "gemini_response_tool_calls.json"))
	f.Add(readFixture(f, "gemini_response_blocked.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := translateCompletion(body, "m")
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON for %q: %s", body, out)
		}
	})
}

func FuzzStream(f *testing.F) {
	f.Add(readFixture(f, "gemini_stream_text.sse"))
	f.Add(readFixture(f, "gemini_stream_tool_calls.sse"))
	f.Fuzz(func(t *testing.T, upstream []byte) {
		s := newStreamBody(io.NopCloser(bytes.NewReader(upstream)), "m", nil)
		out, _ := io.ReadAll(s)
		rd := sse.NewReader(bytes.NewReader(out), len(out)+1)
		for {
			ev, err := rd.Next()
			if err != nil {
				break
			}
			if string(ev.Data) != "[DONE]" && !json.Valid(ev.Data) {
				t.Fatalf("invalid chunk for %q: %s", upstream, ev.Data)
			}
		}
	})
}

func FuzzTranslateError(f *testing.F) {
	f.Add(429, readFixture(f, "gemini_error_rate_limit.json"))
	f.Add(400, readFixture(f, "gemini_error_key_invalid.json"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		out, _ := translateError(status, body, []string{"AIzaSECRETSECRET"})
		if !json.Valid(out) || bytes.Contains(out, []byte("AIzaSECRETSECRET")) {
			t.Fatalf("bad error body for %q: %s", body, out)
		}
		_ = isKeyInvalid(body)
	})
}

func FuzzSchema(f *testing.F) {
	f.Add([]byte(`{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":["string","null"]}}}`))
	f.Fuzz(func(t *testing.T, schema []byte) {
		if out, err := geminiSchema(schema); err == nil && out != nil {
			if _, err := json.Marshal(out); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzToolCallID(f *testing.F) {
	f.Add("resp-1", 3, "", "CiQBVKhc7+tz/3vR9eL2kQmA8a==")
	f.Fuzz(func(t *testing.T, responseID string, n int, geminiID, signature string) {
		id := string(toolCallID(nil, responseID, n, geminiID, signature))
		for i := 0; i < len(id); i++ {
			if c := id[i]; !isAlnum(c) && c != '_' && c != '-' && isStdBase64(signature) {
				t.Fatalf("id %q has %q", id, c)
			}
		}
		_ = signatureFromID(id)
	})
}

func isStdBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '+' && c != '/' && c != '=' {
			return false
		}
	}
	return true
}
