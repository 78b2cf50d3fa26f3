package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBadInputCatalogue sends hostile and malformed requests through the
// real binary: each gets its documented status in OpenAI's error shape, and
// the process keeps serving.
func TestBadInputCatalogue(t *testing.T) {
	g := startGateway(t, indent(`max_body 1MB
provider mock {
	type mock
}
model mock-* {
	target mock/{model}
}`))
	msg := `"messages":[{"role":"user","content":"hi"}]`
	many := make([]string, 10000)
	for i := range many {
		many[i] = `{"role":"user","content":"m"}`
	}
	cases := []struct {
		name, body, code string
		status           int
	}{
		{"invalid JSON", `{"model":"mock-1",` + msg, "invalid_request", 400},
		{"not an object", `"hello"`, "invalid_request", 400},
		{"wrong type for model", `{"model":["mock-1"],` + msg + `}`, "invalid_request", 400},
		{"wrong type for messages", `{"model":"mock-1","messages":{"role":"user"}}`, "invalid_request", 400},
		{"wrong type for stream", `{"model":"mock-1","stream":"yes",` + msg + `}`, "invalid_request", 400},
		{"wrong type for max_tokens", `{"model":"mock-1","max_tokens":"10",` + msg + `}`, "invalid_request", 400},
		{"body over max_body", `{"model":"mock-1","messages":[{"role":"user","content":"` + strings.Repeat("x", 1100000) + `"}]}`, "request_too_large", 413},
		{"deeply nested JSON", `{"model":"mock-1",` + msg + `,"extra":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, "invalid_request", 400},
		{"invalid UTF-8", "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"\xc3\x28\"}]}", "invalid_request", 400},
		{"empty messages", `{"model":"mock-1","messages":[]}`, "invalid_request", 400},
		{"unknown role", `{"model":"mock-1","messages":[{"role":"root","content":"hi"}]}`, "invalid_request", 400},
		{"null body", `null`, "invalid_request", 400},
		{"empty body", ``, "invalid_request", 400},
		{"path traversal in the model", `{"model":"../../etc/passwd",` + msg + `}`, "model_not_found", 404},
		{"model name too long", `{"model":"mock-` + strings.Repeat("a", 300) + `",` + msg + `}`, "invalid_request", 400},
		{"duplicate model key", `{"model":"mock-1","model":"gpt-4o",` + msg + `}`, "invalid_request", 400},
		{"10,000 messages", `{"model":"mock-1","messages":[` + strings.Join(many, ",") + `]}`, "", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.status, b)
			}
			if tc.status == 200 {
				return
			}
			var e struct {
				Error struct{ Message, Type, Code string }
			}
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("body %.300s, want code %s", b, tc.code)
			}
		})
	}

	t.Run("slow client", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			body := `{"model":"mock-1",` + msg + `}`
			for i := 0; i < len(body); i += 8 {
				_, _ = pw.Write([]byte(body[i:min(i+8, len(body))]))
				time.Sleep(20 * time.Millisecond)
			}
			_ = pw.Close()
		}()
		resp, err := http.Post(g.URL+"/v1/chat/completions", "application/json", pr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("a slow but complete body: %d", resp.StatusCode)
		}
	})

	t.Run("oversized headers", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(`{}`))
		req.Header.Set("X-Big", strings.Repeat("x", 2<<20))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return // the server may cut the connection: fine, as long as it lives on
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("2 MiB of headers: %d, want 431", resp.StatusCode)
		}
	})

	// Still serving after all of it.
	resp, err := http.Post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(fmt.Sprintf(`{"model":"mock-1",%s}`, msg)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("gateway not serving after the catalogue: %v %v", err, resp)
	}
	resp.Body.Close()
}
