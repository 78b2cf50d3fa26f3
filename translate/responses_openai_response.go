package translate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// OpenAIResponseToResponses turns a chat.completion body into a Responses
// API response object, as POST /v1/responses answers: {"id":"resp_...",
// "object":"response","created_at","status","error","incomplete_details",
// "model","output","usage", and the request fields a response repeats:
// instructions, max_output_tokens, metadata, parallel_tool_calls,
// reasoning, store (always false), temperature, text, tool_choice, tools,
// top_p, truncation ("disabled"), user, safety_identifier}. Fields the
// request left out are reported with OpenAI's defaults. model is
// info.Model: the one the client asked for.
//
// Answers: chat completions to Responses
//
//   - The first choice becomes the output: a "message" item (id "msg_"
//     and the completion id without "chatcmpl-") whose content is an
//     output_text part (annotations and logprobs empty) for the text, and a
//     refusal part for a refusal; then one "function_call" item per tool
//     call (id "fc_" and the call id without "call_", call_id = the tool
//     call's id, name, arguments as the model wrote them, or "{}" when
//     empty). A message with neither text nor refusal is left out.
//   - The response id is "resp_" and the completion id without
//     "chatcmpl-"; created_at is the completion's created.
//   - status: finish_reason length gives "incomplete" with
//     incomplete_details.reason "max_output_tokens", content_filter
//     "incomplete" with reason "content_filter" (the last output item is
//     then "incomplete" too); anything else "completed", with completed_at.
//   - usage: input_tokens = prompt_tokens (cached tokens included, as
//     OpenAI counts them), input_tokens_details.cached_tokens =
//     prompt_tokens_details.cached_tokens, cache_write_tokens =
//     prompt_tokens_details.cache_write_tokens (0 when absent), output_tokens =
//     completion_tokens, output_tokens_details.reasoning_tokens =
//     completion_tokens_details.reasoning_tokens, total_tokens. An answer
//     without usage reports zeros.
//   - Dropped: reasoning text some servers add (reasoning_content),
//     logprobs, annotations, audio, choices other than the first,
//     service_tier and system_fingerprint.
//
// It fails on a body that is not a chat completion (not JSON, an error
// object, no choices); the gateway answers such an upstream with a 502.
func OpenAIResponseToResponses(body []byte, info ResponsesInfo) ([]byte, error) {
	if !gjson.ValidBytes(body) {
		return nil, errors.New("the completion is not valid JSON")
	}
	root := gjson.Parse(view(body))
	if !root.IsObject() {
		return nil, fmt.Errorf("the completion is a JSON %s, not an object", typeName(root))
	}
	if e := root.Get("error"); set(e) {
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
	status, reason := responsesStatus(choice.Get("finish_reason").Str)
	suffix := idSuffix(root.Get("id").Str)
	created := root.Get("created").Int()
	if created <= 0 {
		created = nowUnix()
	}

	// The texts, refusal and tool calls, to know which item comes last.
	content, refusal, calls := msg.Get("content"), msg.Get("refusal"), msg.Get("tool_calls")
	hasText := content.Type == gjson.String && len(content.Raw) > 2
	if content.IsArray() { // some OpenAI-compatible servers answer with parts
		forEach(content, func(_, p gjson.Result) bool {
			if t := p.Get("text"); t.Type == gjson.String && len(t.Raw) > 2 {
				hasText = true
			}
			return !hasText
		})
	}
	hasRefusal := refusal.Type == gjson.String && len(refusal.Raw) > 2
	ncalls := 0
	forEach(calls, func(_, tc gjson.Result) bool {
		if tc.IsObject() {
			ncalls++
		}
		return true
	})
	itemStatus := func(last bool) string {
		if last && status == "incomplete" {
			return "incomplete"
		}
		return "completed"
	}

	out := make([]byte, 0, len(body)+len(info.echo)+512)
	out = appendResponseHead(out, &info, "resp_"+suffix, created, status, reason, "", "")
	n := 0
	if hasText || hasRefusal {
		n++
		out = append(out, `{"id":"msg_`...)
		out = appendEscaped(out, suffix)
		out = append(out, `","type":"message","status":"`...)
		out = append(out, itemStatus(ncalls == 0)...)
		out = append(out, `","role":"assistant","content":[`...)
		parts := 0
		addText := func(raw string) {
			if len(raw) <= 2 {
				return
			}
			if parts > 0 {
				out = append(out, ',')
			}
			parts++
			out = appendTextPart(out, inner(raw))
		}
		if content.Type == gjson.String {
			addText(content.Raw)
		} else {
			forEach(content, func(_, p gjson.Result) bool {
				if t := p.Get("text"); t.Type == gjson.String {
					addText(t.Raw)
				}
				return true
			})
		}
		if hasRefusal {
			if parts > 0 {
				out = append(out, ',')
			}
			out = appendRefusalPart(out, inner(refusal.Raw))
		}
		out = append(out, "]}"...)
	}
	k := 0
	forEach(calls, func(_, tc gjson.Result) bool {
		if !tc.IsObject() {
			return true
		}
		k++
		fn := tc.Get("function")
		callID := tc.Get("id").Str
		if callID == "" {
			callID = randomID("call_")
		}
		name, args := fn.Get("name"), fn.Get("arguments")
		if n > 0 {
			out = append(out, ',')
		}
		n++
		argsText := "{}"
		if args.Type == gjson.String && len(args.Raw) > 2 {
			argsText = inner(args.Raw)
		}
		nameText := ""
		if name.Type == gjson.String {
			nameText = inner(name.Raw)
		}
		out = appendFunctionCallItem(out, callID, nameText, argsText, itemStatus(k == ncalls))
		return true
	})
	u := readResponsesUsage(root.Get("usage"))
	return appendResponseTail(out, &u), nil
}

// nowUnix is the clock of created_at (when the upstream gives none) and
// completed_at; tests replace it.
var nowUnix = func() int64 { return time.Now().Unix() }

// idSuffix derives the common part of a response's ids from a completion
// id: "chatcmpl-abc" gives "abc" (so "resp_abc", "msg_abc"). An upstream
// that gives no id gets a random one.
func idSuffix(chatID string) string {
	if chatID == "" {
		return randomID("")
	}
	return strings.TrimPrefix(chatID, "chatcmpl-")
}

// responsesStatus maps a finish_reason to a response's status and
// incomplete_details.reason.
func responsesStatus(finish string) (status, reason string) {
	switch finish {
	case "length":
		return "incomplete", "max_output_tokens"
	case "content_filter":
		return "incomplete", "content_filter"
	}
	return "completed", ""
}

// responsesUsage is an OpenAI usage object's counts.
type responsesUsage struct {
	input, output, cached, written, reasoning, total int64
}

func readResponsesUsage(u gjson.Result) responsesUsage {
	if !u.IsObject() {
		return responsesUsage{}
	}
	r := responsesUsage{
		input:     u.Get("prompt_tokens").Int(),
		output:    u.Get("completion_tokens").Int(),
		cached:    u.Get("prompt_tokens_details.cached_tokens").Int(),
		written:   u.Get("prompt_tokens_details.cache_write_tokens").Int(),
		reasoning: u.Get("completion_tokens_details.reasoning_tokens").Int(),
		total:     u.Get("total_tokens").Int(),
	}
	if r.total <= 0 {
		r.total = r.input + r.output
	}
	return r
}

// append appends u as a Responses usage object.
func (u *responsesUsage) append(b []byte) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, u.input, 10)
	b = append(b, `,"input_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, min(max(u.cached, 0), max(u.input, 0)), 10)
	b = append(b, `,"cache_write_tokens":`...)
	b = strconv.AppendInt(b, min(max(u.written, 0), max(u.input, 0)), 10)
	b = append(b, `},"output_tokens":`...)
	b = strconv.AppendInt(b, u.output, 10)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, max(u.reasoning, 0), 10)
	b = append(b, `},"total_tokens":`...)
	b = strconv.AppendInt(b, u.total, 10)
	return append(b, '}')
}

// appendResponseHead appends a response object up to the opening of its
// output list. errCode and errMsg give its error (a "failed" response);
// reason its incomplete_details.
func appendResponseHead(b []byte, info *ResponsesInfo, id string, created int64, status, reason, errCode, errMsg string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"object":"response","created_at":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","background":false,"completed_at":`...)
	if status == "completed" {
		b = strconv.AppendInt(b, max(nowUnix(), created), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"error":`...)
	if errCode != "" {
		b = append(b, `{"code":`...)
		b = appendString(b, errCode)
		b = append(b, `,"message":`...)
		b = appendString(b, errMsg)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"incomplete_details":`...)
	if reason != "" {
		b = append(b, `{"reason":"`...)
		b = append(b, reason...)
		b = append(b, `"}`...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, ',')
	if info.echo != nil {
		b = append(b, info.echo...)
	} else {
		b = append(b, defaultEcho...)
	}
	b = append(b, `,"model":`...)
	b = appendString(b, info.Model)
	return append(b, `,"output":[`...)
}

// appendResponseTail closes the output list and the response object, with
// usage u (null when nil).
func appendResponseTail(b []byte, u *responsesUsage) []byte {
	b = append(b, `],"usage":`...)
	if u == nil {
		b = append(b, "null"...)
	} else {
		b = u.append(b)
	}
	return append(b, '}')
}

// appendTextPart appends an output_text content part; text is escaped.
func appendTextPart(b []byte, text string) []byte {
	b = append(b, `{"type":"output_text","text":"`...)
	b = append(b, text...)
	return append(b, `","annotations":[],"logprobs":[]}`...)
}

// appendRefusalPart appends a refusal content part; refusal is escaped.
func appendRefusalPart(b []byte, refusal string) []byte {
	b = append(b, `{"type":"refusal","refusal":"`...)
	b = append(b, refusal...)
	return append(b, `"}`...)
}

// appendFunctionCallItem appends a function_call output item; name and
// args are escaped, callID is not. Its id is "fc_" and the call id without
// "call_".
func appendFunctionCallItem(b []byte, callID, name, args, status string) []byte {
	b = append(b, `{"id":"fc_`...)
	b = appendEscaped(b, strings.TrimPrefix(callID, "call_"))
	b = append(b, `","type":"function_call","status":"`...)
	b = append(b, status...)
	b = append(b, `","arguments":"`...)
	b = append(b, args...)
	b = append(b, `","call_id":`...)
	b = appendString(b, callID)
	b = append(b, `,"name":"`...)
	b = append(b, name...)
	return append(b, `"}`...)
}
