package bedrock

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// streamResponse answers a ConverseStream call with an OpenAI chat
// completions stream, translated event by event as the upstream's arrive.
func streamResponse(upstream *http.Response, model string) *http.Response {
	h := make(http.Header, 3)
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	if id := upstream.Header.Get("X-Amzn-Requestid"); id != "" {
		h.Set("X-Request-Id", id)
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         upstream.Proto,
		ProtoMajor:    upstream.ProtoMajor,
		ProtoMinor:    upstream.ProtoMinor,
		Header:        h,
		Body:          newStreamReader(upstream.Body, completionID(upstream.Header), model, time.Now().Unix()),
		ContentLength: -1,
	}
}

// streamReader is the translated stream: each Read that finds nothing
// pending reads the next upstream message and appends what it makes of it
// (zero or more chunk events). The upstream stream is never read ahead.
type streamReader struct {
	body   io.ReadCloser
	frames *frameReader
	// prefix is every chunk's start, up to the choices list.
	prefix []byte
	out    []byte
	off    int
	err    error // returned once out is drained

	started bool // the role chunk is out
	stopped bool // messageStop came
	done    bool // [DONE] is out
	// tools maps a content block index to its tool call's index.
	tools []toolBlock
	// usage is a metadata event's that came before messageStop.
	usage *usage
}

type toolBlock struct{ block, call int64 }

func newStreamReader(body io.ReadCloser, id, model string, created int64) *streamReader {
	r := &streamReader{body: body, frames: newFrameReader(body), out: make([]byte, 0, 1024)}
	p := make([]byte, 0, 96+len(id)+len(model))
	p = append(p, `data: {"id":`...)
	p = appendString(p, id)
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = appendInt(p, created)
	p = append(p, `,"model":`...)
	p = appendString(p, model)
	r.prefix = append(p, `,"choices":[`...)
	return r
}

// Read implements io.Reader.
func (r *streamReader) Read(p []byte) (int, error) {
	for r.off == len(r.out) {
		if r.err != nil {
			return 0, r.err
		}
		r.out, r.off = r.out[:0], 0
		r.err = r.step()
	}
	n := copy(p, r.out[r.off:])
	r.off += n
	return n, nil
}

// Close closes the upstream body, which ends the upstream call.
func (r *streamReader) Close() error {
	if r.err == nil {
		r.err = errors.New("read after close")
	}
	return r.body.Close()
}

// step reads one upstream message and translates it.
func (r *streamReader) step() error {
	if r.done {
		return io.EOF
	}
	msg, err := r.frames.next()
	if err == io.EOF {
		if !r.stopped {
			return errors.New("the Bedrock stream ended before its messageStop event")
		}
		// No metadata event: the usage is unknown (the gateway counts it).
		r.out = append(r.out, "data: [DONE]\n\n"...)
		r.done = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the Bedrock stream: %w", err)
	}
	switch mt := headerString(&msg, ":message-type"); mt {
	case "event":
	case "exception":
		return fmt.Errorf("bedrock %s: %s", headerString(&msg, ":exception-type"), exceptionMessage(msg.Payload))
	case "error":
		return fmt.Errorf("bedrock %s: %s", headerString(&msg, ":error-code"), headerString(&msg, ":error-message"))
	default:
		return fmt.Errorf("the Bedrock stream sent a message of type %q", mt)
	}
	event := headerString(&msg, ":event-type")
	if !gjson.ValidBytes(msg.Payload) {
		return fmt.Errorf("the Bedrock stream sent a %s event that is not JSON", event)
	}
	return r.translate(event, msg.Payload)
}

// translate appends the chunks one event makes.
func (r *streamReader) translate(event string, payload []byte) error {
	switch event {
	case "messageStart":
		r.start()
	case "contentBlockStart":
		r.start()
		ev := gjson.ParseBytes(payload)
		tu := ev.Get("start.toolUse")
		if !tu.IsObject() {
			return nil
		}
		call := int64(len(r.tools))
		r.tools = append(r.tools, toolBlock{block: ev.Get("contentBlockIndex").Int(), call: call})
		b := r.chunkStart()
		b = append(b, `{"tool_calls":[{"index":`...)
		b = appendInt(b, call)
		b = append(b, `,"id":`...)
		b = appendString(b, tu.Get("toolUseId").String())
		b = append(b, `,"type":"function","function":{"name":`...)
		b = appendString(b, tu.Get("name").String())
		b = append(b, `,"arguments":""}}]}`...)
		r.out = r.chunkEnd(b, "")
	case "contentBlockDelta":
		r.start()
		ev := gjson.ParseBytes(payload)
		delta := ev.Get("delta")
		if t := delta.Get("text"); t.Type == gjson.String {
			b := append(r.chunkStart(), `{"content":`...)
			r.out = r.chunkEnd(append(appendString(b, t.Str), '}'), "")
		} else if in := delta.Get("toolUse.input"); in.Exists() {
			block := ev.Get("contentBlockIndex").Int()
			call := int64(-1)
			for _, t := range r.tools {
				if t.block == block {
					call = t.call
				}
			}
			if call < 0 {
				return fmt.Errorf("the Bedrock stream sent tool input for content block %d, which did not start a tool call", block)
			}
			b := append(r.chunkStart(), `{"tool_calls":[{"index":`...)
			b = appendInt(b, call)
			b = append(b, `,"function":{"arguments":`...)
			r.out = r.chunkEnd(append(appendString(b, in.String()), `}}]}`...), "")
		} else if rt := delta.Get("reasoningContent.text"); rt.Type == gjson.String {
			b := append(r.chunkStart(), `{"reasoning_content":`...)
			r.out = r.chunkEnd(append(appendString(b, rt.Str), '}'), "")
		}
	case "messageStop":
		r.start()
		r.stopped = true
		r.out = r.chunkEnd(append(r.chunkStart(), `{}`...), finishReason(gjson.GetBytes(payload, "stopReason").String()))
		if r.usage != nil {
			r.finish(*r.usage)
		}
	case "metadata":
		u := readUsage(gjson.GetBytes(payload, "usage"))
		if !r.stopped {
			r.usage = &u // Bedrock sends it last; should it come early, it waits for messageStop
			return nil
		}
		r.finish(u)
	}
	return nil // contentBlockStop and events added later say nothing new
}

// finish appends the usage chunk and [DONE].
func (r *streamReader) finish(u usage) {
	b := append(r.out, r.prefix...)
	b = append(b, `],"usage":`...)
	b = appendUsage(b, u)
	r.out = append(b, "}\n\ndata: [DONE]\n\n"...)
	r.done = true
}

// start appends the first chunk, with the assistant role, once.
func (r *streamReader) start() {
	if r.started {
		return
	}
	r.started = true
	r.out = r.chunkEnd(append(r.chunkStart(), `{"role":"assistant","content":""}`...), "")
}

// chunkStart appends a chunk event up to its delta.
func (r *streamReader) chunkStart() []byte {
	b := append(r.out, r.prefix...)
	return append(b, `{"index":0,"delta":`...)
}

// chunkEnd closes a chunk event after its delta.
func (r *streamReader) chunkEnd(b []byte, finish string) []byte {
	if finish == "" {
		return append(b, `,"logprobs":null,"finish_reason":null}]}`+"\n\n"...)
	}
	b = append(b, `,"logprobs":null,"finish_reason":"`...)
	b = append(b, finish...)
	return append(b, `"}]}`+"\n\n"...)
}

// exceptionMessage is the message of an exception event's payload, cut to
// a readable length.
func exceptionMessage(payload []byte) string {
	for _, key := range []string{"message", "Message"} {
		if m := gjson.GetBytes(payload, key); m.Type == gjson.String && m.Str != "" {
			if len(m.Str) > 512 {
				return strings.ToValidUTF8(m.Str[:512], "") + "..."
			}
			return m.Str
		}
	}
	return "the upstream reported an error without a message"
}
