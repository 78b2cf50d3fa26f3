package providers

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// How long a key is left aside after the upstream refused it: a 429 for its
// Retry-After (or keyCooldown429 without one, at most keyCooldownMax), a 401
// or 403 (revoked, wrong, out of credit) for keyCooldownAuth.
const (
	keyCooldown429  = 10 * time.Second
	keyCooldownAuth = 5 * time.Minute
	keyCooldownMax  = 5 * time.Minute
)

// apiKey is one of a provider's keys, with the time until which it is left
// aside.
type apiKey struct {
	value     string
	coolUntil atomic.Int64 // unix nanoseconds
}

// keyRing is a provider's keys (`api_key`, repeated), used in turn.
type keyRing struct {
	keys []*apiKey
	next atomic.Uint64
}

func newKeyRing(values []string) *keyRing {
	r := &keyRing{keys: make([]*apiKey, len(values))}
	for i, v := range values {
		r.keys[i] = &apiKey{value: v}
	}
	return r
}

// pick takes the keys in turn, skipping those cooling down; when all are,
// it takes the one whose cooldown ends first (a call with a doubtful key
// beats no call).
func (r *keyRing) pick(now time.Time) *apiKey {
	n := len(r.keys)
	if n == 0 {
		return nil
	}
	start := int((r.next.Add(1) - 1) % uint64(n))
	var soonest *apiKey
	for i := 0; i < n; i++ {
		k := r.keys[(start+i)%n]
		until := k.coolUntil.Load()
		if until <= now.UnixNano() {
			return k
		}
		if soonest == nil || until < soonest.coolUntil.Load() {
			soonest = k
		}
	}
	return soonest
}

// judge cools the key down when the upstream's answer says it should rest.
func (k *apiKey) judge(resp *http.Response) {
	var rest time.Duration
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		rest = keyCooldown429
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			rest = min(time.Duration(s)*time.Second, keyCooldownMax)
		}
	case http.StatusUnauthorized, http.StatusForbidden:
		rest = keyCooldownAuth
	default:
		return
	}
	k.coolUntil.Store(time.Now().Add(rest).UnixNano())
}
