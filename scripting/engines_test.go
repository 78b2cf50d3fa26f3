package scripting

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Behaviour each language shows in its own words.

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name, lua, js string
		line          int
		contains      string
	}{
		{"syntax", "function route(req)\n  return 1 +* 2\nend", "function route(req) {\n  return 1 +* 2\n}", 2, "*"},
		{"top level raises", "local x = 1\nerror('no config')\nfunction route() end", "var x = 1\nthrow new Error('no config')\nfunction route() {}", 2, "no config"},
		{"top level loops", "while true do end", "for (;;) {}", 0, "top level timed out"},
		{"deny at the top level", "gw.deny(403, 'x')", "gw.deny(403, 'x')", 0, "gw.deny called outside a hook"},
	}
	for _, tc := range cases {
		for _, e := range engines {
			t.Run(tc.name+"/"+e.Name(), func(t *testing.T) {
				src := tc.lua
				if e.Name() == "js" {
					src = tc.js
				}
				name := "bad" + e.Extensions()[0]
				_, err := e.Compile(name, []byte(src), Limits{Timeout: 20 * time.Millisecond}, nil)
				var ce *CompileError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a CompileError", err)
				}
				if tc.line > 0 && (ce.Line != tc.line || !strings.HasPrefix(err.Error(), name+":")) {
					t.Fatalf("err = %v (line %d), want %s:%d", err, ce.Line, name, tc.line)
				}
				if !strings.Contains(err.Error(), tc.contains) {
					t.Fatalf("err = %v, want it to say %q", err, tc.contains)
				}
			})
		}
	}
}

func TestLuaWalksAndEncodesReq(t *testing.T) {
	p := compile(t, LuaEngine{}, `function on_request(req)
  local keys = {}
  for k in pairs(req) do table.insert(keys, k) end
  table.sort(keys)
  req.metadata.keys = table.concat(keys, ",")
  req.metadata.json = gw.json.encode({consumer = req.consumer, list = gw.json.array(), n = 1.5})
end`, Limits{}, nil)
	req := sampleRequest()
	if err := p.OnRequest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	wantKeys := "client_ip,consumer,estimated_input_tokens,headers,max_tokens,messages,metadata,model,stream,system,temperature,tools"
	if req.Metadata["keys"] != wantKeys {
		t.Fatalf("keys = %s", req.Metadata["keys"])
	}
	if want := `{"consumer":{"metadata":{"tier":"gold"},"name":"alice"},"list":[],"n":1.5}`; req.Metadata["json"] != want {
		t.Fatalf("json = %s", req.Metadata["json"])
	}
}

func TestJSONStringifyOfReq(t *testing.T) {
	p := compile(t, JSEngine{}, `function route(req) { return JSON.stringify({keys: Object.keys(req), consumer: req.consumer}) }`, Limits{}, nil)
	out := mustRoute(t, p, sampleRequest())
	want := `{"keys":["model","system","messages","tools","max_tokens","temperature","stream","consumer","headers","client_ip","estimated_input_tokens","metadata"],"consumer":{"name":"alice","metadata":{"tier":"gold"}}}`
	if out[0] != want {
		t.Fatalf("got  %s\nwant %s", out[0], want)
	}
}

func TestAReqKeptPastItsCallReadsEmpty(t *testing.T) {
	srcs := map[string]string{
		"lua": `local last
function route(req)
  local prev = last
  last = req
  if prev then return tostring(prev.system) .. "," .. tostring(prev.messages) end
end`,
		"js": `let last
function route(req) {
  const prev = last
  last = req
  if (prev) return String(prev.system) + "," + String(prev.messages)
}`,
	}
	for _, e := range engines {
		t.Run(e.Name(), func(t *testing.T) {
			p := compile(t, e, srcs[e.Name()], Limits{PoolSize: 1}, nil)
			mustRoute(t, p, sampleRequest())
			out := mustRoute(t, p, sampleRequest())
			if want := map[string]string{"lua": "nil,nil", "js": "undefined,undefined"}[e.Name()]; out[0] != want {
				t.Fatalf("a stale req read %q", out[0])
			}
		})
	}
}

func TestAsyncHooks(t *testing.T) {
	p := compile(t, JSEngine{}, `
async function route(req) { const m = await Promise.resolve(req.model); return "p/" + m }
async function on_request(req) { await null; if (req.model === "deny") gw.deny(403, "no"); throw new Error("async boom") }
function on_response(req, res) { return new Promise(() => {}) }`, Limits{}, nil)
	ctx := context.Background()
	if out := mustRoute(t, p, &Request{Model: "m"}); !reflect.DeepEqual(out, []string{"p/m"}) {
		t.Fatalf("route = %v", out)
	}
	if err := p.OnRequest(ctx, &Request{Model: "deny"}); !reflect.DeepEqual(err, &Denial{Status: 403, Message: "no"}) {
		t.Fatalf("err = %v", err)
	}
	if err := p.OnRequest(ctx, &Request{}); err == nil || !strings.Contains(err.Error(), "async boom") {
		t.Fatalf("err = %v", err)
	}
	if err := p.OnResponse(ctx, &Request{}, &Response{}); err == nil || !strings.Contains(err.Error(), "still pending") {
		t.Fatalf("err = %v", err)
	}
}

func TestJSDoesNotReadSourceMapFiles(t *testing.T) {
	// A source map named by path would be read from disk; /dev/zero never ends.
	done := make(chan error, 1)
	go func() {
		_, err := JSEngine{}.Compile("m.js", []byte("function route() {}\n//# sourceMappingURL=/dev/zero\n"), Limits{}, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("compiling read the source map file")
	}
}

func TestLuaErrorValuesAndLimits(t *testing.T) {
	p := compile(t, LuaEngine{}, `function route(req)
  if req.model == "table" then error({code = 1}) end
  if req.model == "level0" then error("plain", 0) end
  if req.model == "gw.log" then gw.log("loud", "x") end
  return string.rep("ab", 3)
end`, Limits{}, nil)
	ctx := context.Background()
	for model, want := range map[string]string{"table": "table: ", "level0": "plain", "gw.log": `unknown level "loud"`} {
		if _, err := p.Route(ctx, &Request{Model: model}); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: err = %v, want %q", model, err, want)
		}
	}
	if out := mustRoute(t, p, &Request{}); out[0] != "ababab" {
		t.Fatalf("string.rep = %q", out[0])
	}
}
