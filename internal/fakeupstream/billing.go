package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/tokens"
)

// Billing behaviours bill like a provider: the prompt is counted with
// tokens.ChatPrompt (OpenAI's chat framing over o200k_base) and the answer's
// output tokens are the tokens of the text sent. The fake adds up what it
// billed, so tests can check that the gateway accounted exactly that.
//
//	bill-N         an answer of N words (whole, or streamed a word per chunk
//	               with the usage chunk when include_usage is set)
//	bill-hang-N    streams N words, then waits until the caller goes away;
//	               what it billed is the prompt and the N words sent
type Billing struct {
	Calls        int
	InputTokens  int
	OutputTokens int
}

type billingBook struct {
	mu sync.Mutex
	b  Billing
}

// Billed returns what the fake has billed so far.
func (s *Server) Billed() Billing {
	s.book.mu.Lock()
	defer s.book.mu.Unlock()
	return s.book.b
}

func (s *Server) bill(in, out int) {
	s.book.mu.Lock()
	s.book.b.Calls++
	s.book.b.InputTokens += in
	s.book.b.OutputTokens += out
	s.book.mu.Unlock()
}

// billWords is the answer text of n words.
func billWords(n int) []string {
	vocab := []string{" alpha", " beta", " gamma", " delta", " river", " stone", " cloud", " lantern"}
	words := make([]string, n)
	for i := range words {
		words[i] = vocab[i%len(vocab)]
	}
	return words
}

// serveBilling answers a bill-* model; it reports false for other models.
func (s *Server) serveBilling(w http.ResponseWriter, r *http.Request, body []byte, model string, stream, includeUsage bool) bool {
	spec, ok := strings.CutPrefix(model, "bill-")
	if !ok {
		return false
	}
	hang := false
	if rest, ok := strings.CutPrefix(spec, "hang-"); ok {
		hang, spec = true, rest
	}
	n, err := strconv.Atoi(spec)
	if err != nil || n < 1 {
		http.Error(w, `{"error":{"message":"fake: bill-N needs N >= 1","type":"invalid_request_error","param":null,"code":null}}`, 400)
		return true
	}
	req, aerr := openai.DecodeChatRequest(body)
	if aerr != nil {
		http.Error(w, fmt.Sprintf(`{"error":{"message":%q,"type":"invalid_request_error","param":null,"code":null}}`, aerr.Message), 400)
		return true
	}
	prompt := tokens.ChatPrompt(req)
	words := billWords(n)
	text := strings.Join(words, "")
	if !stream {
		output := tokens.Count(text)
		s.bill(prompt, output)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-bill", "object": "chat.completion", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output},
		})
		return true
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	chunk := func(delta string, finish any) {
		b, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-bill", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": delta}, "finish_reason": finish}},
		})
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
		flusher.Flush()
	}
	for _, word := range words {
		chunk(word, nil)
	}
	output := tokens.Count(text)
	if hang {
		// Billed for what was generated before the caller went away.
		s.bill(prompt, output)
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return true
	}
	chunk("", "stop")
	s.bill(prompt, output)
	if includeUsage {
		b, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-bill", "object": "chat.completion.chunk", "created": 1700000000, "model": model, "choices": []any{},
			"usage": map[string]any{"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output},
		})
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
	return true
}
