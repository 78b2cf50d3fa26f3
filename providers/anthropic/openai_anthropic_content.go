package anthropic

import (
	"encoding/json"
	"fmt"
	"strings"
)

// textOf reads a content that may only hold text (system, developer and
// tool messages): a string, or text parts joined with a blank line.
func textOf(at string, raw json.RawMessage) (string, *requestError) {
	if !isSet(raw) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", invalid(at+".content", "%s.content is not a valid string.", at)
		}
		return s, nil
	}
	var parts []chatPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", invalid(at+".content", "%s.content must be a string or a list of content parts.", at)
	}
	texts := make([]string, 0, len(parts))
	for j, p := range parts {
		if p.Type != "text" {
			return "", invalid(fmt.Sprintf("%s.content[%d].type", at, j), "%s.content[%d] is a %q part; this message may hold text only.", at, j, p.Type)
		}
		if p.Text != "" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n\n"), nil
}

// userBlocks maps a user message's content: text, images (data: URLs as
// base64, http(s) URLs by reference) and PDF files.
func userBlocks(at string, raw json.RawMessage) ([]block, *requestError) {
	if !isSet(raw) {
		return nil, nil
	}
	if raw[0] == '"' {
		text, e := textOf(at, raw)
		if e != nil || text == "" {
			return nil, e
		}
		return []block{{Type: "text", Text: text}}, nil
	}
	var parts []chatPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, invalid(at+".content", "%s.content must be a string or a list of content parts.", at)
	}
	blocks := make([]block, 0, len(parts))
	for j, p := range parts {
		pat := fmt.Sprintf("%s.content[%d]", at, j)
		switch p.Type {
		case "text":
			if p.Text != "" {
				blocks = append(blocks, block{Type: "text", Text: p.Text})
			}
		case "image_url":
			b, e := imageBlock(pat, p.ImageURL)
			if e != nil {
				return nil, e
			}
			blocks = append(blocks, b)
		case "file":
			b, e := fileBlock(pat, &p)
			if e != nil {
				return nil, e
			}
			blocks = append(blocks, b)
		default:
			return nil, invalid(pat+".type", "%s is a %q part, which Anthropic does not take; send text, image_url or file (PDF) parts.", pat, p.Type)
		}
	}
	return blocks, nil
}

// imageBlock maps an image_url part.
func imageBlock(at string, raw json.RawMessage) (block, *requestError) {
	var url string
	if len(raw) > 0 && raw[0] == '"' {
		_ = json.Unmarshal(raw, &url)
	} else {
		var v struct {
			URL string `json:"url"`
		}
		_ = json.Unmarshal(raw, &v)
		url = v.URL
	}
	switch {
	case strings.HasPrefix(url, "data:"):
		mediaType, data, ok := parseDataURL(url)
		if !ok {
			return block{}, invalid(at+".image_url.url", "%s.image_url.url is a data: URL that is not base64-encoded.", at)
		}
		return block{Type: "image", Source: &source{Type: "base64", MediaType: mediaType, Data: data}}, nil
	case strings.HasPrefix(url, "https://"), strings.HasPrefix(url, "http://"):
		return block{Type: "image", Source: &source{Type: "url", URL: url}}, nil
	}
	return block{}, invalid(at+".image_url.url", "%s.image_url.url must be an https:// or a data: URL.", at)
}

// fileBlock maps a file part holding a PDF as data into a document block.
func fileBlock(at string, p *chatPart) (block, *requestError) {
	if p.File == nil || p.File.FileData == "" {
		return block{}, invalid(at+".file", "%s has no file_data: OpenAI file ids mean nothing to Anthropic; send the file's data.", at)
	}
	mediaType, data := "application/pdf", p.File.FileData
	if strings.HasPrefix(data, "data:") {
		var ok bool
		if mediaType, data, ok = parseDataURL(data); !ok {
			return block{}, invalid(at+".file.file_data", "%s.file.file_data is a data: URL that is not base64-encoded.", at)
		}
	}
	if mediaType != "application/pdf" {
		return block{}, invalid(at+".file.file_data", "%s is a %s file; Anthropic takes PDF documents only.", at, mediaType)
	}
	return block{Type: "document", Source: &source{Type: "base64", MediaType: mediaType, Data: data}}, nil
}

// parseDataURL splits data:<media type>;base64,<data>.
func parseDataURL(url string) (mediaType, data string, ok bool) {
	meta, data, found := strings.Cut(strings.TrimPrefix(url, "data:"), ",")
	if !found {
		return "", "", false
	}
	mediaType, enc, _ := strings.Cut(meta, ";")
	if !strings.EqualFold(enc, "base64") && !strings.HasSuffix(strings.ToLower(meta), ";base64") {
		return "", "", false
	}
	return mediaType, data, true
}

// assistantBlocks maps an assistant message: its text (or refusal), then
// its tool calls as tool_use blocks.
func assistantBlocks(at string, m *chatMessage) ([]block, *requestError) {
	if isSet(m.FunctionCall) {
		return nil, invalid(at+".function_call", "%s has a legacy function_call; send tool_calls instead.", at)
	}
	var blocks []block
	if isSet(m.Content) {
		if m.Content[0] == '"' {
			text, e := textOf(at, m.Content)
			if e != nil {
				return nil, e
			}
			if text != "" {
				blocks = append(blocks, block{Type: "text", Text: text})
			}
		} else {
			var parts []chatPart
			if err := json.Unmarshal(m.Content, &parts); err != nil {
				return nil, invalid(at+".content", "%s.content must be a string or a list of content parts.", at)
			}
			for j, p := range parts {
				text := p.Text
				switch p.Type {
				case "text":
				case "refusal":
					text = p.Refusal
				default:
					return nil, invalid(fmt.Sprintf("%s.content[%d].type", at, j), "%s.content[%d] is a %q part; assistant messages hold text only.", at, j, p.Type)
				}
				if text != "" {
					blocks = append(blocks, block{Type: "text", Text: text})
				}
			}
		}
	}
	if len(blocks) == 0 && m.Refusal != "" {
		blocks = append(blocks, block{Type: "text", Text: m.Refusal})
	}
	for j, tc := range m.ToolCalls {
		tat := fmt.Sprintf("%s.tool_calls[%d]", at, j)
		if tc.Type != "" && tc.Type != "function" {
			return nil, invalid(tat+".type", "%s is a %q tool call; only function calls can be sent to Anthropic.", tat, tc.Type)
		}
		if tc.ID == "" || tc.Function.Name == "" {
			return nil, invalid(tat, "%s needs an id and a function name.", tat)
		}
		input, e := toolInput(tat, tc.Function.Arguments)
		if e != nil {
			return nil, e
		}
		blocks = append(blocks, block{Type: "tool_use", ID: toolID(tc.ID), Name: tc.Function.Name, Input: input})
	}
	return blocks, nil
}

// toolInput parses a tool call's arguments into the tool_use input, which
// must be a JSON object. No arguments at all is an empty object.
func toolInput(at, args string) (json.RawMessage, *requestError) {
	args = strings.TrimSpace(args)
	if args == "" {
		return json.RawMessage(`{}`), nil
	}
	if !json.Valid([]byte(args)) {
		return nil, invalid(at+".function.arguments", "%s.function.arguments is not valid JSON.", at)
	}
	if args[0] != '{' {
		return nil, invalid(at+".function.arguments", "%s.function.arguments must be a JSON object.", at)
	}
	return json.RawMessage(args), nil
}

// toolID makes a tool call id acceptable to Anthropic, whose ids may hold
// only letters, digits, "_" and "-": ids made by other providers can hold
// more. The same id always maps to the same result, so a tool_use and its
// tool_result still match.
func toolID(id string) string {
	clean := true
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			clean = false
			break
		}
	}
	if clean {
		return id
	}
	b := []byte(id)
	for i := range b {
		if !idByte(b[i]) {
			b[i] = '_'
		}
	}
	return string(b)
}

func idByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
