package bedrock

import (
	"errors"
	"strings"

	"github.com/tidwall/gjson"
)

// finishReason maps a Converse stopReason to an OpenAI finish_reason.
func finishReason(stopReason string) string {
	switch stopReason {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "guardrail_intervened", "content_filtered":
		return "content_filter"
	default: // end_turn, stop_sequence, and reasons added later
		return "stop"
	}
}

// usage is a Converse call's token counts.
type usage struct {
	input, output, cacheRead, cacheWrite int64
}

func readUsage(u gjson.Result) usage {
	return usage{
		input:      u.Get("inputTokens").Int(),
		output:     u.Get("outputTokens").Int(),
		cacheRead:  u.Get("cacheReadInputTokens").Int(),
		cacheWrite: u.Get("cacheWriteInputTokens").Int(),
	}
}

// appendUsage appends an OpenAI usage object. Bedrock reports cache reads
// and writes apart from inputTokens, so prompt_tokens is their sum,
// cached_tokens the reads and cache_write_tokens the writes (left out when
// there are none). Bedrock does not say how many output tokens were
// reasoning, so reasoning_tokens is not reported.
func appendUsage(b []byte, u usage) []byte {
	prompt := u.input + u.cacheRead + u.cacheWrite
	b = append(b, `{"prompt_tokens":`...)
	b = appendInt(b, prompt)
	b = append(b, `,"completion_tokens":`...)
	b = appendInt(b, u.output)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, prompt+u.output)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
	b = appendInt(b, u.cacheRead)
	if u.cacheWrite > 0 {
		b = append(b, `,"cache_write_tokens":`...)
		b = appendInt(b, u.cacheWrite)
	}
	return append(b, `}}`...)
}

// translateResponse turns a Converse answer into a chat.completion: the
// text blocks joined as content, toolUse blocks as tool_calls (the input's
// JSON as arguments), reasoning text as reasoning_content, stopReason as
// finish_reason, and usage.
func translateResponse(raw []byte, model, id string, created int64) ([]byte, error) {
	if !gjson.ValidBytes(raw) {
		return nil, errors.New("not valid JSON")
	}
	root := gjson.ParseBytes(raw)
	content := root.Get("output.message.content")
	if !content.IsArray() {
		return nil, errors.New("no output.message.content list")
	}
	var text, reasoning strings.Builder
	var calls []gjson.Result
	for _, block := range content.Array() {
		if t := block.Get("text"); t.Type == gjson.String {
			text.WriteString(t.Str)
		} else if tu := block.Get("toolUse"); tu.IsObject() {
			calls = append(calls, tu)
		} else if r := block.Get("reasoningContent.reasoningText.text"); r.Type == gjson.String {
			reasoning.WriteString(r.Str)
		}
	}

	b := make([]byte, 0, len(raw)+256)
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = appendInt(b, created)
	b = append(b, `,"model":`...)
	b = appendString(b, model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if text.Len() > 0 || len(calls) == 0 {
		b = appendString(b, text.String())
	} else {
		b = append(b, "null"...)
	}
	if reasoning.Len() > 0 {
		b = append(b, `,"reasoning_content":`...)
		b = appendString(b, reasoning.String())
	}
	if len(calls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i, c := range calls {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, c.Get("toolUseId").String())
			b = append(b, `,"type":"function","function":{"name":`...)
			b = appendString(b, c.Get("name").String())
			b = append(b, `,"arguments":`...)
			b = appendString(b, string(appendCompact(nil, c.Get("input").Raw)))
			b = append(b, `}}`...)
		}
		b = append(b, ']')
	}
	b = append(b, `},"logprobs":null,"finish_reason":"`...)
	b = append(b, finishReason(root.Get("stopReason").String())...)
	b = append(b, `"}],"usage":`...)
	b = appendUsage(b, readUsage(root.Get("usage")))
	return append(b, '}'), nil
}
