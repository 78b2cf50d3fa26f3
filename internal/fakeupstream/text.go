package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sluicegw/sluice/apischema/openai"
)

// LeakedKey is what the `leak` model writes in its answer: a secret of
// OpenAI's key format, for tests of answer redaction.
const LeakedKey = "sk-proj-Tq3vX9rL2mN8bK4wZ7yH1cF6dJ0sA5eG"

// Text behaviours answer with a given text, whole or streamed in chunks of
// 4 bytes (so anything longer is split across chunks):
//
//	echo   the text of the last user message
//	leak   "Your key is <LeakedKey>, keep it safe."
func (s *Server) serveText(w http.ResponseWriter, body []byte, model string, stream, includeUsage bool) bool {
	var text string
	switch model {
	case "echo":
		req, aerr := openai.DecodeChatRequest(body)
		if aerr != nil {
			http.Error(w, `{"error":{"message":"fake: bad request","type":"invalid_request_error","param":null,"code":null}}`, 400)
			return true
		}
		for _, m := range req.Messages {
			if m.Role == "user" {
				text = openai.Text(m.Content)
			}
		}
	case "leak":
		text = "Your key is " + LeakedKey + ", keep it safe."
	default:
		return false
	}
	usage := map[string]any{"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-text", "object": "chat.completion", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
			"usage":   usage,
		})
		return true
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	send := func(v map[string]any) {
		v["id"], v["object"], v["created"], v["model"] = "chatcmpl-text", "chat.completion.chunk", 1700000000, model
		b, _ := json.Marshal(v)
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
		flusher.Flush()
	}
	for i := 0; i < len(text); i += 4 {
		piece := text[i:min(i+4, len(text))]
		send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": piece}, "finish_reason": nil}}})
	}
	send(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": "stop"}}})
	if includeUsage {
		send(map[string]any{"choices": []any{}, "usage": usage})
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
	return true
}
