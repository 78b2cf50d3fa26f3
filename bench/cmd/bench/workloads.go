package main

import (
	"encoding/json"
	"strings"
	"time"
)

// Fake upstream settings. Two fake processes run: the fast one answers at
// once and streams fastChunks chunks; the paced one streams pacedChunks
// chunks pacedDelay apart (2ms in a smoke run, to keep it short).
const (
	fastChunks  = 20
	pacedChunks = 64
	pacedDelay  = 20 * time.Millisecond
)

// workload is one kind of traffic; each is run against every endpoint.
type workload struct {
	name        string // short id, used in -workloads and progress lines
	title       string // the RESULTS.md heading
	stream      bool
	paced       bool // served by the paced fake (model "paced")
	concurrency int
	// streams, when positive, bounds the cell by count rather than time:
	// that many streams, concurrency at a time. Paced workloads ramp their
	// workers up over one stream's length (see load.Spec.Ramp).
	streams int
	kind    string // "chat", "stream", "paced", "many": picks the table's columns
}

// workloads are the full run's, in the order of RESULTS.md.
var workloads = []workload{
	{name: "chat-c1", title: "Non-streaming chat completion, concurrency 1", concurrency: 1, kind: "chat"},
	{name: "chat-c32", title: "Non-streaming chat completion, concurrency 32", concurrency: 32, kind: "chat"},
	{name: "stream-c32", title: "Streaming, 20 chunks at once, concurrency 32", stream: true, concurrency: 32, kind: "stream"},
	{name: "paced-c32", title: "Paced streaming, 64 chunks 20 ms apart, concurrency 32 (64 streams)", stream: true, paced: true, concurrency: 32, streams: 64, kind: "paced"},
	{name: "paced-512", title: "512 concurrent paced streams, 64 chunks 20 ms apart (1,024 streams)", stream: true, paced: true, concurrency: 512, streams: 1024, kind: "many"},
}

// Thresholds for paced streams. A stream stalled when it sent nothing for
// a second (fifty times the pace) or its first event came two seconds
// late; it slowed when two events were more than ten paces apart (a hiccup
// a reader would notice, as when a proxy holds events back under load).
const (
	stallGap   = time.Second
	stallFirst = 2 * time.Second
	slowGap    = 10 * pacedDelay
)

// RSS is read again at these times after the last cell, and at -settle.
// An idle Go process collects garbage every 2 minutes; sync.Pool's cached
// buffers go at the second collection, and the heap they held is returned
// to the system soon after: the -settle reading (4m10s by default) is the
// one that tells what a process keeps.
const (
	settleEarly = 10 * time.Second
	settleMid   = 130 * time.Second // after the first periodic collection
)

// The request: a system prompt and a user message, about 1 KB, like a
// typical chat call (the peers' measurements used a 969-byte body). The
// "(21)" at its end picks, through the fake's hash of the prompt, an answer
// that splits into exactly 20 and 64 chunks: a stream then has 23 and 67
// events (role, content chunks, finish, [DONE]).
const (
	systemPrompt = "You are a concise assistant for an engineering team. Answer in plain English, " +
		"use short paragraphs, and say so when you are not sure. Prefer concrete examples over general advice. " +
		"When code is asked for, give a minimal working snippet and explain only what is not obvious."
	userPrompt = "We run an HTTP gateway in front of several language model providers. Requests arrive as " +
		"OpenAI chat completions, some streamed, some not. We want to route short prompts to a cheaper model " +
		"and long or reasoning-heavy ones to a stronger model, keep per-team usage, and fall back to a second " +
		"provider when the first one returns errors or is slow to send its first token. What are the three " +
		"most important things to measure before and after such a change, and how would you measure each " +
		"without adding noticeable latency to the requests themselves? Keep the answer short. (21)"
)

// chatBody is the OpenAI chat completions request for model.
func chatBody(model string, stream bool) []byte {
	v := map[string]any{
		"model": model,
		"messages": []map[string]string{
			{"role": "system", "content": systemPrompt},
			{"role": "user", "content": userPrompt},
		},
		"max_tokens":  256,
		"temperature": 0.2,
		"user":        "bench-user-0001",
	}
	if stream {
		v["stream"] = true
	}
	b, _ := json.Marshal(v)
	return b
}

// messagesBody is the same request in Anthropic's Messages shape.
func messagesBody(model string, stream bool) []byte {
	v := map[string]any{
		"model":       model,
		"system":      systemPrompt,
		"messages":    []map[string]string{{"role": "user", "content": userPrompt}},
		"max_tokens":  256,
		"temperature": 0.2,
	}
	if stream {
		v["stream"] = true
	}
	b, _ := json.Marshal(v)
	return b
}

// modelFor is the model name a workload asks for: it tells Sluice which
// fake to route to (the fakes ignore it).
func modelFor(w workload) string {
	if w.paced {
		return "paced"
	}
	return "bench"
}

// selectWorkloads keeps the workloads named in a comma-separated list
// (all when empty).
func selectWorkloads(list string) []workload {
	if list == "" {
		return workloads
	}
	var out []workload
	for _, w := range workloads {
		for _, n := range strings.Split(list, ",") {
			if strings.TrimSpace(n) == w.name {
				out = append(out, w)
			}
		}
	}
	return out
}
