// Package scripting runs user scripts at the gateway's hook points, the same
// way in Lua (gopher-lua) and JavaScript (goja): on_request, route,
// on_response and on_chunk (DESIGN.md, "The hook API").
//
// An Engine compiles source into an immutable Program once per version; a
// Program runs hooks on pooled VMs, one request per VM at a time, each hook
// under a time limit that really stops a runaway script. A Script tracks one
// file: it watches it, compiles each new version, and swaps it in atomically,
// while requests that started on the old version finish on it.
//
// The types below are the data scripts see. They are plain Go values; each
// engine maps them to its language's tables or objects and back.
package scripting

import (
	"context"
	"fmt"
	"time"
)

// Hook names a hook point.
type Hook string

// The hook points, in the order a call meets them.
const (
	HookOnRequest  Hook = "on_request"
	HookRoute      Hook = "route"
	HookOnResponse Hook = "on_response"
	HookOnChunk    Hook = "on_chunk"
)

// Request is the `req` a hook sees. on_request may change Model, Messages,
// System, Tools, MaxTokens, Temperature, TopP and Metadata in place; Headers,
// Consumer, ClientIP, Stream and EstimatedInputTokens are read-only (changes
// are ignored).
type Request struct {
	Model       string
	Messages    []Message
	System      string // the system prompt, when the request has one
	Tools       []Tool
	MaxTokens   *int
	Temperature *float64
	TopP        *float64
	Stream      bool
	Consumer    Consumer
	// Headers are the client's request headers, names in lower case; a
	// header sent several times holds its values joined with ", ".
	Headers              map[string]string
	ClientIP             string
	EstimatedInputTokens int
	// Metadata is the script's own: it flows into logs and into metric
	// labels the config declares.
	Metadata map[string]string
}

// Message is one message of a request. Content is text unless Parts is set.
type Message struct {
	Role    string
	Content string
	Parts   []Part // nil for a text message
}

// Part is one part of a multi-part message: {type="text", text=...} or
// {type="image", url=...}.
type Part struct {
	Type string // "text" or "image"
	Text string
	URL  string
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  any // decoded JSON schema
}

// Consumer is who is calling (the anonymous consumer has an empty Name).
type Consumer struct {
	Name     string
	Metadata map[string]string
}

// Response is the `res` on_response sees: Content may be changed in place.
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

// Chunk is the `chunk` on_chunk sees: one streamed text delta. A hook may
// change Text or set Drop.
type Chunk struct {
	Text string
	Drop bool
}

// Denial is the error a hook returns through gw.deny(status, message). It is
// not a script failure: the gateway answers the client with Status and
// Message in the client's error shape.
type Denial struct {
	Status  int
	Message string
}

func (d *Denial) Error() string { return fmt.Sprintf("denied with %d: %s", d.Status, d.Message) }

// Limits bound what one Program may use.
type Limits struct {
	// Timeout bounds one hook call. Default 50ms.
	Timeout time.Duration
	// PoolSize bounds the VMs kept per Program; a request that finds all
	// busy waits (within its context) for one. Default: 4 × GOMAXPROCS.
	PoolSize int
	// MaxCallDepth bounds nested calls (stack). Default 200.
	MaxCallDepth int
	// MaxInputBytes bounds the size of the data handed to one hook (the
	// request's text and tools). Default 4 MiB.
	MaxInputBytes int
}

// Engine compiles scripts of one language.
type Engine interface {
	// Name is the engine's name: "lua" or "js".
	Name() string
	// Extensions are the file extensions it handles: ".lua"; ".js".
	Extensions() []string
	// Compile checks and compiles source once. name is used in error
	// messages, which say file:line. The Program is immutable and safe for
	// concurrent use.
	Compile(name string, source []byte, limits Limits, log Logger) (Program, error)
}

// Program is one compiled version of a script.
type Program interface {
	// Has reports whether the script defines the hook.
	Has(h Hook) bool
	// OnRequest runs on_request(req), which may change req in place. It
	// returns a *Denial when the script called gw.deny.
	OnRequest(ctx context.Context, req *Request) error
	// Route runs route(req) and returns the targets it named
	// ("provider/model", one or a list), or nil when it returned nothing.
	Route(ctx context.Context, req *Request) ([]string, error)
	// OnResponse runs on_response(req, res), which may change res.Content.
	OnResponse(ctx context.Context, req *Request, res *Response) error
	// OnChunk runs on_chunk(req, chunk), which may change chunk.Text or set
	// chunk.Drop, or end the stream with gw.deny.
	OnChunk(ctx context.Context, req *Request, chunk *Chunk) error
	// Close frees the Program's VMs once no hook call is running on them.
	// Calls after Close fail.
	Close()
}

// Logger receives what scripts print and log (print, gw.log).
type Logger interface {
	Log(level, message string)
}
