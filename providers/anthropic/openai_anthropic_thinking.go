package anthropic

import (
	"strings"
)

// thinkingConfig is a Messages request's thinking field.
type thinkingConfig struct {
	Type         string `json:"type"` // enabled | adaptive
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

// minThinkingBudget is the smallest budget_tokens Anthropic accepts.
const minThinkingBudget = 1024

// effortLevels maps OpenAI's reasoning_effort to a thinking budget (for
// models that take thinking {type: enabled, budget_tokens}) and to an
// output_config.effort (for models that take thinking {type: adaptive}).
// The budget is also the room added to the default max_tokens, since
// thinking tokens count against max_tokens.
var effortLevels = map[string]struct {
	budget int
	effort string
}{
	"minimal": {1024, "low"},
	"low":     {2048, "low"},
	"medium":  {8192, "medium"},
	"high":    {16384, "high"},
	"xhigh":   {32768, "xhigh"},
}

// thinkingPlan is what reasoning_effort makes of one request.
type thinkingPlan struct {
	budget int    // thinking {type: enabled, budget_tokens: budget} when > 0
	effort string // thinking {type: adaptive} and output_config.effort when set
	room   int    // added to DefaultMaxTokens when the client set no maximum
}

func (t thinkingPlan) on() bool { return t.budget > 0 || t.effort != "" }

func (t thinkingPlan) apply(out *messagesRequest) {
	switch {
	case t.effort != "":
		out.Thinking = &thinkingConfig{Type: "adaptive"}
		out.outputConfig().Effort = t.effort
	case t.budget > 0:
		out.Thinking = &thinkingConfig{Type: "enabled", BudgetTokens: t.budget}
	}
}

// planThinking decides the thinking of a request whose messages and tools
// are already translated. maxTokens is the client's max_completion_tokens
// or max_tokens (negative: none); OpenAI counts reasoning in it, as
// Anthropic counts thinking in max_tokens.
//
// Thinking is left off where Anthropic would reject it: with a tool_choice
// that forces a tool; when the conversation continues a tool-using turn
// (its last message holds tool results) or ends with an assistant message
// (a prefill), because Anthropic then wants the turn's own thinking blocks
// back and an OpenAI conversation cannot carry them; and, for the budget
// form, when the budget (capped at half of maxTokens) falls under 1024.
func planThinking(effort, model string, maxTokens int, out *messagesRequest) (thinkingPlan, *requestError) {
	if effort == "" || effort == "none" {
		return thinkingPlan{}, nil
	}
	level, ok := effortLevels[effort]
	if !ok {
		return thinkingPlan{}, invalid("reasoning_effort", "reasoning_effort %q is not one of none, minimal, low, medium, high, xhigh.", effort)
	}
	if c := out.ToolChoice; c != nil && (c.Type == "any" || c.Type == "tool") {
		return thinkingPlan{}, nil
	}
	if n := len(out.Messages); n == 0 || out.Messages[n-1].Role != "user" || hasToolResult(out.Messages[n-1].Content) {
		return thinkingPlan{}, nil
	}
	if takesAdaptiveThinking(model) {
		return thinkingPlan{effort: level.effort, room: level.budget}, nil
	}
	budget := level.budget
	if maxTokens >= 0 && budget >= maxTokens {
		budget = maxTokens / 2
	}
	if budget < minThinkingBudget {
		return thinkingPlan{}, nil
	}
	return thinkingPlan{budget: budget, room: budget}, nil
}

func hasToolResult(blocks []block) bool {
	for i := range blocks {
		if blocks[i].Type == "tool_result" {
			return true
		}
	}
	return false
}

// takesAdaptiveThinking reports whether a Claude model takes thinking
// {type: adaptive} with output_config.effort: Claude 4.6 and later, where
// the budget form is deprecated (4.6) or rejected (4.7 and later). Older
// models, and names that carry no Claude version, get the budget form.
func takesAdaptiveThinking(model string) bool {
	major, minor, ok := claudeVersion(model)
	return ok && (major > 4 || major == 4 && minor >= 6)
}

// claudeVersion reads the version out of a Claude model id, wherever it
// stands: claude-3-7-sonnet-20250219 is 3.7, claude-sonnet-4-5-20250929
// 4.5, claude-opus-4-20250514 4.0, claude-sonnet-5 5.0. A date is not a
// version.
func claudeVersion(model string) (major, minor int, ok bool) {
	i := strings.Index(model, "claude-")
	if i < 0 {
		return 0, 0, false
	}
	rest, _, _ := strings.Cut(model[i+len("claude-"):], "@")
	fields := strings.FieldsFunc(rest, func(r rune) bool { return r == '-' || r == '.' })
	for k, f := range fields {
		if n, isNum := smallNumber(f); isNum {
			if k+1 < len(fields) {
				minor, _ = smallNumber(fields[k+1])
			}
			return n, minor, true
		}
	}
	return 0, 0, false
}

// smallNumber parses a number of one or two digits.
func smallNumber(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
