package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// chatRequest is the part of an OpenAI chat completions request the
// translation reads. Other fields are dropped (see the package
// documentation).
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
	ResponseFormat      json.RawMessage `json:"response_format"`
	ReasoningEffort     string          `json:"reasoning_effort"`
	Functions           json.RawMessage `json:"functions"`
}

type chatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCalls  []chatToolCall  `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
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
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

// requestError is a request the translation refuses: a 400 naming the
// field.
type requestError struct {
	param, message string
}

func refuse(param, format string, args ...any) *requestError {
	return &requestError{param: param, message: fmt.Sprintf(format, args...)}
}

// emptyObjectSchema is the input schema of a tool declared without
// parameters: Bedrock requires one.
var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// translateRequest turns an OpenAI chat completions body into the Converse
// request for model.
func translateRequest(body []byte, model string) ([]byte, *requestError) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, refuse("", "The request could not be read as a chat completion request: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if req.N != nil && *req.N > 1 {
		return nil, refuse("n", "Amazon Bedrock returns one choice per call; set n to 1 or leave it out.")
	}
	if len(req.Functions) > 0 && string(req.Functions) != "null" {
		return nil, refuse("functions", "The deprecated \"functions\" field is not translated for Amazon Bedrock; declare them as \"tools\".")
	}
	var out converseRequest
	conv := conversation{}
	for i := range req.Messages {
		if e := conv.add(&out, i, &req.Messages[i]); e != nil {
			return nil, e
		}
	}
	if len(conv.messages) == 0 {
		return nil, refuse("messages", "Amazon Bedrock needs at least one user or assistant message besides the system prompt.")
	}
	out.Messages = conv.messages

	inf := inferenceConfig{MaxTokens: req.MaxCompletionTokens, Temperature: req.Temperature, TopP: req.TopP}
	if inf.MaxTokens == nil {
		inf.MaxTokens = req.MaxTokens
	}
	stops, e := stopSequences(req.Stop)
	if e != nil {
		return nil, e
	}
	inf.StopSequences = stops
	if e := translateTools(&out, &req, &conv); e != nil {
		return nil, e
	}
	if e := translateResponseFormat(&out, req.ResponseFormat); e != nil {
		return nil, e
	}
	out.AdditionalModelRequestFields = reasoningFields(model, req.ReasoningEffort, &inf, conv.endsWithToolResults())
	if inf.MaxTokens != nil || inf.Temperature != nil || inf.TopP != nil || len(inf.StopSequences) > 0 {
		out.InferenceConfig = &inf
	}

	var buf bytes.Buffer
	buf.Grow(len(body) + 256)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		// Only a raw JSON value the client sent (a schema) can fail here.
		return nil, refuse("", "The request holds JSON the gateway cannot re-encode: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// conversation collects the messages, merging consecutive ones of the same
// role (Bedrock wants user and assistant turns to alternate; OpenAI's tool
// results, each its own message, become the toolResult blocks of one user
// turn).
type conversation struct {
	messages []message
	// toolNames are the tools called in the history, for a request that
	// no longer declares them (see translateTools).
	toolNames  []string
	toolBlocks bool
}

func (c *conversation) append(role string, blocks ...contentBlock) {
	if len(blocks) == 0 {
		return
	}
	if n := len(c.messages); n > 0 && c.messages[n-1].Role == role {
		c.messages[n-1].Content = append(c.messages[n-1].Content, blocks...)
		return
	}
	c.messages = append(c.messages, message{Role: role, Content: blocks})
}

// endsWithToolResults reports whether the last turn answers tool calls.
func (c *conversation) endsWithToolResults() bool {
	if n := len(c.messages); n > 0 && c.messages[n-1].Role == "user" {
		for _, b := range c.messages[n-1].Content {
			if b.ToolResult != nil {
				return true
			}
		}
	}
	return false
}

// add translates message i.
func (c *conversation) add(out *converseRequest, i int, m *chatMessage) *requestError {
	field := fmt.Sprintf("messages[%d]", i)
	switch m.Role {
	case "system", "developer":
		texts, e := textParts(field, m.Content)
		if e != nil {
			return e
		}
		for _, t := range texts {
			out.System = append(out.System, textBlock{Text: t})
		}
	case "user":
		blocks, e := userContent(field, m.Content)
		if e != nil {
			return e
		}
		c.append("user", blocks...)
	case "assistant":
		texts, e := textParts(field, m.Content)
		if e != nil {
			return e
		}
		blocks := make([]contentBlock, 0, len(texts)+len(m.ToolCalls))
		for _, t := range texts {
			blocks = append(blocks, contentBlock{Text: t})
		}
		for j := range m.ToolCalls {
			tc := &m.ToolCalls[j]
			if tc.ID == "" || tc.Function.Name == "" {
				return refuse(fmt.Sprintf("%s.tool_calls[%d]", field, j), "A tool call needs an id and a function name.")
			}
			blocks = append(blocks, contentBlock{ToolUse: &toolUseBlock{ToolUseID: tc.ID, Name: tc.Function.Name, Input: toolInput(tc.Function.Arguments)}})
			c.toolNames = append(c.toolNames, tc.Function.Name)
			c.toolBlocks = true
		}
		c.append("assistant", blocks...)
	case "tool":
		if m.ToolCallID == "" {
			return refuse(field+".tool_call_id", "A tool message needs the tool_call_id of the call it answers.")
		}
		texts, e := textParts(field, m.Content)
		if e != nil {
			return e
		}
		result := &toolResultBlock{ToolUseID: m.ToolCallID, Content: make([]textBlock, 0, len(texts))}
		for _, t := range texts {
			result.Content = append(result.Content, textBlock{Text: t})
		}
		c.append("user", contentBlock{ToolResult: result})
		c.toolBlocks = true
	case "function":
		return refuse(field+".role", "The deprecated \"function\" role is not translated for Amazon Bedrock; use tool calls and \"tool\" messages.")
	default:
		return refuse(field+".role", "The role %q is not one of system, developer, user, assistant, tool.", m.Role)
	}
	return nil
}

// toolInput is a tool call's arguments as the toolUse input: a JSON object.
// Arguments that are empty or not a JSON object (a model can write broken
// JSON) become {}, so that the conversation can go on.
func toolInput(arguments string) json.RawMessage {
	a := strings.TrimSpace(arguments)
	if strings.HasPrefix(a, "{") && json.Valid([]byte(a)) {
		return json.RawMessage(a)
	}
	return json.RawMessage(`{}`)
}

// stopSequences reads "stop": a string or a list of strings.
func stopSequences(raw json.RawMessage) ([]string, *requestError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, refuse("stop", "\"stop\" must be a string or a list of strings.")
	}
	kept := many[:0]
	for _, s := range many {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return kept, nil
}

// translateTools writes toolConfig from tools and tool_choice.
func translateTools(out *converseRequest, req *chatRequest, conv *conversation) *requestError {
	choice, e := readToolChoice(req.ToolChoice)
	if e != nil {
		return e
	}
	var tools []tool
	for i := range req.Tools {
		t := &req.Tools[i]
		if t.Type != "function" {
			return refuse(fmt.Sprintf("tools[%d].type", i), "Only function tools are translated for Amazon Bedrock, not %q.", t.Type)
		}
		if t.Function.Name == "" {
			return refuse(fmt.Sprintf("tools[%d].function.name", i), "A tool needs a function name.")
		}
		schema := t.Function.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			schema = emptyObjectSchema
		}
		tools = append(tools, tool{ToolSpec: toolSpec{
			Name: t.Function.Name, Description: t.Function.Description, InputSchema: inputSchema{JSON: schema}, Strict: t.Function.Strict,
		}})
	}
	if choice.none {
		if !conv.toolBlocks {
			return nil // no tools offered: the model cannot call one
		}
		// Bedrock refuses toolUse and toolResult blocks without a
		// toolConfig, and has no "none" choice: the tools stay, without a
		// choice (the model decides).
		choice.value = nil
	}
	if len(tools) == 0 && conv.toolBlocks {
		// The history has tool calls but the request declares no tools:
		// declare the called ones, with any input, so Bedrock accepts it.
		seen := map[string]bool{}
		for _, name := range conv.toolNames {
			if !seen[name] {
				seen[name] = true
				tools = append(tools, tool{ToolSpec: toolSpec{Name: name, InputSchema: inputSchema{JSON: json.RawMessage(`{"type":"object"}`)}}})
			}
		}
		if len(tools) == 0 {
			return refuse("messages", "The messages hold tool results but no tool calls or tools; declare the tools in \"tools\".")
		}
		choice.value = nil
	}
	if len(tools) == 0 {
		return nil // a tool_choice without tools means nothing
	}
	out.ToolConfig = &toolConfig{Tools: tools, ToolChoice: choice.value}
	return nil
}

type chosenTool struct {
	value *toolChoice
	none  bool
}

// readToolChoice reads tool_choice: "auto", "required", "none", or
// {"type":"function","function":{"name":...}}.
func readToolChoice(raw json.RawMessage) (chosenTool, *requestError) {
	if len(raw) == 0 || string(raw) == "null" {
		return chosenTool{}, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "auto":
			return chosenTool{value: &toolChoice{Auto: &struct{}{}}}, nil
		case "required":
			return chosenTool{value: &toolChoice{Any: &struct{}{}}}, nil
		case "none":
			return chosenTool{none: true}, nil
		}
		return chosenTool{}, refuse("tool_choice", "tool_choice %q is not one of auto, required, none.", s)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Type != "function" || named.Function.Name == "" {
		return chosenTool{}, refuse("tool_choice", "tool_choice must be \"auto\", \"required\", \"none\" or {\"type\":\"function\",\"function\":{\"name\":...}} for Amazon Bedrock.")
	}
	return chosenTool{value: &toolChoice{Tool: &namedTool{Name: named.Function.Name}}}, nil
}

// translateResponseFormat maps response_format json_schema to Bedrock's
// structured output (outputConfig.textFormat). "text" and "json_object"
// have no counterpart and are dropped: json_object only promises JSON, and
// OpenAI requires the prompt to ask for it anyway.
func translateResponseFormat(out *converseRequest, raw json.RawMessage) *requestError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return refuse("response_format", "response_format must be an object with a type.")
	}
	switch rf.Type {
	case "text", "json_object":
		return nil
	case "json_schema":
	default:
		return refuse("response_format.type", "response_format type %q is not one of text, json_object, json_schema.", rf.Type)
	}
	if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 || string(rf.JSONSchema.Schema) == "null" {
		return refuse("response_format.json_schema.schema", "A json_schema response format needs a schema.")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, rf.JSONSchema.Schema); err != nil {
		return refuse("response_format.json_schema.schema", "The schema is not valid JSON.")
	}
	out.OutputConfig = &outputConfig{TextFormat: textFormat{Type: "json_schema", Structure: formatStructure{JSONSchema: jsonSchemaDefinition{
		Schema: compact.String(), Name: rf.JSONSchema.Name, Description: rf.JSONSchema.Description,
	}}}}
	return nil
}
