package gateway

import (
	"net/http"
	"time"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/limits"
)

// Outcome is what the gateway learned about one call: where it went, how
// long it took, and the tokens it used. Accounting, metrics and logs read it.
type Outcome struct {
	Endpoint      string // "chat_completions"
	Model         string // the public model name the client asked for
	Route         string // the declared model name that matched (metric label); "" when none did
	Consumer      string // who called: the consumer's name, or "anonymous" when the site declares none
	Provider      string // the declared provider that served (or failed)
	UpstreamModel string // the model name sent upstream
	Stream        bool
	// Status is the HTTP status the client got; 499 when the client went
	// away before an answer.
	Status   int
	Attempts int
	// UsageKnown is true when the upstream reported usage.
	UsageKnown bool
	// UsageEstimated is true when the upstream answered without reporting
	// usage (a stream the client left, a broken stream, a server that sends
	// none) and Usage holds the gateway's own count instead.
	UsageEstimated bool
	Usage          Usage
	// CostUSD is the call's cost at the price table's prices; CostKnown is
	// false when the usage or the upstream model's price is unknown.
	CostUSD   float64
	CostKnown bool
	Start     time.Time
	// TimeToFirstByte is the time until the first byte of the answer was
	// sent to the client (for streams: the first event).
	TimeToFirstByte time.Duration
	Duration        time.Duration
	// UpstreamWait is the time spent waiting for the upstream: sending the
	// request and reading its answer.
	UpstreamWait time.Duration
	// ClientWait is the time spent writing the answer to the client.
	ClientWait time.Duration
	// Overhead is the gateway's own time: Duration - UpstreamWait -
	// ClientWait (parsing, routing, serialising and relaying included).
	Overhead time.Duration
	// Guards lists the guard decisions taken, as "rule:action"
	// ("prompt_injection:block", "pii_email:redact").
	Guards []string
	// Metadata is what scripts wrote into req.metadata.
	Metadata map[string]string
	// Error says why the call failed, when it did.
	Error string
	// ErrorClass classifies an upstream failure: connect, timeout,
	// status_4xx, status_5xx, stream_broken or malformed.
	ErrorClass string

	consumerLabel string             // the consumer label of metrics (see Config.ConsumerLabel)
	stats         *targetStats       // the declared target that answered, if any
	shape         apierror.Shape     // the API the client speaks: its errors' shape
	answer        *answerTranslation // nil: the client speaks chat completions
	native        clientAPI          // not apiChat: a call of that API passed through untranslated

	// Accounting: the decoded request, its counted prompt (-1 until
	// counted), what the limits store reserved for it, and the answer's
	// text as relayed (kept only when a store accounts calls).
	req          *openai.ChatRequest
	promptTokens int
	reservation  *limits.Reservation
	capture      *outputCapture
}

// Observer learns about calls as they go. Its methods run on the request's
// goroutine and must not keep the Outcome past their return.
type Observer interface {
	// Routed is called once the target is chosen, before any byte of the
	// answer is written.
	Routed(r *http.Request, o *Outcome)
	// Finished is called once per call, after its answer.
	Finished(r *http.Request, o *Outcome)
}

// Usage counts a call's tokens.
type Usage struct {
	InputTokens      int
	OutputTokens     int
	CachedTokens     int // part of InputTokens served from the provider's cache
	CacheWriteTokens int // part of InputTokens written to the provider's cache
	ReasoningTokens  int // part of OutputTokens spent on reasoning
}

// statusClientClosed is nginx's status for a client that went away before the
// answer; it is recorded, never sent.
const statusClientClosed = 499
