// Package tokens counts tokens the way the common models do, offline: the
// o200k_base byte-pair encoding (GPT-4o, GPT-4.1, o-series, GPT-5), whose
// tables are compiled into the binary, so no network is needed at start.
//
// Counts are estimates for models with other tokenizers (Claude, Gemini,
// Llama): close enough to reserve rate-limit capacity and budget before a call
// and to cap prompts, never used to bill. The gateway bills what the provider
// reports.
//
// Counting costs about 80 µs per KB of text, so the gateway counts only when
// something needs the number (a token limit, a budget, max_input_tokens),
// and counts of longer texts are cached (see cache.go): a system prompt or
// an earlier turn of a conversation is counted once.
package tokens

import (
	"encoding/json"
	"sync"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/tiktoken-go/tokenizer"
)

var (
	codecOnce sync.Once
	codec     tokenizer.Codec
)

// Count returns the number of o200k_base tokens in text.
func Count(text string) int {
	if text == "" {
		return 0
	}
	return cachedCount(text)
}

// countDirect runs the tokenizer.
func countDirect(text string) int {
	codecOnce.Do(func() {
		c, err := tokenizer.Get(tokenizer.O200kBase)
		if err != nil {
			panic("tokens: o200k_base is compiled in, yet: " + err.Error())
		}
		codec = c
	})
	n, err := codec.Count(text)
	if err != nil {
		// Invalid UTF-8 only (the decoder refuses it earlier): estimate.
		return (len(text) + 3) / 4
	}
	return n
}

// Per-message framing of the chat format, as OpenAI documents it for its
// current models: every message costs three tokens besides its role and
// content, a name one more, and the reply is primed with three.
const (
	perMessage = 3
	perName    = 1
	replyPrime = 3
	// perImage is what an image part is reserved at: OpenAI's "low detail"
	// figure. High-detail images cost more; the provider's usage settles it.
	perImage = 85
)

// ChatPrompt counts the prompt tokens of a chat completions request the way
// OpenAI bills them: each message's role, name and content (text parts, tool
// calls' names and arguments), the chat framing, and the tool definitions.
func ChatPrompt(req *openai.ChatRequest) int {
	n := replyPrime
	for i := range req.Messages {
		m := &req.Messages[i]
		n += perMessage + Count(m.Role) + contentTokens(m.Content)
		if m.Name != "" {
			n += perName + Count(m.Name)
		}
		for _, tc := range m.ToolCalls {
			n += Count(tc.Function.Name) + Count(tc.Function.Arguments)
		}
	}
	for _, t := range req.Tools {
		n += Count(t.Function.Name) + Count(t.Function.Description) + Count(string(t.Function.Parameters))
	}
	return n
}

// contentTokens counts a message content: a string, or a list of parts whose
// text is counted and whose images are reserved at perImage.
func contentTokens(content json.RawMessage) int {
	if len(content) == 0 || content[0] == 'n' {
		return 0
	}
	if content[0] == '"' {
		return cachedCountJSONString(content)
	}
	var parts []openai.ContentPart
	if json.Unmarshal(content, &parts) != nil {
		return 0
	}
	n := 0
	for _, p := range parts {
		switch p.Type {
		case "text":
			n += Count(p.Text)
		case "image_url":
			n += perImage
		}
	}
	return n
}
