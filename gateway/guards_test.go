package gateway

import (
	"strings"
	"testing"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/metrics"
	"github.com/tidwall/gjson"
	"go.uber.org/zap"
)

func init() { metrics.Init() }

func TestNewGuardsRejectsBadConfig(t *testing.T) {
	for _, cfg := range []GuardConfig{
		{PromptInjection: "loud"},
		{PII: "scramble"},
		{PII: "redact", PIIKinds: []string{"PASSPORT"}},
		{DenyPrompt: []string{"("}},
		{DenyAnswer: []string{"[z-a]"}},
	} {
		if _, err := newGuards(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestCheckRequestRedactsPartsAndClamps(t *testing.T) {
	g := &Gateway{}
	gs, err := newGuards(GuardConfig{PII: "redact", MaxOutputTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	g.guards, g.log = gs, zap.NewNop()
	body := []byte(`{"model":"m","max_completion_tokens":5000,"messages":[{"role":"user","content":[{"type":"text","text":"ip 10.1.2.3"},{"type":"image_url","image_url":{"url":"https://x/y.png"}},{"type":"text","text":"mail a@b.example"}]}]}`)
	req, aerr := openai.DecodeChatRequest(body)
	if aerr != nil {
		t.Fatal(aerr)
	}
	out := &Outcome{promptTokens: -1}
	changed, _, aerr := g.checkRequest(body, req, out)
	if aerr != nil {
		t.Fatal(aerr)
	}
	if got := gjson.GetBytes(changed, "messages.0.content.0.text").Str; got != "ip [IP]" {
		t.Errorf("part 0: %q", got)
	}
	if got := gjson.GetBytes(changed, "messages.0.content.2.text").Str; got != "mail [EMAIL]" {
		t.Errorf("part 2: %q", got)
	}
	if gjson.GetBytes(changed, "max_completion_tokens").Int() != 100 || *req.MaxCompletionTokens != 100 {
		t.Errorf("not clamped: %s", changed)
	}
	if strings.Join(out.Guards, " ") != "max_output_tokens:clamp pii_ip:redact pii_email:redact" {
		t.Errorf("decisions %v", out.Guards)
	}
}

func TestStreamGuardDenyAcrossChunks(t *testing.T) {
	gs, err := newGuards(GuardConfig{DenyAnswer: []string{`launch code \d{4}`}})
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{guards: gs}
	sg := g.newStreamGuard(nil, &Outcome{})
	chunk := func(s string) []byte {
		return []byte(`{"choices":[{"index":0,"delta":{"content":"` + s + `"},"finish_reason":null}]}`)
	}
	for _, piece := range []string{"The launch ", "code "} {
		if _, e := sg.chunk(chunk(piece)); e != nil {
			t.Fatalf("%q blocked early: %v", piece, e)
		}
	}
	if _, e := sg.chunk(chunk("1234.")); e == nil || e.Code != "content_blocked" || !strings.Contains(e.Message, "deny_answer_0") {
		t.Fatalf("split match not caught: %v", e)
	}
}
