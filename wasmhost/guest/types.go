package guest

// The data a hook sees: the same fields, with the same meaning, as req, res
// and chunk in Lua and JavaScript scripts (package scripting, "What a hook
// sees"). A map with no entries is nil (reading a nil map is fine), except
// Metadata in OnRequest, which is always ready to be set.

// Request is the req a hook sees. OnRequest may change Model, Messages,
// System, Tools, MaxTokens, Temperature, TopP and Metadata in place (or
// replace them); changes to the other fields, and changes made by other
// hooks, are ignored.
type Request struct {
	Model       string
	Messages    []Message
	System      string // the system prompt, "" when there is none
	Tools       []Tool
	MaxTokens   *int     // nil when absent; set nil to remove
	Temperature *float64 // nil when absent; set nil to remove
	TopP        *float64 // nil when absent; set nil to remove
	Stream      bool
	Consumer    Consumer
	// Headers are the client's request headers, names in lower case; a
	// header sent several times holds its values joined with ", ".
	Headers              map[string]string
	ClientIP             string
	EstimatedInputTokens int
	// Metadata is the plugin's own: it flows into the gateway's logs and
	// into the metric labels its config declares. Only OnRequest's changes
	// count; there it is never nil.
	Metadata map[string]string
}

// Message is one message of a request. Content is its text unless Parts is
// set.
type Message struct {
	Role    string
	Content string
	Parts   []Part // nil for a text message
}

// Part is one part of a multi-part message: {Type: "text", Text: ...} or
// {Type: "image", URL: ...}.
type Part struct {
	Type string
	Text string
	URL  string
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	// Parameters is its JSON schema, as JSON text (decode it with
	// encoding/json if you need to look inside). Replace it rather than
	// editing its bytes.
	Parameters []byte
}

// Consumer is who is calling; the anonymous consumer has an empty Name.
type Consumer struct {
	Name     string
	Metadata map[string]string
}

// Response is the res OnResponse sees: Content may be changed.
type Response struct {
	Content  string
	Model    string
	Provider string
	Status   int
	Usage    Usage
	CostUSD  float64
}

// Usage counts a call's tokens.
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// Chunk is the chunk OnChunk sees: one streamed text delta. A hook may
// change Text or set Drop.
type Chunk struct {
	Text string
	Drop bool
}

// Field names fields of Request, to tell the host which ones a hook reads
// (see OnChunk). Combine them with |.
type Field uint32

// The fields of Request.
const (
	FieldModel Field = 1 << iota
	FieldSystem
	FieldMessages
	FieldTools
	FieldMaxTokens
	FieldTemperature
	FieldTopP
	FieldStream
	FieldConsumer
	FieldHeaders
	FieldClientIP
	FieldEstimatedInputTokens
	FieldMetadata

	// NoFields asks for none: the hook gets an empty Request.
	NoFields Field = 0
	// AllFields asks for every field (what a hook gets by default).
	AllFields Field = FieldMetadata<<1 - 1
)
