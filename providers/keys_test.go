package providers

import (
	"net/http"
	"testing"
	"time"
)

func TestKeyRingCoolsDownAndPicksSoonest(t *testing.T) {
	r := newKeyRing([]string{"limited", "revoked", "good"})
	limited := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"120"}}}
	r.keys[0].judge(limited)
	r.keys[1].judge(&http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}})
	if until := time.Until(time.Unix(0, r.keys[0].coolUntil.Load())); until < 100*time.Second || until > 121*time.Second {
		t.Errorf("the 429 key cools for %v, want Retry-After's 120s", until)
	}
	for range 4 {
		if k := r.pick(time.Now()); k.value != "good" {
			t.Fatalf("picked %q while the others cool down", k.value)
		}
	}
	// With every key cooling, the one that frees first is used.
	r.keys[2].coolUntil.Store(time.Now().Add(time.Hour).UnixNano())
	if k := r.pick(time.Now()); k.value != "limited" {
		t.Errorf("all cooling: picked %q, want the soonest free (limited)", k.value)
	}
}
