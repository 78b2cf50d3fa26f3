package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// TestDashboardMetricsExist runs traffic that touches every feature the
// shipped Grafana dashboard shows (calls, streams, failures, fallbacks,
// retries, scripts, consumers' limits, guards), then checks that every
// metric the dashboard queries is exported by the running gateway.
func TestDashboardMetricsExist(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	body := observedConfig(up) + "\n" + indent(fmt.Sprintf(`consumer team-a {
	key %s
	limit requests 1000/1m
}
consumer tight {
	key %s
	limit requests 1/1h
}
guard {
	max_messages 3
}`, keyA, keyB))
	prices := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(prices, []byte(`{"fixture": {"input": 2.5, "output": 10}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGatewayWith(t, options{admin: true, body: body, global: "\tai_gateway {\n\t\tprices " + prices + "\n\t}"})
	ctx := context.Background()
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyA), option.WithMaxRetries(0))
	ask := func(model string, n int) openai.ChatCompletionNewParams {
		msgs := make([]openai.ChatCompletionMessageParamUnion, n)
		for i := range msgs {
			msgs[i] = openai.UserMessage("hi")
		}
		return openai.ChatCompletionNewParams{Model: openai.ChatModel(model), Messages: msgs}
	}
	for _, model := range []string{"gpt-4o", "broken", "flaky", "again", "script-fails"} {
		_, _ = client.Chat.Completions.New(ctx, ask(model, 1))
	}
	s := client.Chat.Completions.NewStreaming(ctx, ask("mock-1", 1))
	for s.Next() {
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	_, _ = client.Chat.Completions.New(ctx, ask("gpt-4o", 4)) // over max_messages
	tight := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyB), option.WithMaxRetries(0))
	for range 2 { // the second is over the limit
		_, _ = tight.Chat.Completions.New(ctx, ask("gpt-4o", 1))
	}

	m := scrape(t, g, "ai_gateway_")
	dashboard, err := os.ReadFile("../examples/grafana/sluice-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`ai_gateway_[a-z_]+`).FindAllString(string(dashboard), -1)
	if len(names) < 20 {
		t.Fatalf("the dashboard queries only %v", names)
	}
	for _, name := range names {
		found := false
		for series := range m {
			if strings.HasPrefix(series, name+"{") || series == name {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("the dashboard queries %s, which the gateway does not export", name)
		}
	}
	if m[`ai_gateway_rejections_total{consumer="tight",reason="rate_limit_requests"}`] != 1 ||
		m[`ai_gateway_guard_decisions_total{action="block",rule="max_messages"}`] != 1 {
		t.Errorf("rejection or guard decision not counted")
	}
}
