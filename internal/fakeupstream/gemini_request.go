package fakeupstream

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The Gemini fake decodes requests against its own copy of the documented
// GenerateContentRequest (v1beta), refusing unknown fields as Google's
// servers do ("Invalid JSON payload received. Unknown name ..."), so a test
// through the fake proves the translated request is one Gemini accepts.

type geminiRequest struct {
	Contents          []geminiContent   `json:"contents"`
	SystemInstruction *geminiContent    `json:"systemInstruction"`
	Tools             []geminiTool      `json:"tools"`
	ToolConfig        *json.RawMessage  `json:"toolConfig"`
	GenerationConfig  *geminiGenConfig  `json:"generationConfig"`
	SafetySettings    []json.RawMessage `json:"safetySettings"`
	CachedContent     string            `json:"cachedContent"`
}

type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

type geminiPart struct {
	Text       *string `json:"text"`
	InlineData *struct {
		MimeType string `json:"mimeType"`
		Data     string `json:"data"`
	} `json:"inlineData"`
	FileData *struct {
		MimeType string `json:"mimeType"`
		FileURI  string `json:"fileUri"`
	} `json:"fileData"`
	FunctionCall *struct {
		ID   string         `json:"id"`
		Name string         `json:"name"`
		Args map[string]any `json:"args"`
	} `json:"functionCall"`
	FunctionResponse *struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
	} `json:"functionResponse"`
	Thought          bool   `json:"thought"`
	ThoughtSignature string `json:"thoughtSignature"`
}

type geminiTool struct {
	FunctionDeclarations []geminiFunctionDecl `json:"functionDeclarations"`
	GoogleSearch         *json.RawMessage     `json:"googleSearch"`
	CodeExecution        *json.RawMessage     `json:"codeExecution"`
}

type geminiFunctionDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	Parameters           *geminiSchema   `json:"parameters"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
}

// geminiSchema is Gemini's Schema object, an OpenAPI 3.0 subset.
type geminiSchema struct {
	Type             string                   `json:"type"`
	Format           string                   `json:"format"`
	Title            string                   `json:"title"`
	Description      string                   `json:"description"`
	Nullable         bool                     `json:"nullable"`
	Enum             []string                 `json:"enum"`
	MaxItems         json.Number              `json:"maxItems"`
	MinItems         json.Number              `json:"minItems"`
	Properties       map[string]*geminiSchema `json:"properties"`
	Required         []string                 `json:"required"`
	MinProperties    json.Number              `json:"minProperties"`
	MaxProperties    json.Number              `json:"maxProperties"`
	MinLength        json.Number              `json:"minLength"`
	MaxLength        json.Number              `json:"maxLength"`
	Pattern          string                   `json:"pattern"`
	Example          any                      `json:"example"`
	AnyOf            []*geminiSchema          `json:"anyOf"`
	PropertyOrdering []string                 `json:"propertyOrdering"`
	Default          any                      `json:"default"`
	Items            *geminiSchema            `json:"items"`
	Minimum          *float64                 `json:"minimum"`
	Maximum          *float64                 `json:"maximum"`
}

type geminiGenConfig struct {
	StopSequences      []string         `json:"stopSequences"`
	ResponseMimeType   string           `json:"responseMimeType"`
	ResponseSchema     *geminiSchema    `json:"responseSchema"`
	ResponseJSONSchema json.RawMessage  `json:"responseJsonSchema"`
	CandidateCount     *int             `json:"candidateCount"`
	MaxOutputTokens    *int             `json:"maxOutputTokens"`
	Temperature        *float64         `json:"temperature"`
	TopP               *float64         `json:"topP"`
	TopK               *int             `json:"topK"`
	Seed               *int64           `json:"seed"`
	PresencePenalty    *float64         `json:"presencePenalty"`
	FrequencyPenalty   *float64         `json:"frequencyPenalty"`
	ResponseLogprobs   bool             `json:"responseLogprobs"`
	Logprobs           *int             `json:"logprobs"`
	ThinkingConfig     *json.RawMessage `json:"thinkingConfig"`
}

var schemaTypes = map[string]bool{"STRING": true, "NUMBER": true, "INTEGER": true, "BOOLEAN": true, "ARRAY": true, "OBJECT": true, "NULL": true}

// decodeGeminiRequest decodes and checks a request as Gemini would.
func decodeGeminiRequest(body []byte) (*geminiRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req geminiRequest
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("Invalid JSON payload received. %v", err)
	}
	if len(req.Contents) == 0 {
		return nil, errors.New("* GenerateContentRequest.contents: contents is not specified")
	}
	for i, c := range req.Contents {
		if c.Role != "user" && c.Role != "model" {
			return nil, fmt.Errorf("Please use a valid role: user, model. (contents[%d].role %q)", i, c.Role)
		}
		if err := checkParts(c.Parts, fmt.Sprintf("contents[%d]", i)); err != nil {
			return nil, err
		}
	}
	if si := req.SystemInstruction; si != nil {
		if err := checkParts(si.Parts, "system_instruction"); err != nil {
			return nil, err
		}
	}
	for i, t := range req.Tools {
		for j, d := range t.FunctionDeclarations {
			where := fmt.Sprintf("tools[%d].function_declarations[%d]", i, j)
			if d.Name == "" {
				return nil, fmt.Errorf("* GenerateContentRequest.%s.name: Name cannot be empty.", where)
			}
			if d.Parameters != nil && d.ParametersJSONSchema != nil {
				return nil, fmt.Errorf("* GenerateContentRequest.%s: parameters and parameters_json_schema are exclusive", where)
			}
			if err := checkSchema(d.Parameters, where+".parameters", true); err != nil {
				return nil, err
			}
		}
	}
	if gc := req.GenerationConfig; gc != nil {
		if err := checkSchema(gc.ResponseSchema, "generation_config.response_schema", false); err != nil {
			return nil, err
		}
		if gc.ThinkingConfig != nil {
			var tc struct {
				ThinkingBudget  *int    `json:"thinkingBudget"`
				ThinkingLevel   *string `json:"thinkingLevel"`
				IncludeThoughts bool    `json:"includeThoughts"`
			}
			dec := json.NewDecoder(bytes.NewReader(*gc.ThinkingConfig))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&tc); err != nil {
				return nil, fmt.Errorf("Invalid JSON payload received. %v", err)
			}
			if tc.ThinkingBudget != nil && tc.ThinkingLevel != nil {
				return nil, errors.New("You can only set only one of thinking budget and thinking level.")
			}
		}
	}
	return &req, nil
}

func checkParts(parts []geminiPart, where string) error {
	if len(parts) == 0 {
		return fmt.Errorf("* GenerateContentRequest.%s.parts: contents.parts must not be empty.", where)
	}
	for j, p := range parts {
		n := 0
		if p.Text != nil {
			n++
		}
		if p.InlineData != nil {
			n++
			if _, err := base64.StdEncoding.DecodeString(p.InlineData.Data); err != nil {
				return fmt.Errorf("Invalid value at '%s.parts[%d].inline_data.data' (TYPE_BYTES), Base64 decoding failed", where, j)
			}
		}
		if p.FileData != nil {
			n++
		}
		if p.FunctionCall != nil {
			n++
		}
		if p.FunctionResponse != nil {
			n++
			if p.FunctionResponse.Name == "" || !bytes.HasPrefix(bytes.TrimSpace(p.FunctionResponse.Response), []byte("{")) {
				return fmt.Errorf("* GenerateContentRequest.%s.parts[%d].function_response: name and an object response are required", where, j)
			}
		}
		if n != 1 {
			return fmt.Errorf("* GenerateContentRequest.%s.parts[%d].data: required oneof field 'data' must have one initialized field", where, j)
		}
		if p.Text != nil && *p.Text == "" {
			return fmt.Errorf("* GenerateContentRequest.%s.parts[%d]: Unable to submit request because it has an empty text parameter.", where, j)
		}
	}
	return nil
}

func checkSchema(s *geminiSchema, where string, topLevel bool) error {
	if s == nil {
		return nil
	}
	if s.Type != "" && !schemaTypes[strings.ToUpper(s.Type)] {
		return fmt.Errorf("Invalid value at '%s.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), %q", where, s.Type)
	}
	if strings.EqualFold(s.Type, "OBJECT") && topLevel && len(s.Properties) == 0 {
		return fmt.Errorf("* GenerateContentRequest.%s.properties: should be non-empty for OBJECT type", where)
	}
	for name, p := range s.Properties {
		if err := checkSchema(p, where+".properties["+name+"]", false); err != nil {
			return err
		}
	}
	for _, name := range s.Required {
		if _, ok := s.Properties[name]; !ok {
			return fmt.Errorf("* GenerateContentRequest.%s.required[%s]: property is not defined", where, name)
		}
	}
	for i, a := range s.AnyOf {
		if err := checkSchema(a, fmt.Sprintf("%s.any_of[%d]", where, i), false); err != nil {
			return err
		}
	}
	return checkSchema(s.Items, where+".items", false)
}
