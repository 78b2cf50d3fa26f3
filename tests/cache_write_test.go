package tests

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// TestCacheWritesAreCountedAndPriced: Anthropic's prompt-cache writes reach
// an OpenAI client as prompt_tokens_details.cache_write_tokens, reach an
// Anthropic client unchanged, are counted as tokens of direction
// cache_write, and are priced at the table's cache_write price, whole and
// streamed.
func TestCacheWritesAreCountedAndPriced(t *testing.T) {
	up := fakeupstream.NewAnthropic()
	defer up.Close()
	prices := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(prices, []byte(`{"cached": {"input": 3, "output": 15, "cached_input": 0.30, "cache_write": 3.75}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGatewayWith(t, options{
		body: indent(fmt.Sprintf(`provider claude {
	type anthropic
	base_url %s
	api_key %s
}
model claude-cached {
	target claude/cached
}`, up.URL, fakeupstream.AnthropicKey)),
		admin:  true,
		global: "\tai_gateway {\n\t\tprices " + prices + "\n\t}",
	})
	oc := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-client"), option.WithMaxRetries(0))
	ac := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("sk-ant-client"), aoption.WithMaxRetries(0))
	ctx := context.Background()

	resp, err := oc.Chat.Completions.New(ctx, userPrompt("claude-cached", "Hello"))
	if err != nil {
		t.Fatal(err)
	}
	if d := resp.Usage.PromptTokensDetails; d.CacheWriteTokens != 100 || d.CachedTokens != 2048 {
		t.Errorf("OpenAI usage %s", resp.Usage.RawJSON())
	}
	stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "claude-cached", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello again")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var last openai.ChatCompletionChunk
	for stream.Next() {
		last = stream.Current()
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if last.Usage.PromptTokensDetails.CacheWriteTokens != 100 {
		t.Errorf("streamed usage %s", last.Usage.RawJSON())
	}
	msg, err := ac.Messages.New(ctx, anthropic.MessageNewParams{
		Model: "claude-cached", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Usage.CacheCreationInputTokens != 100 || msg.Usage.CacheReadInputTokens != 2048 {
		t.Errorf("Anthropic usage %s", msg.Usage.RawJSON())
	}

	billed := up.Billed()
	m := scrape(t, g, "ai_gateway_")
	key := func(name, direction string) string {
		if direction == "" {
			return name + `{consumer="anonymous",model="claude-cached",provider="claude"}`
		}
		return name + `{consumer="anonymous",direction="` + direction + `",model="claude-cached",provider="claude"}`
	}
	if got := m[key("ai_gateway_tokens_total", "cache_write")]; got != float64(billed.CacheWriteTokens) || got != 300 {
		t.Errorf("cache_write tokens %v, billed %d", got, billed.CacheWriteTokens)
	}
	want := (float64(billed.InputTokens)*3 + float64(billed.CacheReadTokens)*0.30 +
		float64(billed.CacheWriteTokens)*3.75 + float64(billed.OutputTokens)*15) / 1e6
	if got := m[key("ai_gateway_cost_usd_total", "")]; math.Abs(got-want) > 1e-12 {
		t.Errorf("cost %v, want %v (billed %+v)", got, want, billed)
	}
}
