package guest

import (
	"errors"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/sluicegw/sluice/wasmhost/internal/wire"
)

// maxStack bounds a hook's goroutine stack, so that a runaway recursion is
// reported as a stack overflow rather than by running out of memory.
const maxStack = 1 << 20

func init() {
	debug.SetMaxStack(maxStack)
	registry.reader.Trusted = true
}

// registry is what the plugin registered, and the buffers of the call in
// progress (a Wasm instance runs one call at a time).
var registry struct {
	hooks      uint32
	fields     [wire.NumHooks]uint32
	onRequest  func(*Request) error
	route      func(*Request) ([]string, error)
	onResponse func(*Request, *Response) error
	onChunk    func(*Request, *Chunk) error

	denial *Denial // set by Deny during the call in progress
	in     []byte  // the input buffer sluice_alloc hands out
	out    []byte  // the result of the last call
	reader wire.Reader
	call   callState
	spares spares

	guardOut    []byte      // the results of the guard host functions
	guardReader wire.Reader // reads them
}

// spares are the slices and maps of the last call's req, reused by the
// next call: allocating is slow inside WebAssembly (ABI.md).
type spares struct {
	messages                            []Message
	consumerMetadata, headers, metadata map[string]string
}

// callState is what a hook sees, reused from call to call.
type callState struct {
	req   Request
	res   Response
	chunk Chunk
}

func register(hook int, fields []Field) {
	registry.hooks |= 1 << hook
	mask := AllFields
	if len(fields) > 0 {
		mask = 0
		for _, f := range fields {
			mask |= f
		}
	}
	registry.fields[hook] = uint32(mask & AllFields)
}

// OnRequest makes fn the plugin's on_request hook, run after the caller is
// identified and before routing. fn may change req in place (see Request)
// or refuse the call by returning Deny(status, message). Register hooks in
// an init function: a plugin's main is never run.
//
// fields, when given, are the only req fields the host sends (see OnChunk).
func OnRequest(fn func(req *Request) error, fields ...Field) {
	registry.onRequest = fn
	register(wire.HookOnRequest, fields)
}

// Route makes fn the plugin's route hook: it returns the targets to try in
// order ("provider/model"), or nil to let the config decide. When several
// plugins and scripts route, the first that returns targets wins.
func Route(fn func(req *Request) ([]string, error), fields ...Field) {
	registry.route = fn
	register(wire.HookRoute, fields)
}

// OnResponse makes fn the plugin's on_response hook, run after a whole
// (non-streamed) answer: it may change res.Content, or refuse with Deny.
func OnResponse(fn func(req *Request, res *Response) error, fields ...Field) {
	registry.onResponse = fn
	register(wire.HookOnResponse, fields)
}

// OnChunk makes fn the plugin's on_chunk hook, run for each streamed text
// delta: it may change chunk.Text, set chunk.Drop, or end the stream with
// Deny.
//
// A chunk hook runs for every delta, and req can hold a prompt of
// megabytes: name the fields fn reads, and the host sends only those
// (guest.NoFields for none). Without fields, fn sees them all.
//
//	guest.OnChunk(redact, guest.FieldConsumer)
func OnChunk(fn func(req *Request, chunk *Chunk) error, fields ...Field) {
	registry.onChunk = fn
	register(wire.HookOnChunk, fields)
}

// Denial is the error Deny returns.
type Denial struct {
	Status  int
	Message string
}

func (d *Denial) Error() string {
	return "denied with " + strconv.Itoa(d.Status) + ": " + d.Message
}

// Deny refuses the call: the gateway answers the client with status (an
// integer from 400 to 599) and message, in the client's error shape. Return
// the error it gives from the hook. The denial stands even if the hook
// drops the error and returns nil, as gw.deny does in scripts.
func Deny(status int, message string) error {
	d := &Denial{Status: status, Message: message}
	registry.denial = d
	return d
}

// handle runs hook on an input and returns its result (nil: no change).
func handle(hook int, input []byte) (result []byte) {
	registry.denial = nil
	out := registry.out[:0]
	defer func() {
		if v := recover(); v != nil {
			result = appendError(out, "panic: "+describe(v)+panicSite())
		}
		if result != nil && cap(result) <= 1<<20 {
			registry.out = result[:0]
		}
	}()
	// The hook's strings share one copy of the input (the buffer
	// sluice_alloc handed out is the host's to reuse), so that reading a
	// request allocates little: allocation is slow inside WebAssembly.
	data := make([]byte, len(input))
	copy(data, input)
	st := &registry.call
	*st = callState{}
	req, res, chunk := &st.req, &st.res, &st.chunk
	if err := decodeInput(&registry.reader, data, req, res, chunk, &registry.spares); err != nil {
		return appendError(out, "the guest SDK cannot read the hook's input: "+err.Error())
	}
	var err error
	switch hook {
	case wire.HookOnRequest:
		if req.Metadata == nil { // the hook may set entries
			req.Metadata = map[string]string{}
		}
		before := snapshot(req)
		err = registry.onRequest(req)
		if err == nil && registry.denial == nil {
			return appendRequestChanges(out, &before, req)
		}
	case wire.HookRoute:
		var targets []string
		targets, err = registry.route(req)
		if err == nil && registry.denial == nil {
			return appendRoute(out, targets)
		}
	case wire.HookOnResponse:
		before := res.Content
		err = registry.onResponse(req, res)
		if err == nil && registry.denial == nil && res.Content != before {
			return appendResponse(out, res)
		}
	case wire.HookOnChunk:
		before := *chunk
		err = registry.onChunk(req, chunk)
		if err == nil && registry.denial == nil && *chunk != before {
			return appendChunk(out, chunk)
		}
	}
	if d := registry.denial; d != nil {
		return appendDenial(out, d)
	}
	var d *Denial
	if errors.As(err, &d) {
		return appendDenial(out, d)
	}
	if err != nil {
		return appendError(out, err.Error())
	}
	return nil
}

// describe formats a panic value or a Print argument without package fmt
// (which would add to every plugin's size): strings, errors, Stringers,
// booleans and numbers.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case error:
		return v.Error()
	case interface{ String() string }:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int8:
		return strconv.FormatInt(int64(v), 10)
	case int16:
		return strconv.FormatInt(int64(v), 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint:
		return strconv.FormatUint(uint64(v), 10)
	case uint8:
		return strconv.FormatUint(uint64(v), 10)
	case uint16:
		return strconv.FormatUint(uint64(v), 10)
	case uint32:
		return strconv.FormatUint(uint64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []byte:
		return string(v)
	case nil:
		return "nil"
	}
	return "(a value of a type Print does not format; use fmt.Sprint)"
}

// panicSite is " (at file.go:line)" of the code that panicked, called from
// the deferred function that recovered.
func panicSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	inPanic := false
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "runtime.") {
			inPanic = true
		} else if inPanic && f.File != "" {
			file := f.File
			if i := strings.LastIndexByte(file, '/'); i >= 0 {
				file = file[i+1:]
			}
			return " (at " + file + ":" + strconv.Itoa(f.Line) + ")"
		}
		if !more {
			return ""
		}
	}
}
