package tests

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/internal/fakeupstream"
	"github.com/tidwall/sjson"
)

// TestAnthropicPassthrough sends Anthropic Messages calls to a model served
// by the anthropic provider: the upstream gets the client's bytes (model
// name set) and the client gets the upstream's bytes, whole and streamed,
// exactly as a direct call would; usage is accounted from Anthropic's
// fields. With a guard on, the call is translated instead (the guard reads
// chat completions).
func TestAnthropicPassthrough(t *testing.T) {
	up := fakeupstream.NewAnthropic()
	defer up.Close()
	provider := fmt.Sprintf(`provider claude {
	type anthropic
	base_url %s
	api_key %s
}
model claude {
	target claude/cached
}`, up.URL, fakeupstream.AnthropicKey)
	g := startGatewayWith(t, options{admin: true, body: indent(provider)})
	// Field order and spacing a translation would not keep.
	body := `{"max_tokens": 300, "model": "claude", "system": "Be brief.",  "messages": [{"role": "user", "content": [{"type": "text", "text": "Name a river."}]}], "metadata": {"user_id": "u-1"}}`
	direct := func(b string) string {
		req, _ := http.NewRequest(http.MethodPost, up.URL+"/v1/messages", strings.NewReader(b))
		req.Header.Set("x-api-key", fakeupstream.AnthropicKey)
		req.Header.Set("anthropic-version", "2023-06-01")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return string(out)
	}
	for _, stream := range []bool{false, true} {
		b, _ := sjson.Set(body, "stream", stream)
		resp, got := post(t, g, "/v1/messages", "", b)
		if resp.StatusCode != 200 {
			t.Fatalf("stream=%v: %d %s", stream, resp.StatusCode, got)
		}
		sent := string(up.Last().Body)
		wantSent, _ := sjson.Set(b, "model", "cached")
		if sent != wantSent {
			t.Errorf("stream=%v: the upstream got\n%s\nnot the client's bytes\n%s", stream, sent, wantSent)
		}
		if want := direct(wantSent); string(got) != want {
			t.Errorf("stream=%v: the client got\n%s\nnot the upstream's bytes\n%s", stream, got, want)
		}
	}
	// Accounting: 2 calls through the gateway, 2 direct.
	doc := waitUsage(t, g, 2)
	billed := up.Billed()
	prompt := billed.InputTokens + billed.CacheReadTokens + billed.CacheWriteTokens
	if doc.Totals.InputTokens != int64(prompt/2) || doc.Totals.OutputTokens != int64(billed.OutputTokens/2) {
		t.Errorf("accounted %+v; the fake billed %+v for twice the calls", doc.Totals, billed)
	}

	// With a guard, the call goes translated.
	g2 := startGateway(t, indent(provider+"\nguard {\n\tmax_messages 10\n}"))
	b, _ := sjson.Set(body, "stream", false)
	if resp, got := post(t, g2, "/v1/messages", "", b); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, got)
	}
	if wantSent, _ := sjson.Set(b, "model", "cached"); string(up.Last().Body) == wantSent {
		t.Error("with a guard on, the body went upstream untranslated")
	}
}
