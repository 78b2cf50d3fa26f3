package gateway

import (
	"unsafe"

	"github.com/tidwall/gjson"
)

// chunkFacts is what the relay needs from one upstream chat completion
// chunk, read once: whether it is JSON at all, its top-level usage, and
// its choices. It is read by one validity scan and one walk over the top
// level; everything else about the event is passed on untouched.
//
// The strings alias the event's bytes (no copy): they are only valid while
// the event is, which is until the relay reads the next one.
type chunkFacts struct {
	valid   bool         // the data is JSON
	usage   gjson.Result // the top-level "usage" (Null when absent or null)
	choices string       // the raw "choices" array ("" when absent)
	// noChoices: "choices" is absent or empty, as in the usage-only chunk
	// OpenAI sends last when include_usage is asked.
	noChoices bool
}

// usageOnly reports the chunk that carries the usage and no choice.
func (c *chunkFacts) usageOnly() bool { return c.noChoices && c.usage.IsObject() }

// readChunk reads data's facts. Invalid data gets valid == false and
// nothing else.
func readChunk(data []byte) chunkFacts {
	f := chunkFacts{noChoices: true}
	if !gjson.ValidBytes(data) {
		return f
	}
	f.valid = true
	if len(data) == 0 {
		return f
	}
	// The data is not modified while the strings are in use (see above).
	s := unsafe.String(unsafe.SliceData(data), len(data))
	top := gjson.Parse(s)
	if !top.IsObject() {
		return f
	}
	// A key given twice counts the first time, as a gjson path lookup does.
	seenUsage, seenChoices := false, false
	top.ForEach(func(key, value gjson.Result) bool {
		switch {
		case key.Str == "usage" && !seenUsage:
			seenUsage, f.usage = true, value
		case key.Str == "choices" && !seenChoices:
			seenChoices = true
			if value.IsArray() {
				f.choices = value.Raw
				f.noChoices = isEmptyArray(value.Raw)
			}
		}
		return true
	})
	return f
}

// isEmptyArray reports a raw JSON array with no element.
func isEmptyArray(raw string) bool {
	for i := 1; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return raw[i] == ']'
		}
	}
	return true
}

// chatUsage reads an OpenAI usage object (the fields the gateway counts)
// without decoding the rest.
func chatUsage(u gjson.Result) Usage {
	out := Usage{}
	u.ForEach(func(key, value gjson.Result) bool {
		switch key.Str {
		case "prompt_tokens":
			out.InputTokens = int(value.Int())
		case "completion_tokens":
			out.OutputTokens = int(value.Int())
		case "prompt_tokens_details":
			out.CachedTokens = int(value.Get("cached_tokens").Int())
			out.CacheWriteTokens = int(value.Get("cache_write_tokens").Int())
		case "completion_tokens_details":
			out.ReasoningTokens = int(value.Get("reasoning_tokens").Int())
		}
		return true
	})
	return out
}
