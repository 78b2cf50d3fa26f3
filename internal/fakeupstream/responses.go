package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// serveResponses answers POST .../responses like OpenAI's Responses API,
// with a fixed answer ("Hello from the Responses API.") whole, or streamed
// as response.created, two output_text deltas and response.completed with
// usage (12 in, 6 out, 4 of them cached). It reports false for other paths.
func (s *Server) serveResponses(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if !strings.HasSuffix(r.URL.Path, "/responses") {
		return false
	}
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	usage := map[string]any{"input_tokens": 12, "input_tokens_details": map[string]any{"cached_tokens": 4},
		"output_tokens": 6, "output_tokens_details": map[string]any{"reasoning_tokens": 0}, "total_tokens": 18}
	response := func(status string, text string, withUsage bool) map[string]any {
		out := []any{}
		if text != "" {
			out = append(out, map[string]any{"type": "message", "id": "msg_fake", "status": "completed", "role": "assistant",
				"content": []any{map[string]any{"type": "output_text", "text": text, "annotations": []any{}}}})
		}
		r := map[string]any{"id": "resp_fake", "object": "response", "created_at": 1700000000, "status": status,
			"model": req.Model, "output": out, "store": false}
		if withUsage {
			r["usage"] = usage
		}
		return r
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(response("completed", "Hello from the Responses API.", true))
		return true
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	seq := 0
	send := func(typ string, v map[string]any) {
		v["type"], v["sequence_number"] = typ, seq
		seq++
		b, _ := json.Marshal(v)
		_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b)
		flusher.Flush()
	}
	send("response.created", map[string]any{"response": response("in_progress", "", false)})
	for _, d := range []string{"Hello from ", "the Responses API."} {
		send("response.output_text.delta", map[string]any{"item_id": "msg_fake", "output_index": 0, "content_index": 0, "delta": d})
	}
	send("response.completed", map[string]any{"response": response("completed", "Hello from the Responses API.", true)})
	return true
}
