package tokens

import (
	"encoding/json"
	"hash/maphash"
	"sync"
)

// Counting is the costly part of admitting a call (about 80 µs and a
// thousand allocations per KB), and most of a chat's prompt is text the
// gateway has counted before: the system prompt every call of an
// application sends, and the earlier turns a conversation resends each time.
// So counts are cached by a 64-bit hash of the text (roles and names too:
// even a one-word text costs the tokenizer a few allocations). A
// collision (about one in 2^64 per pair of texts) would only skew an
// estimate, never a bill: settlement uses the provider's usage.
const (
	cacheMinLen     = 4    // shorter texts are counted directly: a token or so
	cacheShards     = 16   // spread the locks
	cachePerShard   = 4096 // entries per shard; 64K texts in all, about 1.5 MB
	cacheShardsMask = cacheShards - 1
)

var (
	cacheSeed = maphash.MakeSeed()
	cache     [cacheShards]cacheShard
)

type cacheShard struct {
	mu sync.Mutex
	m  map[uint64]int32
}

// cachedCount counts text, through the cache when it is long enough.
func cachedCount(text string) int {
	if len(text) < cacheMinLen {
		return countDirect(text)
	}
	return lookup(maphash.String(cacheSeed, text), func() int { return countDirect(text) })
}

// cachedCountJSONString counts the text a JSON string literal holds, keyed
// by the literal's bytes, so a hit costs no decoding and no allocation.
func cachedCountJSONString(literal []byte) int {
	h := maphash.Bytes(cacheSeed, literal) ^ jsonKeySalt // never the key of the same text unquoted
	return lookup(h, func() int {
		var s string
		_ = json.Unmarshal(literal, &s)
		return countDirect(s)
	})
}

const jsonKeySalt = 0x9e3779b97f4a7c15

// lookup returns the count cached under h, or counts and caches it.
func lookup(h uint64, count func() int) int {
	s := &cache[h&cacheShardsMask]
	s.mu.Lock()
	n, ok := s.m[h]
	s.mu.Unlock()
	if ok {
		return int(n)
	}
	n32 := count()
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[uint64]int32, cachePerShard)
	}
	if len(s.m) >= cachePerShard {
		// Evict one entry: Go's map iteration starts at a random place,
		// which makes this random eviction, good enough for a cache whose
		// hot entries are re-added at their next miss.
		for k := range s.m {
			delete(s.m, k)
			break
		}
	}
	s.m[h] = int32(min(n32, 1<<31-1))
	s.mu.Unlock()
	return n32
}
