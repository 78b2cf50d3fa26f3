package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/providers"
	"github.com/sluicegw/sluice/tokens"
	"github.com/tidwall/gjson"
)

// endpointEmbeddings names POST /v1/embeddings in metrics and logs.
const endpointEmbeddings = "embeddings"

// serveEmbeddings serves POST /v1/embeddings, OpenAI's embeddings API: the
// model is routed like a chat model (targets, fallbacks, retries, circuit
// breakers, consumers' limits and budgets), to the targets whose provider
// serves embeddings (openai, openai_compatible, azure, mock); the body goes
// through with the upstream's model name, and the answer comes back as the
// upstream sent it. Scripts and prompt guards do not run on embeddings.
func (g *Gateway) serveEmbeddings(w http.ResponseWriter, r *http.Request) {
	inFlight := metrics.InFlight.WithLabelValues(endpointEmbeddings)
	inFlight.Inc()
	defer inFlight.Dec()
	out := Outcome{Endpoint: endpointEmbeddings, Start: time.Now(), Consumer: metrics.AnonymousClient, shape: apierror.OpenAI, promptTokens: -1}
	defer g.finish(r, &out)
	c, ok := g.identify(w, r, &out)
	if !ok {
		return
	}
	buf, aerr := readBody(r, g.maxBody)
	if aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	body := newSharedBody(buf)
	defer body.release()
	inputs, model, aerr := decodeEmbeddingsRequest(body.bytes())
	if aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	out.Model = model
	if c != nil && !c.allows(model) {
		metrics.Rejections.WithLabelValues(rejectModel, c.label).Inc()
		g.fail(w, &out, apierror.ModelNotAllowed(c.name, model))
		return
	}
	req := &openai.ChatRequest{Model: model}
	plan, aerr := g.route(r, req, len(body.bytes()), nil, &out)
	if aerr != nil {
		out.Route = metrics.UnknownModel
		g.fail(w, &out, aerr)
		return
	}
	if aerr := embeddingCandidates(plan); aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	if c != nil && c.countsTokens {
		n := 0
		for _, in := range inputs {
			n += tokens.Count(in)
		}
		out.promptTokens = n
	}
	if aerr := g.admit(r.Context(), w.Header(), c, req, plan, &out); aerr != nil {
		g.fail(w, &out, aerr)
		return
	}
	out.req = req
	out.Provider, out.UpstreamModel = plan.candidates[0].provider.Name(), plan.candidates[0].model
	if g.observer != nil {
		g.observer.Routed(r, &out)
	}
	ctx := r.Context()
	if plan.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, plan.deadline)
		defer cancel()
	}
	ans, e := g.attempt(ctx, &out, plan, body, req, false)
	if e != nil {
		if r.Context().Err() != nil {
			out.Status, out.Error = statusClientClosed, "client went away before the answer"
			return
		}
		g.fail(w, &out, e)
		return
	}
	defer ans.close()
	g.relayWhole(w, r, ans.resp, &out, nil, nil)
}

// embeddingCandidates keeps the plan's targets whose provider serves
// embeddings; none is a 400 naming the providers.
func embeddingCandidates(plan *attemptPlan) *apierror.Error {
	kept := plan.candidates[:0:0]
	var refused []string
	for _, c := range plan.candidates {
		if _, ok := c.provider.(providers.Embedder); ok {
			kept = append(kept, c)
		} else {
			refused = append(refused, c.provider.Name())
		}
	}
	if len(kept) == 0 {
		return apierror.InvalidRequest("model", "The model's targets cannot serve embeddings: provider %v does not offer them (openai, openai_compatible, azure and mock do).", refused)
	}
	plan.candidates = kept
	// The attempts the refused targets would have taken are not made.
	plan.attempts = max(1, plan.attempts-len(refused))
	plan.embeddings = true
	return nil
}

// decodeEmbeddingsRequest checks an embeddings request and returns its text
// inputs (token-array inputs are counted as their JSON) and model.
func decodeEmbeddingsRequest(body []byte) ([]string, string, *apierror.Error) {
	if !gjson.ValidBytes(body) {
		return nil, "", apierror.InvalidRequest("", "The request body is not valid JSON.")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, "", apierror.InvalidRequest("", "The request body must be a JSON object.")
	}
	model := root.Get("model")
	if model.Type != gjson.String || model.Str == "" || len(model.Str) > 256 {
		return nil, "", apierror.InvalidRequest("model", "model must be a non-empty string of at most 256 bytes.")
	}
	input := root.Get("input")
	var inputs []string
	switch {
	case input.Type == gjson.String:
		inputs = []string{input.Str}
	case input.IsArray():
		for _, in := range input.Array() {
			if in.Type == gjson.String {
				inputs = append(inputs, in.Str)
			} else if in.IsArray() || in.Type == gjson.Number {
				inputs = append(inputs, in.Raw)
			} else {
				return nil, "", apierror.InvalidRequest("input", "input must be a string, an array of strings, or token arrays.")
			}
		}
	}
	if len(inputs) == 0 {
		return nil, "", apierror.InvalidRequest("input", "input is required: a string or a non-empty array.")
	}
	return inputs, model.Str, nil
}
