package translate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicegw/sluice/apierror"
	"github.com/tidwall/gjson"
)

// OpenAIStreamToResponses translates a chat.completion.chunk stream into the
// Responses API's stream events, one upstream event at a time, never
// buffering the stream. Each event's data is a JSON object whose "type" is
// also its SSE event name, with a "sequence_number" counting from 0:
//
//   - response.created, then response.in_progress, both with the response
//     object as it starts (status "in_progress", output [], usage null),
//     at the first upstream event.
//   - For text: response.output_item.added (a "message" item, status
//     "in_progress", content []), response.content_part.added (an
//     output_text part, text ""), one response.output_text.delta per
//     upstream fragment (item_id, output_index, content_index, delta,
//     logprobs []), and when the message ends response.output_text.done
//     (the whole text), response.content_part.done and
//     response.output_item.done (the whole item). A refusal is a refusal
//     part of the message, with response.refusal.delta and
//     response.refusal.done events.
//   - For each tool call (by its index in the upstream deltas):
//     response.output_item.added (a "function_call" item with call_id,
//     name and arguments ""), one response.function_call_arguments.delta
//     per fragment, then response.function_call_arguments.done (the whole
//     arguments, "{}" when the model sent none) and
//     response.output_item.done.
//   - Last, at the usage chunk that follows the finish_reason (or at
//     [DONE], or at Close): response.completed, or response.incomplete for
//     finish_reason length (reason "max_output_tokens") and content_filter
//     (reason "content_filter"), with the whole response object and its
//     usage. That event ends the stream; Responses streams have no [DONE].
//
// Output items are added in output_index order, as the SDKs' accumulators
// need. The message item ends when a tool call starts; text after tool
// calls starts a new message item. A tool call's item ends when the next
// item starts, unless its arguments are not yet complete JSON: it stays
// open, so that upstreams which interleave the fragments of parallel tool
// calls still give each item its own, whole arguments (deltas carry their
// item's output_index and item_id). Ids follow OpenAIResponseToResponses:
// "resp_", "msg_" (then "msg_..._1", ... for later message items) and "fc_".
//
// The translator keeps only what the .done events and the final response
// need: each item's text and arguments so far.
//
// Not safe for concurrent use; one per stream.
type OpenAIStreamToResponses struct {
	info           ResponsesInfo
	buf            []byte // the event being emitted
	seq            int64  // the next sequence_number
	started, ended bool
	suffix         string // the common part of the ids
	respID         string
	created        int64
	items          []responsesItem // the output items, by output_index
	msg            int             // the open message item, or -1
	nmsg           int             // message items so far
	tools          []responsesTool
	finished       bool   // a finish_reason arrived
	finish         string // the finish_reason
	usageOK        bool
	usage          responsesUsage
}

// responsesItem is one output item of a stream.
type responsesItem struct {
	fc     bool // a function call, else a message
	open   bool
	status string // once closed: "completed" or "incomplete"
	id     string

	// A message's parts: text and refusal so far (escaped), and their
	// content_index (-1 when the part has not started).
	text, refusal         []byte
	textPart, refusalPart int
	nparts                int

	// A function call's call_id, name (escaped) and arguments so far
	// (escaped).
	callID, name string
	args         []byte
	end          jsonEnd
}

// responsesTool is one streamed tool call of the upstream.
type responsesTool struct {
	index   int64 // its index in the upstream deltas
	item    int   // its output item, or -1 until its name is known
	id      string
	name    string // escaped
	pending []byte // argument fragments (escaped) that came before its name
}

// NewOpenAIStreamToResponses returns a translator for one stream. info is
// what ResponsesRequestToOpenAI returned for the request; its Model is the
// model the events report.
func NewOpenAIStreamToResponses(info ResponsesInfo) *OpenAIStreamToResponses {
	return &OpenAIStreamToResponses{info: info, msg: -1}
}

// Event takes the data of one upstream SSE event (a chunk's JSON, or
// "[DONE]") and calls emit for each Responses event it yields: name is the
// SSE event name, data its JSON, valid only until emit returns (the buffer
// is reused). The first call emits response.created and
// response.in_progress.
//
// The stream ends (the last items' .done events, then response.completed
// or response.incomplete) at the usage chunk that follows the
// finish_reason, or at [DONE] when no usage chunk comes; later events
// yield nothing. An error object from the upstream ({"error":{...}}) ends
// the stream as Fail does. Event fails only on data that is not a JSON
// object.
func (t *OpenAIStreamToResponses) Event(data []byte, emit func(name string, data []byte)) error {
	if t.ended {
		return nil
	}
	if bytes.Equal(data, doneData) {
		t.begin("", 0, emit)
		t.end(emit)
		return nil
	}
	if !gjson.ValidBytes(data) {
		return fmt.Errorf("translate: stream event is not valid JSON: %.80q", data)
	}
	c := gjson.Parse(view(data))
	if !c.IsObject() {
		return fmt.Errorf("translate: stream event is a JSON %s, not an object", typeName(c))
	}
	var id, created, choices, u, e gjson.Result
	forEach(c, func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v
		case "created":
			created = v
		case "choices":
			choices = v
		case "usage":
			u = v
		case "error":
			e = v
		}
		return true
	})
	if set(e) {
		msg := e.Get("message").Str
		if msg == "" {
			msg = errorMessage(c, "The upstream provider failed during the stream.")
		}
		code := e.Get("code").Str
		if code == "" {
			code = "upstream_error"
		}
		failCode := "server_error"
		if code == "rate_limit_exceeded" || e.Get("type").Str == "rate_limit_error" {
			failCode = "rate_limit_exceeded"
		}
		t.fail(code, msg, e.Get("param").Str, failCode, emit)
		return nil
	}
	t.begin(id.Str, created.Int(), emit)
	hasChoices := false
	forEach(choices, func(_, ch gjson.Result) bool {
		hasChoices = true
		if ch.Get("index").Int() == 0 {
			t.choice(ch, emit)
		}
		return true
	})
	if u.IsObject() {
		t.usage, t.usageOK = readResponsesUsage(u), true
		if t.finished && !hasChoices {
			t.end(emit)
		}
	}
	return nil
}

// Close finishes a stream whose upstream ended without [DONE]. When the
// stream already ended it does nothing. When a finish_reason was seen it
// emits the closing events. Otherwise it emits nothing and returns
// ErrIncomplete: the answer was cut short, and the stream should end with
// Fail.
func (t *OpenAIStreamToResponses) Close(emit func(name string, data []byte)) error {
	if t.ended {
		return nil
	}
	if !t.finished {
		return ErrIncomplete
	}
	t.end(emit)
	return nil
}

// Fail ends a broken stream with e: an "error" event ({"type":"error",
// "code","message","param","sequence_number"}, code and param from e),
// then, when response.created went out, response.failed, whose response
// has status "failed", error {"code","message"} ("rate_limit_exceeded" for
// a 429, else "server_error") and the output items so far (the unfinished
// ones "incomplete"). A stream that has already ended gets nothing.
func (t *OpenAIStreamToResponses) Fail(e *apierror.Error, emit func(name string, data []byte)) {
	code := e.Code
	if code == "" {
		code = "server_error"
	}
	failCode := "server_error"
	if e.Status == 429 {
		failCode = "rate_limit_exceeded"
	}
	t.fail(code, e.Message, e.Param, failCode, emit)
}

// Usage reports the usage seen so far (from the usage chunk), for the
// gateway's accounting: input is the whole prompt as OpenAI counts it,
// cached tokens included; cached is the part of it read from the cache.
// ok is false until a usage object has arrived.
func (t *OpenAIStreamToResponses) Usage() (input, output, cached int, ok bool) {
	return int(t.usage.input), int(t.usage.output), int(t.usage.cached), t.usageOK
}

// ResponsesErrorEvent renders e as the Responses stream's "error" event,
// for a stream that has no translator to number it: its sequence_number is
// 0. Mid-stream, use the translator's Fail, which numbers the event in
// sequence and also emits response.failed.
func ResponsesErrorEvent(e *apierror.Error) (name string, data []byte) {
	code := e.Code
	if code == "" {
		code = "server_error"
	}
	return "error", appendErrorEvent(nil, code, e.Message, e.Param, 0)
}

func appendErrorEvent(b []byte, code, msg, param string, seq int64) []byte {
	b = append(b, `{"type":"error","code":`...)
	b = appendString(b, code)
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = append(b, `,"param":`...)
	if param != "" {
		b = appendString(b, param)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"sequence_number":`...)
	b = strconv.AppendInt(b, seq, 10)
	return append(b, '}')
}

// startEvent starts the data of an event of type typ in t.buf.
func (t *OpenAIStreamToResponses) startEvent(typ string) []byte {
	b := append(t.buf[:0], `{"type":"`...)
	b = append(b, typ...)
	return append(b, '"')
}

// send ends the event in b with its sequence_number and emits it.
func (t *OpenAIStreamToResponses) send(b []byte, typ string, emit func(string, []byte)) {
	b = append(b, `,"sequence_number":`...)
	b = strconv.AppendInt(b, t.seq, 10)
	b = append(b, '}')
	t.seq++
	t.buf = b
	emit(typ, b)
}

// itemEvent starts an event about item i: its type, item_id and
// output_index.
func (t *OpenAIStreamToResponses) itemEvent(typ string, i int) []byte {
	b := t.startEvent(typ)
	b = append(b, `,"item_id":`...)
	b = appendString(b, t.items[i].id)
	b = append(b, `,"output_index":`...)
	return strconv.AppendInt(b, int64(i), 10)
}

// begin emits response.created and response.in_progress, once.
func (t *OpenAIStreamToResponses) begin(id string, created int64, emit func(string, []byte)) {
	if t.started {
		return
	}
	t.started = true
	t.suffix = idSuffix(id)
	t.respID = "resp_" + t.suffix
	t.created = created
	if created <= 0 {
		t.created = nowUnix()
	}
	for _, typ := range [...]string{"response.created", "response.in_progress"} {
		b := t.startEvent(typ)
		b = append(b, `,"response":`...)
		b = appendResponseHead(b, &t.info, t.respID, t.created, "in_progress", "", "", "")
		b = appendResponseTail(b, nil)
		t.send(b, typ, emit)
	}
}

// choice translates the delta and finish_reason of choice 0.
func (t *OpenAIStreamToResponses) choice(ch gjson.Result, emit func(string, []byte)) {
	if t.finished {
		return
	}
	var content, refusal, calls gjson.Result
	forEach(ch.Get("delta"), func(k, v gjson.Result) bool {
		switch k.Str {
		case "content":
			content = v
		case "refusal":
			refusal = v
		case "tool_calls":
			calls = v
		}
		return true
	})
	if content.Type == gjson.String && len(content.Raw) > 2 {
		t.textDelta(content.Raw, false, emit)
	}
	if refusal.Type == gjson.String && len(refusal.Raw) > 2 {
		t.textDelta(refusal.Raw, true, emit)
	}
	forEach(calls, func(_, tc gjson.Result) bool {
		if tc.IsObject() {
			t.toolDelta(tc, emit)
		}
		return true
	})
	if fr := ch.Get("finish_reason"); fr.Type == gjson.String && fr.Str != "" {
		t.finished = true
		t.finish = strings.Clone(fr.Str)
		t.closeAll(emit)
	}
}

// textDelta emits a text or refusal fragment (a raw JSON string), starting
// a message item and its part first when needed.
func (t *OpenAIStreamToResponses) textDelta(raw string, refusal bool, emit func(string, []byte)) {
	if t.msg < 0 {
		t.closeDone(emit)
		t.msg = len(t.items)
		id := "msg_" + t.suffix
		if t.nmsg > 0 {
			id += "_" + strconv.Itoa(t.nmsg)
		}
		t.nmsg++
		t.items = append(t.items, responsesItem{id: id, open: true, textPart: -1, refusalPart: -1})
		b := t.startEvent("response.output_item.added")
		b = append(b, `,"output_index":`...)
		b = strconv.AppendInt(b, int64(t.msg), 10)
		b = append(b, `,"item":{"id":`...)
		b = appendString(b, id)
		b = append(b, `,"type":"message","status":"in_progress","role":"assistant","content":[]}`...)
		t.send(b, "response.output_item.added", emit)
	}
	it := &t.items[t.msg]
	part := &it.textPart
	if refusal {
		part = &it.refusalPart
	}
	if *part < 0 {
		*part = it.nparts
		it.nparts++
		b := t.itemEvent("response.content_part.added", t.msg)
		b = append(b, `,"content_index":`...)
		b = strconv.AppendInt(b, int64(*part), 10)
		if refusal {
			b = append(b, `,"part":{"type":"refusal","refusal":""}`...)
		} else {
			b = append(b, `,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`...)
		}
		t.send(b, "response.content_part.added", emit)
	}
	typ := "response.output_text.delta"
	if refusal {
		typ = "response.refusal.delta"
		it.refusal = append(it.refusal, inner(raw)...)
	} else {
		it.text = append(it.text, inner(raw)...)
	}
	b := t.itemEvent(typ, t.msg)
	b = append(b, `,"content_index":`...)
	b = strconv.AppendInt(b, int64(*part), 10)
	b = append(b, `,"delta":`...)
	b = append(b, raw...)
	if !refusal {
		b = append(b, `,"logprobs":[]`...)
	}
	t.send(b, typ, emit)
}

// toolDelta takes one entry of a delta's tool_calls.
func (t *OpenAIStreamToResponses) toolDelta(tc gjson.Result, emit func(string, []byte)) {
	var index, id, fn gjson.Result
	forEach(tc, func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			index = v
		case "id":
			id = v
		case "function":
			fn = v
		}
		return true
	})
	tool := t.tool(index, id.Str)
	if tool.id == "" && id.Str != "" {
		tool.id = strings.Clone(id.Str)
	}
	var name, args gjson.Result
	forEach(fn, func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			name = v
		case "arguments":
			args = v
		}
		return true
	})
	if tool.name == "" && name.Type == gjson.String && len(name.Raw) > 2 {
		tool.name = strings.Clone(inner(name.Raw))
	}
	hasArgs := args.Type == gjson.String && len(args.Raw) > 2
	if tool.item < 0 {
		if hasArgs {
			tool.pending = append(tool.pending, inner(args.Raw)...)
		}
		if tool.name != "" {
			t.startTool(tool, emit)
		}
		return
	}
	it := &t.items[tool.item]
	if !hasArgs || !it.open {
		return // fragments after a tool call's complete arguments are dropped
	}
	t.argsDelta(tool.item, inner(args.Raw), emit)
	if it.end.done && tool.item < len(t.items)-1 {
		t.closeItem(tool.item, "completed", emit) // a later item has started: this one is done
	}
}

// tool finds the streamed tool call a delta entry is about, by its index
// (or, from servers that send none, its id, else the latest call).
func (t *OpenAIStreamToResponses) tool(index gjson.Result, id string) *responsesTool {
	for i := range t.tools {
		tl := &t.tools[i]
		if index.Exists() && tl.index == index.Int() || !index.Exists() && id != "" && tl.id == id {
			return tl
		}
	}
	if !index.Exists() && id == "" && len(t.tools) > 0 {
		return &t.tools[len(t.tools)-1]
	}
	i := index.Int()
	if !index.Exists() {
		i = int64(len(t.tools))
	}
	t.tools = append(t.tools, responsesTool{index: i, item: -1})
	return &t.tools[len(t.tools)-1]
}

// startTool adds a tool call's output item, with the fragments that came
// before its name as its first delta. The message item ends first.
func (t *OpenAIStreamToResponses) startTool(tool *responsesTool, emit func(string, []byte)) {
	if t.msg >= 0 {
		t.closeItem(t.msg, "completed", emit)
	}
	t.closeDone(emit)
	if tool.id == "" {
		tool.id = randomID("call_")
	}
	tool.item = len(t.items)
	t.items = append(t.items, responsesItem{fc: true, open: true, id: "fc_" + strings.TrimPrefix(tool.id, "call_"),
		callID: tool.id, name: tool.name, textPart: -1, refusalPart: -1})
	it := &t.items[tool.item]
	b := t.startEvent("response.output_item.added")
	b = append(b, `,"output_index":`...)
	b = strconv.AppendInt(b, int64(tool.item), 10)
	b = append(b, `,"item":`...)
	b = appendFunctionCallItem(b, it.callID, it.name, "", "in_progress")
	t.send(b, "response.output_item.added", emit)
	if len(tool.pending) > 0 {
		t.argsDelta(tool.item, string(tool.pending), emit)
		tool.pending = nil
	}
}

// argsDelta emits a fragment (escaped) of item i's arguments.
func (t *OpenAIStreamToResponses) argsDelta(i int, frag string, emit func(string, []byte)) {
	it := &t.items[i]
	it.args = append(it.args, frag...)
	it.end.feedEscaped(frag)
	b := t.itemEvent("response.function_call_arguments.delta", i)
	b = append(b, `,"delta":"`...)
	b = append(b, frag...)
	b = append(b, '"')
	t.send(b, "response.function_call_arguments.delta", emit)
}

// closeDone ends the items known to be complete before a new one starts:
// tool calls whose arguments are whole JSON.
func (t *OpenAIStreamToResponses) closeDone(emit func(string, []byte)) {
	for i := range t.items {
		if it := &t.items[i]; it.fc && it.open && it.end.done {
			t.closeItem(i, "completed", emit)
		}
	}
}

// closeAll ends every open item, in output_index order, adding first the
// tool calls whose name never came. At a finish_reason that cut the answer
// short, the last item is "incomplete".
func (t *OpenAIStreamToResponses) closeAll(emit func(string, []byte)) {
	for i := range t.tools {
		if t.tools[i].item < 0 {
			t.startTool(&t.tools[i], emit)
		}
	}
	status, _ := responsesStatus(t.finish)
	for i := range t.items {
		if t.items[i].open {
			s := "completed"
			if i == len(t.items)-1 && status == "incomplete" {
				s = "incomplete"
			}
			t.closeItem(i, s, emit)
		}
	}
}

// closeItem emits the events that end item i.
func (t *OpenAIStreamToResponses) closeItem(i int, status string, emit func(string, []byte)) {
	it := &t.items[i]
	if !it.open {
		return
	}
	it.open, it.status = false, status
	if it.fc {
		if len(it.args) == 0 {
			t.argsDelta(i, "{}", emit) // a call needs arguments a client can parse
			it = &t.items[i]
		}
		b := t.itemEvent("response.function_call_arguments.done", i)
		b = append(b, `,"arguments":"`...)
		b = append(b, it.args...)
		b = append(b, '"')
		t.send(b, "response.function_call_arguments.done", emit)
	} else {
		t.msg = -1
		for p := 0; p < it.nparts; p++ {
			refusal := p == it.refusalPart
			typ, key, text := "response.output_text.done", "text", it.text
			if refusal {
				typ, key, text = "response.refusal.done", "refusal", it.refusal
			}
			b := t.itemEvent(typ, i)
			b = append(b, `,"content_index":`...)
			b = strconv.AppendInt(b, int64(p), 10)
			b = append(b, `,"`...)
			b = append(b, key...)
			b = append(b, `":"`...)
			b = append(b, text...)
			b = append(b, '"')
			if !refusal {
				b = append(b, `,"logprobs":[]`...)
			}
			t.send(b, typ, emit)
			b = t.itemEvent("response.content_part.done", i)
			b = append(b, `,"content_index":`...)
			b = strconv.AppendInt(b, int64(p), 10)
			b = append(b, `,"part":`...)
			b = t.appendPart(b, it, p)
			t.send(b, "response.content_part.done", emit)
		}
	}
	b := t.startEvent("response.output_item.done")
	b = append(b, `,"output_index":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `,"item":`...)
	b = t.appendItem(b, it)
	t.send(b, "response.output_item.done", emit)
}

// appendPart appends content part p of a message item.
func (t *OpenAIStreamToResponses) appendPart(b []byte, it *responsesItem, p int) []byte {
	if p == it.refusalPart {
		return appendRefusalPart(b, view(it.refusal))
	}
	return appendTextPart(b, view(it.text))
}

// appendItem appends an output item as it stands; an open one is
// "incomplete".
func (t *OpenAIStreamToResponses) appendItem(b []byte, it *responsesItem) []byte {
	status := it.status
	if it.open {
		status = "incomplete"
	}
	if it.fc {
		return appendFunctionCallItem(b, it.callID, it.name, view(it.args), status)
	}
	b = append(b, `{"id":`...)
	b = appendString(b, it.id)
	b = append(b, `,"type":"message","status":"`...)
	b = append(b, status...)
	b = append(b, `","role":"assistant","content":[`...)
	for p := 0; p < it.nparts; p++ {
		if p > 0 {
			b = append(b, ',')
		}
		b = t.appendPart(b, it, p)
	}
	return append(b, "]}"...)
}

// appendOutput appends the response's output items.
func (t *OpenAIStreamToResponses) appendOutput(b []byte) []byte {
	for i := range t.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = t.appendItem(b, &t.items[i])
	}
	return b
}

// end emits response.completed or response.incomplete, once.
func (t *OpenAIStreamToResponses) end(emit func(string, []byte)) {
	if t.ended {
		return
	}
	t.ended = true
	t.closeAll(emit)
	status, reason := responsesStatus(t.finish)
	typ := "response.completed"
	if status == "incomplete" {
		typ = "response.incomplete"
	}
	b := t.startEvent(typ)
	b = append(b, `,"response":`...)
	b = appendResponseHead(b, &t.info, t.respID, t.created, status, reason, "", "")
	b = t.appendOutput(b)
	b = appendResponseTail(b, &t.usage)
	t.send(b, typ, emit)
}

// fail emits the "error" event and, when the response has started,
// response.failed; the stream ends.
func (t *OpenAIStreamToResponses) fail(code, msg, param, failCode string, emit func(string, []byte)) {
	if t.ended {
		return
	}
	t.ended = true
	t.buf = appendErrorEvent(t.buf[:0], code, msg, param, t.seq)
	t.seq++
	emit("error", t.buf)
	if !t.started {
		return
	}
	b := t.startEvent("response.failed")
	b = append(b, `,"response":`...)
	b = appendResponseHead(b, &t.info, t.respID, t.created, "failed", "", failCode, msg)
	b = t.appendOutput(b)
	b = appendResponseTail(b, &t.usage)
	t.send(b, "response.failed", emit)
}
