package gateway

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/sluicegw/sluice/providers"
)

// route is a resolved public model: where its calls may go.
type route struct {
	name        string
	targets     []target
	totalWeight int
	wildcard    bool
}

type target struct {
	provider providers.Provider
	model    string // may hold {model}
	weight   int
}

// routeTable resolves a requested model name: an exact name first, then the
// wildcard names in the order they were declared.
type routeTable struct {
	exact     map[string]*route
	wildcards []*route
	listed    []*route // exact names, in declaration order, for GET /v1/models
}

func newRouteTable(models []ModelConfig, byName map[string]providers.Provider) (*routeTable, error) {
	t := &routeTable{exact: make(map[string]*route, len(models))}
	seen := make(map[string]bool, len(models))
	for _, m := range models {
		if m.Name == "" {
			return nil, fmt.Errorf("a model has no name")
		}
		if seen[m.Name] {
			return nil, fmt.Errorf("model %s is declared twice", m.Name)
		}
		seen[m.Name] = true
		if len(m.Targets) == 0 {
			return nil, fmt.Errorf("model %s has no target", m.Name)
		}
		r := &route{name: m.Name, wildcard: strings.Contains(m.Name, "*")}
		for _, tc := range m.Targets {
			p, ok := byName[tc.Provider]
			if !ok {
				return nil, fmt.Errorf("model %s: target %s/%s names a provider that is not declared", m.Name, tc.Provider, tc.Model)
			}
			if tc.Model == "" {
				return nil, fmt.Errorf("model %s: target %s/ has no model", m.Name, tc.Provider)
			}
			if tc.Weight < 0 {
				return nil, fmt.Errorf("model %s: target %s/%s has a negative weight", m.Name, tc.Provider, tc.Model)
			}
			w := tc.Weight
			if w == 0 {
				w = 1
			}
			r.targets = append(r.targets, target{provider: p, model: tc.Model, weight: w})
			r.totalWeight += w
		}
		if r.wildcard {
			t.wildcards = append(t.wildcards, r)
		} else {
			t.exact[m.Name] = r
			t.listed = append(t.listed, r)
		}
	}
	return t, nil
}

// resolve finds the route of a requested model name.
func (t *routeTable) resolve(model string) (*route, bool) {
	if r, ok := t.exact[model]; ok {
		return r, true
	}
	for _, r := range t.wildcards {
		if matchWildcard(r.name, model) {
			return r, true
		}
	}
	return nil, false
}

// pick chooses a target by weight and returns it with its upstream model
// name, {model} replaced by the requested name.
func (r *route) pick(requested string) candidate {
	t := r.targets[0]
	if len(r.targets) > 1 {
		n := rand.IntN(r.totalWeight)
		for _, c := range r.targets {
			if n < c.weight {
				t = c
				break
			}
			n -= c.weight
		}
	}
	model := t.model
	if strings.Contains(model, "{model}") {
		model = strings.ReplaceAll(model, "{model}", requested)
	}
	return candidate{provider: t.provider, model: model}
}

// matchWildcard reports whether name matches pattern, where each * stands
// for any run of characters (slashes included: model names hold them).
func matchWildcard(pattern, name string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == name
	}
	prefix := pattern[:star]
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	rest := pattern[star+1:]
	name = name[len(prefix):]
	if rest == "" {
		return true
	}
	for i := 0; i <= len(name); i++ {
		if matchWildcard(rest, name[i:]) {
			return true
		}
	}
	return false
}
