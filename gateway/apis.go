package gateway

import (
	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/sse"
	"github.com/sluicegw/sluice/translate"
)

// clientAPI is the API a client speaks on a chat endpoint. Upstreams are
// spoken to in chat completions; the other APIs are translated on the way
// in and on the way back.
type clientAPI uint8

const (
	apiChat      clientAPI = iota // POST /v1/chat/completions
	apiMessages                   // POST /v1/messages (Anthropic)
	apiResponses                  // POST /v1/responses (OpenAI, stateless)
)

// shape is the error shape the API's clients parse.
func (a clientAPI) shape() apierror.Shape {
	if a == apiMessages {
		return apierror.Anthropic
	}
	return apierror.OpenAI
}

// endpoint names the API in metrics and logs.
func (a clientAPI) endpoint() string {
	switch a {
	case apiMessages:
		return "messages"
	case apiResponses:
		return "responses"
	}
	return "chat_completions"
}

// answerTranslation turns one call's chat completions answer into the
// client's API: a whole answer, or the encoder of a stream.
type answerTranslation struct {
	whole  func(body []byte) ([]byte, error)
	stream func() streamEncoder
}

// requestToChat translates a request of a non-chat API into chat
// completions, and says how its answer goes back. model is the requested
// model, as far as it could be read, for the error's record.
func requestToChat(api clientAPI, body []byte) (chat []byte, tr *answerTranslation, model string, aerr *apierror.Error) {
	switch api {
	case apiMessages:
		converted, info, aerr := translate.AnthropicRequestToOpenAI(body)
		if aerr != nil {
			return nil, nil, info.Model, aerr
		}
		return converted, &answerTranslation{
			whole:  func(b []byte) ([]byte, error) { return translate.OpenAIResponseToAnthropic(b, info.Model) },
			stream: func() streamEncoder { return &anthropicEncoder{tr: translate.NewOpenAIStreamToAnthropic(info.Model)} },
		}, info.Model, nil
	case apiResponses:
		converted, info, aerr := translate.ResponsesRequestToOpenAI(body)
		if aerr != nil {
			return nil, nil, info.Model, aerr
		}
		return converted, &answerTranslation{
			whole:  func(b []byte) ([]byte, error) { return translate.OpenAIResponseToResponses(b, info) },
			stream: func() streamEncoder { return newResponsesEncoder(info) },
		}, info.Model, nil
	}
	return body, nil, "", nil
}

// responsesEncoder translates the events into the Responses API's stream
// events.
type responsesEncoder struct {
	tr     *translate.OpenAIStreamToResponses
	buf    []byte                         // the buffer the translator's events are appended to
	emitFn func(name string, data []byte) // e.emit, bound once rather than per event
}

func newResponsesEncoder(info translate.ResponsesInfo) *responsesEncoder {
	e := &responsesEncoder{tr: translate.NewOpenAIStreamToResponses(info)}
	e.emitFn = e.emit
	return e
}

func (e *responsesEncoder) emit(name string, data []byte) {
	e.buf = sse.AppendEvent(e.buf, name, data)
}

func (e *responsesEncoder) encode(buf []byte, ev sse.Event, _ *chunkFacts) ([]byte, error) {
	e.buf = buf
	err := e.tr.Event(ev.Data, e.emitFn)
	buf, e.buf = e.buf, nil
	return buf, err
}

func (e *responsesEncoder) finish(buf []byte) ([]byte, error) {
	e.buf = buf
	err := e.tr.Close(e.emitFn)
	buf, e.buf = e.buf, nil
	return buf, err
}

func (e *responsesEncoder) errorEvent(buf []byte, ae *apierror.Error) []byte {
	e.buf = buf
	e.tr.Fail(ae, e.emitFn)
	buf, e.buf = e.buf, nil
	return buf
}
