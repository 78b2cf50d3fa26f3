package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/sluicegw/sluice/apischema/openai"
)

// serveModels answers GET /v1/models with the site's concrete public model
// names, in the order they were declared. Wildcard models are not listed:
// they stand for names the gateway cannot enumerate.
func (g *Gateway) serveModels(w http.ResponseWriter) {
	list := openai.ModelList{Object: "list", Data: make([]openai.Model, 0, len(g.routes.listed))}
	for _, r := range g.routes.listed {
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
