// Package openai is the provider for OpenAI's API and for servers that speak
// its chat completions API (vLLM, TGI, Ollama, Groq, DeepSeek, Mistral,
// OpenRouter, ...): the `openai` and `openai_compatible` provider types.
package openai

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicegw/sluice/providers"
)

// Config describes one declared provider of this type.
type Config struct {
	Name    string
	BaseURL string        // service root including the version, e.g. https://api.openai.com/v1
	APIKeys []string      // sent as "Authorization: Bearer KEY", rotated round-robin
	Headers http.Header   // extra headers sent on every call
	Timeout time.Duration // per attempt; see providers.Sender
	// Transport carries the calls; nil means the gateway's shared pool.
	Transport http.RoundTripper
}

// Provider sends chat completion calls to an OpenAI-shaped upstream.
type Provider struct {
	*providers.Sender
	chatURL      string
	embeddingURL string
	responsesURL string
}

func init() {
	config := func(cfg providers.Config) Config {
		return Config{Name: cfg.Name, BaseURL: cfg.BaseURL, APIKeys: cfg.APIKeys, Headers: cfg.Headers, Timeout: cfg.Timeout, Transport: cfg.Transport}
	}
	providers.Register("openai", func(cfg providers.Config) (providers.Provider, error) {
		p, err := New(config(cfg))
		if err != nil {
			return nil, err
		}
		return &Native{Provider: p}, nil
	})
	providers.Register("openai_compatible", func(cfg providers.Config) (providers.Provider, error) {
		return New(config(cfg))
	})
}

// Native is the `openai` type: OpenAI's own API, which also serves the
// Responses API, so Responses calls can go to it untranslated.
// `openai_compatible` servers speak chat completions only.
type Native struct {
	*Provider
}

// SendResponses implements providers.ResponsesSender: a Responses request
// body goes to {base_url}/responses as it is, and the answer comes back as
// OpenAI sent it.
func (p *Native) SendResponses(ctx context.Context, call *providers.Call) (*http.Response, error) {
	return p.Sender.Send(ctx, call, providers.Request{URL: p.responsesURL, SetHeaders: setBearer})
}

// New checks cfg and builds its provider.
func New(cfg Config) (*Provider, error) {
	base, err := providers.CheckBaseURL(cfg.Name, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	return &Provider{
		Sender:       providers.NewSender(cfg.Name, cfg.APIKeys, cfg.Headers, cfg.Timeout, cfg.Transport),
		chatURL:      base + "/chat/completions",
		embeddingURL: base + "/embeddings",
		responsesURL: base + "/responses",
	}, nil
}

// Send implements providers.Provider: the body goes as it is, with the key
// as a bearer token.
func (p *Provider) Send(ctx context.Context, call *providers.Call) (*http.Response, error) {
	return p.Sender.Send(ctx, call, providers.Request{URL: p.chatURL, SetHeaders: setBearer})
}

// Embed implements providers.Embedder.
func (p *Provider) Embed(ctx context.Context, call *providers.Call) (*http.Response, error) {
	return p.Sender.Send(ctx, call, providers.Request{URL: p.embeddingURL, SetHeaders: setBearer})
}

func setBearer(h http.Header, key string) {
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
}
