package translate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sluicegw/sluice/apierror"
	"github.com/tidwall/gjson"
)

// RequestInfo is what the gateway needs of an Anthropic request.
type RequestInfo struct {
	Model     string
	Stream    bool
	MaxTokens int
}

// AnthropicRequestToOpenAI turns an Anthropic Messages request body (what the
// Anthropic SDKs send to POST /v1/messages) into an OpenAI chat completions
// request body.
//
// A malformed or invalid body gives an *apierror.Error with status 400, code
// "invalid_request" and a message naming the field at fault and what is
// wrong with it (max_tokens missing, messages empty, a role other than user
// or assistant, content of the wrong type, an unknown content block type...).
// The RequestInfo is filled as far as the body was read, so the gateway can
// still log the model of a rejected request.
//
// A streamed request asks for "stream_options":{"include_usage":true}, so
// the translated stream can report usage at its end.
//
// The package documentation lists what is mapped, approximated and dropped.
func AnthropicRequestToOpenAI(body []byte) ([]byte, RequestInfo, *apierror.Error) {
	var info RequestInfo
	if !utf8.Valid(body) {
		return nil, info, apierror.InvalidRequest("", "The request body is not valid UTF-8.")
	}
	if !gjson.ValidBytes(body) {
		return nil, info, apierror.InvalidRequest("", "The request body is not valid JSON.")
	}
	root := gjson.Parse(view(body))
	if !root.IsObject() {
		return nil, info, apierror.InvalidRequest("", "The request body must be a JSON object, got %s.", typeName(root))
	}
	var f requestFields
	forEach(root, func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "max_tokens":
			f.maxTokens = v
		case "messages":
			f.messages = v
		case "system":
			f.system = v
		case "stream":
			f.stream = v
		case "stop_sequences":
			f.stop = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "metadata":
			f.metadata = v
		case "output_config":
			f.outputConfig = v
		}
		return true
	})

	if !f.model.Exists() {
		return nil, info, invalid("model", "field required.")
	}
	if f.model.Type != gjson.String || f.model.Str == "" {
		return nil, info, invalid("model", "must be a non-empty string, got %s.", typeName(f.model))
	}
	info.Model = strings.Clone(f.model.Str)
	if f.stream.Exists() && f.stream.Type != gjson.True && f.stream.Type != gjson.False && f.stream.Type != gjson.Null {
		return nil, info, invalid("stream", "must be a boolean, got %s.", typeName(f.stream))
	}
	info.Stream = f.stream.Type == gjson.True
	if !f.maxTokens.Exists() {
		return nil, info, invalid("max_tokens", "field required; the Messages API needs the most tokens to generate.")
	}
	if n := f.maxTokens.Num; f.maxTokens.Type != gjson.Number || n != math.Trunc(n) || n < 1 || n > math.MaxInt32 {
		return nil, info, invalid("max_tokens", "must be a positive integer, got %s.", f.maxTokens.Raw)
	}
	info.MaxTokens = int(f.maxTokens.Num)
	if !f.messages.Exists() {
		return nil, info, invalid("messages", "field required.")
	}
	if !f.messages.IsArray() {
		return nil, info, invalid("messages", "must be a list of messages, got %s.", typeName(f.messages))
	}
	for _, p := range [...]struct {
		name string
		v    gjson.Result
	}{{"temperature", f.temperature}, {"top_p", f.topP}} {
		if p.v.Exists() && p.v.Type != gjson.Number {
			return nil, info, invalid(p.name, "must be a number, got %s.", typeName(p.v))
		}
	}

	w := requestWriter{out: make([]byte, 0, len(body)+len(body)/8+256)}
	s := scratchPool.Get().(*scratch)
	w.parts, w.calls = s.parts[:0], s.calls[:0]
	defer func() {
		if cap(w.parts)+cap(w.calls) <= maxScratch {
			s.parts, s.calls = w.parts[:0], w.calls[:0]
		}
		scratchPool.Put(s)
	}()
	w.out = append(w.out, `{"model":`...)
	w.out = append(w.out, f.model.Raw...)
	w.out = append(w.out, `,"messages":[`...)
	if err := w.system(f.system); err != nil {
		return nil, info, err
	}
	var err *apierror.Error
	i, last, sys := 0, int(f.messages.Get("#").Int())-1, w.nmsg
	forEach(f.messages, func(_, m gjson.Result) bool {
		err = w.message(i, i == last, m)
		i++
		return err == nil
	})
	if err != nil {
		return nil, info, err
	}
	if i == 0 {
		return nil, info, invalid("messages", "must hold at least one message.")
	}
	if w.nmsg == sys {
		return nil, info, invalid("messages", "nothing to send; the messages hold only thinking blocks.")
	}
	w.out = append(w.out, ']')

	w.out = append(w.out, `,"max_tokens":`...)
	w.out = strconv.AppendInt(w.out, int64(info.MaxTokens), 10)
	if f.temperature.Exists() {
		w.out = append(w.out, `,"temperature":`...)
		w.out = append(w.out, f.temperature.Raw...)
	}
	if f.topP.Exists() {
		w.out = append(w.out, `,"top_p":`...)
		w.out = append(w.out, f.topP.Raw...)
	}
	if err := w.stop(f.stop); err != nil {
		return nil, info, err
	}
	if info.Stream {
		w.out = append(w.out, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	if err := w.tools(f.tools, f.toolChoice); err != nil {
		return nil, info, err
	}
	if err := w.metadata(f.metadata); err != nil {
		return nil, info, err
	}
	if err := w.outputConfig(f.outputConfig); err != nil {
		return nil, info, err
	}
	w.out = append(w.out, '}')
	return w.out, info, nil
}

// requestFields are the top-level fields of a Messages request that are read.
// Others (top_k, thinking, service_tier, cache_control, container, ...) are
// dropped, as the package documentation says.
type requestFields struct {
	model, maxTokens, messages, system, stream, stop, temperature, topP gjson.Result
	tools, toolChoice, metadata, outputConfig                           gjson.Result
}

// scratch holds a requestWriter's scratch buffers between calls; buffers
// grown past maxScratch (by a huge image) are not kept.
type scratch struct{ parts, calls []byte }

const maxScratch = 64 << 10

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// requestWriter builds the OpenAI body. parts and calls are scratch buffers
// reused from message to message.
type requestWriter struct {
	out     []byte
	nmsg    int    // messages written so far
	parts   []byte // the content parts of the message being built
	nparts  int
	oneText string // the raw literal of the only part, when that part is text
	nonText bool   // a part other than text was added
	calls   []byte // the tool_calls of the assistant message being built
	ncalls  int
}

func (w *requestWriter) startMessage(role string) {
	if w.nmsg > 0 {
		w.out = append(w.out, ',')
	}
	w.nmsg++
	w.out = append(w.out, `{"role":"`...)
	w.out = append(w.out, role...)
	w.out = append(w.out, `","content":`...)
}

// system writes the system prompt (a string, or a list of text blocks joined
// with blank lines) as a leading system message.
func (w *requestWriter) system(sys gjson.Result) *apierror.Error {
	switch {
	case !sys.Exists() || sys.Type == gjson.Null:
		return nil
	case sys.Type == gjson.String:
		if sys.Str != "" {
			w.startMessage("system")
			w.out = append(w.out, sys.Raw...)
			w.out = append(w.out, '}')
		}
		return nil
	case !sys.IsArray():
		return invalid("system", "must be a string or a list of text blocks, got %s.", typeName(sys))
	}
	var err *apierror.Error
	n := 0
	forEach(sys, func(_, b gjson.Result) bool {
		at := loc{name: "system", i: n, j: -1, k: -1}
		text := b.Get("text")
		if t := b.Get("type"); t.Str != "text" || t.Type != gjson.String {
			err = at.errorf("", "system blocks must be text blocks.")
			return false
		}
		if text.Type != gjson.String {
			err = at.errorf(".text", "must be a string, got %s.", typeName(text))
			return false
		}
		if n == 0 {
			w.startMessage("system")
			w.out = append(w.out, '"')
		} else {
			w.out = append(w.out, `\n\n`...)
		}
		w.out = append(w.out, inner(text.Raw)...)
		n++
		return true
	})
	if n > 0 {
		w.out = append(w.out, `"}`...)
	}
	return err
}

// message writes the OpenAI messages for Anthropic message i. Like
// Anthropic, it takes empty content only in a final assistant message (where
// it is left out).
func (w *requestWriter) message(i int, last bool, m gjson.Result) *apierror.Error {
	at := loc{name: "messages", i: i, j: -1, k: -1}
	if !m.IsObject() {
		return at.errorf("", "must be an object, got %s.", typeName(m))
	}
	role, content := m.Get("role"), m.Get("content")
	if role.Type != gjson.String || (role.Str != "user" && role.Str != "assistant") {
		hint := ""
		if role.Str == "system" {
			hint = "; the system prompt goes in the top-level system field"
		}
		return at.errorf(".role", "must be \"user\" or \"assistant\", got %s%s.", role.Raw, hint)
	}
	if content.Type == gjson.String && content.Str == "" || content.IsArray() && !content.Get("0").Exists() {
		if last && role.Str == "assistant" {
			return nil
		}
		return at.errorf(".content", "must not be empty; only a final assistant message may have empty content.")
	}
	switch {
	case content.Type == gjson.String:
		w.startMessage(role.Str)
		w.out = append(w.out, content.Raw...)
		w.out = append(w.out, '}')
		return nil
	case !content.IsArray():
		return at.errorf(".content", "must be a string or a list of content blocks, got %s.", typeName(content))
	}
	w.parts, w.nparts, w.oneText, w.nonText = w.parts[:0], 0, "", false
	w.calls, w.ncalls = w.calls[:0], 0
	assistant := role.Str == "assistant"
	var err *apierror.Error
	forEach(content, func(_, b gjson.Result) bool {
		at.j++
		err = w.block(at, assistant, b)
		return err == nil
	})
	if err != nil {
		return err
	}
	if w.nparts == 0 && w.ncalls == 0 {
		return nil // only thinking blocks, or tool results already written
	}
	w.startMessage(role.Str)
	switch {
	case w.nparts == 0:
		w.out = append(w.out, "null"...)
	case w.nparts == 1 && !w.nonText:
		w.out = append(w.out, w.oneText...)
	default:
		w.out = append(w.out, '[')
		w.out = append(w.out, w.parts...)
		w.out = append(w.out, ']')
	}
	if w.ncalls > 0 {
		w.out = append(w.out, `,"tool_calls":[`...)
		w.out = append(w.out, w.calls...)
		w.out = append(w.out, ']')
	}
	w.out = append(w.out, '}')
	return nil
}

// block adds one content block to the message being built.
func (w *requestWriter) block(at loc, assistant bool, b gjson.Result) *apierror.Error {
	if !b.IsObject() {
		return at.errorf("", "must be a content block object, got %s.", typeName(b))
	}
	typ := b.Get("type")
	if typ.Type != gjson.String {
		return at.errorf(".type", "field required (a string).")
	}
	switch typ.Str {
	case "text":
		return w.textPart(at, b)
	case "thinking", "redacted_thinking":
		if !assistant {
			return at.errorf("", "%s blocks are only allowed in assistant messages.", typ.Str)
		}
		return nil // dropped: see the package documentation
	case "tool_use":
		if !assistant {
			return at.errorf("", "tool_use blocks are only allowed in assistant messages.")
		}
		return w.toolUse(at, b)
	case "image", "document", "tool_result":
		if assistant {
			return at.errorf("", "%s blocks are only allowed in user messages.", typ.Str)
		}
		if typ.Str == "tool_result" {
			return w.toolResult(at, b)
		}
		return w.mediaPart(at, typ.Str, b)
	}
	return at.errorf(".type", "content block type %s is not supported; this gateway translates text, image, document, tool_use, tool_result and thinking blocks.", typ.Raw)
}

func (w *requestWriter) sepPart() {
	if w.nparts > 0 {
		w.parts = append(w.parts, ',')
	}
	w.nparts++
}

func (w *requestWriter) textPart(at loc, b gjson.Result) *apierror.Error {
	text := b.Get("text")
	if text.Type != gjson.String {
		return at.errorf(".text", "must be a string, got %s.", typeName(text))
	}
	w.sepPart()
	w.oneText = text.Raw
	w.parts = append(w.parts, `{"type":"text","text":`...)
	w.parts = append(w.parts, text.Raw...)
	w.parts = append(w.parts, '}')
	return nil
}

// mediaPart adds an image or document block as an image_url or file part.
func (w *requestWriter) mediaPart(at loc, typ string, b gjson.Result) *apierror.Error {
	src := b.Get("source")
	if !src.IsObject() {
		return at.errorf(".source", "must be an object, got %s.", typeName(src))
	}
	var st, mt, data, url gjson.Result
	forEach(src, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			st = v
		case "media_type":
			mt = v
		case "data":
			data = v
		case "url":
			url = v
		}
		return true
	})
	for _, f := range [...]struct {
		name string
		v    gjson.Result
		need bool
	}{
		{"media_type", mt, st.Str == "base64"},
		{"data", data, st.Str == "base64" || st.Str == "text"},
		{"url", url, st.Str == "url"},
	} {
		if f.need && f.v.Type != gjson.String {
			return at.errorf(".source."+f.name, "must be a string, got %s.", typeName(f.v))
		}
	}
	switch {
	case st.Str == "base64":
		w.sepPart()
		w.nonText = true
		if typ == "image" {
			w.parts = append(w.parts, `{"type":"image_url","image_url":{"url":"data:`...)
		} else {
			w.parts = append(w.parts, `{"type":"file","file":{"filename":"document.pdf","file_data":"data:`...)
		}
		w.parts = append(w.parts, inner(mt.Raw)...)
		w.parts = append(w.parts, ";base64,"...)
		w.parts = append(w.parts, inner(data.Raw)...)
		w.parts = append(w.parts, `"}}`...)
		return nil
	case st.Str == "url" && typ == "image":
		w.sepPart()
		w.nonText = true
		w.parts = append(w.parts, `{"type":"image_url","image_url":{"url":`...)
		w.parts = append(w.parts, url.Raw...)
		w.parts = append(w.parts, `}}`...)
		return nil
	case st.Str == "text" && typ == "document":
		w.sepPart()
		w.nonText = true
		w.parts = append(w.parts, `{"type":"text","text":`...)
		w.parts = append(w.parts, data.Raw...)
		w.parts = append(w.parts, '}')
		return nil
	}
	if typ == "image" {
		return at.errorf(".source.type", "image source %s is not supported; this gateway passes \"base64\" and \"url\" images.", st.Raw)
	}
	return at.errorf(".source.type", "document source %s is not supported; this gateway passes \"base64\" PDF and \"text\" documents.", st.Raw)
}

// loc is where a value sits in the request (messages[i].content[j], and
// .content[k] inside a tool result; or system[i], tools[i]), for error
// messages. It becomes a string only when there is an error.
type loc struct {
	name    string
	i, j, k int // -1 where absent
}

func (l loc) String() string {
	s := l.name + "[" + strconv.Itoa(l.i) + "]"
	if l.j >= 0 {
		s += ".content[" + strconv.Itoa(l.j) + "]"
	}
	if l.k >= 0 {
		s += ".content[" + strconv.Itoa(l.k) + "]"
	}
	return s
}

// errorf is a 400 about field (".text", or "" for the value itself) of the
// value at l, its message led by the field's path.
func (l loc) errorf(field, format string, args ...any) *apierror.Error {
	return invalid(l.String()+field, format, args...)
}

// invalid is a 400 about the request field param, its message led by param.
func invalid(param, format string, args ...any) *apierror.Error {
	return apierror.InvalidRequest(param, "%s: %s", param, fmt.Sprintf(format, args...))
}

// stop writes stop_sequences as stop.
func (w *requestWriter) stop(stop gjson.Result) *apierror.Error {
	if !stop.Exists() || stop.Type == gjson.Null {
		return nil
	}
	if !stop.IsArray() {
		return invalid("stop_sequences", "must be a list of strings, got %s.", typeName(stop))
	}
	n, ok := 0, true
	forEach(stop, func(_, s gjson.Result) bool {
		n++
		ok = s.Type == gjson.String
		return ok
	})
	if !ok {
		return invalid("stop_sequences", "must be a list of strings.")
	}
	if n > 0 {
		w.out = append(w.out, `,"stop":`...)
		w.out = append(w.out, stop.Raw...)
	}
	return nil
}

// metadata writes metadata.user_id as user.
func (w *requestWriter) metadata(md gjson.Result) *apierror.Error {
	if !md.Exists() || md.Type == gjson.Null {
		return nil
	}
	if !md.IsObject() {
		return invalid("metadata", "must be an object, got %s.", typeName(md))
	}
	uid := md.Get("user_id")
	switch uid.Type {
	case gjson.String:
		if uid.Str != "" {
			w.out = append(w.out, `,"user":`...)
			w.out = append(w.out, uid.Raw...)
		}
	case gjson.Null:
	default:
		if uid.Exists() {
			return invalid("metadata.user_id", "must be a string, got %s.", typeName(uid))
		}
	}
	return nil
}

// outputConfig writes output_config.format (structured outputs: a JSON
// schema the answer must follow) as response_format; its effort is dropped.
func (w *requestWriter) outputConfig(oc gjson.Result) *apierror.Error {
	format := oc.Get("format")
	if !format.Exists() || format.Type == gjson.Null {
		return nil
	}
	schema := format.Get("schema")
	if format.Get("type").Str != "json_schema" || !schema.IsObject() {
		return invalid("output_config.format", `must be {"type":"json_schema","schema":{...}}.`)
	}
	w.out = append(w.out, `,"response_format":{"type":"json_schema","json_schema":{"name":"output","schema":`...)
	w.out = append(w.out, schema.Raw...)
	w.out = append(w.out, `}}`...)
	return nil
}
