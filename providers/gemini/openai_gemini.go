package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The request half: an OpenAI chat completions request becomes a Gemini
// GenerateContentRequest. doc.go lists what maps to what.

// requestError is a request this provider cannot serve: the gateway answers
// it with 400 naming Param.
type requestError struct {
	Param   string
	Message string
}

func badRequest(param, format string, args ...any) *requestError {
	return &requestError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// chatRequest is the part of an OpenAI chat completions request this
// provider reads. Fields it drops (logprobs, logit_bias, user, metadata,
// parallel_tool_calls, ...) are simply not decoded.
type chatRequest struct {
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	N                   *int            `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	Seed                *int64          `json:"seed"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	Tools               []chatTool      `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ResponseFormat      json.RawMessage `json:"response_format"`
	ReasoningEffort     *string         `json:"reasoning_effort"`
	// Refused: they ask for something Gemini's generateContent cannot do
	// here, and dropping them would answer a different question.
	Functions        json.RawMessage `json:"functions"`
	FunctionCall     json.RawMessage `json:"function_call"`
	Audio            json.RawMessage `json:"audio"`
	Modalities       []string        `json:"modalities"`
	WebSearchOptions json.RawMessage `json:"web_search_options"`
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
	} `json:"function"`
}

// chatPart is one part of a list-form message content.
type chatPart struct {
	Type       string          `json:"type"`
	Text       string          `json:"text"`
	Refusal    string          `json:"refusal"`
	ImageURL   json.RawMessage `json:"image_url"` // {"url": ...}, or a bare string from lenient clients
	InputAudio *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
	File *struct {
		FileData string `json:"file_data"`
		FileID   string `json:"file_id"`
		Filename string `json:"filename"`
	} `json:"file"`
}

// translateRequest turns an OpenAI chat completions body into the Gemini
// request for model.
func translateRequest(body []byte, model string) ([]byte, *requestError) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, badRequest("", "The request is not a valid chat completions request: %v.", err)
	}
	switch {
	case !isNull(req.Functions) || !isNull(req.FunctionCall):
		param := "functions"
		if isNull(req.Functions) {
			param = "function_call"
		}
		return nil, badRequest(param, "The deprecated %q is not translated for Gemini; declare the functions in \"tools\".", param)
	case !isNull(req.Audio) || contains(req.Modalities, "audio"):
		return nil, badRequest("audio", "Audio output is not available through Gemini's generateContent.")
	case !isNull(req.WebSearchOptions):
		return nil, badRequest("web_search_options", "web_search_options has no counterpart in this Gemini translation.")
	}

	out := generateRequest{Contents: make([]content, 0, len(req.Messages))}
	var system []part
	toolNames := make(map[string]string)
	sentinel := !preGemini3(model)
	for i := range req.Messages {
		m := &req.Messages[i]
		switch m.Role {
		case "system", "developer":
			text, err := textOnly(m.Content, fmt.Sprintf("messages[%d].content", i))
			if err != nil {
				return nil, err
			}
			if text != "" {
				system = append(system, part{Text: text})
			}
		case "user":
			parts, err := userParts(m.Content, i)
			if err != nil {
				return nil, err
			}
			out.Contents = appendTurn(out.Contents, "user", parts)
		case "assistant":
			parts, err := assistantParts(m, i, toolNames, sentinel)
			if err != nil {
				return nil, err
			}
			out.Contents = appendTurn(out.Contents, "model", parts)
		case "tool":
			name, ok := toolNames[m.ToolCallID]
			if !ok {
				return nil, badRequest(fmt.Sprintf("messages[%d].tool_call_id", i),
					"The tool message's tool_call_id %q matches no tool call of an earlier assistant message (Gemini needs the function's name).", m.ToolCallID)
			}
			text, err := textOnly(m.Content, fmt.Sprintf("messages[%d].content", i))
			if err != nil {
				return nil, err
			}
			// Consecutive tool results (parallel calls) share one user turn.
			out.Contents = appendTurn(out.Contents, "user", []part{{FunctionResponse: &functionResponse{Name: name, Response: toolResponse(text)}}})
		default:
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "The role %q is not translated for Gemini.", m.Role)
		}
	}
	if len(system) > 0 {
		out.SystemInstruction = &content{Parts: system}
	}
	if err := translateTools(&req, &out); err != nil {
		return nil, err
	}
	gc, err := translateGeneration(&req, model)
	if err != nil {
		return nil, err
	}
	out.GenerationConfig = gc

	var buf bytes.Buffer
	buf.Grow(len(body) + 256)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		// Only raw JSON from the client (tool arguments) can fail here,
		// and it was checked; say so rather than panic.
		return nil, badRequest("", "The request could not be encoded for Gemini: %v.", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// appendTurn adds parts as a turn of role, joining them to the previous
// turn when it has the same role: Gemini wants user and model turns to
// alternate, and several OpenAI messages (a text and its tool calls,
// parallel tool results, a tool result and the user's next words) make one
// Gemini turn.
func appendTurn(contents []content, role string, parts []part) []content {
	if len(parts) == 0 {
		return contents
	}
	if n := len(contents); n > 0 && contents[n-1].Role == role {
		contents[n-1].Parts = append(contents[n-1].Parts, parts...)
		return contents
	}
	return append(contents, content{Role: role, Parts: parts})
}

// textOnly reads a content that may hold only text (system, developer and
// tool messages): a string, or text parts joined by newlines.
func textOnly(raw json.RawMessage, param string) (string, *requestError) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequest(param, "The content is not a valid string.")
		}
		return s, nil
	}
	var parts []chatPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest(param, "The content must be a string or a list of parts.")
	}
	var sb strings.Builder
	for i, p := range parts {
		if p.Type != "text" {
			return "", badRequest(fmt.Sprintf("%s[%d].type", param, i), "Only text parts can be translated here for Gemini, not %q.", p.Type)
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), nil
}

// userParts translates a user message's content.
func userParts(raw json.RawMessage, msg int) ([]part, *requestError) {
	param := fmt.Sprintf("messages[%d].content", msg)
	if isNull(raw) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest(param, "The content is not a valid string.")
		}
		if s == "" {
			return nil, nil
		}
		return []part{{Text: s}}, nil
	}
	var cps []chatPart
	if err := json.Unmarshal(raw, &cps); err != nil {
		return nil, badRequest(param, "The content must be a string or a list of parts.")
	}
	parts := make([]part, 0, len(cps))
	for i := range cps {
		p, err := mediaPart(&cps[i], fmt.Sprintf("%s[%d]", param, i))
		if err != nil {
			return nil, err
		}
		if p != nil {
			parts = append(parts, *p)
		}
	}
	return parts, nil
}

// mediaPart translates one part of a user message (nil: nothing to send).
func mediaPart(cp *chatPart, param string) (*part, *requestError) {
	switch cp.Type {
	case "text":
		if cp.Text == "" {
			return nil, nil
		}
		return &part{Text: cp.Text}, nil
	case "image_url":
		url, err := imageURL(cp.ImageURL)
		if err != nil || url == "" {
			return nil, badRequest(param+".image_url.url", "The image part has no URL.")
		}
		return urlPart(url, param+".image_url.url")
	case "input_audio":
		if cp.InputAudio == nil || cp.InputAudio.Data == "" {
			return nil, badRequest(param+".input_audio", "The audio part has no data.")
		}
		format := strings.ToLower(cp.InputAudio.Format)
		if format == "" {
			format = "wav"
		}
		return &part{InlineData: &blob{MimeType: "audio/" + format, Data: cp.InputAudio.Data}}, nil
	case "file":
		if cp.File == nil || cp.File.FileData == "" {
			return nil, badRequest(param+".file", "Only files sent inline (file_data) can be passed to Gemini; OpenAI file ids mean nothing there.")
		}
		if strings.HasPrefix(cp.File.FileData, "data:") {
			return urlPart(cp.File.FileData, param+".file.file_data")
		}
		mime := mimeByExtension(cp.File.Filename)
		if mime == "" {
			return nil, badRequest(param+".file.file_data", "Send file_data as a data: URL (data:MEDIA/TYPE;base64,...) so Gemini knows its media type.")
		}
		return &part{InlineData: &blob{MimeType: mime, Data: cp.File.FileData}}, nil
	default:
		return nil, badRequest(param+".type", "The content part type %q is not translated for Gemini.", cp.Type)
	}
}

// imageURL reads image_url: {"url": ...} or a bare string.
func imageURL(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var v struct {
		URL string `json:"url"`
	}
	err := json.Unmarshal(raw, &v)
	return v.URL, err
}

// urlPart turns a media URL into a part: a data: URL into inline data, an
// http(s) or gs:// URL into fileData, which Gemini fetches itself (public
// or signed URLs, Google Cloud Storage, uploaded files).
func urlPart(url, param string) (*part, *requestError) {
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		meta, data, ok := strings.Cut(rest, ",")
		mime, params, _ := strings.Cut(meta, ";")
		if !ok || !strings.Contains(";"+params+";", ";base64;") {
			return nil, badRequest(param, "A data: URL must be base64 (data:MEDIA/TYPE;base64,...).")
		}
		if mime == "" {
			return nil, badRequest(param, "The data: URL names no media type, which Gemini needs.")
		}
		return &part{InlineData: &blob{MimeType: mime, Data: data}}, nil
	}
	lower := strings.ToLower(url)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "gs://") {
		return nil, badRequest(param, "Gemini takes media as a data: URL or an https:// (or gs://) URL.")
	}
	path := url
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return &part{FileData: &fileData{MimeType: mimeByExtension(path), FileURI: url}}, nil
}

// mimeByExtension guesses the media type of a URL or file name; "" when the
// extension says nothing (Gemini then goes by what it fetches).
func mimeByExtension(name string) string {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || strings.LastIndexByte(name, '/') > dot {
		return ""
	}
	switch strings.ToLower(name[dot+1:]) {
	case "png":
		return "image/png"
	case "jpg", "jpeg":
		return "image/jpeg"
	case "webp":
		return "image/webp"
	case "gif":
		return "image/gif"
	case "heic":
		return "image/heic"
	case "heif":
		return "image/heif"
	case "pdf":
		return "application/pdf"
	case "wav":
		return "audio/wav"
	case "mp3":
		return "audio/mp3"
	case "txt":
		return "text/plain"
	}
	return ""
}

// assistantParts translates an assistant message: its text, then its tool
// calls as functionCall parts, each signed with the thoughtSignature its id
// carries. It records each call's function name by id, for the tool results
// that follow.
func assistantParts(m *chatMessage, msg int, toolNames map[string]string, sentinel bool) ([]part, *requestError) {
	param := fmt.Sprintf("messages[%d]", msg)
	var parts []part
	if !isNull(m.Content) {
		if m.Content[0] == '"' {
			var s string
			if err := json.Unmarshal(m.Content, &s); err != nil {
				return nil, badRequest(param+".content", "The content is not a valid string.")
			}
			if s != "" {
				parts = append(parts, part{Text: s})
			}
		} else {
			var cps []chatPart
			if err := json.Unmarshal(m.Content, &cps); err != nil {
				return nil, badRequest(param+".content", "The content must be a string or a list of parts.")
			}
			for i, cp := range cps {
				switch cp.Type {
				case "text":
					if cp.Text != "" {
						parts = append(parts, part{Text: cp.Text})
					}
				case "refusal":
					if cp.Refusal != "" {
						parts = append(parts, part{Text: cp.Refusal})
					}
				default:
					return nil, badRequest(fmt.Sprintf("%s.content[%d].type", param, i), "An assistant message may hold text and refusal parts, not %q.", cp.Type)
				}
			}
		}
	}
	signed := false
	firstCall := len(parts)
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		cparam := fmt.Sprintf("%s.tool_calls[%d]", param, i)
		if tc.Type != "" && tc.Type != "function" {
			return nil, badRequest(cparam+".type", "Only function tool calls translate to Gemini, not %q.", tc.Type)
		}
		if tc.Function.Name == "" {
			return nil, badRequest(cparam+".function.name", "The tool call names no function.")
		}
		args := json.RawMessage(strings.TrimSpace(tc.Function.Arguments))
		if len(args) == 0 {
			args = json.RawMessage("{}")
		} else if args[0] != '{' || !json.Valid(args) {
			return nil, badRequest(cparam+".function.arguments", "The tool call's arguments must be a JSON object (Gemini's functionCall.args).")
		}
		sig := signatureFromID(tc.ID)
		signed = signed || sig != ""
		parts = append(parts, part{FunctionCall: &functionCall{Name: tc.Function.Name, Args: args}, ThoughtSignature: sig})
		if tc.ID != "" {
			toolNames[tc.ID] = tc.Function.Name
		}
	}
	// A Gemini 3 model refuses a history whose function calls carry no
	// signature (calls made by another provider, or ids a client rewrote);
	// Google documents this value for such turns.
	if sentinel && !signed && len(parts) > firstCall {
		parts[firstCall].ThoughtSignature = "skip_thought_signature_validator"
	}
	return parts, nil
}

// toolResponse is a tool result as Gemini's functionResponse.response (a
// JSON object): the result itself when it is a JSON object, else
// {"output": text}, the key Gemini's documentation names for a function's
// output.
func toolResponse(text string) json.RawMessage {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(struct {
		Output string `json:"output"`
	}{text})
	return b
}

// preGemini3 tells the models whose thinking is set by a token budget and
// that know no thought signatures: Gemini 1.x and 2.x (and the Gemma models
// the API also serves). Every other name (Gemini 3 and later, aliases such
// as gemini-flash-latest, tuned models) is treated as current.
func preGemini3(model string) bool {
	m := strings.TrimPrefix(model, "models/")
	return strings.HasPrefix(m, "gemini-1") || strings.HasPrefix(m, "gemini-2") || strings.HasPrefix(m, "gemma-")
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
