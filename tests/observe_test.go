package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// scrape returns the admin /metrics samples whose name starts with prefix,
// as "name{labels}" -> value.
func scrape(t *testing.T, g *gateway, prefix string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(g.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func observedConfig(up *fakeupstream.Server) string {
	return indent(fmt.Sprintf(`provider up {
	type openai
	base_url %s/v1
}
provider mock {
	type mock
	chunks 4
}
model gpt-4o {
	target up/fixture
}
model broken {
	target up/status-500
}
model flaky {
	target up/status-500
	fallback up/fixture
}
model again {
	target up/status-500
	retries 1
}
script lua <<LUA
	function on_request(req)
	  if req.model == "script-fails" then error("script says no") end
	end
	LUA
model mock-* {
	target mock/{model}
}`, up.URL))
}

func TestMetricsPlaceholdersAndReload(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	prices := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(prices, []byte(`{"fixture": {"input": 2.5, "output": 10, "cached_input": 1.25}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGatewayWith(t, options{
		body:   observedConfig(up),
		admin:  true,
		global: "\tai_gateway {\n\t\tprices " + prices + "\n\t}",
		site: `	header >X-Served-By {http.ai_gateway.provider}
	log {
		output stdout
		format json
	}`,
	})
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	ctx := context.Background()

	const calls = 3
	for i := 0; i < calls; i++ {
		var raw *http.Response
		if _, err := client.Chat.Completions.New(ctx, userPrompt("gpt-4o", "hi"), option.WithResponseInto(&raw)); err != nil {
			t.Fatal(err)
		}
		if raw.Header.Get("X-Served-By") != "up" {
			t.Errorf("placeholder in header: X-Served-By = %q", raw.Header.Get("X-Served-By"))
		}
		if ms, err := strconv.ParseFloat(raw.Header.Get("X-Sluice-Overhead-Ms"), 64); err != nil || ms < 0 {
			t.Errorf("X-Sluice-Overhead-Ms = %q", raw.Header.Get("X-Sluice-Overhead-Ms"))
		}
	}
	stream := client.Chat.Completions.NewStreaming(ctx, userPrompt("gpt-4o", "hi"))
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Chat.Completions.New(ctx, userPrompt("nope", "hi")); err == nil {
		t.Fatal("unknown model accepted")
	}
	if _, err := client.Chat.Completions.New(ctx, userPrompt("broken", "hi")); err == nil {
		t.Fatal("upstream 500 not passed on")
	}
	// Failover, a retry and a failing script, so their series exist.
	if _, err := client.Chat.Completions.New(ctx, userPrompt("flaky", "hi")); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Chat.Completions.New(ctx, userPrompt("again", "hi")); err == nil {
		t.Fatal("upstream 500 not passed on after a retry")
	}
	if _, err := client.Chat.Completions.New(ctx, userPrompt("script-fails", "hi")); err == nil {
		t.Fatal("failing script did not fail the call")
	}

	m := scrape(t, g, "ai_gateway_")
	ok := `ai_gateway_requests_total{consumer="anonymous",model="gpt-4o",provider="up",status_class="2xx"}`
	want := map[string]float64{
		ok: calls + 1,
		`ai_gateway_requests_total{consumer="anonymous",model="_unknown",provider="_none",status_class="4xx"}`: 1,
		`ai_gateway_tokens_total{consumer="anonymous",direction="input",model="gpt-4o",provider="up"}`:         calls*1117 + 19,
		`ai_gateway_tokens_total{consumer="anonymous",direction="output",model="gpt-4o",provider="up"}`:        calls*46 + 7,
		`ai_gateway_tokens_total{consumer="anonymous",direction="cached",model="gpt-4o",provider="up"}`:        calls * 1024,
		`ai_gateway_time_to_first_token_seconds_count{model="gpt-4o",provider="up"}`:                           calls + 1,
		`ai_gateway_request_duration_seconds_count{model="gpt-4o",provider="up"}`:                              calls + 1,
		`ai_gateway_overhead_seconds_count{model="gpt-4o",provider="up"}`:                                      calls + 1,
		`ai_gateway_time_per_output_token_seconds_count{model="gpt-4o",provider="up"}`:                         1,
		`ai_gateway_in_flight_requests{endpoint="chat_completions"}`:                                           0,
		`ai_gateway_upstream_errors_total{class="status_5xx",provider="up"}`:                                   4,
		`ai_gateway_fallbacks_total{model="flaky",provider="up"}`:                                              1,
		`ai_gateway_retries_total{model="again",provider="up"}`:                                                1,
		`ai_gateway_requests_total{consumer="anonymous",model="broken",provider="up",status_class="5xx"}`:      1,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	// Cost at the prices file's prices: 1117 input (1024 cached) and 46
	// output per whole call, 19 and 7 for the stream.
	wantCost := calls*(93*2.5+1024*1.25+46*10)/1e6 + (19*2.5+7*10)/1e6
	if got := m[`ai_gateway_cost_usd_total{consumer="anonymous",model="gpt-4o",provider="up"}`]; math.Abs(got-wantCost) > 1e-9 {
		t.Errorf("cost_usd_total = %v, want %v", got, wantCost)
	}

	// The access log entries carry the call's fields.
	deadline := time.Now().Add(5 * time.Second)
	var entry struct {
		AIGateway map[string]any `json:"ai_gateway"`
	}
	for time.Now().Before(deadline) && entry.AIGateway == nil {
		for _, line := range strings.Split(g.logs.String(), "\n") {
			if strings.Contains(line, `"logger":"http.log.access`) && strings.Contains(line, `"ai_gateway"`) && strings.Contains(line, `"cached_tokens":1024`) {
				_ = json.Unmarshal([]byte(line), &entry)
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if entry.AIGateway["cost_usd"] != "0.0019725" {
		t.Errorf("access log cost_usd = %v", entry.AIGateway["cost_usd"])
	}
	if entry.AIGateway["provider"] != "up" || entry.AIGateway["gen_ai.usage.input_tokens"] != float64(1117) || entry.AIGateway["gen_ai.request.model"] != "gpt-4o" {
		t.Errorf("access log fields: %v", entry.AIGateway)
	}

	// A reload (a changed config) keeps every counter.
	req, _ := http.NewRequest(http.MethodPost, g.Admin+"/load", strings.NewReader(strings.Replace(g.Caddyfile, "chunks 4", "chunks 5", 1)))
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reload: %d %s", resp.StatusCode, body)
	}
	// The reload closed idle connections: let the SDK reconnect.
	if _, err := client.Chat.Completions.New(ctx, userPrompt("gpt-4o", "hi"), option.WithMaxRetries(2)); err != nil {
		t.Fatal(err)
	}
	after := scrape(t, g, "ai_gateway_")
	if after[ok] != calls+2 {
		t.Errorf("after reload %s = %v, want %v", ok, after[ok], calls+2)
	}
}

func TestTracingSpans(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{
		body: observedConfig(up),
		site: "\ttracing {\n\t\tspan sluice_request\n\t}",
		env:  []string{"OTEL_TRACES_EXPORTER=console", "OTEL_BSP_SCHEDULE_DELAY=100"},
	})
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	if _, err := client.Chat.Completions.New(context.Background(), userPrompt("gpt-4o", "hi")); err != nil {
		t.Fatal(err)
	}
	g.stop() // flushes the batched spans
	logs := g.logs.String()

	// The console exporter prints one JSON object per span.
	spans := map[string]map[string]any{}
	dec := json.NewDecoder(strings.NewReader(logs))
	for {
		var v map[string]any
		if dec.Decode(&v) != nil {
			break // end of output (the process prints only JSON)
		}
		if name, ok := v["Name"].(string); ok {
			spans[name] = v
		}
	}
	call, attempt := spans["chat gpt-4o"], spans["chat fixture"]
	if call == nil || attempt == nil || spans["sluice_request"] == nil {
		t.Fatalf("spans %v missing from output:\n%s", keys(spans), logs)
	}
	attrs := func(span map[string]any) map[string]any {
		out := map[string]any{}
		list, _ := span["Attributes"].([]any)
		for _, a := range list {
			kv := a.(map[string]any)
			out[kv["Key"].(string)] = kv["Value"].(map[string]any)["Value"]
		}
		return out
	}
	ca := attrs(call)
	if ca["gen_ai.request.model"] != "gpt-4o" || ca["gen_ai.usage.input_tokens"] != float64(1117) || ca["gen_ai.usage.output_tokens"] != float64(46) || ca["gen_ai.response.model"] != "fixture" {
		t.Errorf("call span attributes %v", ca)
	}
	if aa := attrs(attempt); aa["gen_ai.provider.name"] != "up" {
		t.Errorf("attempt span attributes %v", aa)
	}
	parentOf := func(span map[string]any) string {
		return span["Parent"].(map[string]any)["SpanID"].(string)
	}
	idOf := func(span map[string]any) string {
		return span["SpanContext"].(map[string]any)["SpanID"].(string)
	}
	if parentOf(attempt) != idOf(call) || parentOf(call) != idOf(spans["sluice_request"]) {
		t.Error("spans are not nested request > call > attempt")
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
