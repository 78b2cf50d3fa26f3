package gateway

import "time"

// Outcome is what the gateway learned about one call: where it went, how
// long it took, and the tokens it used. Accounting, metrics and logs read it.
type Outcome struct {
	Endpoint      string // "chat_completions"
	Model         string // the public model name the client asked for
	Provider      string // the declared provider that served (or failed)
	UpstreamModel string // the model name sent upstream
	Stream        bool
	// Status is the HTTP status the client got; 499 when the client went
	// away before an answer.
	Status   int
	Attempts int
	// UsageKnown is true when the upstream reported usage.
	UsageKnown bool
	Usage      Usage
	Start      time.Time
	// TimeToFirstByte is the time until the first byte of the answer was
	// sent to the client (for streams: the first event).
	TimeToFirstByte time.Duration
	Duration        time.Duration
	// Error says why the call failed, when it did.
	Error string
}

// Usage counts a call's tokens.
type Usage struct {
	InputTokens     int
	OutputTokens    int
	CachedTokens    int // part of InputTokens served from the provider's cache
	ReasoningTokens int // part of OutputTokens spent on reasoning
}

// statusClientClosed is nginx's status for a client that went away before the
// answer; it is recorded, never sent.
const statusClientClosed = 499
