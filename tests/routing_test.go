package tests

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

func TestRoutingThroughTheBinary(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{admin: true, body: indent(fmt.Sprintf(`provider up {
	type openai
	base_url %[1]s/v1
	api_key sk-limited
	api_key sk-good
}
provider dead {
	type openai
	base_url http://127.0.0.1:1/v1
}
model resilient {
	strategy priority
	target dead/x
	target up/status-503
	fallback up/fixture
	first_token_timeout 300ms
	deadline 10s
}
model stalled {
	target up/stall
	fallback up/fixture
	first_token_timeout 200ms
}`, up.URL))})
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	ctx := context.Background()

	var raw *http.Response
	c, err := client.Chat.Completions.New(ctx, userPrompt("resilient", "hi"), option.WithResponseInto(&raw))
	if err != nil || c.Choices[0].Message.Content == "" {
		t.Fatalf("resilient: %v", err)
	}
	if raw.Header.Get("X-Sluice-Attempts") != "3" || raw.Header.Get("X-Sluice-Provider") != "up" || raw.Header.Get("X-Sluice-Model") != "fixture" {
		t.Errorf("resilient headers: %v", raw.Header)
	}

	stream := client.Chat.Completions.NewStreaming(ctx, userPrompt("stalled", "hi"), option.WithResponseInto(&raw))
	var text strings.Builder
	for stream.Next() {
		if ch := stream.Current(); len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if stream.Err() != nil || text.String() != "Hello there, how can I help?" || raw.Header.Get("X-Sluice-Attempts") != "2" {
		t.Errorf("stalled stream: %v %q %v", stream.Err(), text.String(), raw.Header)
	}

	m := scrape(t, g, "ai_gateway_")
	for series, want := range map[string]float64{
		`ai_gateway_fallbacks_total{model="resilient",provider="up"}`:                                        2,
		`ai_gateway_fallbacks_total{model="stalled",provider="up"}`:                                          1,
		`ai_gateway_upstream_errors_total{class="connect",provider="dead"}`:                                  1,
		`ai_gateway_upstream_errors_total{class="status_5xx",provider="up"}`:                                 1,
		`ai_gateway_upstream_errors_total{class="timeout",provider="up"}`:                                    1,
		`ai_gateway_circuit_state{model="resilient",provider="dead",upstream_model="x"}`:                     0,
		`ai_gateway_requests_total{consumer="anonymous",model="resilient",provider="up",status_class="2xx"}`: 1,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
}
