package translate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// OpenAIResponseToAnthropic turns a chat.completion body into an Anthropic
// Message body: {"id","type":"message","role":"assistant","model","content",
// "stop_reason","stop_sequence","usage"}. The first choice's text becomes a
// text block (when not empty) and its tool calls tool_use blocks, in that
// order. model is the model to report: the one the client asked for.
//
// It fails on a body that is not a chat completion (not JSON, an error
// object, no choices); the gateway answers such an upstream with a 502.
func OpenAIResponseToAnthropic(body []byte, model string) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, errors.New("the completion is not valid JSON")
	}
	root := gjson.Parse(view(body))
	if !root.IsObject() {
		return nil, fmt.Errorf("the completion is a JSON %s, not an object", typeName(root))
	}
	if e := root.Get("error"); e.Exists() && e.Type != gjson.Null {
		return nil, fmt.Errorf("the upstream answered with an error: %s", errorMessage(root, ""))
	}
	var choice gjson.Result
	forEach(root.Get("choices"), func(_, c gjson.Result) bool {
		if c.Get("index").Int() == 0 {
			choice = c
			return false
		}
		return true
	})
	if !choice.IsObject() {
		return nil, errors.New("the completion has no choices")
	}
	msg := choice.Get("message")

	out := make([]byte, 0, len(body)+128)
	out = append(out, `{"id":`...)
	out = appendString(out, messageID(root.Get("id").Str))
	out = append(out, `,"type":"message","role":"assistant","model":`...)
	out = appendString(out, model)
	out = append(out, `,"content":[`...)
	n := 0
	addText := func(raw string) {
		if len(raw) <= 2 { // ""
			return
		}
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = append(out, `{"type":"text","text":`...)
		out = append(out, raw...)
		out = append(out, '}')
	}
	switch c := msg.Get("content"); {
	case c.Type == gjson.String:
		addText(c.Raw)
	case c.IsArray(): // some OpenAI-compatible servers answer with parts
		forEach(c, func(_, p gjson.Result) bool {
			if t := p.Get("text"); t.Type == gjson.String {
				addText(t.Raw)
			}
			return true
		})
	}
	if n == 0 {
		if r := msg.Get("refusal"); r.Type == gjson.String {
			addText(r.Raw)
		}
	}
	tools := 0
	forEach(msg.Get("tool_calls"), func(_, tc gjson.Result) bool {
		fn := tc.Get("function")
		if n > 0 {
			out = append(out, ',')
		}
		n++
		tools++
		out = append(out, `{"type":"tool_use","id":`...)
		if id := tc.Get("id"); id.Type == gjson.String && id.Str != "" {
			out = append(out, id.Raw...)
		} else {
			out = appendString(out, randomID("toolu_"))
		}
		out = append(out, `,"name":`...)
		out = appendString(out, fn.Get("name").Str)
		out = append(out, `,"input":`...)
		out = append(out, toolInput(fn.Get("arguments").Str)...)
		out = append(out, '}')
		return true
	})
	out = append(out, `],"stop_reason":"`...)
	out = append(out, stopReason(choice.Get("finish_reason").Str, tools > 0)...)
	out = append(out, `","stop_sequence":null,"usage":`...)
	u := readUsage(root.Get("usage"))
	out = u.appendAnthropic(out)
	out = append(out, '}')
	return out, nil
}

// toolInput is a tool call's input object from its OpenAI arguments: the
// arguments themselves when they are a JSON object, else {} (a model can
// emit broken JSON; the call still reaches the client, which sees the
// empty input rather than a failed answer).
func toolInput(args string) string {
	a := gjson.Parse(args)
	if !a.IsObject() || !gjson.Valid(args) {
		return "{}"
	}
	return a.Raw
}

// messageID derives a Message id from a completion id: "chatcmpl-abc" gives
// "msg_abc". An upstream that gives no id gets a random one.
func messageID(id string) string {
	if id == "" {
		return randomID("msg_")
	}
	return "msg_" + strings.TrimPrefix(id, "chatcmpl-")
}

// stopReason maps an OpenAI finish_reason to Anthropic's stop_reason. A
// "stop" with tool calls is "tool_use": some OpenAI-compatible servers
// finish tool calls that way, and Anthropic clients run tools on tool_use.
func stopReason(finish string, tools bool) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	if tools {
		return "tool_use"
	}
	return "end_turn"
}

// usage is an OpenAI usage object's counts.
type usage struct {
	prompt, completion, cached, written int
}

func readUsage(u gjson.Result) usage {
	if !u.IsObject() {
		return usage{}
	}
	return usage{
		prompt:     int(u.Get("prompt_tokens").Int()),
		completion: int(u.Get("completion_tokens").Int()),
		cached:     int(u.Get("prompt_tokens_details.cached_tokens").Int()),
		written:    int(u.Get("prompt_tokens_details.cache_write_tokens").Int()),
	}
}

// appendAnthropic appends u as Anthropic's usage object, whose input_tokens
// leave out the tokens read from and written to the cache (OpenAI's
// prompt_tokens count them).
func (u usage) appendAnthropic(b []byte) []byte {
	prompt := max(u.prompt, 0)
	cached := min(max(u.cached, 0), prompt)
	written := min(max(u.written, 0), prompt-cached)
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt-cached-written), 10)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = strconv.AppendInt(b, int64(written), 10)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, int64(cached), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(u.completion), 10)
	return append(b, '}')
}
