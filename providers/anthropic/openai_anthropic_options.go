package anthropic

import (
	"encoding/json"
	"fmt"
)

// translateTools maps function tools and tool_choice. Without tools,
// tool_choice is dropped: it has nothing to choose from.
func translateTools(in *chatRequest, out *messagesRequest) *requestError {
	for i, t := range in.Tools {
		at := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return invalid(at+".type", "%s is a %q tool; only function tools can be sent to Anthropic.", at, t.Type)
		}
		if t.Function.Name == "" {
			return invalid(at+".function.name", "%s has no function name.", at)
		}
		schema := t.Function.Parameters
		if !isSet(schema) {
			schema = emptySchema
		}
		out.Tools = append(out.Tools, tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema, Strict: t.Function.Strict})
	}
	if len(out.Tools) == 0 {
		return nil
	}
	choice := &toolChoice{Type: "auto"}
	if isSet(in.ToolChoice) {
		var s string
		if in.ToolChoice[0] == '"' {
			_ = json.Unmarshal(in.ToolChoice, &s)
			switch s {
			case "auto":
			case "none":
				choice.Type = "none"
			case "required":
				choice.Type = "any"
			default:
				return invalid("tool_choice", "tool_choice %q is not one of auto, none, required.", s)
			}
		} else {
			var named struct {
				Type     string `json:"type"`
				Function struct {
					Name string `json:"name"`
				} `json:"function"`
			}
			if err := json.Unmarshal(in.ToolChoice, &named); err != nil || named.Type != "function" || named.Function.Name == "" {
				return invalid("tool_choice", "tool_choice must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":...}}.")
			}
			choice.Type, choice.Name = "tool", named.Function.Name
		}
	}
	if in.ParallelToolCalls != nil && !*in.ParallelToolCalls && choice.Type != "none" {
		choice.DisableParallelToolUse = true
	}
	if isSet(in.ToolChoice) || choice.DisableParallelToolUse {
		out.ToolChoice = choice
	}
	return nil
}

// translateStop maps stop (a string or a list) to stop_sequences.
func translateStop(raw json.RawMessage, out *messagesRequest) *requestError {
	if !isSet(raw) {
		return nil
	}
	var list []string
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return invalid("stop", "stop must be a string or a list of strings.")
		}
		list = []string{s}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return invalid("stop", "stop must be a string or a list of strings.")
	}
	for _, s := range list {
		if s != "" {
			out.StopSequences = append(out.StopSequences, s)
		}
	}
	return nil
}

// translateResponseFormat maps a json_schema response format to
// output_config.format (Anthropic's structured outputs). json_object has no
// counterpart and is dropped: OpenAI requires such prompts to ask for JSON
// anyway.
func translateResponseFormat(raw json.RawMessage, out *messagesRequest) *requestError {
	if !isSet(raw) {
		return nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return invalid("response_format", "response_format must be an object with a type.")
	}
	switch rf.Type {
	case "text", "json_object":
		return nil
	case "json_schema":
		if !isSet(rf.JSONSchema.Schema) {
			return invalid("response_format.json_schema.schema", "response_format.json_schema has no schema.")
		}
		out.outputConfig().Format = &outputFormat{Type: "json_schema", Schema: rf.JSONSchema.Schema}
		return nil
	}
	return invalid("response_format.type", "response_format type %q is not one of text, json_object, json_schema.", rf.Type)
}

func (out *messagesRequest) outputConfig() *outputConfig {
	if out.OutputConfig == nil {
		out.OutputConfig = &outputConfig{}
	}
	return out.OutputConfig
}

// translateSampling maps temperature and top_p by Anthropic's rules:
// temperature ranges 0 to 1 (OpenAI's up to 2 is capped at 1); current
// models reject temperature and top_p together, so top_p goes only without
// temperature; with thinking on, temperature may not be set and top_p only
// from 0.95 to 1; and API versions after 2023-06-01 reject both fields.
func translateSampling(in *chatRequest, out *messagesRequest, thinking bool, version string) {
	if version != APIVersion {
		return
	}
	if in.Temperature != nil && !thinking {
		t := min(max(*in.Temperature, 0), 1)
		out.Temperature = &t
		return
	}
	if in.TopP != nil && (!thinking || *in.TopP >= 0.95 && *in.TopP <= 1) {
		p := *in.TopP
		out.TopP = &p
	}
}
