package tokens

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/apischema/openai"
)

func TestCountKnownTexts(t *testing.T) {
	// Figures from OpenAI's tokenizer for o200k_base.
	cases := map[string]int{
		"":              0,
		"hello world":   2,
		"Hello, world!": 4,
	}
	for text, want := range cases {
		if got := Count(text); got != want {
			t.Errorf("Count(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestChatPromptFraming(t *testing.T) {
	req, aerr := openai.DecodeChatRequest([]byte(`{"model":"m","messages":[
		{"role":"system","content":"hello world"},
		{"role":"user","name":"ann","content":[{"type":"text","text":"hello world"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`))
	if aerr != nil {
		t.Fatal(aerr)
	}
	// 3 priming + per message 3 + role + content; the name costs 1 + its
	// tokens; the image 85.
	want := 3 + (3 + Count("system") + 2) + (3 + Count("user") + 2 + 85 + 1 + Count("ann"))
	if got := ChatPrompt(req); got != want {
		t.Fatalf("ChatPrompt = %d, want %d", got, want)
	}
}

func TestChatPromptCountsToolsAndCalls(t *testing.T) {
	bare := `{"model":"m","messages":[{"role":"user","content":"x"}]}`
	withTools := `{"model":"m","messages":[{"role":"user","content":"x"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}],
		"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object"}}}]}`
	a, _ := openai.DecodeChatRequest([]byte(bare))
	b, _ := openai.DecodeChatRequest([]byte(withTools))
	extra := 3 + Count("assistant") + 2*Count("get_weather") + Count(`{"city":"Paris"}`) + Count("Weather now") + Count(`{"type":"object"}`)
	if got, want := ChatPrompt(b)-ChatPrompt(a), extra; got != want {
		t.Fatalf("tools and calls add %d tokens, want %d", got, want)
	}
}

func TestContentTokensIgnoresMalformed(t *testing.T) {
	for _, raw := range []string{`null`, `{"a":1}`, `[1,2]`} {
		if n := contentTokens(json.RawMessage(raw)); n != 0 {
			t.Errorf("contentTokens(%s) = %d, want 0", raw, n)
		}
	}
}

func BenchmarkCount1KB(b *testing.B) {
	// Uncached: the tokenizer itself.
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 23)[:1024]
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		countDirect(text)
	}
}

func TestCachedCountMatchesDirect(t *testing.T) {
	texts := []string{
		strings.Repeat("Cached counts must equal direct counts. ", 10),
		strings.Repeat("Другой текст, не латиницей. ", 8),
		"x", "four", strings.Repeat("y", 64),
	}
	for _, text := range texts {
		for range 3 { // a miss, then hits
			if got, want := Count(text), countDirect(text); got != want {
				t.Fatalf("Count = %d, countDirect = %d for %q", got, want, text[:20])
			}
		}
	}
}

func TestCacheEvictsWhenFull(t *testing.T) {
	for i := range cachePerShard * cacheShards * 2 {
		Count(strings.Repeat("z", cacheMinLen) + strconv.Itoa(i))
	}
	for i := range cache {
		cache[i].mu.Lock()
		n := len(cache[i].m)
		cache[i].mu.Unlock()
		if n > cachePerShard {
			t.Fatalf("shard %d holds %d entries, more than %d", i, n, cachePerShard)
		}
	}
}

func BenchmarkCount1KBCached(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 23)[:1024]
	Count(text)
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Count(text)
	}
}
