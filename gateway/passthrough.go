package gateway

import (
	"bytes"
	"context"
	"net/http"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/providers"
	"github.com/sluicegw/sluice/sse"
	"github.com/sluicegw/sluice/translate"
	"github.com/tidwall/gjson"
)

// Same-shape passthrough for the other APIs: a POST /v1/messages call whose
// every candidate speaks the Messages API natively (the anthropic provider),
// or a POST /v1/responses call whose every candidate serves the Responses
// API (the openai provider), goes upstream as the client's bytes, with only
// the model name set, and its answer comes back untouched — no translation
// either way, as for chat completions to an OpenAI-shaped upstream. It
// applies when nothing needs the call in chat completions form: no script
// (hooks read and change the translated request) and no guard (guards read
// and rewrite it). The request is still decoded once (translated, for
// routing, the consumer's models and admission), and the answer's usage is
// read from the API's own fields for accounting.

// nativeFor reports whether every candidate of the plan speaks the
// client's API natively.
func nativeFor(api clientAPI, plan *attemptPlan) bool {
	for _, c := range plan.candidates {
		var ok bool
		switch api {
		case apiMessages:
			_, ok = c.provider.(providers.MessagesSender)
		case apiResponses:
			_, ok = c.provider.(providers.ResponsesSender)
		}
		if !ok {
			return false
		}
	}
	return len(plan.candidates) > 0
}

// sendNative sends one attempt of a passed-through call.
func sendNative(ctx context.Context, api clientAPI, p providers.Provider, call *providers.Call) (*http.Response, error) {
	if api == apiResponses {
		return p.(providers.ResponsesSender).SendResponses(ctx, call)
	}
	return p.(providers.MessagesSender).SendMessages(ctx, call)
}

// responsesUsage reads a Responses usage object.
func responsesUsage(u gjson.Result) Usage {
	return Usage{
		InputTokens:      int(u.Get("input_tokens").Int()),
		OutputTokens:     int(u.Get("output_tokens").Int()),
		CachedTokens:     int(u.Get("input_tokens_details.cached_tokens").Int()),
		CacheWriteTokens: int(u.Get("input_tokens_details.cache_write_tokens").Int()),
		ReasoningTokens:  int(u.Get("output_tokens_details.reasoning_tokens").Int()),
	}
}

// nativeWholeUsage reads the usage of a whole passed-through answer.
func nativeWholeUsage(api clientAPI, u gjson.Result) Usage {
	if api == apiResponses {
		return responsesUsage(u)
	}
	return anthropicUsage(u)
}

// nativeStreamEvent follows one event of a passed-through stream: its
// usage, its text (for the gateway's own count if the stream breaks), and
// whether it ends the stream.
func nativeStreamEvent(ev sse.Event, out *Outcome) (done bool) {
	name := string(ev.Name)
	if out.native == apiResponses {
		switch name {
		case "response.completed", "response.incomplete", "response.failed":
			if u := gjson.GetBytes(ev.Data, "response.usage"); u.IsObject() {
				out.Usage, out.UsageKnown = responsesUsage(u), true
			}
			return true
		case "response.output_text.delta", "response.function_call_arguments.delta":
			if out.capture != nil {
				out.capture.text = append(out.capture.text, gjson.GetBytes(ev.Data, "delta").Str...)
			}
		}
		return false
	}
	readNativeUsage(ev, out)
	if out.capture != nil && !out.UsageKnown {
		out.capture.addNativeEvent(ev)
	}
	return name == "message_stop"
}

// anthropicUsage reads an Anthropic usage object into the gateway's terms:
// input counts the whole prompt (cache reads and writes included, as OpenAI
// counts it), cached the part read from the cache, cache writes the part
// written to it.
func anthropicUsage(u gjson.Result) Usage {
	read := int(u.Get("cache_read_input_tokens").Int())
	written := int(u.Get("cache_creation_input_tokens").Int())
	return Usage{
		InputTokens:      int(u.Get("input_tokens").Int()) + read + written,
		OutputTokens:     int(u.Get("output_tokens").Int()),
		CachedTokens:     read,
		CacheWriteTokens: written,
	}
}

// readNativeUsage follows the usage of an Anthropic stream: message_start
// carries the prompt's, message_delta the output so far (cumulative; newer
// API versions repeat the prompt's there too).
func readNativeUsage(ev sse.Event, out *Outcome) {
	switch string(ev.Name) {
	case "message_start":
		out.Usage = anthropicUsage(gjson.GetBytes(ev.Data, "message.usage"))
	case "message_delta":
		u := gjson.GetBytes(ev.Data, "usage")
		if !u.IsObject() {
			return
		}
		if u.Get("input_tokens").Exists() {
			out.Usage = anthropicUsage(u)
		} else {
			out.Usage.OutputTokens = int(u.Get("output_tokens").Int())
		}
		out.UsageKnown = true
	}
}

// nativeEncoder relays a passed-through stream as it came, event by event,
// checking that each event is JSON (a client must never get an event it
// cannot parse) and that the stream ended properly.
type nativeEncoder struct {
	api     clientAPI
	stopped bool // the stream's last event or an error event went through
}

func (e *nativeEncoder) encode(buf []byte, ev sse.Event, _ *chunkFacts) ([]byte, error) {
	if !gjson.ValidBytes(ev.Data) {
		if len(bytes.TrimSpace(ev.Data)) == 0 {
			return buf, nil
		}
		return buf, errMalformedEvent
	}
	switch string(ev.Name) {
	case "message_stop", "error", "response.completed", "response.incomplete", "response.failed":
		e.stopped = true
	}
	return sse.AppendEvent(buf, string(ev.Name), ev.Data), nil
}

func (e *nativeEncoder) finish(buf []byte) ([]byte, error) {
	if !e.stopped {
		return buf, translate.ErrIncomplete
	}
	return buf, nil
}

func (n *nativeEncoder) errorEvent(buf []byte, e *apierror.Error) []byte {
	if n.api == apiResponses {
		name, data := translate.ResponsesErrorEvent(e)
		return sse.AppendEvent(buf, name, data)
	}
	return sse.AppendEvent(buf, "error", e.Body(apierror.Anthropic))
}

// addNativeEvent takes the text of one Anthropic stream event: text and
// tool input deltas.
func (c *outputCapture) addNativeEvent(ev sse.Event) {
	if string(ev.Name) != "content_block_delta" {
		return
	}
	d := gjson.GetBytes(ev.Data, "delta")
	for _, k := range [...]string{"text", "partial_json", "thinking"} {
		if v := d.Get(k); v.Type == gjson.String {
			c.text = append(c.text, v.Str...)
		}
	}
}
