// Package azure is the provider for Azure OpenAI: the `azure` provider type.
//
//	provider azure {
//		type azure
//		base_url https://my-resource.openai.azure.com   # the resource's endpoint
//		api_key {env.AZURE_OPENAI_API_KEY}             # may repeat
//		api_version 2024-10-21                          # default
//	}
//	model gpt-4o {
//		target azure/my-gpt4o-deployment                # the deployment name
//	}
//
// Azure OpenAI speaks OpenAI's chat completions API at a per-deployment
// URL, {base_url}/openai/deployments/{deployment}/chat/completions?api-version=V,
// with the key in an `api-key` header, so requests and answers (streams
// and usage included) pass through untranslated.
package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluicegw/sluice/providers"
)

// DefaultAPIVersion is the api-version sent when the provider sets none:
// the newest generally available version of the data-plane API when this
// was written.
const DefaultAPIVersion = "2024-10-21"

func init() {
	providers.Register("azure", func(cfg providers.Config) (providers.Provider, error) { return New(cfg) })
}

// Provider sends chat completion calls to Azure OpenAI deployments.
type Provider struct {
	*providers.Sender
	base    string // {base_url}/openai/deployments/
	version string // "?api-version=..."
}

// New checks cfg and builds its provider.
func New(cfg providers.Config) (*Provider, error) {
	base, err := providers.CheckBaseURL(cfg.Name, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	// A base_url copied with the /openai suffix is taken as meant.
	base = strings.TrimSuffix(base, "/openai")
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	if strings.ContainsAny(version, "&?#/ ") {
		return nil, fmt.Errorf("provider %s: api_version %q is not a version such as %s", cfg.Name, version, DefaultAPIVersion)
	}
	return &Provider{
		Sender:  providers.NewSender(cfg.Name, cfg.APIKeys, cfg.Headers, cfg.Timeout, cfg.Transport),
		base:    base + "/openai/deployments/",
		version: "?api-version=" + url.QueryEscape(version),
	}, nil
}

// Send implements providers.Provider: call.Model is the deployment.
func (p *Provider) Send(ctx context.Context, call *providers.Call) (*http.Response, error) {
	u := p.base + url.PathEscape(call.Model) + "/chat/completions" + p.version
	return p.Sender.Send(ctx, call, providers.Request{URL: u, SetHeaders: setAPIKey})
}

// Embed implements providers.Embedder: call.Model is the embedding
// model's deployment.
func (p *Provider) Embed(ctx context.Context, call *providers.Call) (*http.Response, error) {
	u := p.base + url.PathEscape(call.Model) + "/embeddings" + p.version
	return p.Sender.Send(ctx, call, providers.Request{URL: u, SetHeaders: setAPIKey})
}

func setAPIKey(h http.Header, key string) {
	if key != "" {
		h.Set("Api-Key", key)
	}
}
