package wasmhost

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/scripting"
)

// The plugins in examples/wasm, built from source, against the Lua scripts
// in examples/scripts that do the same: the same requests get the same
// answers.

func luaScript(t *testing.T, path string) scripting.Program {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := scripting.LuaEngine{}.Compile(path, src, scripting.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestRouterExample(t *testing.T) {
	wasm := compile(t, goGuest(t, "../examples/wasm/router"), scripting.Limits{}, nil)
	byPrompt := luaScript(t, "../examples/scripts/route_by_prompt.lua")
	canary := luaScript(t, "../examples/scripts/canary.lua")
	reqs := []*scripting.Request{
		{Model: "auto", Messages: []scripting.Message{{Role: "user", Content: "hi"}}},
		{Model: "auto", System: "Be brief.", Messages: []scripting.Message{{Role: "user", Content: "Explain step by step how TLS works."}}},
		{Model: "auto", Messages: []scripting.Message{{Role: "user", Parts: []scripting.Part{{Type: "text", Text: "Please DEBUG this"}, {Type: "image", URL: "u"}}}}},
		{Model: "auto", EstimatedInputTokens: 5000},
		{Model: "gpt-4o"},
	}
	for i, req := range reqs {
		if got, want := mustRoute(t, wasm, req), mustRoute(t, byPrompt, req); !reflect.DeepEqual(got, want) {
			t.Errorf("request %d: wasm routes %q, Lua %q", i, got, want)
		}
	}
	sides := map[string]int{}
	for i := 0; i < 200; i++ {
		req := &scripting.Request{Model: "chat", Consumer: scripting.Consumer{Name: "consumer-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)}}
		if i%50 == 0 {
			req.Consumer.Name, req.ClientIP = "", "10.0.0."+string(rune('0'+i/50))
		}
		got, want := mustRoute(t, wasm, req), mustRoute(t, canary, req)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("consumer %q: wasm routes %q, Lua %q", req.Consumer.Name, got, want)
		}
		sides[got[0]]++
	}
	if sides["mock/canary-1"] == 0 || sides["mock/stable-1"] == 0 {
		t.Errorf("the split sent everyone one way: %v", sides)
	}
}

func TestRedactExample(t *testing.T) {
	log := &memLogger{}
	wasm := compile(t, goGuest(t, "../examples/wasm/redact"), scripting.Limits{}, log)
	lua := luaScript(t, "../examples/scripts/redact_emails.lua")
	ctx := context.Background()

	for _, text := range []string{
		"no address here",
		"Write to ann@example.com.",
		"a@b.co and bob.smith+x@mail.example.org, then stop",
		"héllo wörld <ann@example.com>",
	} {
		wres, lres := &scripting.Response{Content: text}, &scripting.Response{Content: text}
		if err := wasm.OnResponse(ctx, sampleRequest("m"), wres); err != nil {
			t.Fatal(err)
		}
		if err := lua.OnResponse(ctx, sampleRequest("m"), lres); err != nil {
			t.Fatal(err)
		}
		if wres.Content != lres.Content || strings.Contains(wres.Content, "@example") {
			t.Errorf("on_response(%q): wasm %q, Lua %q", text, wres.Content, lres.Content)
		}
		wch, lch := &scripting.Chunk{Text: text}, &scripting.Chunk{Text: text}
		if err := wasm.OnChunk(ctx, sampleRequest("m"), wch); err != nil {
			t.Fatal(err)
		}
		if err := lua.OnChunk(ctx, sampleRequest("m"), lch); err != nil {
			t.Fatal(err)
		}
		if *wch != *lch {
			t.Errorf("on_chunk(%q): wasm %+v, Lua %+v", text, wch, lch)
		}
	}

	req := sampleRequest("m")
	req.Messages = append(req.Messages, scripting.Message{Role: "user", Content: "my card is 4111 1111 1111 1111, charge it"})
	err := wasm.OnRequest(ctx, req)
	if d, ok := err.(*scripting.Denial); !ok || d.Status != 400 || strings.Contains(d.Message, "4111") {
		t.Fatalf("err = %#v, want a 400 that does not repeat the number", err)
	}
	if got := log.all(); !reflect.DeepEqual(got, []string{"warn: refused a prompt with a card number"}) {
		t.Fatalf("log = %q", got)
	}
	req, want := sampleRequest("m"), sampleRequest("m")
	if err := wasm.OnRequest(ctx, req); err != nil || !reflect.DeepEqual(req, want) {
		t.Fatalf("a clean prompt: err = %v, req = %+v", err, req)
	}
}

func TestFixedRouteExample(t *testing.T) {
	wasm := wat(t, "../examples/wasm/fixed_route.wat")
	if len(wasm) > 512 {
		t.Errorf("fixed_route.wasm is %d bytes; the smallest plugin should stay tiny", len(wasm))
	}
	p := compile(t, wasm, scripting.Limits{}, nil)
	if got := mustRoute(t, p, sampleRequest("anything")); !reflect.DeepEqual(got, []string{"openai/gpt-4o-mini"}) {
		t.Fatalf("route = %q", got)
	}
	for _, h := range []scripting.Hook{scripting.HookOnRequest, scripting.HookOnResponse, scripting.HookOnChunk} {
		if p.Has(h) {
			t.Errorf("Has(%s) = true for a plugin that only routes", h)
		}
	}
}
