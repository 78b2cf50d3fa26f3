package bedrock

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/sluicegw/sluice/providers"
)

// Config describes one declared provider of this type.
type Config struct {
	Name string
	// BaseURL is the service root; empty means
	// https://bedrock-runtime.REGION.amazonaws.com.
	BaseURL string
	// Region is the AWS region calls are signed for (and, without BaseURL,
	// sent to). Empty: $AWS_REGION, else $AWS_DEFAULT_REGION, else the
	// region named in a bedrock-runtime BaseURL.
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken sign the calls (SigV4).
	// Empty: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and, when the key
	// pair came from the environment too, $AWS_SESSION_TOKEN.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// APIKeys are Amazon Bedrock API keys. When set, calls carry
	// "Authorization: Bearer KEY" (rotated round-robin) and are not signed.
	APIKeys []string
	Headers http.Header   // extra headers sent on every call
	Timeout time.Duration // per attempt; see providers.Sender
	// Transport carries the calls; nil means the gateway's shared pool.
	Transport http.RoundTripper
	// now is the signing clock; nil means time.Now (tests pin it).
	now func() time.Time
}

// Provider sends chat completion calls to Amazon Bedrock's Converse API.
type Provider struct {
	*providers.Sender
	base   string
	signer *sigV4 // nil when the calls carry a Bedrock API key instead
	// setWhole and setStream set the headers of a non-streamed and a
	// streamed call; made once so that Send allocates no closures.
	setWhole, setStream func(h http.Header, key string)
	sign                func(r *http.Request, body []byte) error // nil without signer
}

func init() {
	providers.Register("bedrock", func(cfg providers.Config) (providers.Provider, error) {
		return New(Config{
			Name: cfg.Name, BaseURL: cfg.BaseURL, Region: cfg.Region,
			AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, SessionToken: cfg.SessionToken,
			APIKeys: cfg.APIKeys, Headers: cfg.Headers, Timeout: cfg.Timeout, Transport: cfg.Transport,
		})
	})
}

// New checks cfg, fills what it leaves out from the usual AWS environment
// variables, and builds its provider. Missing credentials or region are a
// configuration error that says what to set.
func New(cfg Config) (*Provider, error) {
	auth, err := resolveAuth(cfg)
	if err != nil {
		return nil, err
	}
	base := auth.baseURL
	if base, err = providers.CheckBaseURL(cfg.Name, base); err != nil {
		return nil, err
	}
	p := &Provider{
		Sender: providers.NewSender(cfg.Name, cfg.APIKeys, cfg.Headers, cfg.Timeout, cfg.Transport),
		base:   base,
		signer: auth.signer,
	}
	p.setWhole = func(h http.Header, key string) { setHeaders(h, key, "application/json") }
	p.setStream = func(h http.Header, key string) { setHeaders(h, key, eventStreamType) }
	if p.signer != nil {
		p.sign = p.signer.sign
	}
	return p, nil
}

// eventStreamType is the media type of ConverseStream's answer.
const eventStreamType = "application/vnd.amazon.eventstream"

func setHeaders(h http.Header, key, accept string) {
	h.Set("Accept", accept)
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
}

// Send implements providers.Provider: it translates the OpenAI chat
// completions body into a Converse request, sends it to the model's
// converse or converse-stream path, and answers like an OpenAI upstream
// would (see the package documentation).
func (p *Provider) Send(ctx context.Context, call *providers.Call) (*http.Response, error) {
	body, e := translateRequest(call.Body, call.Model)
	if call.Release != nil {
		call.Release() // the OpenAI body is not read again
	}
	if e != nil {
		return errorResponse(http.StatusBadRequest, "invalid_request", e.param, "Provider "+p.Name()+" (bedrock): "+e.message), nil
	}
	r := providers.Request{URL: p.modelURL(call.Model, call.Stream), SetHeaders: p.setWhole}
	if call.Stream {
		r.SetHeaders = p.setStream
	}
	r.Sign = p.sign
	resp, err := p.Sender.Send(ctx, &providers.Call{Model: call.Model, Body: body, Stream: call.Stream, Timeout: call.Timeout}, r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return translateErrorResponse(p.Name(), resp), nil
	}
	if call.Stream {
		return streamResponse(resp, call.Model), nil
	}
	return p.wholeResponse(resp, call.Model)
}

// maxAnswer bounds the Converse answer read into memory.
const maxAnswer = 64 << 20

// wholeResponse reads a Converse answer and returns it as a chat.completion.
// An answer that breaks off is an error (for the gateway to retry); one that
// cannot be read as a Converse answer becomes a 502 naming the provider.
func (p *Provider) wholeResponse(resp *http.Response, model string) (*http.Response, error) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("provider %s: reading the answer: %w", p.Name(), err)
	}
	if len(raw) > maxAnswer {
		return errorResponse(http.StatusBadGateway, "upstream_error", "", "The upstream provider "+p.Name()+" answered with more than "+strconv.Itoa(maxAnswer)+" bytes."), nil
	}
	out, err := translateResponse(raw, model, completionID(resp.Header), time.Now().Unix())
	if err != nil {
		return errorResponse(http.StatusBadGateway, "upstream_error", "", "The upstream provider "+p.Name()+" answered with a Converse body the gateway cannot read: "+err.Error()+"."), nil
	}
	return jsonResponse(resp, http.StatusOK, out), nil
}

// modelURL is the Converse (or ConverseStream) URL of a model. The model ID
// is one path segment, escaped as the AWS SDKs do (":" and "/" of inference
// profile IDs and ARNs included), which is also what SigV4 signs.
func (p *Provider) modelURL(model string, stream bool) string {
	op := "/converse"
	if stream {
		op = "/converse-stream"
	}
	return p.base + "/model/" + httpbinding.EscapePath(model, true) + op
}

// jsonResponse is a response of the given status with a JSON body, keeping
// the upstream's request id and Retry-After.
func jsonResponse(upstream *http.Response, status int, body []byte) *http.Response {
	h := make(http.Header, 3)
	h.Set("Content-Type", "application/json")
	if upstream != nil {
		if id := upstream.Header.Get("X-Amzn-Requestid"); id != "" {
			h.Set("X-Request-Id", id)
		}
		if ra := upstream.Header.Get("Retry-After"); ra != "" {
			h.Set("Retry-After", ra)
		}
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}
}
