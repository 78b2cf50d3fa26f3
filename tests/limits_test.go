package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// Keys of the test consumers. They must never show up in any output.
const (
	keyA = "sk-team-a-4f1c9e0b7d"
	keyB = "sk-team-b-82a6d3c5e1"
)

// billingConfig is an ai_gateway block with the billing fake behind
// bill-* models, and the consumers given.
func billingConfig(up *fakeupstream.Server, consumers string) string {
	return indent(fmt.Sprintf(`provider fake {
	type openai_compatible
	base_url %s/v1
}
model bill-* {
	target fake/{model}
}
model fixture {
	target fake/fixture
}
%s`, up.URL, consumers))
}

// post sends a chat completions body with a key, and returns the response
// (body read) and its body.
func post(t *testing.T, g *gateway, path, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func chatBody(model string, maxTokens int) string {
	if maxTokens > 0 {
		return fmt.Sprintf(`{"model":%q,"max_tokens":%d,"messages":[{"role":"user","content":"Count the rivers of the world."}]}`, model, maxTokens)
	}
	return fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Count the rivers of the world."}]}`, model)
}

// errorCode reads an OpenAI error body's code, or an Anthropic one's type.
func errorCode(body []byte) string {
	var e struct {
		Type  string
		Error struct{ Code, Type string }
	}
	_ = json.Unmarshal(body, &e)
	if e.Type == "error" {
		return e.Error.Type
	}
	return e.Error.Code
}

func TestConsumerKeysAndModels(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{body: billingConfig(up, fmt.Sprintf(`consumer team-a {
	key %s
	models bill-*
}
consumer team-b {
	key {env.TEAM_B_KEY}
	metadata department research
}`, keyA)), env: []string{"TEAM_B_KEY=" + keyB}})

	t.Run("missing and wrong keys are 401 in the client's shape", func(t *testing.T) {
		resp, body := post(t, g, "/v1/chat/completions", "", chatBody("bill-3", 0))
		if resp.StatusCode != 401 || errorCode(body) != "invalid_api_key" || !strings.Contains(string(body), "Authorization: Bearer") {
			t.Errorf("no key: %d %s", resp.StatusCode, body)
		}
		resp, body = post(t, g, "/v1/chat/completions", "sk-guess", chatBody("bill-3", 0))
		if resp.StatusCode != 401 || errorCode(body) != "invalid_api_key" || strings.Contains(string(body), "sk-guess") {
			t.Errorf("wrong key: %d %s", resp.StatusCode, body)
		}
		resp, body = post(t, g, "/v1/messages", "", `{"model":"bill-3","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 401 || errorCode(body) != "authentication_error" {
			t.Errorf("anthropic shape: %d %s", resp.StatusCode, body)
		}
		client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("sk-nope"), option.WithMaxRetries(0))
		_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "bill-3", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
			t.Errorf("SDK with a wrong key: %v", err)
		}
		if len(up.Requests()) != 0 {
			t.Errorf("the upstream was called %d times for refused calls", len(up.Requests()))
		}
	})

	t.Run("a model outside models is 403", func(t *testing.T) {
		client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyA), option.WithMaxRetries(0))
		_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "fixture", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 || apiErr.Code != "model_not_allowed" {
			t.Fatalf("team-a asking for fixture: %v", err)
		}
		resp, body := post(t, g, "/v1/messages", keyA, `{"model":"fixture","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 403 || errorCode(body) != "permission_error" {
			t.Errorf("anthropic shape: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("both SDKs' key conventions are accepted", func(t *testing.T) {
		client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyA), option.WithMaxRetries(0))
		c, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "bill-3", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		if err != nil || c.Choices[0].Message.Content != " alpha beta gamma" {
			t.Fatalf("team-a with Bearer: %v %+v", err, c)
		}
		// The Anthropic SDK sends its key as x-api-key.
		ac := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey(keyB), aoption.WithMaxRetries(0))
		msg, err := ac.Messages.New(context.Background(), anthropic.MessageNewParams{
			Model: "fixture", MaxTokens: 50,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
		})
		if err != nil || len(msg.Content) == 0 {
			t.Fatalf("team-b with x-api-key: %v", err)
		}
		if got := up.Last().Header.Get("X-Api-Key") + up.Last().Header.Get("Authorization"); strings.Contains(got, keyB) {
			t.Errorf("the consumer's key reached the upstream: %q", got)
		}
	})

	t.Run("models lists what the consumer may use", func(t *testing.T) {
		for key, want := range map[string]string{keyA: `"data":[]`, keyB: `"id":"fixture"`} {
			req, _ := http.NewRequest(http.MethodGet, g.URL+"/v1/models", nil)
			req.Header.Set("x-api-key", key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
				t.Errorf("models for %s...: %d %s", key[:9], resp.StatusCode, body)
			}
		}
	})

	g.stop()
	for _, key := range []string{keyA, keyB, "sk-guess", "sk-nope"} {
		if strings.Contains(g.logs.String(), key) {
			t.Errorf("a key shows up in the gateway's output")
		}
	}
}

func TestRateLimitsHeadersAndRetryAfter(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGateway(t, billingConfig(up, fmt.Sprintf(`consumer team-a {
	key %s
	limit requests 3/1h
	limit tokens 50000/1h
}`, keyA)))

	for i := 1; i <= 3; i++ {
		resp, body := post(t, g, "/v1/chat/completions", keyA, chatBody("bill-4", 100))
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
		}
		h := resp.Header
		if h.Get("X-Ratelimit-Limit-Requests") != "3" || h.Get("X-Ratelimit-Remaining-Requests") != strconv.Itoa(3-i) ||
			h.Get("X-Ratelimit-Limit-Tokens") != "50000" || h.Get("X-Ratelimit-Reset-Requests") == "" || h.Get("X-Ratelimit-Reset-Tokens") == "" {
			t.Errorf("call %d headers: %v", i, h)
		}
		if rem, _ := strconv.Atoi(h.Get("X-Ratelimit-Remaining-Tokens")); rem <= 0 || rem >= 50000-100 {
			t.Errorf("call %d: remaining tokens %q should be below 50000 minus the reservation", i, h.Get("X-Ratelimit-Remaining-Tokens"))
		}
	}
	resp, body := post(t, g, "/v1/chat/completions", keyA, chatBody("bill-4", 100))
	ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || errorCode(body) != "rate_limit_exceeded" || ra < 1 || ra > 1200 || resp.Header.Get("X-Ratelimit-Remaining-Requests") != "0" {
		t.Fatalf("4th call: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if len(up.Requests()) != 3 {
		t.Errorf("the upstream saw %d calls, want 3", len(up.Requests()))
	}

	// A call that can never fit says what to change.
	g2 := startGateway(t, billingConfig(up, fmt.Sprintf(`consumer team-a {
	key %s
	limit tokens 1000/1m
}`, keyA)))
	resp, body = post(t, g2, "/v1/messages", keyA, `{"model":"bill-3","max_tokens":5000,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 429 || errorCode(body) != "rate_limit_error" || !strings.Contains(string(body), "lower max_tokens") {
		t.Errorf("oversized reservation: %d %s", resp.StatusCode, body)
	}
}

// usageDoc is the admin API's usage document.
type usageDoc struct {
	Consumers []struct {
		Name               string   `json:"name"`
		Requests           int64    `json:"requests"`
		InputTokens        int64    `json:"input_tokens"`
		OutputTokens       int64    `json:"output_tokens"`
		CachedTokens       int64    `json:"cached_tokens"`
		CostUSD            float64  `json:"cost_usd"`
		BudgetRemainingUSD *float64 `json:"budget_remaining_usd"`
		Models             []struct {
			Model        string  `json:"model"`
			Requests     int64   `json:"requests"`
			InputTokens  int64   `json:"input_tokens"`
			OutputTokens int64   `json:"output_tokens"`
			CostUSD      float64 `json:"cost_usd"`
		} `json:"models"`
	} `json:"consumers"`
	Totals struct {
		Requests     int64   `json:"requests"`
		InputTokens  int64   `json:"input_tokens"`
		OutputTokens int64   `json:"output_tokens"`
		CostUSD      float64 `json:"cost_usd"`
	} `json:"totals"`
}

func readUsage(t *testing.T, g *gateway) (usageDoc, string) {
	t.Helper()
	resp, err := http.Get(g.Admin + "/ai_gateway/usage")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("usage: %d %s", resp.StatusCode, body)
	}
	var doc usageDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("usage %s: %v", body, err)
	}
	return doc, string(body)
}

// waitUsage polls the usage document until its total requests reach n.
func waitUsage(t *testing.T, g *gateway, n int64) usageDoc {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		doc, raw := readUsage(t, g)
		if doc.Totals.Requests >= n {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage never reached %d requests: %s", n, raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// abortStream starts a stream, reads n content chunks, and hangs up.
func abortStream(t *testing.T, g *gateway, key, model string, n int) {
	t.Helper()
	body := fmt.Sprintf(`{"model":%q,"stream":true,"messages":[{"role":"system","content":"Answer in words."},{"role":"user","content":"Name some things."}]}`, model)
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	seen := 0
	for seen < n && sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: {") && strings.Contains(sc.Text(), `"content":" `) {
			seen++
		}
	}
	if seen != n {
		t.Fatalf("read %d of %d chunks before hanging up", seen, n)
	}
}

// TestAccountingEqualsUpstreamUsage checks that the tokens the gateway
// accounts (usage API) are exactly what the upstream billed, across whole
// answers, streams with and without the client asking for usage, the
// Anthropic shape, and streams the client abandoned halfway.
func TestAccountingEqualsUpstreamUsage(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{admin: true, body: billingConfig(up, fmt.Sprintf(`consumer team-a {
	key %s
	limit tokens 1000000/1m
	budget 100usd/1d
}`, keyA))})
	ctx := context.Background()
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyA), option.WithMaxRetries(0))
	ask := func(model string) openai.ChatCompletionNewParams {
		return openai.ChatCompletionNewParams{Model: openai.ChatModel(model), Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("Answer in words."), openai.UserMessage("Name some things, please."),
		}}
	}
	calls := int64(0)
	for i := range 3 {
		if _, err := client.Chat.Completions.New(ctx, ask(fmt.Sprintf("bill-%d", 5+i))); err != nil {
			t.Fatal(err)
		}
		calls++
	}
	for i, withUsage := range []bool{true, false, true} {
		p := ask(fmt.Sprintf("bill-%d", 9+i))
		if withUsage {
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		s := client.Chat.Completions.NewStreaming(ctx, p)
		for s.Next() {
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		calls++
	}
	ac := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey(keyA), aoption.WithMaxRetries(0))
	ap := anthropic.MessageNewParams{Model: "bill-6", MaxTokens: 64, Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Name things."))}}
	if _, err := ac.Messages.New(ctx, ap); err != nil {
		t.Fatal(err)
	}
	as := ac.Messages.NewStreaming(ctx, ap)
	for as.Next() {
	}
	if err := as.Err(); err != nil {
		t.Fatal(err)
	}
	calls += 2
	for i := range 3 {
		abortStream(t, g, keyA, fmt.Sprintf("bill-hang-%d", 4+i), 4+i)
		calls++
	}

	doc := waitUsage(t, g, calls)
	billed := up.Billed()
	if billed.Calls != int(calls) {
		t.Fatalf("the fake billed %d calls, want %d", billed.Calls, calls)
	}
	if len(doc.Consumers) != 1 || doc.Consumers[0].Name != "team-a" {
		t.Fatalf("consumers %+v", doc.Consumers)
	}
	a := doc.Consumers[0]
	if a.Requests != calls || a.InputTokens != int64(billed.InputTokens) || a.OutputTokens != int64(billed.OutputTokens) {
		t.Errorf("gateway accounted %d calls, %d in, %d out; the upstream billed %d calls, %d in, %d out",
			a.Requests, a.InputTokens, a.OutputTokens, billed.Calls, billed.InputTokens, billed.OutputTokens)
	}
	// Counted by declared model: one row for every bill-N the clients named.
	if doc.Totals.InputTokens != a.InputTokens || doc.Totals.OutputTokens != a.OutputTokens ||
		len(a.Models) != 1 || a.Models[0].Model != "bill-*" || a.Models[0].Requests != calls {
		t.Errorf("totals %+v, model rows %+v", doc.Totals, a.Models)
	}
	// The metrics count the same tokens.
	m := scrape(t, g, "ai_gateway_tokens_total")
	if in := m[`ai_gateway_tokens_total{consumer="team-a",direction="input",model="bill-*",provider="fake"}`]; in != float64(billed.InputTokens) {
		t.Errorf("metrics input tokens %v, want %d (%v)", in, billed.InputTokens, m)
	}
}

// TestMemoryStoreKeepsSpendAcrossRestart stops a gateway and starts it
// again on the same data directory: usage and budget are as they were.
func TestMemoryStoreKeepsSpendAcrossRestart(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	dir := t.TempDir()
	prices := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(prices, []byte(`{"bill-":{"input":1000,"output":2000}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := options{admin: true, dataDir: dir, global: fmt.Sprintf("\tai_gateway {\n\t\tprices %s\n\t\tstore memory\n\t}", prices),
		body: billingConfig(up, fmt.Sprintf(`consumer team-a {
	key %s
	budget 5usd/1d
}`, keyA))}
	g := startGatewayWith(t, o)
	for range 3 {
		if resp, body := post(t, g, "/v1/chat/completions", keyA, chatBody("bill-10", 50)); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	before := waitUsage(t, g, 3)
	c := before.Consumers[0]
	wantCost := float64(up.Billed().InputTokens)*0.001 + float64(up.Billed().OutputTokens)*0.002
	if c.CostUSD < wantCost-1e-6 || c.CostUSD > wantCost+1e-6 || c.BudgetRemainingUSD == nil || *c.BudgetRemainingUSD > 5-wantCost+1e-6 {
		t.Fatalf("before restart: cost %v (want %v), remaining %v", c.CostUSD, wantCost, c.BudgetRemainingUSD)
	}
	g.stop()
	if _, err := os.Stat(filepath.Join(dir, "caddy", "ai_gateway", "usage.json")); err != nil {
		t.Fatalf("no state file after stop: %v", err)
	}
	g = startGatewayWith(t, o)
	after, _ := readUsage(t, g)
	a := after.Consumers[0]
	if a.Requests != c.Requests || a.InputTokens != c.InputTokens || a.OutputTokens != c.OutputTokens ||
		a.CostUSD != c.CostUSD || *a.BudgetRemainingUSD != *c.BudgetRemainingUSD {
		t.Errorf("after restart %+v, before %+v", a, c)
	}
}

// TestReloadKeepsLimitState reloads the config: an unchanged limit keeps
// its count, a changed one starts afresh.
func TestReloadKeepsLimitState(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	consumer := func(n int) string {
		return fmt.Sprintf("consumer team-a {\n\tkey %s\n\tlimit requests %d/1h\n}", keyA, n)
	}
	g := startGatewayWith(t, options{admin: true, body: billingConfig(up, consumer(3))})
	// Fresh connections: a reload closes the old config's ones at a moment
	// of its choosing.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	calls := func(n int) (ok int) {
		for range n {
			req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(chatBody("bill-2", 10)))
			req.Header.Set("Authorization", "Bearer "+keyA)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 200 {
				ok++
			}
		}
		return ok
	}
	if ok := calls(2); ok != 2 {
		t.Fatalf("%d of 2 calls went through", ok)
	}
	reload := func(body string) {
		cfg := strings.Replace(g.Caddyfile, billingConfig(up, consumer(3)), body, 1)
		req, _ := http.NewRequest(http.MethodPost, g.Admin+"/load", strings.NewReader(cfg))
		req.Header.Set("Content-Type", "text/caddyfile")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("reload: %d %s", resp.StatusCode, b)
		}
	}
	// The same limit, another model added: the two calls made still count.
	reload(billingConfig(up, consumer(3)) + "\n\t\tmodel extra {\n\t\t\ttarget fake/fixture\n\t\t}")
	if ok := calls(2); ok != 1 {
		t.Errorf("after a reload with the same limit %d of 2 calls went through, want 1", ok)
	}
	reload(billingConfig(up, consumer(5)))
	if ok := calls(6); ok != 5 {
		t.Errorf("after a reload with a new limit %d of 6 calls went through, want 5", ok)
	}
}

// TestRedisSharedLimitsAndBudget runs two gateway processes on one Redis
// and 50 concurrent clients: together they hold the token limit and the
// budget within one call's reservation.
func TestRedisSharedLimitsAndBudget(t *testing.T) {
	rs := startRedis(t)
	up := fakeupstream.New()
	defer up.Close()
	dir := t.TempDir()
	prices := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(prices, []byte(`{"bill-":{"input":1000,"output":1000}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const tokenLimit, budget, maxTokens = 3000, 1.0, 20
	o := options{admin: true, global: fmt.Sprintf("\tai_gateway {\n\t\tprices %s\n\t\tstore redis %s\n\t}", prices, rs.URL),
		body: billingConfig(up, fmt.Sprintf(`consumer tokens {
	key %s
	limit tokens %d/1h
}
consumer money {
	key %s
	budget %vusd/1d
}`, keyA, tokenLimit, keyB, budget))}
	gws := []*gateway{startGatewayWith(t, o), startGatewayWith(t, o)}

	var wg sync.WaitGroup
	var admitted [2]atomic.Int64
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key, k := keyA, 0
			if i%2 == 1 {
				key, k = keyB, 1
			}
			refused := 0
			for n := 0; refused < 3 && n < 200; n++ {
				resp, _ := post(t, gws[n%2], "/v1/chat/completions", key, chatBody("bill-10", maxTokens))
				switch resp.StatusCode {
				case 200:
					admitted[k].Add(1)
				case 429:
					refused++
				default:
					t.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	doc := waitUsage(t, gws[0], admitted[0].Load()+admitted[1].Load())
	byName := map[string]int{}
	for i, c := range doc.Consumers {
		byName[c.Name] = i
	}
	tok, money := doc.Consumers[byName["tokens"]], doc.Consumers[byName["money"]]
	// One call reserves its prompt plus max_tokens and uses its prompt plus
	// the tokens of ten words.
	prompt := (tok.InputTokens) / max(tok.Requests, 1)
	reservation := prompt + maxTokens
	used := tok.InputTokens + tok.OutputTokens
	t.Logf("tokens consumer: %d calls, %d tokens used of %d (reservation %d); money consumer: %d calls, %.4f USD of %.2f",
		tok.Requests, used, tokenLimit, reservation, money.Requests, money.CostUSD, budget)
	// The window refills tokenLimit per hour; the test runs seconds, worth a
	// few tokens at most.
	if used > tokenLimit+reservation+10 || used < tokenLimit-2*reservation {
		t.Errorf("tokens used %d, limit %d, reservation %d", used, tokenLimit, reservation)
	}
	costPerToken := 0.001
	if money.CostUSD > budget+1e-9 || money.CostUSD < budget-float64(2*reservation)*costPerToken {
		t.Errorf("money spent %.4f of a %.2f budget (reservation worth %.4f)", money.CostUSD, budget, float64(reservation)*costPerToken)
	}
	if money.BudgetRemainingUSD == nil || *money.BudgetRemainingUSD < -1e-9 {
		t.Errorf("budget remaining %v", money.BudgetRemainingUSD)
	}
	// Both processes see the same state.
	other := waitUsage(t, gws[1], doc.Totals.Requests)
	if other.Totals != doc.Totals {
		t.Errorf("the two gateways disagree: %+v vs %+v", other.Totals, doc.Totals)
	}
	billed := up.Billed()
	if doc.Totals.InputTokens != int64(billed.InputTokens) || doc.Totals.OutputTokens != int64(billed.OutputTokens) {
		t.Errorf("accounted %+v, billed %+v", doc.Totals, billed)
	}
}

// TestRedisOutage stops Redis under two gateways, one failing closed and one
// failing open, and starts it again: both recover by themselves, and the
// calls let through during the outage are accounted once Redis is back.
func TestRedisOutage(t *testing.T) {
	rs := startRedis(t)
	up := fakeupstream.New()
	defer up.Close()
	consumers := fmt.Sprintf("consumer team-a {\n\tkey %s\n\tlimit requests 1000/1m\n}", keyA)
	gw := func(policy string) *gateway {
		return startGatewayWith(t, options{admin: true, body: billingConfig(up, consumers),
			global: fmt.Sprintf("\tai_gateway {\n\t\tstore redis %s\n\t\ton_store_error %s\n\t}", rs.URL, policy)})
	}
	closed, open := gw("fail_closed"), gw("fail_open")
	for _, g := range []*gateway{closed, open} {
		if resp, body := post(t, g, "/v1/chat/completions", keyA, chatBody("bill-3", 10)); resp.StatusCode != 200 {
			t.Fatalf("before the outage: %d %s", resp.StatusCode, body)
		}
	}
	rs.stop()
	resp, body := post(t, closed, "/v1/chat/completions", keyA, chatBody("bill-3", 10))
	if resp.StatusCode != 503 || errorCode(body) != "store_unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("fail_closed during the outage: %d %s", resp.StatusCode, body)
	}
	for range 2 {
		if resp, body := post(t, open, "/v1/chat/completions", keyA, chatBody("bill-3", 10)); resp.StatusCode != 200 {
			t.Errorf("fail_open during the outage: %d %s", resp.StatusCode, body)
		}
	}
	if m := scrape(t, open, "ai_gateway_store_errors_total"); m[`ai_gateway_store_errors_total{op="admit"}`] < 1 {
		t.Errorf("store errors not counted: %v", m)
	}
	rs.start() // empty: Redis came back without its data
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, _ := post(t, closed, "/v1/chat/completions", keyA, chatBody("bill-3", 10))
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fail_closed gateway still %d after Redis returned", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The two calls fail_open let through were settled once Redis answered
	// again, with the one fail_closed made since.
	doc := waitUsage(t, open, 3)
	if doc.Totals.Requests != 3 {
		t.Errorf("after the outage Redis holds %d requests, want 3 (2 replayed + 1 new)", doc.Totals.Requests)
	}
}

// TestMetricsConsumerLabel labels metrics by a metadata value of the
// consumers (a department), not by their names.
func TestMetricsConsumerLabel(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{admin: true, body: billingConfig(up, fmt.Sprintf(`consumer alice {
	key %s
	metadata department research
}
consumer bob {
	key %s
	metadata department research
}
metrics_consumer_label metadata department`, keyA, keyB))})
	for _, key := range []string{keyA, keyB} {
		if resp, body := post(t, g, "/v1/chat/completions", key, chatBody("bill-2", 10)); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	m := scrape(t, g, "ai_gateway_requests_total")
	if len(m) != 1 || m[`ai_gateway_requests_total{consumer="research",model="bill-*",provider="fake",status_class="2xx"}`] != 2 {
		t.Errorf("requests by consumer label: %v", m)
	}
	// The usage API still tells the consumers apart.
	doc := waitUsage(t, g, 2)
	if len(doc.Consumers) != 2 || doc.Consumers[0].Name != "alice" || doc.Consumers[1].Name != "bob" {
		t.Errorf("usage consumers %+v", doc.Consumers)
	}
}
