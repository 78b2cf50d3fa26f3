package gateway

import (
	"net/http"

	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/scripting"
)

// ScriptPreview is a chat request as scripts see it, outside any traffic:
// tools (the `caddy ai-script` command) run hooks on it and show what would
// go upstream.
type ScriptPreview struct {
	view *scriptView
	body []byte
}

// NewScriptPreview decodes a chat completions body as the gateway would and
// builds the `req` its hooks would see, with header as the client's headers.
func NewScriptPreview(body []byte, header http.Header) (*ScriptPreview, error) {
	cr, aerr := openai.DecodeChatRequest(body)
	if aerr != nil {
		return nil, aerr
	}
	r := &http.Request{Header: header, RemoteAddr: "127.0.0.1:0"}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	v := newScriptView(cr, r, "", 0)
	v.req.EstimatedInputTokens = estimateTokens(&v.req)
	v.snapshot.EstimatedInputTokens = v.req.EstimatedInputTokens
	return &ScriptPreview{view: v, body: body}, nil
}

// Request is the `req` hooks see and change.
func (p *ScriptPreview) Request() *scripting.Request { return &p.view.req }

// Body is the body that would go upstream after on_request's changes (before
// the target's model name is set).
func (p *ScriptPreview) Body() ([]byte, error) { return p.view.apply(p.body) }
