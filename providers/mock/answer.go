package mock

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sluicegw/sluice/apischema/openai"
)

// answer is what the mock says to one request: text, or one tool call.
type answer struct {
	id           string
	text         string
	toolCall     *openai.ToolCall
	finishReason string
	usage        openai.Usage
}

// vocabulary feeds the deterministic filler words of an answer.
var vocabulary = strings.Fields(`gateway token stream model route budget latency cache prompt answer
request provider fallback tenant usage quota chunk event schema script guard metric trace window
context signal detail sample value record policy limit result`)

// plan decides the answer to req. Everything derives from the request, so the
// same prompt always gets the same answer and the same usage.
func plan(req *openai.ChatRequest) *answer {
	h := fnv.New64a()
	for _, m := range req.Messages {
		h.Write([]byte(m.Role))
		h.Write(m.Content)
	}
	seed := h.Sum64()
	a := &answer{id: fmt.Sprintf("chatcmpl-mock%016x", seed), finishReason: "stop"}

	last := req.Messages[len(req.Messages)-1]
	if tool := chooseTool(req, last.Role); tool != nil {
		args := toolArguments(tool.Function.Parameters, lastUserText(req))
		a.toolCall = &openai.ToolCall{
			ID:       fmt.Sprintf("call_mock%08x", uint32(seed)),
			Type:     "function",
			Function: openai.FunctionCall{Name: tool.Function.Name, Arguments: args},
		}
		a.finishReason = "tool_calls"
		a.usage = usageFor(req, tool.Function.Name+args)
		return a
	}

	var sb strings.Builder
	if last.Role == "tool" {
		fmt.Fprintf(&sb, "Mock answer using the tool result %q:", snippet(openai.Text(last.Content), 60))
	} else {
		fmt.Fprintf(&sb, "Mock answer to %q:", snippet(lastUserText(req), 60))
	}
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	for n := 8 + rng.IntN(17); n > 0; n-- {
		sb.WriteByte(' ')
		sb.WriteString(vocabulary[rng.IntN(len(vocabulary))])
	}
	sb.WriteByte('.')
	a.text = sb.String()

	if limit := maxTokens(req); limit > 0 && tokens(a.text) > limit {
		a.text = truncateRunes(a.text, limit*4)
		a.finishReason = "length"
	}
	a.usage = usageFor(req, a.text)
	return a
}

// chooseTool returns the tool the mock calls, or nil: it calls one when tools
// are given, tool_choice is not "none", and the last message is not already a
// tool result (so an agent loop ends with a text answer).
func chooseTool(req *openai.ChatRequest, lastRole string) *openai.Tool {
	if len(req.Tools) == 0 || lastRole == "tool" {
		return nil
	}
	choice := strings.TrimSpace(string(req.ToolChoice))
	if choice == `"none"` {
		return nil
	}
	if strings.HasPrefix(choice, "{") {
		var named struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if json.Unmarshal(req.ToolChoice, &named) == nil {
			for i := range req.Tools {
				if req.Tools[i].Function.Name == named.Function.Name {
					return &req.Tools[i]
				}
			}
		}
	}
	return &req.Tools[0]
}

// toolArguments fills a JSON-schema object's required properties (or its
// first property when none is required) with plausible values.
func toolArguments(schema json.RawMessage, userText string) string {
	var s struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(schema, &s)
	names := s.Required
	if len(names) == 0 && len(s.Properties) > 0 {
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		names = names[:1]
	}
	args := make(map[string]any, len(names))
	for _, name := range names {
		typ, _ := s.Properties[name].Type.(string)
		switch typ {
		case "integer", "number":
			args[name] = 1
		case "boolean":
			args[name] = true
		case "array":
			args[name] = []any{}
		case "object":
			args[name] = map[string]any{}
		default:
			v := snippet(userText, 40)
			if v == "" {
				v = "mock"
			}
			args[name] = v
		}
	}
	b, _ := json.Marshal(args)
	return string(b)
}

func lastUserText(req *openai.ChatRequest) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == "user" {
			return openai.Text(req.Messages[i].Content)
		}
	}
	return ""
}

func maxTokens(req *openai.ChatRequest) int {
	if req.MaxCompletionTokens != nil {
		return *req.MaxCompletionTokens
	}
	if req.MaxTokens != nil {
		return *req.MaxTokens
	}
	return 0
}

// tokens approximates a tokenizer: about four bytes of English per token.
func tokens(s string) int { return (len(s) + 3) / 4 }

// usageFor counts like OpenAI does: each message costs its content plus a
// few tokens of framing, and every prompt has a fixed overhead.
func usageFor(req *openai.ChatRequest, output string) openai.Usage {
	in := 3
	for _, m := range req.Messages {
		in += 4 + tokens(openai.Text(m.Content))
	}
	for _, t := range req.Tools {
		in += 8 + tokens(t.Function.Name) + tokens(t.Function.Description) + tokens(string(t.Function.Parameters))
	}
	out := tokens(output)
	return openai.Usage{
		PromptTokens:            in,
		CompletionTokens:        out,
		TotalTokens:             in + out,
		PromptTokensDetails:     &openai.PromptTokensDetails{},
		CompletionTokensDetails: &openai.CompletionTokensDetails{},
	}
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return truncateRunes(s, n) + "..."
}

// truncateRunes cuts s to at most n bytes without splitting a character.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// splitRunes cuts s into at most n pieces of about equal size, never inside
// a character.
func splitRunes(s string, n int) []string {
	if n < 1 {
		n = 1
	}
	size := (len(s) + n - 1) / n
	if size == 0 {
		return []string{s}
	}
	pieces := make([]string, 0, n)
	for len(s) > 0 {
		cut := size
		if cut >= len(s) {
			pieces = append(pieces, s)
			break
		}
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		pieces = append(pieces, s[:cut])
		s = s[cut:]
	}
	return pieces
}
