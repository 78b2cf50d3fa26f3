package openai

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluicegw/sluice/apierror"
)

// validRoles are the message roles of the chat completions API.
var validRoles = map[string]bool{
	"system": true, "developer": true, "user": true, "assistant": true, "tool": true, "function": true,
}

// MaxModelName bounds the length of a requested model name.
const MaxModelName = 256

// DecodeChatRequest parses and checks a chat completions body. The error says
// what to change, in words a client developer can act on.
func DecodeChatRequest(body []byte) (*ChatRequest, *apierror.Error) {
	if !utf8.Valid(body) {
		return nil, apierror.InvalidRequest("", "The request body is not valid UTF-8.")
	}
	req := new(ChatRequest)
	if err := json.Unmarshal(body, req); err != nil {
		return nil, jsonError(err)
	}
	if key, dup := duplicateTopLevelKey(body); dup {
		return nil, apierror.InvalidRequest(key, "The request body has the key %q twice; send each field once.", key)
	}
	if req.Model == "" {
		return nil, apierror.InvalidRequest("model", "The request has no model: set \"model\" to one of the names GET /v1/models lists.")
	}
	if len(req.Model) > MaxModelName {
		return nil, apierror.InvalidRequest("model", "The model name is longer than %d bytes.", MaxModelName)
	}
	if len(req.Messages) == 0 {
		return nil, apierror.InvalidRequest("messages", "\"messages\" must hold at least one message.")
	}
	for i := range req.Messages {
		m := &req.Messages[i]
		if !validRoles[m.Role] {
			return nil, apierror.InvalidRequest("messages", "messages[%d].role is %q; it must be one of system, developer, user, assistant, tool.", i, m.Role)
		}
		if len(m.Content) > 0 {
			switch m.Content[0] {
			case '"', '[', 'n':
			default:
				return nil, apierror.InvalidRequest("messages", "messages[%d].content must be a string, a list of content parts, or null.", i)
			}
		}
	}
	for i := range req.Tools {
		if req.Tools[i].Function.Name == "" {
			return nil, apierror.InvalidRequest("tools", "tools[%d].function.name is required.", i)
		}
	}
	return req, nil
}

// jsonError turns a decoding error into a 400 that points at the fault.
func jsonError(err error) *apierror.Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return apierror.InvalidRequest("", "The request body is not valid JSON: %s (at byte %d).", syntax.Error(), syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return apierror.InvalidRequest("", "The request body must be a JSON object, not a JSON %s.", typ.Value)
		}
		return apierror.InvalidRequest(typ.Field, "The field %q must be %s, not a JSON %s.", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	default:
		return apierror.InvalidRequest("", "The request body could not be read as a chat completion request: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// jsonKind names a Go kind the way a JSON user would.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	default:
		return "of another type"
	}
}

// Text returns the text of a message content: the string itself, or the text
// parts of a list joined with newlines. Non-text parts are left out.
func Text(content json.RawMessage) string {
	if len(content) == 0 || content[0] == 'n' {
		return ""
	}
	if content[0] == '"' {
		var s string
		_ = json.Unmarshal(content, &s)
		return s
	}
	var parts []ContentPart
	if json.Unmarshal(content, &parts) != nil {
		return ""
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.Text)
	}
	return sb.String()
}

// duplicateTopLevelKey reports a key that a JSON object holds twice. The
// gateway decodes with last-wins semantics but rewrites fields in place, so a
// doubled key could make the upstream see another model than the one routed
// and allowed; such bodies are refused.
func duplicateTopLevelKey(body []byte) (string, bool) {
	var small [32]string
	keys := small[:0]
	var dup string
	gjson.ParseBytes(body).ForEach(func(k, _ gjson.Result) bool {
		for _, seen := range keys {
			if seen == k.Str {
				dup = k.Str
				return false
			}
		}
		keys = append(keys, k.Str)
		return true
	})
	return dup, dup != ""
}
