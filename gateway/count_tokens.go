package gateway

import (
	"net/http"
	"strconv"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/tokens"
	"github.com/sluicegw/sluice/translate"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// serveCountTokens answers POST /v1/messages/count_tokens, Anthropic's
// token counting endpoint: {"input_tokens": N} for a Messages request
// (model, system, messages, tools; max_tokens may be left out), without
// calling any upstream. The count is the gateway's own (o200k_base with
// OpenAI's chat framing, the same count admission and max_input_tokens
// use), so it is exact for OpenAI models and an estimate for others, whose
// tokenizers differ. The model must be one the site serves and the
// consumer may use.
func (g *Gateway) serveCountTokens(w http.ResponseWriter, r *http.Request) {
	var c *consumer
	if g.consumers != nil {
		var aerr *apierror.Error
		if c, aerr = g.consumers.identify(r); aerr != nil {
			metrics.Rejections.WithLabelValues(rejectKey, metrics.AnonymousClient).Inc()
			apierror.Write(w, apierror.Anthropic, aerr)
			return
		}
	}
	buf, aerr := readBody(r, g.maxBody)
	if aerr != nil {
		apierror.Write(w, apierror.Anthropic, aerr)
		return
	}
	defer releaseBody(buf)
	body := buf.Bytes()
	// Counting needs no max_tokens; the Messages translator requires one.
	if gjson.ValidBytes(body) && gjson.GetBytes(body, "@this").IsObject() && !gjson.GetBytes(body, "max_tokens").Exists() {
		var err error
		if body, err = sjson.SetBytes(body, "max_tokens", 1); err != nil {
			apierror.Write(w, apierror.Anthropic, apierror.InvalidRequest("", "The request body could not be read: %v.", err))
			return
		}
	}
	converted, _, aerr := translate.AnthropicRequestToOpenAI(body)
	if aerr != nil {
		apierror.Write(w, apierror.Anthropic, aerr)
		return
	}
	req, aerr := openai.DecodeChatRequest(converted)
	if aerr != nil {
		apierror.Write(w, apierror.Anthropic, aerr)
		return
	}
	if c != nil && !c.allows(req.Model) {
		metrics.Rejections.WithLabelValues(rejectModel, c.label).Inc()
		apierror.Write(w, apierror.Anthropic, apierror.ModelNotAllowed(c.name, req.Model))
		return
	}
	if _, declared := g.routes.resolve(req.Model); !declared {
		apierror.Write(w, apierror.Anthropic, apierror.ModelNotFound(req.Model))
		return
	}
	answer := []byte(`{"input_tokens":` + strconv.Itoa(tokens.ChatPrompt(req)) + `}`)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(answer)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(answer)
}
