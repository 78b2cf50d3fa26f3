package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DefaultMaxTokens is the max_tokens sent when the OpenAI request has
// neither max_tokens nor max_completion_tokens: Anthropic requires one, and
// OpenAI's default (as much as the model can) has no value to copy.
const DefaultMaxTokens = 4096

// chatRequest is the part of an OpenAI chat completions request this
// provider reads; other fields are dropped.
type chatRequest struct {
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	N                   *int            `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	Tools               []chatTool      `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	ResponseFormat      json.RawMessage `json:"response_format"`
	User                string          `json:"user"`
	ReasoningEffort     string          `json:"reasoning_effort"`
	// Fields with no counterpart that change what the client gets back:
	// refused rather than dropped.
	Functions        json.RawMessage `json:"functions"`
	FunctionCall     json.RawMessage `json:"function_call"`
	Modalities       []string        `json:"modalities"`
	WebSearchOptions json.RawMessage `json:"web_search_options"`
}

type chatMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	ToolCalls    []chatToolCall  `json:"tool_calls"`
	ToolCallID   string          `json:"tool_call_id"`
	Refusal      string          `json:"refusal"`
	FunctionCall json.RawMessage `json:"function_call"`
}

type chatPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Refusal  string          `json:"refusal"`
	ImageURL json.RawMessage `json:"image_url"` // {"url": ...}, or a bare URL string
	File     *struct {
		FileData string `json:"file_data"`
		FileID   string `json:"file_id"`
	} `json:"file"`
}

type chatToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      bool            `json:"strict"`
	} `json:"function"`
}

// messagesRequest is a POST /v1/messages body.
type messagesRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	System        string          `json:"system,omitempty"`
	Messages      []message       `json:"messages"`
	Tools         []tool          `json:"tools,omitempty"`
	ToolChoice    *toolChoice     `json:"tool_choice,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	Metadata      *metadata       `json:"metadata,omitempty"`
	Thinking      *thinkingConfig `json:"thinking,omitempty"`
	OutputConfig  *outputConfig   `json:"output_config,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is one content block; each type uses its own fields.
type block struct {
	Type   string  `json:"type"`
	Text   string  `json:"text,omitempty"`
	Source *source `json:"source,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   string `json:"content,omitempty"`
}

type source struct {
	Type      string `json:"type"` // base64 | url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
	Strict      bool            `json:"strict,omitempty"`
}

type toolChoice struct {
	Type                   string `json:"type"` // auto | any | tool | none
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id"`
}

type outputConfig struct {
	Effort string        `json:"effort,omitempty"` // adaptive thinking's effort
	Format *outputFormat `json:"format,omitempty"`
}

type outputFormat struct {
	Type   string          `json:"type"` // json_schema
	Schema json.RawMessage `json:"schema"`
}

// requestError is an OpenAI request this provider cannot send: a 400 that
// names the field.
type requestError struct {
	param string
	msg   string
}

func invalid(param, format string, args ...any) *requestError {
	return &requestError{param: param, msg: fmt.Sprintf(format, args...)}
}

// emptySchema is the input_schema of a tool declared without parameters:
// Anthropic requires one.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// translateRequest turns an OpenAI chat completions body into a Messages
// body for model. version is the anthropic-version the call carries.
func translateRequest(body []byte, model string, stream bool, version string) ([]byte, *requestError) {
	var in chatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, invalid("", "the body is not a valid chat completions request: %v", err)
	}
	if e := refuseUnsupported(&in); e != nil {
		return nil, e
	}
	out := messagesRequest{Model: model, Stream: stream}
	if e := translateMessages(&in, &out); e != nil {
		return nil, e
	}
	if e := translateTools(&in, &out); e != nil {
		return nil, e
	}
	if e := translateStop(in.Stop, &out); e != nil {
		return nil, e
	}
	if e := translateResponseFormat(in.ResponseFormat, &out); e != nil {
		return nil, e
	}
	if in.User != "" {
		out.Metadata = &metadata{UserID: in.User}
	}
	maxTokens := -1 // none given
	switch {
	case in.MaxCompletionTokens != nil:
		maxTokens = *in.MaxCompletionTokens
	case in.MaxTokens != nil:
		maxTokens = *in.MaxTokens
	}
	thinking, e := planThinking(in.ReasoningEffort, model, maxTokens, &out)
	if e != nil {
		return nil, e
	}
	out.MaxTokens = maxTokens
	if maxTokens < 0 {
		out.MaxTokens = DefaultMaxTokens + thinking.room
	}
	thinking.apply(&out)
	translateSampling(&in, &out, thinking.on(), version)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // texts go as written: "<" stays "<"
	if err := enc.Encode(&out); err != nil {
		return nil, invalid("", "the request cannot be encoded: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// refuseUnsupported rejects fields whose loss would change the answer the
// client expects.
func refuseUnsupported(in *chatRequest) *requestError {
	switch {
	case in.N != nil && *in.N > 1:
		return invalid("n", "n is %d, and Anthropic answers with one choice only; leave n out or set it to 1.", *in.N)
	case isSet(in.Functions) || isSet(in.FunctionCall):
		return invalid("functions", "the legacy functions and function_call fields are not supported; declare tools instead.")
	case isSet(in.WebSearchOptions):
		return invalid("web_search_options", "web_search_options has no counterpart in this translation; leave it out.")
	}
	for _, m := range in.Modalities {
		if m != "text" {
			return invalid("modalities", "modalities %q is not supported: Anthropic answers with text only.", m)
		}
	}
	return nil
}

// isSet reports whether a raw field is present and not null.
func isSet(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// translateMessages maps the conversation: system and developer messages
// become the system prompt, the rest alternate between user and assistant
// (consecutive messages of one role are merged; tool results are user
// messages).
func translateMessages(in *chatRequest, out *messagesRequest) *requestError {
	var system []string
	for i := range in.Messages {
		m := &in.Messages[i]
		at := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer":
			text, e := textOf(at, m.Content)
			if e != nil {
				return e
			}
			if text != "" {
				system = append(system, text)
			}
		case "user":
			blocks, e := userBlocks(at, m.Content)
			if e != nil {
				return e
			}
			out.appendTurn("user", blocks)
		case "assistant":
			blocks, e := assistantBlocks(at, m)
			if e != nil {
				return e
			}
			out.appendTurn("assistant", blocks)
		case "tool":
			if m.ToolCallID == "" {
				return invalid(at+".tool_call_id", "%s is a tool message without tool_call_id.", at)
			}
			text, e := textOf(at, m.Content)
			if e != nil {
				return e
			}
			out.appendTurn("user", []block{{Type: "tool_result", ToolUseID: toolID(m.ToolCallID), Content: text}})
		case "function":
			return invalid(at+".role", "%s has the legacy role \"function\"; send tool calls and \"tool\" messages instead.", at)
		default:
			return invalid(at+".role", "%s has the unknown role %q.", at, m.Role)
		}
	}
	if len(out.Messages) == 0 {
		return invalid("messages", "the request has no user or assistant message with content, and Anthropic needs at least one.")
	}
	out.System = strings.Join(system, "\n\n")
	for i := range out.Messages {
		if out.Messages[i].Role == "user" {
			toolResultsFirst(out.Messages[i].Content)
		}
	}
	return nil
}

// appendTurn adds blocks to the conversation, merged into the last message
// when it has the same role: Anthropic's turns alternate. A message with
// no content is left out, as Anthropic rejects empty content.
func (out *messagesRequest) appendTurn(role string, blocks []block) {
	if len(blocks) == 0 {
		return
	}
	if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
		out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
		return
	}
	out.Messages = append(out.Messages, message{Role: role, Content: blocks})
}

// toolResultsFirst moves a user message's tool_result blocks before its
// other blocks, keeping their order: Anthropic wants the results of the
// previous turn's tool calls first.
func toolResultsFirst(blocks []block) {
	n := 0
	for i := range blocks {
		if blocks[i].Type == "tool_result" {
			if i != n {
				b := blocks[i]
				copy(blocks[n+1:i+1], blocks[n:i])
				blocks[n] = b
			}
			n++
		}
	}
}
