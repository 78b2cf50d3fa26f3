package openai

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicegw/sluice/providers"
)

func TestSendRotatesKeysAndSetsHeaders(t *testing.T) {
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("X-Org") != "acme" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %v", r.URL.Path, r.Header)
		}
		auths = append(auths, r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	p, err := New(Config{Name: "up", BaseURL: srv.URL + "/v1/", APIKeys: []string{"k1", "k2"}, Headers: http.Header{"X-Org": {"acme"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		resp, err := p.Send(context.Background(), &providers.Call{Body: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(auths) != 3 || auths[0] != "Bearer k1" || auths[1] != "Bearer k2" || auths[2] != "Bearer k1" {
		t.Errorf("keys used: %q", auths)
	}
}

func TestSendTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("body") == "slow" {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	p, _ := New(Config{Name: "up", BaseURL: srv.URL, Timeout: 50 * time.Millisecond})

	_, err := p.Send(context.Background(), &providers.Call{Body: []byte(`{}`)})
	if !errors.Is(err, providers.ErrTimeout) {
		t.Errorf("no headers in time: err = %v", err)
	}

	p.chatURL = srv.URL + "/chat/completions?body=slow"
	resp, err := p.Send(context.Background(), &providers.Call{Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, providers.ErrTimeout) {
		t.Errorf("body not read in time: err = %v", err)
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	p, _ := New(Config{Name: "up", BaseURL: srv.URL, APIKeys: []string{"secret"}})
	resp, err := p.Send(context.Background(), &providers.Call{Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("status %d: redirect followed", resp.StatusCode)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "api.openai.com/v1", "ftp://x"} {
		if _, err := New(Config{Name: "x", BaseURL: u}); err == nil {
			t.Errorf("base_url %q accepted", u)
		}
	}
}

func TestKeysCoolDownAfter429And401(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Authorization")
		seen = append(seen, key)
		switch key {
		case "Bearer limited":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "Bearer revoked":
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	p, _ := New(Config{Name: "up", BaseURL: srv.URL, APIKeys: []string{"limited", "revoked", "good"}})
	for i := 0; i < 6; i++ {
		resp, err := p.Send(context.Background(), &providers.Call{Body: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []string{"Bearer limited", "Bearer revoked", "Bearer good", "Bearer good", "Bearer good", "Bearer good"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("keys used %q, want %q", seen, want)
	}
}
