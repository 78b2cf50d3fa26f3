package gateway

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicegw/sluice/apierror"
	"github.com/sluicegw/sluice/apischema/openai"
	"github.com/sluicegw/sluice/guard"
	"github.com/sluicegw/sluice/metrics"
	"github.com/sluicegw/sluice/tokens"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"go.uber.org/zap"
)

// GuardConfig is the site's `guard { ... }` block: built-in checks on what
// goes upstream and what comes back, run before any script and any
// upstream call.
type GuardConfig struct {
	// MaxInputTokens refuses a prompt (counted like OpenAI bills it) over
	// this many tokens: 400 context_length_exceeded. 0: no cap.
	MaxInputTokens int
	// MaxOutputTokens clamps max_tokens (or max_completion_tokens): a call
	// asking for more, or setting none, is sent with this cap. 0: no cap.
	MaxOutputTokens int
	// MaxMessages refuses calls with more messages: 400
	// context_length_exceeded. 0: no cap.
	MaxMessages int
	// PromptInjection is off, log (count and log, let through) or block
	// (400 content_blocked). User and system messages are scored as
	// prompts, tool results with the weights for indirect injection.
	PromptInjection string
	// InjectionThreshold is the score from which a text counts as an
	// injection; 0: the detector's default (0.7).
	InjectionThreshold float64
	// PII is "" (off), redact, block or mask_and_restore.
	PII string
	// PIIKinds limits the kinds detected (EMAIL, PHONE, CARD, IBAN, ID, IP,
	// SECRET); empty: all.
	PIIKinds []string
	// DenyPrompt and DenyAnswer are regular expressions (case-insensitive)
	// that refuse a prompt, or cut an answer, that matches.
	DenyPrompt []string
	DenyAnswer []string
}

// guards is a site's compiled GuardConfig.
type guards struct {
	cfg        GuardConfig
	injection  *guard.InjectionDetector // nil: off
	blockInj   bool
	redactor   *guard.Redactor // nil: PII off
	denyPrompt *guard.DenyList
	denyAnswer *guard.DenyList
}

func newGuards(cfg GuardConfig) (*guards, error) {
	g := &guards{cfg: cfg}
	switch cfg.PromptInjection {
	case "", "off":
	case "log", "block":
		g.injection = guard.NewInjectionDetector(guard.InjectionOptions{Threshold: cfg.InjectionThreshold})
		g.blockInj = cfg.PromptInjection == "block"
	default:
		return nil, fmt.Errorf("guard: prompt_injection must be off, log or block, not %q", cfg.PromptInjection)
	}
	if cfg.PII != "" {
		mode, err := guard.ParseMode(cfg.PII)
		if err != nil {
			return nil, fmt.Errorf("guard: redact pii: %w", err)
		}
		kinds := make([]guard.PIIKind, 0, len(cfg.PIIKinds))
		for _, k := range cfg.PIIKinds {
			kind, err := guard.ParseKind(k)
			if err != nil {
				return nil, fmt.Errorf("guard: redact pii: %w", err)
			}
			kinds = append(kinds, kind)
		}
		if g.redactor, err = guard.NewRedactor(guard.RedactOptions{Kinds: kinds, Mode: mode}); err != nil {
			return nil, fmt.Errorf("guard: redact pii: %w", err)
		}
	}
	var err error
	if len(cfg.DenyPrompt) > 0 {
		if g.denyPrompt, err = guard.NewDenyList(cfg.DenyPrompt); err != nil {
			return nil, fmt.Errorf("guard: deny prompt: %w", err)
		}
	}
	if len(cfg.DenyAnswer) > 0 {
		if g.denyAnswer, err = guard.NewDenyList(cfg.DenyAnswer); err != nil {
			return nil, fmt.Errorf("guard: deny answer: %w", err)
		}
	}
	return g, nil
}

// guardCall is one call's guard state: the mask-and-restore session and
// the decisions taken, for the access log.
type guardCall struct {
	session *guard.Session
}

// decide records a guard decision in metrics and on the outcome.
func decide(out *Outcome, rule, action string) {
	metrics.GuardDecisions.WithLabelValues(rule, action).Inc()
	out.Guards = append(out.Guards, rule+":"+action)
}

// checkRequest runs the request guards over the decoded request and its
// body, in the order cheapest first. It returns the body to send on
// (changed when PII was redacted or max_tokens clamped).
func (g *Gateway) checkRequest(body []byte, req *openai.ChatRequest, out *Outcome) ([]byte, *guardCall, *apierror.Error) {
	gs := g.guards
	if gs.cfg.MaxMessages > 0 && len(req.Messages) > gs.cfg.MaxMessages {
		decide(out, "max_messages", "block")
		return nil, nil, contextTooLong("The conversation has %d messages; this gateway accepts at most %d (guard max_messages).", len(req.Messages), gs.cfg.MaxMessages)
	}
	if gs.cfg.MaxInputTokens > 0 {
		if out.promptTokens < 0 {
			out.promptTokens = tokens.ChatPrompt(req)
		}
		if out.promptTokens > gs.cfg.MaxInputTokens {
			decide(out, "max_input_tokens", "block")
			return nil, nil, contextTooLong("The prompt is about %d tokens; this gateway accepts at most %d (guard max_input_tokens). Shorten the conversation.", out.promptTokens, gs.cfg.MaxInputTokens)
		}
	}
	var err error
	if limit := gs.cfg.MaxOutputTokens; limit > 0 {
		field, asked := "max_tokens", req.MaxTokens
		if req.MaxCompletionTokens != nil {
			field, asked = "max_completion_tokens", req.MaxCompletionTokens
		}
		if asked == nil || *asked > limit {
			if body, err = sjson.SetBytes(body, field, limit); err != nil {
				return nil, nil, apierror.Internal("The request could not be capped: %v.", err)
			}
			capped := limit
			if field == "max_tokens" {
				req.MaxTokens = &capped
			} else {
				req.MaxCompletionTokens = &capped
			}
			decide(out, "max_output_tokens", "clamp")
		}
	}
	if gs.denyPrompt == nil && gs.injection == nil && gs.redactor == nil {
		return body, nil, nil
	}
	gc := &guardCall{}
	if gs.redactor != nil && gs.redactor.Mode() == guard.ModeMaskAndRestore {
		gc.session = gs.redactor.NewSession()
	}
	for i := range req.Messages {
		m := &req.Messages[i]
		texts := messageTexts(m.Content)
		for _, t := range texts {
			if gs.denyPrompt != nil {
				if rule, ok := gs.denyPrompt.Match(t.text); ok {
					decide(out, "deny_prompt_"+rule, "block")
					return nil, nil, contentBlocked("deny_prompt_" + rule)
				}
			}
			if gs.injection != nil && m.Role != "assistant" {
				var r guard.InjectionResult
				if m.Role == "tool" {
					r = gs.injection.ScoreToolResult(t.text)
				} else {
					r = gs.injection.Score(t.text)
				}
				if r.Injection {
					if gs.blockInj {
						decide(out, "prompt_injection", "block")
						return nil, nil, contentBlocked("prompt_injection (" + strings.Join(r.Signals, ", ") + ")")
					}
					decide(out, "prompt_injection", "log")
					g.log.Warn("prompt injection suspected (guard prompt_injection log)",
						zap.String("consumer", out.Consumer), zap.Int("message", i), zap.String("role", m.Role),
						zap.Float64("score", r.Score), zap.Strings("signals", r.Signals))
				}
			}
			if gs.redactor == nil {
				continue
			}
			ms := gs.redactor.Find(t.text)
			if len(ms) == 0 {
				continue
			}
			mode := gs.redactor.Mode()
			for _, kind := range distinctKinds(ms) {
				decide(out, "pii_"+strings.ToLower(string(kind)), mode.String())
			}
			if mode == guard.ModeBlock {
				return nil, nil, contentBlocked("pii (" + string(ms[0].Kind) + ")")
			}
			changed, _ := gs.redactor.Redact(t.text)
			if mode == guard.ModeMaskAndRestore {
				changed = gc.session.Mask(t.text)
			}
			if body, err = sjson.SetBytes(body, "messages."+strconv.Itoa(i)+t.path, changed); err != nil {
				return nil, nil, apierror.Internal("The request could not be redacted: %v.", err)
			}
		}
	}
	return body, gc, nil
}

// messageText is one text of a message and where it sits in the message.
type messageText struct {
	text string
	path string // ".content" or ".content.N.text"
}

// messageTexts lists the texts of a message content: the string, or the
// text parts.
func messageTexts(content []byte) []messageText {
	c := gjson.ParseBytes(content)
	switch {
	case c.Type == gjson.String:
		return []messageText{{text: c.Str, path: ".content"}}
	case c.IsArray():
		var out []messageText
		for j, p := range c.Array() {
			if p.Get("type").Str == "text" {
				out = append(out, messageText{text: p.Get("text").Str, path: ".content." + strconv.Itoa(j) + ".text"})
			}
		}
		return out
	}
	return nil
}

// distinctKinds lists the kinds of the matches, each once.
func distinctKinds(ms []guard.Match) []guard.PIIKind {
	var kinds []guard.PIIKind
	for _, m := range ms {
		if !slices.Contains(kinds, m.Kind) {
			kinds = append(kinds, m.Kind)
		}
	}
	return kinds
}

func contextTooLong(format string, args ...any) *apierror.Error {
	return &apierror.Error{Status: 400, Code: "context_length_exceeded", Param: "messages", Message: fmt.Sprintf(format, args...)}
}

// contentBlocked names the rule that refused the call, never what matched.
func contentBlocked(rule string) *apierror.Error {
	return &apierror.Error{Status: 400, Code: "content_blocked", Message: "The request was blocked by the gateway's guard: " + rule + "."}
}

// answerBlocked names the rule that cut an answer.
func answerBlocked(rule string) *apierror.Error {
	return &apierror.Error{Status: 400, Code: "content_blocked", Message: "The answer was blocked by the gateway's guard: " + rule + "."}
}

// checkAnswer runs the answer guards over a whole chat completion: deny
// patterns refuse it; personal data is redacted (in modes redact and
// block: an answer cannot be refused for what the model wrote without
// losing the call) or, with mask_and_restore, the placeholders of the
// prompt are put back.
func (g *Gateway) checkAnswer(body []byte, gc *guardCall, out *Outcome) ([]byte, *apierror.Error) {
	gs := g.guards
	if gs == nil || (gs.denyAnswer == nil && gs.redactor == nil) {
		return body, nil
	}
	var err error
	for i, choice := range gjson.GetBytes(body, "choices").Array() {
		content := choice.Get("message.content")
		if content.Type != gjson.String {
			continue
		}
		text := content.Str
		if gs.denyAnswer != nil {
			if rule, ok := gs.denyAnswer.Match(text); ok {
				decide(out, "deny_answer_"+rule, "block")
				return nil, answerBlocked("deny_answer_" + rule)
			}
		}
		if gs.redactor == nil {
			continue
		}
		// The stream redactor gives what Redact (or Restore) gives on the
		// whole text, and counts each replacement as streams do.
		red := newAnswerRedactor(gs, gc, out)
		changed := red.Write(text) + red.Flush()
		if changed != text {
			if body, err = sjson.SetBytes(body, "choices."+strconv.Itoa(i)+".message.content", changed); err != nil {
				return nil, apierror.Internal("The answer could not be redacted: %v.", err)
			}
		}
	}
	return body, nil
}

// streamGuard runs the answer guards over a stream, chunk by chunk: the
// content of each chunk goes through a stream redactor (which holds back
// only a tail that could still become a match, see guard.StreamHoldBack),
// and what the client has been sent, with what comes now, is checked
// against the deny patterns.
type streamGuard struct {
	gs     *guards
	out    *Outcome
	red    *guard.StreamRedactor // nil: no PII guard
	recent []byte                // the last denyWindow bytes sent, for deny patterns
}

// denyWindow is how much already-sent answer text a deny pattern can see
// besides the new text: a pattern longer than this may be missed across
// chunks.
const denyWindow = 1024

func (g *Gateway) newStreamGuard(gc *guardCall, out *Outcome) *streamGuard {
	gs := g.guards
	if gs == nil || (gs.denyAnswer == nil && gs.redactor == nil) {
		return nil
	}
	sg := &streamGuard{gs: gs, out: out}
	if gs.redactor != nil {
		sg.red = newAnswerRedactor(gs, gc, out)
	}
	return sg
}

// newAnswerRedactor is the redactor of an answer: the prompt's placeholders
// restored (mask_and_restore), or personal data masked; each replacement
// is counted as a guard decision.
func newAnswerRedactor(gs *guards, gc *guardCall, out *Outcome) *guard.StreamRedactor {
	red, action := gs.redactor.NewStream(), "redact_answer"
	if gc != nil && gc.session != nil {
		red, action = gc.session.NewRestoreStream(), "restore_answer"
	}
	red.OnMatch = func(m guard.Match) { decide(out, "pii_"+strings.ToLower(string(m.Kind)), action) }
	return red
}

// chunk guards one chat completion chunk (choice 0, which is every choice
// unless the client asked for n > 1).
func (sg *streamGuard) chunk(data []byte) ([]byte, *apierror.Error) {
	res := gjson.GetManyBytes(data, "choices.0.delta.content", "choices.0.finish_reason")
	content, finish := res[0], res[1]
	if content.Type != gjson.String && (finish.Type != gjson.String || sg.red == nil) {
		return data, nil
	}
	text := content.Str
	if sg.red != nil {
		text = sg.red.Write(text)
		if finish.Type == gjson.String {
			text += sg.red.Flush()
		}
	}
	if sg.gs.denyAnswer != nil && text != "" {
		window := string(sg.recent) + text
		if rule, ok := sg.gs.denyAnswer.Match(window); ok {
			decide(sg.out, "deny_answer_"+rule, "block")
			return nil, answerBlocked("deny_answer_" + rule)
		}
		sg.recent = append(sg.recent, text...)
		if len(sg.recent) > denyWindow {
			sg.recent = append(sg.recent[:0], sg.recent[len(sg.recent)-denyWindow:]...)
		}
	}
	if text == content.Str {
		return data, nil
	}
	changed, err := sjson.SetBytes(data, "choices.0.delta.content", text)
	if err != nil {
		return nil, apierror.Internal("The answer could not be redacted: %v.", err)
	}
	return changed, nil
}
