package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// anthropicMessage is the part of a Messages answer this provider reads.
type anthropicMessage struct {
	ID         string           `json:"id"`
	Type       string           `json:"type"`
	Model      string           `json:"model"`
	Content    []anthropicBlock `json:"content"`
	StopReason string           `json:"stop_reason"`
	Usage      anthropicUsage   `json:"usage"`
}

type anthropicBlock struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Thinking string          `json:"thinking"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Input    json.RawMessage `json:"input"`
}

type anthropicUsage struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

// completion is an OpenAI chat.completion.
type completion struct {
	ID      string      `json:"id"`
	Object  string      `json:"object"`
	Created int64       `json:"created"`
	Model   string      `json:"model"`
	Choices [1]choice   `json:"choices"`
	Usage   openAIUsage `json:"usage"`
}

type choice struct {
	Index        int             `json:"index"`
	Message      answerMessage   `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

type answerMessage struct {
	Role    string  `json:"role"`
	Content *string `json:"content"`
	// ReasoningContent carries the thinking text, as DeepSeek, vLLM and
	// others name it; OpenAI's own answers have no such field.
	ReasoningContent string           `json:"reasoning_content,omitempty"`
	ToolCalls        []answerToolCall `json:"tool_calls,omitempty"`
	Refusal          *string          `json:"refusal"`
}

type answerToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type openAIUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens     int `json:"cached_tokens"`
		CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	} `json:"prompt_tokens_details"`
}

var null = json.RawMessage("null")

// translateMessage turns a Messages answer into a chat.completion created
// at the given Unix time (Anthropic's answers carry none).
func translateMessage(raw []byte, created int64) ([]byte, error) {
	var m anthropicMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m.Type != "message" {
		return nil, fmt.Errorf("its type is %q, not \"message\"", m.Type)
	}
	out := completion{ID: m.ID, Object: "chat.completion", Created: created, Model: m.Model}
	c := &out.Choices[0]
	c.Message.Role, c.Logprobs = "assistant", null
	var text, thinking strings.Builder
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "thinking":
			thinking.WriteString(b.Thinking)
		case "tool_use":
			tc := answerToolCall{ID: b.ID, Type: "function"}
			tc.Function.Name = b.Name
			tc.Function.Arguments = compactArguments(b.Input)
			c.Message.ToolCalls = append(c.Message.ToolCalls, tc)
		}
		// redacted_thinking, and server tool blocks (which this provider
		// never asks for), have nothing an OpenAI client could use.
	}
	if text.Len() > 0 || len(c.Message.ToolCalls) == 0 {
		s := text.String()
		c.Message.Content = &s
	}
	c.Message.ReasoningContent = thinking.String()
	c.FinishReason = finishReason(m.StopReason)
	out.Usage = m.Usage.openAI()

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// compactArguments is a tool_use input as an OpenAI arguments string.
func compactArguments(input json.RawMessage) string {
	if len(input) == 0 {
		return "{}"
	}
	var buf bytes.Buffer
	if json.Compact(&buf, input) != nil {
		return string(input)
	}
	return buf.String()
}

// finishReason maps a stop_reason to OpenAI's finish_reason.
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	default: // end_turn, stop_sequence, pause_turn
		return "stop"
	}
}

// openAI is the usage in OpenAI's terms: Anthropic's input_tokens leave out
// the tokens read from and written to the prompt cache, OpenAI's
// prompt_tokens hold them all, with the cache reads as cached_tokens and
// the writes as cache_write_tokens (left out when there are none).
func (u anthropicUsage) openAI() openAIUsage {
	var o openAIUsage
	o.PromptTokens = u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
	o.CompletionTokens = u.OutputTokens
	o.TotalTokens = o.PromptTokens + o.CompletionTokens
	o.PromptTokensDetails.CachedTokens = u.CacheReadInputTokens
	o.PromptTokensDetails.CacheWriteTokens = u.CacheCreationInputTokens
	return o
}

// errorKinds maps Anthropic's error types to OpenAI's error type and code.
var errorKinds = map[string]struct{ typ, code string }{
	"invalid_request_error": {"invalid_request_error", "invalid_request"},
	"authentication_error":  {"authentication_error", "invalid_api_key"},
	"permission_error":      {"permission_error", "permission_denied"},
	"not_found_error":       {"not_found_error", "not_found"},
	"request_too_large":     {"invalid_request_error", "request_too_large"},
	"rate_limit_error":      {"rate_limit_error", "rate_limit_exceeded"},
	"billing_error":         {"insufficient_quota", "insufficient_quota"},
	"api_error":             {"server_error", "upstream_error"},
	"overloaded_error":      {"server_error", "overloaded"},
	"timeout_error":         {"server_error", "upstream_timeout"},
}

// statusOverloaded is Anthropic's own status for an overloaded API.
const statusOverloaded = 529

// translateError turns an Anthropic error answer into the status and body
// an OpenAI upstream would have sent. The status is kept, except 529
// (Anthropic's "overloaded", which HTTP does not define) which becomes 503.
// The message is Anthropic's; a body not in Anthropic's error shape is
// quoted, shortened.
func translateError(status int, raw []byte, provider string) (int, []byte) {
	var e struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	var typ, code, msg string
	if json.Unmarshal(raw, &e) == nil && e.Type == "error" && e.Error.Message != "" {
		msg = e.Error.Message
		if k, ok := errorKinds[e.Error.Type]; ok {
			typ, code = k.typ, k.code
		}
	} else {
		text := strings.TrimSpace(string(raw))
		if len(text) > 512 {
			text = text[:512] + "..."
		}
		msg = fmt.Sprintf("The upstream provider %s answered %d %s: %s", provider, status, http.StatusText(status), text)
	}
	if status == statusOverloaded {
		status = http.StatusServiceUnavailable
		if typ == "" {
			typ, code = "server_error", "overloaded"
		}
	}
	if typ == "" {
		typ, code = "server_error", "upstream_error"
		if status < 500 {
			typ, code = "invalid_request_error", "invalid_request"
		}
	}
	return status, appendOpenAIError(nil, typ, code, "", msg)
}

// appendOpenAIError appends {"error":{"message","type","param","code"}}.
func appendOpenAIError(b []byte, typ, code, param, msg string) []byte {
	var p *string
	if param != "" {
		p = &param
	}
	body := struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
			Code    string  `json:"code"`
		} `json:"error"`
	}{}
	body.Error.Message, body.Error.Type, body.Error.Param, body.Error.Code = msg, typ, p, code
	out, _ := json.Marshal(body) // plain strings: cannot fail
	return append(b, out...)
}
