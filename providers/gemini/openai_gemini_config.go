package gemini

import (
	"encoding/json"
	"fmt"
)

// The request's settings: tools and tool_choice, and the generation config
// (sampling, limits, structured output, thinking).

// translateTools sets out's tools and toolConfig from the request's tools
// and tool_choice.
func translateTools(req *chatRequest, out *generateRequest) *requestError {
	if len(req.Tools) == 0 {
		return nil // tool_choice alone means nothing, as for OpenAI
	}
	decls := make([]functionDeclaration, 0, len(req.Tools))
	for i := range req.Tools {
		t := &req.Tools[i]
		param := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return badRequest(param+".type", "Only function tools translate to Gemini, not %q.", t.Type)
		}
		if t.Function.Name == "" {
			return badRequest(param+".function.name", "The tool has no name.")
		}
		params, err := geminiSchema(t.Function.Parameters)
		if err != nil {
			return badRequest(param+".function.parameters", "%s.", err)
		}
		if _, has := params["properties"]; !has {
			// No parameters: Gemini refuses an OBJECT with no properties.
			params = nil
		}
		decls = append(decls, functionDeclaration{Name: t.Function.Name, Description: t.Function.Description, Parameters: params})
	}
	cfg, allowed, err := translateToolChoice(req.ToolChoice)
	if err != nil {
		return err
	}
	if allowed != nil && cfg.Mode == "AUTO" {
		// Gemini restricts names only in ANY mode: in AUTO mode, declare
		// just the allowed tools.
		kept := decls[:0]
		for _, d := range decls {
			if contains(allowed, d.Name) {
				kept = append(kept, d)
			}
		}
		decls = kept
	}
	out.Tools = []tool{{FunctionDeclarations: decls}}
	if cfg.Mode != "" {
		out.ToolConfig = &toolConfig{FunctionCallingConfig: cfg}
	}
	return nil
}

// translateToolChoice maps tool_choice: "auto" to AUTO, "none" to NONE,
// "required" to ANY, a named function to ANY restricted to it, and
// allowed_tools to ANY restricted to them (mode "required") or AUTO over
// them (mode "auto"; allowed then lists the names to keep).
func translateToolChoice(raw json.RawMessage) (cfg functionCallingConfig, allowed []string, e *requestError) {
	if isNull(raw) {
		return cfg, nil, nil
	}
	if raw[0] == '"' {
		var s string
		_ = json.Unmarshal(raw, &s)
		switch s {
		case "auto":
			cfg.Mode = "AUTO"
		case "none":
			cfg.Mode = "NONE"
		case "required":
			cfg.Mode = "ANY"
		default:
			return cfg, nil, badRequest("tool_choice", "tool_choice %q is not one of auto, none, required.", s)
		}
		return cfg, nil, nil
	}
	var v struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
		AllowedTools struct {
			Mode  string `json:"mode"`
			Tools []struct {
				Type     string `json:"type"`
				Function struct {
					Name string `json:"name"`
				} `json:"function"`
			} `json:"tools"`
		} `json:"allowed_tools"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return cfg, nil, badRequest("tool_choice", "tool_choice is neither a string nor a tool choice object.")
	}
	switch v.Type {
	case "function":
		if v.Function.Name == "" {
			return cfg, nil, badRequest("tool_choice.function.name", "tool_choice names no function.")
		}
		return functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{v.Function.Name}}, nil, nil
	case "allowed_tools":
		names := make([]string, 0, len(v.AllowedTools.Tools))
		for _, t := range v.AllowedTools.Tools {
			if t.Function.Name != "" {
				names = append(names, t.Function.Name)
			}
		}
		switch v.AllowedTools.Mode {
		case "required":
			return functionCallingConfig{Mode: "ANY", AllowedFunctionNames: names}, nil, nil
		case "auto", "":
			return functionCallingConfig{Mode: "AUTO"}, names, nil
		}
		return cfg, nil, badRequest("tool_choice.allowed_tools.mode", "allowed_tools mode %q is not auto or required.", v.AllowedTools.Mode)
	}
	return cfg, nil, badRequest("tool_choice.type", "tool_choice type %q is not translated for Gemini.", v.Type)
}

// translateGeneration builds the generation config (nil when the request
// sets nothing).
func translateGeneration(req *chatRequest, model string) (*generationConfig, *requestError) {
	gc := generationConfig{
		Temperature: req.Temperature, TopP: req.TopP, Seed: req.Seed,
		PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty,
		MaxOutputTokens: req.MaxTokens,
	}
	if req.MaxCompletionTokens != nil {
		gc.MaxOutputTokens = req.MaxCompletionTokens
	}
	if req.N != nil && *req.N != 1 {
		if *req.N < 1 {
			return nil, badRequest("n", "n must be at least 1.")
		}
		gc.CandidateCount = req.N
	}
	if !isNull(req.Stop) {
		if req.Stop[0] == '"' {
			var s string
			_ = json.Unmarshal(req.Stop, &s)
			if s != "" {
				gc.StopSequences = []string{s}
			}
		} else if err := json.Unmarshal(req.Stop, &gc.StopSequences); err != nil {
			return nil, badRequest("stop", "stop must be a string or a list of strings.")
		}
	}
	if e := translateResponseFormat(req.ResponseFormat, &gc); e != nil {
		return nil, e
	}
	if req.ReasoningEffort != nil {
		tc, e := thinking(*req.ReasoningEffort, model)
		if e != nil {
			return nil, e
		}
		gc.ThinkingConfig = tc
	}
	if gc.isEmpty() {
		return nil, nil
	}
	return &gc, nil
}

// translateResponseFormat maps json_object to JSON output and json_schema
// to JSON output with Gemini's responseSchema.
func translateResponseFormat(raw json.RawMessage, gc *generationConfig) *requestError {
	if isNull(raw) {
		return nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return badRequest("response_format", "response_format must be an object with a type.")
	}
	switch rf.Type {
	case "text", "":
	case "json_object":
		gc.ResponseMimeType = "application/json"
	case "json_schema":
		gc.ResponseMimeType = "application/json"
		schema, err := geminiSchema(rf.JSONSchema.Schema)
		if err != nil {
			return badRequest("response_format.json_schema.schema", "%s.", err)
		}
		gc.ResponseSchema = schema
	default:
		return badRequest("response_format.type", "response_format type %q is not translated for Gemini.", rf.Type)
	}
	return nil
}

// thinking maps reasoning_effort. Gemini 2.x takes a token budget (the
// budgets Google's own OpenAI-compatible endpoint uses: low 1024, medium
// 8192, high 24576; none 0 turns thinking off where the model allows it);
// later models take a level, and cannot switch thinking off, so "none"
// becomes the lowest level.
func thinking(effort, model string) (*thinkingConfig, *requestError) {
	if preGemini3(model) {
		budget := 0
		switch effort {
		case "none":
			budget = 0
		case "minimal":
			budget = 512
		case "low":
			budget = 1024
		case "medium":
			budget = 8192
		case "high", "xhigh":
			budget = 24576
		default:
			return nil, badRequest("reasoning_effort", "reasoning_effort %q is not one of none, minimal, low, medium, high.", effort)
		}
		return &thinkingConfig{ThinkingBudget: &budget}, nil
	}
	level := ""
	switch effort {
	case "none", "minimal":
		level = "minimal"
	case "low", "medium", "high":
		level = effort
	case "xhigh":
		level = "high"
	default:
		return nil, badRequest("reasoning_effort", "reasoning_effort %q is not one of none, minimal, low, medium, high.", effort)
	}
	return &thinkingConfig{ThinkingLevel: level}, nil
}

func (gc *generationConfig) isEmpty() bool {
	return gc.StopSequences == nil && gc.ResponseMimeType == "" && gc.ResponseSchema == nil && gc.CandidateCount == nil &&
		gc.MaxOutputTokens == nil && gc.Temperature == nil && gc.TopP == nil && gc.Seed == nil &&
		gc.PresencePenalty == nil && gc.FrequencyPenalty == nil && gc.ThinkingConfig == nil
}
