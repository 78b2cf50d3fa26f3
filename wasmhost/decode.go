package wasmhost

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/sluicegw/sluice/scripting"
	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// The result of a hook, as JSON (ABI.md, "Result"): an object with one
// key. "error" and "deny" end any hook; "req" (on_request), "route",
// "res" (on_response) and "chunk" (on_chunk) carry what the hook changed or
// chose. A change is applied all or nothing.

// apply reads a hook's result and applies it to c. It returns a
// *scripting.Denial for a denial, and a shape error for a result that is
// not JSON or not of the hook's shape.
func (in *instance) apply(c *hookCall, result []byte) error {
	r := &in.reader
	r.Reset(result)
	defer r.Reset(nil) // do not keep a view of guest memory
	if r.Kind() != wire.Object {
		return resultError(r, "the result must be a JSON object", r.Kind())
	}
	r.BeginObject()
	if !r.More() {
		if err := r.End(); err != nil {
			return shapeError("the result is not valid JSON: %v", err)
		}
		return nil // {}: nothing to change
	}
	var key string
	switch kb := r.Key(); string(kb) { // the known keys, without allocating
	case wire.KeyError, wire.KeyDeny, wire.KeyReq, wire.KeyRoute, wire.KeyRes, wire.KeyChunk:
		key = keyNames[string(kb)]
	default:
		key = string(kb)
	}
	if r.Err() != nil {
		return shapeError("the result is not valid JSON: %v", r.Err())
	}
	var err error
	switch key {
	case wire.KeyError:
		err = readError(r)
	case wire.KeyDeny:
		err = readDenial(r)
	case wire.KeyReq, wire.KeyRoute, wire.KeyRes, wire.KeyChunk:
		if want := resultKey(c.hook); key != want {
			return shapeError(`%s returned a %q result; it may return %q, "deny" or "error"`, c.hook, key, want)
		}
		switch key {
		case wire.KeyReq:
			err = readRequest(r, c.req)
		case wire.KeyRoute:
			c.route, err = readRoute(r)
		case wire.KeyRes:
			err = readResponse(r, c.res)
		case wire.KeyChunk:
			err = readChunk(r, c.chunk)
		}
	default:
		if r.Err() != nil {
			return shapeError("the result is not valid JSON: %v", r.Err())
		}
		return shapeError(`the result has the unknown key %q (known: "error", "deny", %q)`, key, resultKey(c.hook))
	}
	if r.Err() != nil {
		return shapeError("the result is not valid JSON: %v", r.Err())
	}
	_, denied := err.(*scripting.Denial)
	_, guestErr := err.(*guestError)
	if err != nil && !denied && !guestErr { // a shape error: the reader stopped mid-value
		if c.hook == scripting.HookRoute {
			c.route = nil
		}
		return err
	}
	if r.More() {
		c.route = nil
		second := string(r.Key())
		if r.Err() != nil {
			return shapeError("the result is not valid JSON: %v", r.Err())
		}
		return shapeError("the result must have one key; it has %q and %q", key, second)
	}
	if endErr := r.End(); endErr != nil {
		c.route = nil
		return shapeError("the result is not valid JSON: %v", endErr)
	}
	return err
}

var keyNames = map[string]string{wire.KeyError: wire.KeyError, wire.KeyDeny: wire.KeyDeny, wire.KeyReq: wire.KeyReq,
	wire.KeyRoute: wire.KeyRoute, wire.KeyRes: wire.KeyRes, wire.KeyChunk: wire.KeyChunk}

// resultKey is the key of a hook's own result.
func resultKey(h scripting.Hook) string {
	switch h {
	case scripting.HookOnRequest:
		return wire.KeyReq
	case scripting.HookRoute:
		return wire.KeyRoute
	case scripting.HookOnResponse:
		return wire.KeyRes
	}
	return wire.KeyChunk
}

// resultError is the error for a value of the wrong kind, or for invalid
// JSON when the reader met some.
func resultError(r *wire.Reader, what string, got wire.Kind) error {
	r.Skip()
	if err := r.End(); err != nil {
		return shapeError("the result is not valid JSON: %v", err)
	}
	return shapeError("%s, got %s", what, got)
}

// wrongKind is a shape error for field when the next value is of another
// kind; it reads (skips) that value.
func wrongKind(r *wire.Reader, field, want string) error {
	k := r.Kind()
	r.Skip()
	return shapeError("%s must be %s, got %s", field, want, k)
}

func readError(r *wire.Reader) error {
	if r.Kind() != wire.String {
		return wrongKind(r, `"error"`, "a string")
	}
	msg := r.String()
	if msg == "" {
		msg = "the guest reported an error without a message"
	}
	return &guestError{msg}
}

// guestError is an error the guest reported with {"error": "..."}.
type guestError struct{ msg string }

func (e *guestError) Error() string { return e.msg }

// readDenial reads {"status": 403, "message": "..."}, checked as gw.deny
// checks its arguments.
func readDenial(r *wire.Reader) error {
	if r.Kind() != wire.Object {
		return wrongKind(r, "deny", "an object {status, message}")
	}
	status, message := math.NaN(), ""
	r.BeginObject()
	for r.More() {
		switch string(r.Key()) {
		case "status":
			if r.Kind() != wire.Number {
				return wrongKind(r, "deny.status", "a number")
			}
			status = r.Float()
		case "message":
			if r.Null() {
				continue
			}
			if r.Kind() != wire.String {
				return wrongKind(r, "deny.message", "a string")
			}
			message = r.String()
		default:
			r.Skip()
		}
	}
	if status != math.Trunc(status) || status < 400 || status > 599 {
		return shapeError("deny: status must be an integer from 400 to 599, got %v", status)
	}
	if message == "" {
		message = http.StatusText(int(status))
	}
	return &scripting.Denial{Status: int(status), Message: message}
}

// readRoute reads "provider/model", a list of them, or null ("" and []
// are null too).
func readRoute(r *wire.Reader) ([]string, error) {
	const want = `"provider/model", a list of them, or null`
	switch r.Kind() {
	case wire.Null:
		r.Null()
		return nil, nil
	case wire.String:
		s := r.String()
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	case wire.Array:
		var out []string
		r.BeginArray()
		for i := 0; r.More(); i++ {
			if r.Kind() != wire.String {
				return nil, wrongKind(r, "route["+strconv.Itoa(i)+"]", "a non-empty string")
			}
			s := r.String()
			if s == "" {
				return nil, shapeError("route[%d] must be a non-empty string", i)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, wrongKind(r, "route", want)
}

func readResponse(r *wire.Reader, res *scripting.Response) error {
	if r.Kind() != wire.Object {
		return wrongKind(r, "res", "an object")
	}
	content, set := "", false
	r.BeginObject()
	for r.More() {
		if string(r.Key()) != "content" {
			r.Skip() // the other fields of res are read-only
			continue
		}
		if r.Kind() != wire.String {
			return wrongKind(r, "res.content", "a string")
		}
		content, set = r.String(), true
	}
	if set {
		res.Content = content
	}
	return nil
}

func readChunk(r *wire.Reader, chunk *scripting.Chunk) error {
	if r.Kind() != wire.Object {
		return wrongKind(r, "chunk", "an object")
	}
	out := *chunk
	r.BeginObject()
	for r.More() {
		switch string(r.Key()) {
		case "text":
			if r.Kind() != wire.String {
				return wrongKind(r, "chunk.text", "a string")
			}
			out.Text = r.String()
		case "drop":
			if r.Null() {
				out.Drop = false
				continue
			}
			if r.Kind() != wire.Bool {
				return wrongKind(r, "chunk.drop", "a boolean")
			}
			out.Drop = r.Bool()
		default:
			r.Skip()
		}
	}
	*chunk = out
	return nil
}

// readRequest reads on_request's changes: the keys present among model,
// system, messages, tools, max_tokens, temperature, top_p and metadata are
// set (null removes max_tokens, temperature and top_p); other keys are
// ignored, as changes to read-only fields are in Lua and JavaScript. All or
// nothing: on error req is unchanged.
func readRequest(r *wire.Reader, req *scripting.Request) error {
	if r.Kind() != wire.Object {
		return wrongKind(r, "req", "an object")
	}
	out := *req
	r.BeginObject()
	for r.More() {
		var err error
		switch id := wire.FieldID(string(r.Key())); id {
		case wire.FieldModel:
			if r.Kind() != wire.String {
				return wrongKind(r, "req.model", "a string")
			}
			out.Model = r.String()
		case wire.FieldSystem:
			if r.Null() {
				out.System = ""
			} else if r.Kind() != wire.String {
				return wrongKind(r, "req.system", "a string")
			} else {
				out.System = r.String()
			}
		case wire.FieldMessages:
			out.Messages, err = readMessages(r)
		case wire.FieldTools:
			out.Tools, err = readTools(r)
		case wire.FieldMaxTokens:
			var f *float64
			if f, err = readOptNumber(r, "req.max_tokens"); err == nil {
				out.MaxTokens = nil
				if f != nil {
					if *f != math.Trunc(*f) || *f > math.MaxInt32 || *f < math.MinInt32 {
						return shapeError("req.max_tokens must be an integer, got %v", *f)
					}
					n := int(*f)
					out.MaxTokens = &n
				}
			}
		case wire.FieldTemperature:
			out.Temperature, err = readOptNumber(r, "req.temperature")
		case wire.FieldTopP:
			out.TopP, err = readOptNumber(r, "req.top_p")
		case wire.FieldMetadata:
			var m map[string]string
			if m, err = readStringMap(r, "req.metadata"); err == nil {
				if len(m) == 0 && len(out.Metadata) == 0 {
					m = out.Metadata
				}
				out.Metadata = m
			}
		default: // read-only fields and unknown keys
			r.Skip()
		}
		if err != nil {
			return err
		}
	}
	if r.Err() == nil {
		*req = out
	}
	return nil
}

func readOptNumber(r *wire.Reader, field string) (*float64, error) {
	if r.Null() {
		return nil, nil
	}
	if r.Kind() != wire.Number {
		return nil, wrongKind(r, field, "a number or null")
	}
	f := r.Float()
	return &f, nil
}

func readMessages(r *wire.Reader) ([]scripting.Message, error) {
	if r.Null() {
		return nil, nil
	}
	if r.Kind() != wire.Array {
		return nil, wrongKind(r, "req.messages", "an array")
	}
	var out []scripting.Message
	r.BeginArray()
	for i := 0; r.More(); i++ {
		field := "req.messages[" + strconv.Itoa(i) + "]"
		if r.Kind() != wire.Object {
			return nil, wrongKind(r, field, "an object")
		}
		var m scripting.Message
		hasRole := false
		r.BeginObject()
		for r.More() {
			switch string(r.Key()) {
			case "role":
				if r.Kind() != wire.String {
					return nil, wrongKind(r, field+".role", "a string")
				}
				m.Role, hasRole = r.String(), true
			case "content":
				var err error
				if m.Content, m.Parts, err = readContent(r, field+".content"); err != nil {
					return nil, err
				}
			default:
				r.Skip()
			}
		}
		if !hasRole && r.Err() == nil {
			return nil, shapeError("%s.role must be a string, got nothing", field)
		}
		out = append(out, m)
	}
	return out, nil
}

// readContent reads a message's content: a string, null, or a list of parts
// {type, text} / {type, url}.
func readContent(r *wire.Reader, field string) (string, []scripting.Part, error) {
	switch r.Kind() {
	case wire.Null:
		r.Null()
		return "", nil, nil
	case wire.String:
		return r.String(), nil, nil
	case wire.Array:
	default:
		return "", nil, wrongKind(r, field, "a string or an array of parts")
	}
	parts := []scripting.Part{}
	r.BeginArray()
	for j := 0; r.More(); j++ {
		pfield := field + "[" + strconv.Itoa(j) + "]"
		if r.Kind() != wire.Object {
			return "", nil, wrongKind(r, pfield, "an object")
		}
		var p scripting.Part
		r.BeginObject()
		for r.More() {
			var dst *string
			key := string(r.Key())
			switch key {
			case "type":
				dst = &p.Type
			case "text":
				dst = &p.Text
			case "url":
				dst = &p.URL
			default:
				r.Skip()
				continue
			}
			if r.Kind() != wire.String {
				return "", nil, wrongKind(r, pfield+"."+key, "a string")
			}
			*dst = r.String()
		}
		if p.Type == "" && r.Err() == nil {
			return "", nil, shapeError("%s.type must be a string", pfield)
		}
		parts = append(parts, p)
	}
	return "", parts, nil
}

func readTools(r *wire.Reader) ([]scripting.Tool, error) {
	if r.Null() {
		return nil, nil
	}
	if r.Kind() != wire.Array {
		return nil, wrongKind(r, "req.tools", "an array")
	}
	var out []scripting.Tool
	r.BeginArray()
	for i := 0; r.More(); i++ {
		field := "req.tools[" + strconv.Itoa(i) + "]"
		if r.Kind() != wire.Object {
			return nil, wrongKind(r, field, "an object")
		}
		var t scripting.Tool
		hasName := false
		r.BeginObject()
		for r.More() {
			switch string(r.Key()) {
			case "name":
				if r.Kind() != wire.String {
					return nil, wrongKind(r, field+".name", "a string")
				}
				t.Name, hasName = r.String(), true
			case "description":
				if r.Null() {
					continue
				}
				if r.Kind() != wire.String {
					return nil, wrongKind(r, field+".description", "a string")
				}
				t.Description = r.String()
			case "parameters":
				raw := r.Skip()
				if raw != nil {
					if err := json.Unmarshal(raw, &t.Parameters); err != nil {
						return nil, shapeError("%s.parameters: %v", field, err)
					}
				}
			default:
				r.Skip()
			}
		}
		if !hasName && r.Err() == nil {
			return nil, shapeError("%s.name must be a string, got nothing", field)
		}
		out = append(out, t)
	}
	return out, nil
}

// readStringMap reads an object whose values are strings; numbers and
// booleans are turned into strings, as Lua and JavaScript scripts' are.
func readStringMap(r *wire.Reader, field string) (map[string]string, error) {
	if r.Null() {
		return nil, nil
	}
	if r.Kind() != wire.Object {
		return nil, wrongKind(r, field, "an object")
	}
	m := map[string]string{}
	r.BeginObject()
	for r.More() {
		k := string(r.Key())
		switch r.Kind() {
		case wire.String:
			m[k] = r.String()
		case wire.Number:
			m[k] = strconv.FormatFloat(r.Float(), 'g', -1, 64)
		case wire.Bool:
			m[k] = strconv.FormatBool(r.Bool())
		default:
			return nil, wrongKind(r, field+"."+k, "a string")
		}
	}
	return m, nil
}
