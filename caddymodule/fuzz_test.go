package caddymodule_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/sluicegw/sluice/caddymodule"
)

// FuzzCaddyfileWords feeds arbitrary Caddyfiles, grown from every golden
// adapt case, to the caddyfile adapter with the ai_gateway words registered.
// Adapting must never panic; when it succeeds, the JSON it produced for the
// ai_gateway handler and app must decode into their Go types with no field
// the types do not know, so the parser never emits what Provision would
// silently ignore.
func FuzzCaddyfileWords(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "adapt", "*.caddyfiletest"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if caddyfile, _, ok := splitAdaptCase(string(data)); ok {
			f.Add(caddyfile)
		}
	}
	adapter := caddyconfig.GetAdapter("caddyfile")
	f.Fuzz(func(t *testing.T, caddyfile string) {
		out, _, err := adapter.Adapt([]byte(caddyfile), nil)
		if err != nil {
			return
		}
		var config map[string]any
		if err := json.Unmarshal(out, &config); err != nil {
			t.Fatalf("adapted config is not JSON: %v\n%s", err, out)
		}
		apps, _ := config["apps"].(map[string]any)
		if app, ok := apps["ai_gateway"]; ok {
			decodeStrict(t, app, &caddymodule.App{})
		}
		for _, handler := range findHandlers(config, "ai_gateway") {
			decodeStrict(t, handler, &caddymodule.Handler{})
		}
	})
}

// findHandlers walks an adapted config and returns every object whose
// "handler" field is name, wherever routes and subroutes put it.
func findHandlers(v any, name string) []map[string]any {
	var found []map[string]any
	switch v := v.(type) {
	case map[string]any:
		if v["handler"] == name {
			found = append(found, v)
		}
		for _, child := range v {
			found = append(found, findHandlers(child, name)...)
		}
	case []any:
		for _, child := range v {
			found = append(found, findHandlers(child, name)...)
		}
	}
	return found
}

// decodeStrict re-encodes v and decodes it into into, failing on any field
// into does not declare. The "handler" key is Caddy's module name, not a field.
func decodeStrict(t *testing.T, v any, into any) {
	t.Helper()
	if m, ok := v.(map[string]any); ok {
		copied := make(map[string]any, len(m))
		for k, val := range m {
			if k != "handler" {
				copied[k] = val
			}
		}
		v = copied
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("the adapter produced a %T the type does not accept: %v\n%s", into, err, raw)
	}
}
