package fake_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/bench/fake"
)

func TestAnthropicErrorsAndHealth(t *testing.T) {
	h := fake.New(fake.Options{})
	for body, want := range map[string]int{
		`{`:             http.StatusBadRequest,
		`{"model":"m"}`: http.StatusBadRequest,
		`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`: http.StatusOK,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body)))
		if rec.Code != want {
			t.Fatalf("%s: status %d, want %d: %s", body, rec.Code, want, rec.Body)
		}
		var v struct {
			Type       string `json:"type"`
			StopReason string `json:"stop_reason"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if want == http.StatusOK && (v.Type != "message" || v.StopReason != "max_tokens") {
			t.Fatalf("max_tokens 5: %s", rec.Body)
		}
		if want != http.StatusOK && v.Type != "error" {
			t.Fatalf("error in Anthropic's shape expected: %s", rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("healthz: %d", rec.Code)
	}
}
