package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/sluicegw/sluice/sse"
	"github.com/tidwall/gjson"
)

// maxEvent bounds one upstream stream event.
const maxEvent = 8 << 20

var (
	errStreamClosed = errors.New("anthropic stream read after close")
	errNoStop       = errors.New("the upstream's event stream ended before message_stop")
)

// streamBody is the OpenAI chunk stream of an Anthropic event stream. Each
// Read translates upstream events, one at a time, until it has bytes to
// give: nothing is read ahead, and no goroutine runs. Closing it closes the
// upstream body, which cancels the upstream call.
type streamBody struct {
	upstream io.ReadCloser
	closed   atomic.Bool
	// The rest belongs to Read.
	rd  *sse.Reader // back to the pool once the stream has ended
	tr  streamTranslator
	out []byte
	off int
	err error // returned once out is drained: io.EOF after [DONE]
}

// readerPool keeps event readers (and their 16 KB buffers) between streams.
var readerPool = sync.Pool{New: func() any { return sse.NewReader(nil, maxEvent) }}

func newStreamBody(upstream io.ReadCloser, created int64) *streamBody {
	rd := readerPool.Get().(*sse.Reader)
	rd.Reset(upstream)
	return &streamBody{upstream: upstream, rd: rd, tr: streamTranslator{created: created}}
}

func (s *streamBody) Read(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, errStreamClosed
	}
	for s.off == len(s.out) {
		if s.err != nil {
			s.release()
			return 0, s.err
		}
		s.out, s.off = s.out[:0], 0
		ev, err := s.rd.Next()
		if err != nil {
			if err == io.EOF {
				err = errNoStop
			}
			s.err = err
			continue
		}
		if s.out, err = s.tr.event(s.out, ev.Data); err != nil {
			s.err = err
		} else if s.tr.done {
			s.err = io.EOF
		}
	}
	n := copy(p, s.out[s.off:])
	s.off += n
	return n, nil
}

// release gives the event reader back once the stream has ended. Only Read
// touches the reader, so a Close racing with a Read cannot free it under
// the Read's feet.
func (s *streamBody) release() {
	if s.rd != nil {
		s.rd.Reset(nil)
		readerPool.Put(s.rd)
		s.rd = nil
	}
}

// Close closes the upstream body, which cancels the upstream call and
// unblocks a Read waiting on it.
func (s *streamBody) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.upstream.Close()
}

// streamTranslator turns Anthropic stream events into chat.completion.chunk
// events:
//
//	message_start          the first chunk: delta {"role":"assistant","content":""}
//	text block and deltas  delta {"content": text}
//	thinking deltas        delta {"reasoning_content": text}
//	tool_use block start   delta {"tool_calls":[{index, id, type, function {name, arguments ""}}]}
//	input_json_delta       delta {"tool_calls":[{index, function {arguments: fragment}}]}
//	message_delta          remembered: stop_reason, cumulative usage
//	message_stop           a chunk with finish_reason, the usage chunk, data: [DONE]
//	error                  a read error carrying the upstream's message
//
// ping, signature_delta, citations_delta, redacted thinking, server tool
// blocks and unknown events give nothing. Texts, ids, names and argument
// fragments are pasted as the raw JSON strings the upstream sent.
type streamTranslator struct {
	created    int64
	prefix     []byte // `data: {"id":...,"model":...,"choices":[`
	blocks     map[int64]*streamBlock
	tools      int // tool calls begun so far: the next one's OpenAI index
	stopReason string
	usage      anthropicUsage
	done       bool
}

// streamBlock is an open content block.
type streamBlock struct {
	kind       string // text | thinking | tool_use | other
	tool       int    // tool_use: the OpenAI tool call index
	argsSent   bool   // tool_use: some argument fragment went out
	startInput string // tool_use: the input given at the block's start
}

// event appends to out what one upstream event's data gives.
func (t *streamTranslator) event(out, data []byte) ([]byte, error) {
	// Read in place: the gjson results below are used before data changes,
	// and the few strings kept (stop reason, a tool's start input) are
	// cloned.
	ev := unsafe.String(unsafe.SliceData(data), len(data))
	if !gjson.Valid(ev) {
		return out, errors.New("the upstream sent a stream event that is not JSON")
	}
	root := gjson.Parse(ev)
	typ := root.Get("type").Str
	if t.prefix == nil && typ != "message_start" && typ != "ping" && typ != "error" {
		return out, fmt.Errorf("the upstream's stream began with %q instead of message_start", typ)
	}
	switch typ {
	case "message_start":
		msg := root.Get("message")
		t.begin(msg.Get("id"), msg.Get("model"))
		t.readUsage(msg.Get("usage"))
		out = t.chunk(out, `{"role":"assistant","content":""}`)
	case "content_block_start":
		out = t.blockStart(out, root.Get("index").Int(), root.Get("content_block"))
	case "content_block_delta":
		out = t.blockDelta(out, root.Get("index").Int(), root.Get("delta"))
	case "content_block_stop":
		out = t.blockStop(out, root.Get("index").Int())
	case "message_delta":
		if sr := root.Get("delta.stop_reason"); sr.Type == gjson.String {
			t.stopReason = strings.Clone(sr.Str)
		}
		t.readUsage(root.Get("usage"))
	case "message_stop":
		out = t.finish(out)
	case "error":
		e := root.Get("error")
		return out, fmt.Errorf("the upstream's stream reported an error (%s): %s", e.Get("type").Str, e.Get("message").Str)
	}
	return out, nil
}

// begin builds the prefix every chunk shares.
func (t *streamTranslator) begin(id, model gjson.Result) {
	p := append([]byte(nil), `data: {"id":`...)
	p = appendRawString(p, id)
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = strconv.AppendInt(p, t.created, 10)
	p = append(p, `,"model":`...)
	p = appendRawString(p, model)
	t.prefix = append(p, `,"choices":[`...)
}

// appendRawString appends r's raw JSON if it is a string, else "".
func appendRawString(b []byte, r gjson.Result) []byte {
	if r.Type != gjson.String {
		return append(b, `""`...)
	}
	return append(b, r.Raw...)
}

// readUsage takes the counts an event reports; message_delta's are
// cumulative, so a later count replaces an earlier one.
func (t *streamTranslator) readUsage(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	if v := u.Get("input_tokens"); v.Type == gjson.Number {
		t.usage.InputTokens = int(v.Int())
	}
	if v := u.Get("cache_creation_input_tokens"); v.Type == gjson.Number {
		t.usage.CacheCreationInputTokens = int(v.Int())
	}
	if v := u.Get("cache_read_input_tokens"); v.Type == gjson.Number {
		t.usage.CacheReadInputTokens = int(v.Int())
	}
	if v := u.Get("output_tokens"); v.Type == gjson.Number {
		t.usage.OutputTokens = int(v.Int())
	}
}

func (t *streamTranslator) blockStart(out []byte, index int64, cb gjson.Result) []byte {
	if t.blocks == nil {
		t.blocks = make(map[int64]*streamBlock, 2)
	}
	b := &streamBlock{kind: "other"} // kinds are constants: the event's bytes do not last
	t.blocks[index] = b
	switch cb.Get("type").Str {
	case "text":
		b.kind = "text"
		return t.textDelta(out, "content", cb.Get("text"))
	case "thinking":
		b.kind = "thinking"
		return t.textDelta(out, "reasoning_content", cb.Get("thinking"))
	case "tool_use":
		b.kind = "tool_use"
		b.tool = t.tools
		t.tools++
		if in := cb.Get("input"); in.IsObject() {
			b.startInput = strings.Clone(in.Raw)
		}
		d := append(t.chunkStart(out), `{"tool_calls":[{"index":`...)
		d = strconv.AppendInt(d, int64(b.tool), 10)
		d = append(d, `,"id":`...)
		d = appendRawString(d, cb.Get("id"))
		d = append(d, `,"type":"function","function":{"name":`...)
		d = appendRawString(d, cb.Get("name"))
		d = append(d, `,"arguments":""}}]}`...)
		return t.chunkEnd(d)
	}
	return out
}

func (t *streamTranslator) blockDelta(out []byte, index int64, d gjson.Result) []byte {
	b := t.blocks[index]
	if b == nil {
		return out
	}
	switch d.Get("type").Str {
	case "text_delta":
		if b.kind == "text" {
			return t.textDelta(out, "content", d.Get("text"))
		}
	case "thinking_delta":
		if b.kind == "thinking" {
			return t.textDelta(out, "reasoning_content", d.Get("thinking"))
		}
	case "input_json_delta":
		if b.kind == "tool_use" {
			frag := d.Get("partial_json")
			if frag.Type != gjson.String || frag.Str == "" {
				return out
			}
			b.argsSent = true
			return t.arguments(out, b.tool, frag.Raw)
		}
	}
	return out
}

// blockStop ends a block. A tool call whose arguments never came as
// fragments gets its start input, or "{}", so its arguments parse.
func (t *streamTranslator) blockStop(out []byte, index int64) []byte {
	b := t.blocks[index]
	delete(t.blocks, index)
	if b == nil || b.kind != "tool_use" || b.argsSent {
		return out
	}
	args := "{}"
	if b.startInput != "" {
		args = compactArguments(json.RawMessage(b.startInput))
	}
	quoted, _ := json.Marshal(args) // a string: cannot fail
	return t.arguments(out, b.tool, string(quoted))
}

// textDelta appends a chunk whose delta has key set to the raw string s;
// an empty string gives nothing.
func (t *streamTranslator) textDelta(out []byte, key string, s gjson.Result) []byte {
	if s.Type != gjson.String || s.Str == "" {
		return out
	}
	out = append(t.chunkStart(out), `{"`...)
	out = append(out, key...)
	out = append(out, `":`...)
	out = append(out, s.Raw...)
	out = append(out, '}')
	return t.chunkEnd(out)
}

// arguments appends a chunk with an argument fragment (a raw JSON string).
func (t *streamTranslator) arguments(out []byte, tool int, raw string) []byte {
	out = append(t.chunkStart(out), `{"tool_calls":[{"index":`...)
	out = strconv.AppendInt(out, int64(tool), 10)
	out = append(out, `,"function":{"arguments":`...)
	out = append(out, raw...)
	out = append(out, `}}]}`...)
	return t.chunkEnd(out)
}

func (t *streamTranslator) chunk(out []byte, delta string) []byte {
	return t.chunkEnd(append(t.chunkStart(out), delta...))
}

func (t *streamTranslator) chunkStart(out []byte) []byte {
	out = append(out, t.prefix...)
	return append(out, `{"index":0,"delta":`...)
}

func (t *streamTranslator) chunkEnd(out []byte) []byte {
	return append(out, `,"finish_reason":null}]}`+"\n\n"...)
}

// finish appends the finish chunk, the usage chunk and [DONE].
func (t *streamTranslator) finish(out []byte) []byte {
	out = append(t.chunkStart(out), `{},"finish_reason":"`...)
	out = append(out, finishReason(t.stopReason)...)
	out = append(out, `"}]}`+"\n\n"...)
	u := t.usage.openAI()
	out = append(out, t.prefix...) // ends in `"choices":[`
	out = append(out, `],"usage":{"prompt_tokens":`...)
	out = strconv.AppendInt(out, int64(u.PromptTokens), 10)
	out = append(out, `,"completion_tokens":`...)
	out = strconv.AppendInt(out, int64(u.CompletionTokens), 10)
	out = append(out, `,"total_tokens":`...)
	out = strconv.AppendInt(out, int64(u.TotalTokens), 10)
	out = append(out, `,"prompt_tokens_details":{"cached_tokens":`...)
	out = strconv.AppendInt(out, int64(u.PromptTokensDetails.CachedTokens), 10)
	if w := u.PromptTokensDetails.CacheWriteTokens; w > 0 {
		out = append(out, `,"cache_write_tokens":`...)
		out = strconv.AppendInt(out, int64(w), 10)
	}
	out = append(out, "}}}\n\ndata: [DONE]\n\n"...)
	t.done = true
	return out
}
