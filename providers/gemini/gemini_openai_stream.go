package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/sluicegw/sluice/sse"
)

// maxStreamEvent bounds one event of Gemini's stream.
const maxStreamEvent = 8 << 20

// maxCandidates bounds the candidate index a stream may use (Gemini makes
// at most 8 candidates).
const maxCandidates = 64

// streamBody is a Gemini stream (streamGenerateContent?alt=sse) read as an
// OpenAI chat completions stream. Each Read translates the next upstream
// event, so the answer flows through as it arrives and the stream is never
// held whole. Gemini's events are whole GenerateContentResponse objects:
// text parts become content deltas, and a function call (which Gemini sends
// whole, in one event) becomes a tool_calls delta with its full arguments.
// Each candidate's finishReason becomes its finish chunk; when the upstream
// ends, the last usageMetadata (Gemini's counts are running totals) becomes
// the usage chunk, then [DONE]. A stream that ends before every candidate
// finished, or that carries an error event, fails the Read with an error.
type streamBody struct {
	src   io.ReadCloser
	rd    *sse.Reader
	model string
	keys  []string

	out []byte // translated bytes not yet read
	off int
	err error // returned once out is drained: io.EOF at the end

	prefix     []byte // a chunk's opening, up to "choices":[
	responseID string
	cands      []candidateState
	calls      int // tool calls so far, across candidates: ids stay unique
	usage      usageMetadata
	usageSeen  bool
	blocked    bool
}

type candidateState struct {
	seen, finished, hasCalls bool
	nextCall                 int // the index of its next tool call
}

func newStreamBody(src io.ReadCloser, model string, keys []string) *streamBody {
	return &streamBody{src: src, rd: sse.NewReader(src, maxStreamEvent), model: model, keys: keys, out: make([]byte, 0, 1024)}
}

func (s *streamBody) Read(p []byte) (int, error) {
	for {
		if s.off < len(s.out) {
			n := copy(p, s.out[s.off:])
			s.off += n
			return n, nil
		}
		if s.err != nil {
			return 0, s.err
		}
		s.out, s.off = s.out[:0], 0
		s.err = s.next()
	}
}

// Close closes the upstream body, which ends the upstream call.
func (s *streamBody) Close() error {
	if s.err == nil {
		s.err = errors.New("gemini: read after close")
	}
	return s.src.Close()
}

// next translates the next upstream event into s.out. It returns a
// non-nil error when the stream is over: io.EOF when it ended well.
func (s *streamBody) next() error {
	ev, err := s.rd.Next()
	if err == io.EOF {
		return s.finish()
	}
	if err != nil {
		return fmt.Errorf("reading Gemini's stream: %w", err)
	}
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 || string(data) == "[DONE]" {
		return nil
	}
	var r generateResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("Gemini sent a stream event that is not a GenerateContentResponse: %v", err)
	}
	if r.Error != nil {
		return fmt.Errorf("Gemini ended the stream with an error (%d %s): %s", r.Error.Code, r.Error.Status, redact(r.Error.Message, s.keys))
	}
	if s.prefix == nil {
		s.start(&r)
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		// A stream cannot turn into a 400 once it has begun: the refusal
		// is an empty answer that finished with content_filter.
		st := s.candidate(0)
		if !st.seen {
			st.seen = true
			s.appendChoice(0, `{"role":"assistant","content":""}`, "")
		}
		if !st.finished {
			st.finished = true
			s.appendChoice(0, `{}`, "content_filter")
		}
		s.blocked = true
	}
	for i := range r.Candidates {
		if err := s.translateCandidate(&r.Candidates[i], i); err != nil {
			return err
		}
	}
	if r.UsageMetadata != nil {
		s.usage, s.usageSeen = *r.UsageMetadata, true
	}
	return nil
}

// start fixes what every chunk repeats: the id, the time and the model.
func (s *streamBody) start(r *generateResponse) {
	model := s.model
	if r.ModelVersion != "" {
		model = r.ModelVersion
	}
	s.responseID = r.ResponseID
	b := make([]byte, 0, 128+len(model))
	b = append(b, `{"id":`...)
	b = appendCompletionID(b, r.ResponseID)
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = strconv.AppendInt(b, now().Unix(), 10)
	b = append(b, `,"model":`...)
	b = appendString(b, model)
	s.prefix = append(b, `,"choices":[`...)
}

func (s *streamBody) candidate(index int) *candidateState {
	for len(s.cands) <= index {
		s.cands = append(s.cands, candidateState{})
	}
	return &s.cands[index]
}

func (s *streamBody) translateCandidate(c *candidate, position int) error {
	index := c.Index
	if index == 0 {
		index = position
	}
	if index < 0 || index >= maxCandidates {
		return fmt.Errorf("Gemini sent a stream event for candidate %d", c.Index)
	}
	st := s.candidate(index)
	if !st.seen {
		st.seen = true
		s.appendChoice(index, `{"role":"assistant","content":""}`, "")
	}
	if st.finished {
		return nil // nothing may follow a finish chunk
	}
	if c.Content != nil {
		s.appendText(index, c.Content.Parts)
		s.appendCalls(index, st, c.Content.Parts)
	}
	if c.FinishReason != "" {
		st.finished = true
		s.appendChoice(index, `{}`, finishReason(c.FinishReason, st.hasCalls))
	}
	return nil
}

// appendText sends the event's text parts (thought summaries excluded) as
// one content delta.
func (s *streamBody) appendText(index int, parts []part) {
	n := 0
	for i := range parts {
		if p := &parts[i]; p.FunctionCall == nil && !p.Thought {
			n += len(p.Text)
		}
	}
	if n == 0 {
		return
	}
	s.openChoice(index)
	s.out = append(s.out, `{"content":"`...)
	for i := range parts {
		if p := &parts[i]; p.FunctionCall == nil && !p.Thought {
			s.out = appendEscaped(s.out, p.Text)
		}
	}
	s.out = append(s.out, `"}`...)
	s.closeChoice("")
}

// appendCalls sends the event's function calls as one tool_calls delta,
// each call whole: id, name and all its arguments.
func (s *streamBody) appendCalls(index int, st *candidateState, parts []part) {
	first := true
	for i := range parts {
		p := &parts[i]
		if p.FunctionCall == nil {
			continue
		}
		if first {
			s.openChoice(index)
			s.out = append(s.out, `{"tool_calls":[`...)
			first = false
		} else {
			s.out = append(s.out, ',')
		}
		s.out = appendToolCall(s.out, st.nextCall, s.responseID, s.calls, p)
		st.nextCall++
		st.hasCalls = true
		s.calls++
	}
	if !first {
		s.out = append(s.out, "]}"...)
		s.closeChoice("")
	}
}

// appendChoice writes a chunk with one choice: delta (a JSON object) and
// finish (a finish_reason, or "" for null).
func (s *streamBody) appendChoice(index int, delta, finish string) {
	s.openChoice(index)
	s.out = append(s.out, delta...)
	s.closeChoice(finish)
}

func (s *streamBody) openChoice(index int) {
	s.out = append(s.out, "data: "...)
	s.out = append(s.out, s.prefix...)
	s.out = append(s.out, `{"index":`...)
	s.out = strconv.AppendInt(s.out, int64(index), 10)
	s.out = append(s.out, `,"delta":`...)
}

func (s *streamBody) closeChoice(finish string) {
	s.out = append(s.out, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		s.out = append(s.out, "null"...)
	} else {
		s.out = appendString(s.out, finish)
	}
	s.out = append(s.out, "}]}\n\n"...)
}

// finish ends the translated stream at the upstream's end: the usage chunk
// and [DONE], or an error when the answer was cut short.
func (s *streamBody) finish() error {
	if s.prefix == nil {
		return io.EOF // no event at all: the gateway reports an empty stream
	}
	complete := s.blocked || len(s.cands) > 0
	for _, st := range s.cands {
		if st.seen && !st.finished {
			complete = false
		}
	}
	if !complete {
		return fmt.Errorf("Gemini's stream ended before the answer was finished: %w", io.ErrUnexpectedEOF)
	}
	if s.usageSeen {
		s.out = append(s.out, "data: "...)
		s.out = append(s.out, s.prefix...)
		s.out = append(s.out, `],"usage":`...)
		s.out = appendUsage(s.out, &s.usage)
		s.out = append(s.out, "}\n\n"...)
	}
	s.out = append(s.out, "data: [DONE]\n\n"...)
	return io.EOF
}
