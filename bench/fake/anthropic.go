package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
)

// messagesRequest is the part of an Anthropic Messages request the fake reads.
type messagesRequest struct {
	Model     string          `json:"model"`
	MaxTokens int             `json:"max_tokens"`
	System    json.RawMessage `json:"system,omitempty"` // a string or a list of text blocks
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"` // a string or a list of blocks
	} `json:"messages"`
	Stream bool `json:"stream,omitempty"`
}

// messages answers POST /v1/messages: it asks the OpenAI fake in process for
// the answer to the same prompt and renders it in Anthropic's shape.
func (h *Handler) messages(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var req messagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeAnthropicError(w, http.StatusBadRequest, "The request body is not valid JSON: "+err.Error())
		return
	}
	if req.Model == "" || req.MaxTokens <= 0 || len(req.Messages) == 0 {
		writeAnthropicError(w, http.StatusBadRequest, "model, max_tokens and messages are required.")
		return
	}
	chat, err := h.complete(r.Context(), &req)
	if err != nil {
		writeAnthropicError(w, http.StatusInternalServerError, err.Error())
		return
	}
	text := ""
	if c := chat.Choices[0].Message.Content; c != nil {
		text = *c
	}
	msg := anthropicMessage{
		ID: "msg_" + strings.TrimPrefix(chat.ID, "chatcmpl-"), Type: "message", Role: "assistant", Model: req.Model,
		Content:    []textBlock{{Type: "text", Text: text}},
		StopReason: stopReason(chat.Choices[0].FinishReason),
		Usage:      anthropicUsage{InputTokens: chat.Usage.PromptTokens, OutputTokens: chat.Usage.CompletionTokens},
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(msg)
		return
	}
	h.streamMessage(r.Context(), w, msg)
}

// complete gets the OpenAI fake's answer to req's prompt.
func (h *Handler) complete(ctx context.Context, req *messagesRequest) (*openai.ChatCompletion, error) {
	var msgs []map[string]string
	if sys := blocksText(req.System); sys != "" {
		msgs = append(msgs, map[string]string{"role": "system", "content": sys})
	}
	for _, m := range req.Messages {
		msgs = append(msgs, map[string]string{"role": m.Role, "content": blocksText(m.Content)})
	}
	oreq, _ := json.Marshal(map[string]any{"model": req.Model, "messages": msgs, "max_tokens": req.MaxTokens})
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://fake/v1/chat/completions", bytes.NewReader(oreq))
	if err != nil {
		return nil, err
	}
	resp, err := h.openai.RoundTrip(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the OpenAI fake answered %d: %s", resp.StatusCode, b)
	}
	var chat openai.ChatCompletion
	if err := json.Unmarshal(b, &chat); err != nil {
		return nil, err
	}
	if len(chat.Choices) == 0 || chat.Usage == nil {
		return nil, fmt.Errorf("the OpenAI fake answered without choices or usage")
	}
	return &chat, nil
}

// streamMessage sends msg as Anthropic streams it: message_start,
// content_block_start, ping, the text deltas (paced by ChunkDelay),
// content_block_stop, message_delta with the usage, message_stop.
func (h *Handler) streamMessage(ctx context.Context, w http.ResponseWriter, msg anthropicMessage) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(event string, data any) bool {
		b, _ := json.Marshal(data)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	start := msg
	start.Content = []textBlock{}
	start.StopReason = nil
	start.Usage = anthropicUsage{InputTokens: msg.Usage.InputTokens, OutputTokens: 1}
	if !send("message_start", map[string]any{"type": "message_start", "message": start}) ||
		!send("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": textBlock{Type: "text", Text: ""}}) ||
		!send("ping", map[string]any{"type": "ping"}) {
		return
	}
	for i, piece := range split(msg.Content[0].Text, h.opts.Chunks) {
		if i > 0 && !sleep(ctx, h.opts.ChunkDelay) {
			return
		}
		if !send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]string{"type": "text_delta", "text": piece}}) {
			return
		}
	}
	_ = send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}) &&
		send("message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": msg.StopReason, "stop_sequence": nil},
			"usage": map[string]int{"output_tokens": msg.Usage.OutputTokens}}) &&
		send("message_stop", map[string]any{"type": "message_stop"})
}

type anthropicMessage struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []textBlock    `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        anthropicUsage `json:"usage"`
}

type textBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type anthropicUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// stopReason maps an OpenAI finish_reason to Anthropic's stop_reason.
func stopReason(finish string) *string {
	s := "end_turn"
	switch finish {
	case "length":
		s = "max_tokens"
	case "tool_calls":
		s = "tool_use"
	}
	return &s
}

// blocksText is the text of an Anthropic content value: a string, or the
// text blocks of a list joined by newlines.
func blocksText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &blocks)
	var parts []string
	for _, b := range blocks {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// split cuts s into n pieces of about equal size (fewer when s is shorter),
// never inside a character.
func split(s string, n int) []string {
	if n < 1 {
		n = 1
	}
	size := (len(s) + n - 1) / n
	if size == 0 {
		return []string{s}
	}
	var pieces []string
	for len(s) > 0 {
		cut := min(size, len(s))
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		pieces = append(pieces, s[:cut])
		s = s[cut:]
	}
	return pieces
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func writeAnthropicError(w http.ResponseWriter, status int, message string) {
	e := &apierror.Error{Status: status, Message: message}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(e.Body(apierror.Anthropic))
}
