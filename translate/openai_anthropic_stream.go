package translate

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// ErrIncomplete is returned by OpenAIStreamToAnthropic.Close for a stream
// that ended before the upstream said why it stopped: the answer was cut
// short, and the client's stream should end with an error event.
var ErrIncomplete = errors.New("translate: the upstream stream ended before its finish_reason")

// OpenAIStreamToAnthropic translates a chat.completion.chunk stream into
// Anthropic's stream events, one OpenAI event at a time, never buffering the
// stream: message_start first, then for each content block
// content_block_start, its content_block_delta events and
// content_block_stop, then message_delta (stop_reason and usage) and
// message_stop.
//
// Text deltas become a text block; each tool call (by its index in the
// OpenAI deltas) becomes its own tool_use block, its argument fragments
// input_json_delta events. A block stops when the next one starts, except
// a tool call whose arguments are not yet complete JSON: it stays open, so
// that upstreams which interleave the fragments of parallel tool calls
// still give each block its own, whole input (deltas carry their block's
// index, and clients accumulate by index).
//
// Not safe for concurrent use; one per stream.
type OpenAIStreamToAnthropic struct {
	model          string
	buf            []byte // the event being emitted
	started, ended bool
	next           int // index of the next content block
	text           int // index of the open text block, or -1
	tools          []streamTool
	finished       bool   // a finish_reason arrived
	finish         string // the finish_reason
	usageOK        bool
	usage          usage
}

// streamTool is one streamed tool call.
type streamTool struct {
	index    int64 // its index in the OpenAI deltas
	block    int   // its content block, or -1 until its name is known
	open     bool
	id, name string
	pending  []byte // argument fragments (escaped) that came before its name
	end      jsonEnd
}

// NewOpenAIStreamToAnthropic returns a translator for one stream. model is
// the model to report: the one the client asked for.
func NewOpenAIStreamToAnthropic(model string) *OpenAIStreamToAnthropic {
	return &OpenAIStreamToAnthropic{model: model, text: -1}
}

var doneData = []byte("[DONE]")

// Event takes the data of one OpenAI SSE event (a chunk's JSON, or
// "[DONE]") and calls emit for each Anthropic event it yields: name is the
// SSE event name, data its JSON, valid only until emit returns (the buffer
// is reused). The first call emits message_start; its usage says 0 input
// tokens, as OpenAI streams tell usage only at their end (message_delta
// carries it then).
//
// The stream ends (message_delta, message_stop) at the usage chunk that
// follows the finish_reason, or at [DONE] when no usage chunk comes; later
// events yield nothing. An error object from the upstream ({"error":{...}})
// becomes Anthropic's "error" event, which also ends the stream. Event
// fails only on data that is not a JSON object.
func (t *OpenAIStreamToAnthropic) Event(data []byte, emit func(name string, data []byte)) error {
	if t.ended {
		return nil
	}
	if bytes.Equal(data, doneData) {
		t.begin("", emit)
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
	var id, choices, u, e gjson.Result
	forEach(c, func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v
		case "choices":
			choices = v
		case "usage":
			u = v
		case "error":
			e = v
		}
		return true
	})
	if e.Exists() && e.Type != gjson.Null {
		msg := e.Get("message").Str
		if msg == "" {
			msg = errorMessage(c, "The upstream provider failed during the stream.")
		}
		t.buf = appendError(t.buf[:0], errorTypeForStream(e), msg)
		emit("error", t.buf)
		t.ended = true
		return nil
	}
	t.begin(id.Str, emit)
	hasChoices := false
	forEach(choices, func(_, ch gjson.Result) bool {
		hasChoices = true
		if ch.Get("index").Int() == 0 {
			t.choice(ch, emit)
		}
		return true
	})
	if u.IsObject() {
		t.usage, t.usageOK = readUsage(u), true
		if t.finished && !hasChoices {
			t.end(emit)
		}
	}
	return nil
}

// Close finishes a stream whose upstream ended without [DONE]. When the
// stream already ended it does nothing. When a finish_reason was seen it
// emits the closing events. Otherwise it emits nothing and returns
// ErrIncomplete: the answer was cut short.
func (t *OpenAIStreamToAnthropic) Close(emit func(name string, data []byte)) error {
	if t.ended {
		return nil
	}
	if !t.finished {
		return ErrIncomplete
	}
	t.end(emit)
	return nil
}

// Usage reports the usage seen so far (from the usage chunk), for the
// gateway's accounting: input is the whole prompt as OpenAI counts it,
// cached tokens included; cached is the part of it read from the cache.
// ok is false until a usage object has arrived.
func (t *OpenAIStreamToAnthropic) Usage() (input, output, cached int, ok bool) {
	return t.usage.prompt, t.usage.completion, t.usage.cached, t.usageOK
}

// begin emits message_start, once.
func (t *OpenAIStreamToAnthropic) begin(id string, emit func(string, []byte)) {
	if t.started {
		return
	}
	t.started = true
	b := append(t.buf[:0], `{"type":"message_start","message":{"id":`...)
	b = appendString(b, messageID(id))
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = appendString(b, t.model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}`...)
	t.buf = b
	emit("message_start", b)
}

// choice translates the delta and finish_reason of choice 0.
func (t *OpenAIStreamToAnthropic) choice(ch gjson.Result, emit func(string, []byte)) {
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
	for _, s := range [...]gjson.Result{content, refusal} {
		if s.Type == gjson.String && len(s.Raw) > 2 {
			t.textDelta(s.Raw, emit)
		}
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

// textDelta emits a text fragment (a raw JSON string), starting a text block
// first when none is open.
func (t *OpenAIStreamToAnthropic) textDelta(raw string, emit func(string, []byte)) {
	if t.text < 0 {
		t.closeDone(emit)
		t.text = t.next
		t.next++
		b := append(t.buf[:0], `{"type":"content_block_start","index":`...)
		b = strconv.AppendInt(b, int64(t.text), 10)
		t.buf = append(b, `,"content_block":{"type":"text","text":""}}`...)
		emit("content_block_start", t.buf)
	}
	t.emitDelta(t.text, "text_delta", "text", raw, emit)
}

// emitDelta emits a content_block_delta whose delta is {"type":typ,key:raw}.
func (t *OpenAIStreamToAnthropic) emitDelta(index int, typ, key, raw string, emit func(string, []byte)) {
	b := append(t.buf[:0], `{"type":"content_block_delta","index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"delta":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","`...)
	b = append(b, key...)
	b = append(b, `":`...)
	b = append(b, raw...)
	t.buf = append(b, `}}`...)
	emit("content_block_delta", t.buf)
}

// toolDelta takes one entry of a delta's tool_calls.
func (t *OpenAIStreamToAnthropic) toolDelta(tc gjson.Result, emit func(string, []byte)) {
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
	if tool.name == "" && name.Str != "" {
		tool.name = strings.Clone(name.Str)
	}
	hasArgs := args.Type == gjson.String && len(args.Raw) > 2
	if tool.block < 0 {
		if hasArgs {
			tool.pending = append(tool.pending, inner(args.Raw)...)
		}
		if tool.name != "" {
			t.startTool(tool, emit)
		}
		return
	}
	if !hasArgs || !tool.open {
		return // fragments after a tool call's complete arguments are dropped
	}
	t.emitDelta(tool.block, "input_json_delta", "partial_json", args.Raw, emit)
	tool.end.feedEscaped(inner(args.Raw))
	if tool.end.done && tool.block < t.next-1 {
		t.stopBlock(tool.block, emit) // a later block has started: this one is done
		tool.open = false
	}
}

// tool finds the streamed tool call a delta entry is about, by its index
// (or, from servers that send none, its id, else the latest call).
func (t *OpenAIStreamToAnthropic) tool(index gjson.Result, id string) *streamTool {
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
	t.tools = append(t.tools, streamTool{index: i, block: -1})
	return &t.tools[len(t.tools)-1]
}

// startTool starts a tool call's block, with the fragments that came before
// its name as its first delta.
func (t *OpenAIStreamToAnthropic) startTool(tool *streamTool, emit func(string, []byte)) {
	t.closeDone(emit)
	tool.block, tool.open = t.next, true
	t.next++
	if tool.id == "" {
		tool.id = randomID("toolu_")
	}
	b := append(t.buf[:0], `{"type":"content_block_start","index":`...)
	b = strconv.AppendInt(b, int64(tool.block), 10)
	b = append(b, `,"content_block":{"type":"tool_use","id":`...)
	b = appendString(b, tool.id)
	b = append(b, `,"name":`...)
	b = appendString(b, tool.name)
	t.buf = append(b, `,"input":{}}}`...)
	emit("content_block_start", t.buf)
	if len(tool.pending) > 0 {
		raw := `"` + string(tool.pending) + `"`
		tool.pending = nil
		t.emitDelta(tool.block, "input_json_delta", "partial_json", raw, emit)
		tool.end.feedEscaped(inner(raw))
	}
}

// closeDone stops the blocks known to be complete before a new one starts:
// the text block, and tool calls whose arguments are whole.
func (t *OpenAIStreamToAnthropic) closeDone(emit func(string, []byte)) {
	t.closeBlocks(false, emit)
}

// closeAll stops every open block, in index order, starting first the tool
// calls whose name never came.
func (t *OpenAIStreamToAnthropic) closeAll(emit func(string, []byte)) {
	for i := range t.tools {
		if t.tools[i].block < 0 {
			t.startTool(&t.tools[i], emit)
		}
	}
	t.closeBlocks(true, emit)
}

func (t *OpenAIStreamToAnthropic) closeBlocks(all bool, emit func(string, []byte)) {
	for i := 0; i < t.next; i++ {
		if t.text == i {
			t.stopBlock(i, emit)
			t.text = -1
			continue
		}
		for k := range t.tools {
			tl := &t.tools[k]
			if tl.block == i && tl.open && (all || tl.end.done) {
				t.stopBlock(i, emit)
				tl.open = false
			}
		}
	}
}

func (t *OpenAIStreamToAnthropic) stopBlock(index int, emit func(string, []byte)) {
	b := append(t.buf[:0], `{"type":"content_block_stop","index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	t.buf = append(b, '}')
	emit("content_block_stop", t.buf)
}

// end emits message_delta and message_stop, once.
func (t *OpenAIStreamToAnthropic) end(emit func(string, []byte)) {
	if t.ended {
		return
	}
	t.ended = true
	t.closeAll(emit)
	b := append(t.buf[:0], `{"type":"message_delta","delta":{"stop_reason":"`...)
	b = append(b, stopReason(t.finish, len(t.tools) > 0)...)
	b = append(b, `","stop_sequence":null},"usage":`...)
	if t.usageOK {
		b = t.usage.appendAnthropic(b)
	} else {
		b = append(b, `{"output_tokens":0}`...)
	}
	t.buf = append(b, '}')
	emit("message_delta", t.buf)
	t.buf = append(t.buf[:0], `{"type":"message_stop"}`...)
	emit("message_stop", t.buf)
}
