package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Gemini's function parameters and response schema are its Schema object, a
// subset of OpenAPI 3.0, and it rejects a request with any other keyword.
// OpenAI's tools and response_format carry JSON Schema, so each schema is
// rewritten:
//
//   - type: "string" and so on become Gemini's upper-case names; a list of
//     types becomes one type (plus nullable when "null" is in the list), or
//     anyOf when several remain;
//   - local $ref (#/$defs/NAME, #/definitions/NAME) are inlined, since the
//     Schema object has no references; a schema nested deeper than
//     maxSchemaDepth (a recursive one) or larger than maxSchemaNodes after
//     inlining is refused;
//   - anyOf and oneOf become anyOf, with a {"type":"null"} member turned into
//     nullable (and a single remaining member merged into its parent);
//     allOf with one member is merged into its parent;
//   - const becomes a one-value enum; enum is kept when all its values are
//     strings (Gemini's enum is a list of strings);
//   - format is kept only where Gemini knows it: "enum" and "date-time" on
//     strings, "int32" and "int64" on integers, "float" and "double" on
//     numbers;
//   - required is kept for the properties that exist;
//   - kept as they are: title, description, nullable, properties, items,
//     minItems, maxItems, minProperties, maxProperties, minLength, maxLength,
//     pattern, minimum, maximum, default, example, propertyOrdering;
//   - dropped: every other keyword, notably $schema, $id, $defs,
//     definitions, additionalProperties, patternProperties,
//     unevaluatedProperties, exclusiveMinimum, exclusiveMaximum, multipleOf,
//     uniqueItems, not, if/then/else, examples, readOnly, writeOnly,
//     deprecated, contentMediaType, and an allOf of several schemas;
//   - an object's empty properties map is dropped (Gemini refuses one).
const (
	maxSchemaDepth = 32
	maxSchemaNodes = 10_000
)

// errSchemaTooLarge reports a schema that cannot be inlined within bounds.
var errSchemaTooLarge = errors.New("the schema is recursive or too large to inline (Gemini's schemas have no $ref)")

// geminiSchema rewrites a JSON Schema as Gemini's Schema object. It returns
// nil for an absent or null schema.
func geminiSchema(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON: %v", err)
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, errors.New("the schema must be a JSON object")
	}
	c := &schemaConverter{root: obj}
	return c.convert(obj, 0)
}

type schemaConverter struct {
	root  map[string]any
	nodes int
}

var geminiTypes = map[string]string{
	"string": "STRING", "number": "NUMBER", "integer": "INTEGER", "boolean": "BOOLEAN",
	"array": "ARRAY", "object": "OBJECT",
}

var keptFormats = map[string]map[string]bool{
	"STRING":  {"enum": true, "date-time": true},
	"INTEGER": {"int32": true, "int64": true},
	"NUMBER":  {"float": true, "double": true},
}

// copiedKeywords pass through unchanged.
var copiedKeywords = []string{
	"title", "description", "nullable", "minItems", "maxItems", "minProperties", "maxProperties",
	"minLength", "maxLength", "pattern", "minimum", "maximum", "default", "example", "propertyOrdering",
}

func (c *schemaConverter) convert(s map[string]any, depth int) (map[string]any, error) {
	c.nodes++
	if depth > maxSchemaDepth || c.nodes > maxSchemaNodes {
		return nil, errSchemaTooLarge
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := c.resolve(ref)
		if err != nil {
			return nil, err
		}
		// Keywords beside $ref (a description, say) win over the target's.
		merged := make(map[string]any, len(target)+len(s))
		for k, v := range target {
			merged[k] = v
		}
		for k, v := range s {
			if k != "$ref" {
				merged[k] = v
			}
		}
		return c.convert(merged, depth+1)
	}
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		if member, ok := all[0].(map[string]any); ok {
			merged := make(map[string]any, len(member)+len(s))
			for k, v := range member {
				merged[k] = v
			}
			for k, v := range s {
				if k != "allOf" {
					merged[k] = v
				}
			}
			return c.convert(merged, depth+1)
		}
	}

	out := make(map[string]any, len(s))
	for _, k := range copiedKeywords {
		if v, ok := s[k]; ok {
			out[k] = v
		}
	}
	typ, err := c.convertType(s, out, depth)
	if err != nil {
		return nil, err
	}
	if f, ok := s["format"].(string); ok && keptFormats[typ][f] {
		out["format"] = f
	}
	if enum, ok := stringList(s["enum"]); ok {
		out["enum"] = enum
	} else if cv, ok := s["const"].(string); ok {
		out["enum"] = []string{cv}
	}
	if props, ok := s["properties"].(map[string]any); ok && len(props) > 0 {
		conv := make(map[string]any, len(props))
		for name, p := range props {
			ps, ok := p.(map[string]any)
			if !ok {
				continue // `true`/`false` schemas have no counterpart
			}
			if conv[name], err = c.convert(ps, depth+1); err != nil {
				return nil, err
			}
		}
		out["properties"] = conv
		if req, ok := stringList(s["required"]); ok {
			kept := req[:0]
			for _, name := range req {
				if _, ok := conv[name]; ok {
					kept = append(kept, name)
				}
			}
			if len(kept) > 0 {
				out["required"] = kept
			}
		}
	}
	switch items := s["items"].(type) {
	case map[string]any:
		if out["items"], err = c.convert(items, depth+1); err != nil {
			return nil, err
		}
	case []any: // draft-4 tuple form: the first schema stands for all
		if len(items) > 0 {
			if first, ok := items[0].(map[string]any); ok {
				if out["items"], err = c.convert(first, depth+1); err != nil {
					return nil, err
				}
			}
		}
	}
	return c.convertAnyOf(s, out, depth)
}

// convertType sets out's type (and nullable) from s's type and returns it.
func (c *schemaConverter) convertType(s, out map[string]any, depth int) (string, error) {
	switch t := s["type"].(type) {
	case string:
		if t == "null" {
			out["nullable"] = true
			return "", nil
		}
		if g := geminiTypes[strings.ToLower(t)]; g != "" {
			out["type"] = g
			return g, nil
		}
	case []any:
		var kinds []string
		for _, v := range t {
			name, _ := v.(string)
			if name == "null" {
				out["nullable"] = true
			} else if g := geminiTypes[strings.ToLower(name)]; g != "" {
				kinds = append(kinds, g)
			}
		}
		switch len(kinds) {
		case 0:
		case 1:
			out["type"] = kinds[0]
			return kinds[0], nil
		default:
			anyOf := make([]any, len(kinds))
			for i, k := range kinds {
				anyOf[i] = map[string]any{"type": k}
			}
			out["anyOf"] = anyOf
		}
	}
	return "", nil
}

// convertAnyOf converts anyOf / oneOf, folding a null member into nullable
// and a single remaining member into out.
func (c *schemaConverter) convertAnyOf(s, out map[string]any, depth int) (map[string]any, error) {
	members, ok := s["anyOf"].([]any)
	if !ok {
		members, ok = s["oneOf"].([]any)
	}
	if !ok {
		return out, nil
	}
	var conv []any
	for _, m := range members {
		ms, ok := m.(map[string]any)
		if !ok {
			continue
		}
		if t, _ := ms["type"].(string); t == "null" && len(ms) == 1 {
			out["nullable"] = true
			continue
		}
		cm, err := c.convert(ms, depth+1)
		if err != nil {
			return nil, err
		}
		conv = append(conv, cm)
	}
	switch len(conv) {
	case 0:
	case 1:
		only := conv[0].(map[string]any)
		for k, v := range only {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	default:
		out["anyOf"] = conv
	}
	return out, nil
}

// resolve finds a local reference's target.
func (c *schemaConverter) resolve(ref string) (map[string]any, error) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		if ref == "#" {
			return c.root, nil
		}
		return nil, fmt.Errorf("the schema reference %q is not local (only #/... references can be inlined)", ref)
	}
	var node any = c.root
	for _, seg := range strings.Split(path, "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the schema reference %q points nowhere", ref)
		}
		if node, ok = m[seg]; !ok {
			return nil, fmt.Errorf("the schema reference %q points nowhere", ref)
		}
	}
	target, ok := node.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the schema reference %q does not point to a schema", ref)
	}
	return target, nil
}

// stringList returns v as a list of strings when it is a JSON array of
// strings only.
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}
