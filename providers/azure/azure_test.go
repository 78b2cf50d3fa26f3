package azure

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sluicegw/sluice/providers"
)

func TestSendUsesDeploymentURLAndAPIKeyHeader(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[]}`)
	}))
	defer srv.Close()
	p, err := providers.New(providers.Config{Name: "az", Type: "azure", BaseURL: srv.URL + "/openai/", APIKeys: []string{"azkey"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Send(context.Background(), &providers.Call{Model: "my gpt/4o", Body: []byte(`{"model":"my gpt/4o"}`)})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.URL.Path != "/openai/deployments/my gpt/4o/chat/completions" || got.URL.RawPath != "/openai/deployments/my%20gpt%2F4o/chat/completions" {
		t.Errorf("path %q (raw %q)", got.URL.Path, got.URL.RawPath)
	}
	if got.URL.Query().Get("api-version") != DefaultAPIVersion {
		t.Errorf("query %q", got.URL.RawQuery)
	}
	if got.Header.Get("Api-Key") != "azkey" || got.Header.Get("Authorization") != "" {
		t.Errorf("headers %v", got.Header)
	}
	if string(body) != `{"model":"my gpt/4o"}` {
		t.Errorf("body %s", body)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []providers.Config{
		{Name: "a", Type: "azure"},
		{Name: "a", Type: "azure", BaseURL: "my-resource.openai.azure.com"},
		{Name: "a", Type: "azure", BaseURL: "https://x", APIVersion: "2024-10-21&x=1"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
