package translate

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sluicegw/sluice/apierror"
	"github.com/tidwall/gjson"
)

// ResponsesInfo is what the gateway needs of a Responses request, and what
// the translated answer repeats of it. Get it from [ResponsesRequestToOpenAI]
// and hand it to [OpenAIResponseToResponses] or [NewOpenAIStreamToResponses].
type ResponsesInfo struct {
	// Model is the model the client asked for, which the answer reports.
	// The gateway may replace it (with the public name a script chose, say)
	// before translating the answer.
	Model string
	// Stream is true for "stream": true.
	Stream bool
	// MaxOutputTokens is max_output_tokens, or 0 when the request has none.
	MaxOutputTokens int

	// echo holds the request fields a response object repeats
	// (instructions, tools, tool_choice, temperature, text, ...) as JSON
	// object members ready to paste; nil gives OpenAI's defaults.
	echo []byte
}

// ResponsesRequestToOpenAI turns an OpenAI Responses request body (what
// client.Responses.New and NewStreaming send to POST /v1/responses) into an
// OpenAI chat completions request body, for upstreams that speak only chat
// completions. The gateway is stateless: a request must carry the whole
// conversation.
//
// Requests: Responses to chat completions
//
//   - model passes as it is; instructions become a leading "system" message.
//   - input given as a string is one user message. Given as a list, its
//     items keep their order, and become what the next four points say.
//   - input messages ({"type":"message",...} or a bare {"role","content"}) with
//     role user, system, developer or assistant; developer becomes "system"
//     (OpenAI-compatible servers do not all know the developer role, and
//     OpenAI treats the two alike). Content is a string, kept as it is, or
//     a list of parts: input_text and output_text become text parts (a
//     single text part becomes a plain string); input_image an image_url
//     part (image_url, with detail low, high or auto); input_file with
//     file_data a file part (file_data and filename). A refusal part in an
//     assistant message becomes text: it is what the assistant said.
//   - function_call items become tool_calls (id = call_id, type
//     "function", name, arguments as sent) of one assistant message:
//     consecutive calls (parallel calls) share it, and so does an assistant
//     message just before them, whose text becomes the content.
//   - function_call_output items become "tool" messages (tool_call_id =
//     call_id). A list output's text parts are joined by newlines; its
//     images and files cannot ride in a tool message, so they go in a user
//     message after the tool messages of the turn.
//   - reasoning items are dropped: their (often encrypted) content only
//     means something to the OpenAI model that wrote it.
//   - tools of type "function" become chat function tools (name,
//     description, parameters, strict when given). tool_choice "auto",
//     "none", "required" pass as they are, {"type":"function","name":N}
//     becomes {"type":"function","function":{"name":N}};
//     parallel_tool_calls passes. Without tools, tool_choice and
//     parallel_tool_calls are left out (chat completions rejects them
//     alone).
//   - max_output_tokens becomes max_completion_tokens; temperature and
//     top_p pass; text.format "json_object" and "json_schema" (name,
//     schema, strict, description) become response_format ("text", the
//     default, is left out); text.verbosity becomes verbosity;
//     reasoning.effort becomes reasoning_effort; user becomes user, or else
//     safety_identifier does.
//   - stream: true adds "stream_options":{"include_usage":true}, so the
//     translated stream can report usage at its end.
//
// Dropped: metadata (echoed in the answer, not sent upstream),
// reasoning.summary, include, truncation, max_tool_calls, top_logprobs,
// service_tier, prompt_cache_key, prompt_cache_retention, stream_options,
// the id and status of input items, and any field this list does not name.
//
// Refused with a 400 invalid_request whose param names the field, because a
// stateless gateway in front of a chat completions upstream cannot honour
// them: "store": true (OpenAI's API stores responses by default; this
// gateway keeps nothing, so an absent store counts as false and answers say
// "store": false), previous_response_id, conversation, "background": true,
// prompt (stored prompt templates), item_reference input items; built-in
// tools (web_search, file_search, computer_use_preview, code_interpreter,
// image_generation, mcp, local_shell, shell, apply_patch, custom,
// namespace...) and the tool_choice forms that name them, or
// allowed_tools; input items other than message, function_call,
// function_call_output and reasoning (calls of built-in tools); images and
// files given by file_id (the gateway holds no files), files by file_url;
// images in system or assistant messages.
//
// A malformed or invalid body gives an *apierror.Error with status 400, code
// "invalid_request" and a message led by the path of the field at fault,
// e.g. "input[2].content[0].type". The ResponsesInfo is filled as far as the
// body was read, so the gateway can still log the model of a rejected
// request.
func ResponsesRequestToOpenAI(body []byte) ([]byte, ResponsesInfo, *apierror.Error) {
	var info ResponsesInfo
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
	var f responsesFields
	forEach(root, func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "input":
			f.input = v
		case "instructions":
			f.instructions = v
		case "stream":
			f.stream = v
		case "store":
			f.store = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "parallel_tool_calls":
			f.parallel = v
		case "max_output_tokens":
			f.maxOutput = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "text":
			f.text = v
		case "reasoning":
			f.reasoning = v
		case "user":
			f.user = v
		case "safety_identifier":
			f.safetyID = v
		case "metadata":
			f.metadata = v
		case "previous_response_id":
			f.previous = v
		case "conversation":
			f.conversation = v
		case "background":
			f.background = v
		case "prompt":
			f.prompt = v
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
	if err := checkBool("stream", f.stream); err != nil {
		return nil, info, err
	}
	info.Stream = f.stream.Type == gjson.True
	if err := f.stateless(); err != nil {
		return nil, info, err
	}
	if set(f.maxOutput) {
		if n := f.maxOutput.Num; f.maxOutput.Type != gjson.Number || n != math.Trunc(n) || n < 1 || n > math.MaxInt32 {
			return nil, info, invalid("max_output_tokens", "must be a positive integer, got %s.", f.maxOutput.Raw)
		}
		info.MaxOutputTokens = int(f.maxOutput.Num)
	}
	for _, p := range [...]struct {
		name string
		v    gjson.Result
	}{{"temperature", f.temperature}, {"top_p", f.topP}} {
		if set(p.v) && p.v.Type != gjson.Number {
			return nil, info, invalid(p.name, "must be a number, got %s.", typeName(p.v))
		}
	}
	if err := checkBool("parallel_tool_calls", f.parallel); err != nil {
		return nil, info, err
	}
	for _, p := range [...]struct {
		name string
		v    gjson.Result
	}{{"instructions", f.instructions}, {"user", f.user}, {"safety_identifier", f.safetyID}} {
		if set(p.v) && p.v.Type != gjson.String {
			return nil, info, invalid(p.name, "must be a string, got %s.", typeName(p.v))
		}
	}
	if set(f.metadata) && !f.metadata.IsObject() {
		return nil, info, invalid("metadata", "must be an object, got %s.", typeName(f.metadata))
	}
	if !set(f.input) {
		return nil, info, invalid("input", "field required; this gateway is stateless, so input must hold the whole conversation.")
	}
	if f.input.Type != gjson.String && !f.input.IsArray() {
		return nil, info, invalid("input", "must be a string or a list of input items, got %s.", typeName(f.input))
	}

	w := responsesWriter{out: make([]byte, 0, len(body)+len(body)/8+256)}
	s := responsesScratchPool.Get().(*responsesScratch)
	w.parts, w.asst, w.calls, w.media, w.echo = s.parts[:0], s.asst[:0], s.calls[:0], s.media[:0], s.echo[:0]
	defer func() {
		if cap(w.parts)+cap(w.asst)+cap(w.calls)+cap(w.media)+cap(w.echo) <= maxScratch {
			s.parts, s.asst, s.calls, s.media, s.echo = w.parts[:0], w.asst[:0], w.calls[:0], w.media[:0], w.echo[:0]
		}
		responsesScratchPool.Put(s)
	}()
	w.out = append(w.out, `{"model":`...)
	w.out = append(w.out, f.model.Raw...)
	w.out = append(w.out, `,"messages":[`...)
	if f.instructions.Type == gjson.String && f.instructions.Str != "" {
		w.startMessage("system")
		w.out = append(w.out, f.instructions.Raw...)
		w.out = append(w.out, '}')
	}
	if err := w.input(f.input); err != nil {
		return nil, info, err
	}
	w.out = append(w.out, ']')

	if info.MaxOutputTokens > 0 {
		w.out = append(w.out, `,"max_completion_tokens":`...)
		w.out = strconv.AppendInt(w.out, int64(info.MaxOutputTokens), 10)
	}
	if set(f.temperature) {
		w.out = append(w.out, `,"temperature":`...)
		w.out = append(w.out, f.temperature.Raw...)
	}
	if set(f.topP) {
		w.out = append(w.out, `,"top_p":`...)
		w.out = append(w.out, f.topP.Raw...)
	}
	if info.Stream {
		w.out = append(w.out, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	ntools, err := w.responsesTools(f.tools)
	if err != nil {
		return nil, info, err
	}
	if err := w.responsesToolChoice(f.toolChoice, ntools); err != nil {
		return nil, info, err
	}
	if ntools > 0 && (f.parallel.Type == gjson.True || f.parallel.Type == gjson.False) {
		w.out = append(w.out, `,"parallel_tool_calls":`...)
		w.out = append(w.out, f.parallel.Raw...)
	}
	if err := w.textConfig(f.text); err != nil {
		return nil, info, err
	}
	if err := w.reasoningConfig(f.reasoning); err != nil {
		return nil, info, err
	}
	switch {
	case f.user.Type == gjson.String && f.user.Str != "":
		w.out = append(w.out, `,"user":`...)
		w.out = append(w.out, f.user.Raw...)
	case f.safetyID.Type == gjson.String && f.safetyID.Str != "":
		w.out = append(w.out, `,"user":`...)
		w.out = append(w.out, f.safetyID.Raw...)
	}
	w.out = append(w.out, '}')
	// The echo goes into every response.created and final event: compact,
	// so that each event's data stays on one line.
	s.full = f.appendEcho(s.full[:0], w.echo)
	info.echo = appendCompact(make([]byte, 0, len(s.full)), s.full)
	if cap(s.full) > maxScratch {
		s.full = nil
	}
	return w.out, info, nil
}

// appendCompact appends the JSON text raw without its insignificant
// whitespace. raw must be valid JSON, so its strings hold no raw newlines.
func appendCompact(b, raw []byte) []byte {
	inStr, esc := false, false
	for _, c := range raw {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '"':
			inStr = true
		}
		b = append(b, c)
	}
	return b
}

// responsesFields are the top-level fields of a Responses request that are
// read; the others are dropped, as ResponsesRequestToOpenAI says.
type responsesFields struct {
	model, input, instructions, stream, store, tools, toolChoice, parallel gjson.Result
	maxOutput, temperature, topP, text, reasoning, user, safetyID          gjson.Result
	metadata, previous, conversation, background, prompt                   gjson.Result
}

// set reports whether a field is present and not null.
func set(v gjson.Result) bool { return v.Exists() && v.Type != gjson.Null }

func checkBool(name string, v gjson.Result) *apierror.Error {
	if set(v) && v.Type != gjson.True && v.Type != gjson.False {
		return invalid(name, "must be a boolean, got %s.", typeName(v))
	}
	return nil
}

// stateless refuses the fields that need state the gateway does not keep.
func (f *responsesFields) stateless() *apierror.Error {
	if err := checkBool("store", f.store); err != nil {
		return err
	}
	if f.store.Type == gjson.True {
		return invalid("store", "store is not supported: this gateway is stateless and keeps no responses; send \"store\": false (or leave store out).")
	}
	if err := checkBool("background", f.background); err != nil {
		return err
	}
	if f.background.Type == gjson.True {
		return invalid("background", "background responses are not supported: this gateway is stateless and answers within the request; leave background out.")
	}
	if set(f.previous) && !(f.previous.Type == gjson.String && f.previous.Str == "") {
		return invalid("previous_response_id", "previous_response_id is not supported: this gateway is stateless and keeps no responses; send the whole conversation in input instead.")
	}
	if set(f.conversation) {
		return invalid("conversation", "conversations are not supported: this gateway is stateless and keeps no conversations; send the whole conversation in input instead.")
	}
	if set(f.prompt) {
		return invalid("prompt", "prompt templates are not supported: this gateway cannot read templates stored with OpenAI; send the prompt in instructions and input instead.")
	}
	return nil
}

// appendEcho appends the request fields a response object repeats, as
// object members, with OpenAI's defaults for those the request left out.
// tools is the echo of the function tools, as responsesTools built it.
func (f *responsesFields) appendEcho(b, tools []byte) []byte {
	b = append(b, `"instructions":`...)
	b = appendOr(b, f.instructions, gjson.String, "null")
	b = append(b, `,"max_output_tokens":`...)
	b = appendOr(b, f.maxOutput, gjson.Number, "null")
	b = append(b, `,"metadata":`...)
	if f.metadata.IsObject() {
		b = append(b, f.metadata.Raw...)
	} else {
		b = append(b, "{}"...)
	}
	b = append(b, `,"parallel_tool_calls":`...)
	if f.parallel.Type == gjson.False {
		b = append(b, "false"...)
	} else {
		b = append(b, "true"...)
	}
	b = append(b, `,"previous_response_id":null,"reasoning":{"effort":`...)
	b = appendOr(b, f.reasoning.Get("effort"), gjson.String, "null")
	b = append(b, `,"summary":`...)
	b = appendOr(b, f.reasoning.Get("summary"), gjson.String, "null")
	b = append(b, `},"store":false,"temperature":`...)
	b = appendOr(b, f.temperature, gjson.Number, "1")
	b = append(b, `,"text":{"format":`...)
	if format := f.text.Get("format"); format.IsObject() {
		b = append(b, format.Raw...)
	} else {
		b = append(b, `{"type":"text"}`...)
	}
	if v := f.text.Get("verbosity"); v.Type == gjson.String {
		b = append(b, `,"verbosity":`...)
		b = append(b, v.Raw...)
	}
	b = append(b, `},"tool_choice":`...)
	if f.toolChoice.Type == gjson.String || f.toolChoice.IsObject() {
		b = append(b, f.toolChoice.Raw...)
	} else {
		b = append(b, `"auto"`...)
	}
	b = append(b, `,"tools":[`...)
	b = append(b, tools...)
	b = append(b, `],"top_p":`...)
	b = appendOr(b, f.topP, gjson.Number, "1")
	b = append(b, `,"truncation":"disabled"`...)
	if f.user.Type == gjson.String {
		b = append(b, `,"user":`...)
		b = append(b, f.user.Raw...)
	}
	if f.safetyID.Type == gjson.String {
		b = append(b, `,"safety_identifier":`...)
		b = append(b, f.safetyID.Raw...)
	}
	return b
}

// appendOr appends v's JSON when it has type typ, else def.
func appendOr(b []byte, v gjson.Result, typ gjson.Type, def string) []byte {
	if v.Type == typ {
		return append(b, v.Raw...)
	}
	return append(b, def...)
}

// defaultEcho is what a response object repeats of a request it knows
// nothing of (a zero ResponsesInfo): OpenAI's defaults.
const defaultEcho = `"instructions":null,"max_output_tokens":null,"metadata":{},"parallel_tool_calls":true,` +
	`"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":1,` +
	`"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1,"truncation":"disabled"`

// responsesScratch holds a responsesWriter's scratch buffers between calls;
// buffers grown past maxScratch are not kept.
type responsesScratch struct{ parts, asst, calls, media, echo, full []byte }

var responsesScratchPool = sync.Pool{New: func() any { return new(responsesScratch) }}

// responsesWriter builds the chat completions body.
type responsesWriter struct {
	out  []byte
	nmsg int // messages written so far

	// The content parts of the message being built.
	parts   []byte
	nparts  int
	oneText string // the raw literal of the only part, when it is text
	nonText bool   // a part other than text was added

	// The pending assistant message: its content (a JSON value, or empty)
	// and its tool calls. Function calls that follow an assistant message
	// join it, so it is written only when another item comes.
	pending bool
	asst    []byte
	calls   []byte
	ncalls  int

	// Image and file parts of tool outputs, for a user message after the
	// tool messages.
	media  []byte
	nmedia int

	echo  []byte // the function tools as the response object repeats them
	ntool int
}

func (w *responsesWriter) startMessage(role string) {
	if w.nmsg > 0 {
		w.out = append(w.out, ',')
	}
	w.nmsg++
	w.out = append(w.out, `{"role":"`...)
	w.out = append(w.out, role...)
	w.out = append(w.out, `","content":`...)
}
