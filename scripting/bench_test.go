package scripting

import (
	"context"
	"testing"
)

// The route hook of the benchmarks: by prompt length, to a cheap or a
// strong model.
var benchRoute = map[string]string{
	"lua": `function route(req)
  local n = #req.system
  for _, m in ipairs(req.messages) do n = n + #m.content end
  if n > 2000 then return "openai/gpt-4o" end
  return "openai/gpt-4o-mini"
end`,
	"js": `function route(req) {
  let n = req.system.length
  for (const m of req.messages) n += m.content.length
  return n > 2000 ? "openai/gpt-4o" : "openai/gpt-4o-mini"
}`,
}

// The chunk hooks of the benchmarks: a light one (the cost of a hook call
// per streamed delta) and one that masks a word with the language's string
// functions.
var benchChunk = map[string]map[string]string{
	"light": {
		"lua": `function on_chunk(req, chunk) if chunk.text == "" then chunk.drop = true end end`,
		"js":  `function on_chunk(req, chunk) { if (chunk.text === "") chunk.drop = true }`,
	},
	"mask": {
		"lua": `function on_chunk(req, chunk)
  if chunk.text:find("damn", 1, true) then chunk.text = chunk.text:gsub("damn", "d***") end
end`,
		"js": `function on_chunk(req, chunk) {
  if (chunk.text.includes("damn")) chunk.text = chunk.text.replaceAll("damn", "d***")
}`,
	},
}

func BenchmarkRoute(b *testing.B) {
	for _, e := range engines {
		b.Run(e.Name(), func(b *testing.B) {
			p := compile(b, e, benchRoute[e.Name()], Limits{}, nil)
			req := sampleRequest()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				out, err := p.Route(ctx, req)
				if err != nil || len(out) != 1 {
					b.Fatal(out, err)
				}
			}
		})
	}
}

func BenchmarkRouteParallel(b *testing.B) {
	for _, e := range engines {
		b.Run(e.Name(), func(b *testing.B) {
			p := compile(b, e, benchRoute[e.Name()], Limits{}, nil)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := sampleRequest()
				for pb.Next() {
					if _, err := p.Route(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkChainRoute is the gateway's path: pin, route, release.
func BenchmarkChainRoute(b *testing.B) {
	for _, e := range engines {
		b.Run(e.Name(), func(b *testing.B) {
			s, err := NewInline("bench", e.Name(), []byte(benchRoute[e.Name()]), Engines(), Limits{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			chain := NewChain(func(HookEvent) {}, Step{Script: s})
			req := sampleRequest()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				run := chain.Begin()
				out, err := run.Route(ctx, req)
				run.Release()
				if err != nil || len(out) != 1 {
					b.Fatal(out, err)
				}
			}
		})
	}
}

func BenchmarkOnChunk(b *testing.B) {
	for _, kind := range []string{"light", "mask"} {
		for _, e := range engines {
			b.Run(kind+"/"+e.Name(), func(b *testing.B) {
				p := compile(b, e, benchChunk[kind][e.Name()], Limits{}, nil)
				req := sampleRequest()
				ctx := context.Background()
				want := "well damn, that is a delta"
				if kind == "mask" {
					want = "well d***, that is a delta"
				}
				b.ReportAllocs()
				for b.Loop() {
					chunk := Chunk{Text: "well damn, that is a delta"}
					if err := p.OnChunk(ctx, req, &chunk); err != nil || chunk.Text != want {
						b.Fatal(chunk, err)
					}
				}
			})
		}
	}
}
