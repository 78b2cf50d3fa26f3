package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/scripting"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Hooks runs a site's scripts at the pipeline's hook points (DESIGN.md, "The
// hook API"). Package scripting's Chain implements it.
type Hooks interface {
	// Begin pins the scripts' current versions for one call: all its hooks
	// run on the versions it started with.
	Begin() HookRun
}

// HookRun is one call's pinned scripts. Errors are a *scripting.Denial when
// a script called gw.deny, else a script failure that its on_error policy
// did not absorb.
type HookRun interface {
	// Has reports whether any pinned script defines the hook, so the
	// pipeline can skip the work a hook would need.
	Has(h scripting.Hook) bool
	OnRequest(ctx context.Context, req *scripting.Request) error
	// Route returns the targets the first script that decided named, or nil.
	Route(ctx context.Context, req *scripting.Request) ([]string, error)
	OnResponse(ctx context.Context, req *scripting.Request, res *scripting.Response) error
	OnChunk(ctx context.Context, req *scripting.Request, chunk *scripting.Chunk) error
	// Release unpins the versions.
	Release()
}

// hookError is the client's answer to a hook that denied or failed. A
// failure's details (the script's path, its line) go to the log, not to the
// client.
func hookError(err error) *apierror.Error {
	var denial *scripting.Denial
	if errors.As(err, &denial) {
		return &apierror.Error{Status: denial.Status, Code: "request_denied", Message: denial.Message}
	}
	what, hook := "failed", "a"
	var se *scripting.ScriptError
	if errors.As(err, &se) {
		hook = "its " + string(se.Hook)
	}
	if errors.Is(err, scripting.ErrTimeout) {
		what = "ran out of time"
	}
	return &apierror.Error{
		Status:  http.StatusInternalServerError,
		Code:    "script_error",
		Type:    "server_error",
		Message: fmt.Sprintf("A gateway script %s in %s hook; the gateway's log has the details.", what, hook),
	}
}

// scriptCandidates turns the targets a route hook returned into candidates.
// The provider must be declared; the model may be any name.
func (g *Gateway) scriptCandidates(targets []string) ([]candidate, *apierror.Error) {
	out := make([]candidate, 0, len(targets))
	for _, t := range targets {
		provider, model, ok := strings.Cut(t, "/")
		p, declared := g.providers[provider]
		if !ok || model == "" || !declared {
			return nil, hookError(fmt.Errorf("route returned %q, which is not <declared provider>/<model>", t))
		}
		out = append(out, candidate{provider: p, model: model})
	}
	return out, nil
}

// estimateTokens is a quick estimate of a request's input tokens, about four
// bytes of text per token, for scripts until a real tokenizer is wired in.
func estimateTokens(req *scripting.Request) int {
	n := len(req.System)
	for _, m := range req.Messages {
		n += len(m.Content) + 16
		for _, p := range m.Parts {
			n += len(p.Text)
		}
	}
	return (n + 3) / 4
}

// scriptCall is one call's scripts: the pinned versions and the `req` they
// see, which every hook of the call shares.
type scriptCall struct {
	run        HookRun
	view       *scriptView
	onResponse bool
	onChunk    bool
}

// runOnResponse runs on_response over a whole chat completion and puts a
// changed content back into the body.
func (g *Gateway) runOnResponse(ctx context.Context, sc *scriptCall, body []byte, out *Outcome) ([]byte, *apierror.Error) {
	content := gjson.GetBytes(body, "choices.0.message.content")
	g.price(out)
	res := scripting.Response{
		Content:  content.Str,
		Model:    gjson.GetBytes(body, "model").Str,
		Provider: out.Provider,
		Status:   http.StatusOK,
		Usage:    scripting.Usage{InputTokens: out.Usage.InputTokens, OutputTokens: out.Usage.OutputTokens},
		CostUSD:  out.CostUSD,
	}
	if err := sc.run.OnResponse(ctx, &sc.view.req, &res); err != nil {
		return nil, hookError(err)
	}
	if res.Content == content.Str {
		return body, nil
	}
	changed, err := sjson.SetBytes(body, "choices.0.message.content", res.Content)
	if err != nil {
		return nil, apierror.Internal("A script's change to the answer could not be applied: %v.", err)
	}
	return changed, nil
}

// runOnChunk runs on_chunk over a streamed event's text delta. Events with
// no text pass untouched. A dropped delta drops its event, unless the event
// also ends the choice, which then goes on with empty text.
func runOnChunk(ctx context.Context, sc *scriptCall, data []byte) ([]byte, bool, *apierror.Error) {
	text := gjson.GetBytes(data, "choices.0.delta.content")
	if text.Type != gjson.String || text.Str == "" {
		return data, false, nil
	}
	chunk := scripting.Chunk{Text: text.Str}
	if err := sc.run.OnChunk(ctx, &sc.view.req, &chunk); err != nil {
		return nil, false, hookError(err)
	}
	if chunk.Drop {
		if finish := gjson.GetBytes(data, "choices.0.finish_reason"); finish.Type != gjson.String {
			return nil, true, nil
		}
		chunk.Text = ""
	}
	if chunk.Text == text.Str {
		return data, false, nil
	}
	changed, err := sjson.SetBytes(data, "choices.0.delta.content", chunk.Text)
	if err != nil {
		return nil, false, apierror.Internal("A script's change to a chunk could not be applied: %v.", err)
	}
	return changed, false, nil
}
