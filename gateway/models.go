package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/metrics"
)

// serveModels answers GET /v1/models with the site's concrete public model
// names, in the order they were declared. Wildcard models are not listed:
// they stand for names the gateway cannot enumerate. With consumers, the
// caller's key is checked and only the models it may use are listed.
func (g *Gateway) serveModels(w http.ResponseWriter, r *http.Request) {
	var c *consumer
	if g.consumers != nil {
		var aerr *apierror.Error
		if c, aerr = g.consumers.identify(r); aerr != nil {
			metrics.Rejections.WithLabelValues(rejectKey, metrics.AnonymousClient).Inc()
			apierror.Write(w, apierror.OpenAI, aerr)
			return
		}
	}
	list := openai.ModelList{Object: "list", Data: make([]openai.Model, 0, len(g.routes.listed))}
	for _, r := range g.routes.listed {
		if c != nil && !c.allows(r.name) {
			continue
		}
		list.Data = append(list.Data, openai.Model{
			ID: r.name, Object: "model", Created: g.created, OwnedBy: r.targets[0].provider.Name(),
		})
	}
	b, _ := json.Marshal(list)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
