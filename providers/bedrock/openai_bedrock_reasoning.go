package bedrock

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Claude's extended thinking budgets for OpenAI's reasoning_effort levels.
// Anthropic documents 1024 as the least budget; the others are this
// gateway's choice, doubling twice per level.
var claudeThinkingBudget = map[string]int{
	"minimal": 1024,
	"low":     2048,
	"medium":  8192,
	"high":    16384,
	"xhigh":   32768,
}

const (
	// claudeMinBudget is the least thinking budget Claude accepts.
	claudeMinBudget = 1024
	// answerRoom is what a call that asks for reasoning without a token
	// limit gets for its answer on top of the thinking budget (Claude
	// requires max_tokens above budget_tokens).
	answerRoom = 8192
)

// reasoningFields maps reasoning_effort into additionalModelRequestFields,
// which differ per model family; the family is read from the model ID
// (base model or inference profile). Families without a known switch, and
// effort "none", send nothing.
//
// Claude's thinking has two rules an OpenAI client cannot follow: it takes
// no temperature or top_p other than the defaults (so those are dropped
// when thinking is on), and a turn that answers tool results must repeat
// the signed thinking block that preceded the calls, which OpenAI clients
// do not send back (so such a turn is answered without thinking).
func reasoningFields(model, effort string, inf *inferenceConfig, answersToolResults bool) json.RawMessage {
	if effort == "" || effort == "none" {
		return nil
	}
	id := strings.ToLower(model)
	switch {
	case strings.Contains(id, "anthropic.claude"):
		budget, ok := claudeThinkingBudget[effort]
		if !ok || answersToolResults {
			return nil
		}
		if inf.MaxTokens == nil {
			limit := budget + answerRoom
			inf.MaxTokens = &limit
		} else if budget >= *inf.MaxTokens {
			// Thinking counts against max_tokens, as reasoning counts
			// against OpenAI's max_completion_tokens: keep within it.
			budget = *inf.MaxTokens - 1
		}
		if budget < claudeMinBudget {
			return nil // too little room to think: answer without
		}
		inf.Temperature, inf.TopP = nil, nil
		return json.RawMessage(`{"thinking":{"type":"enabled","budget_tokens":` + strconv.Itoa(budget) + `}}`)
	case strings.Contains(id, "amazon.nova-2"):
		level := novaEffort(effort)
		if level == "" {
			return nil
		}
		return json.RawMessage(`{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"` + level + `"}}`)
	case strings.Contains(id, "openai.gpt-oss"):
		level := novaEffort(effort) // low, medium, high too
		if level == "" {
			return nil
		}
		return json.RawMessage(`{"reasoning_effort":"` + level + `"}`)
	}
	return nil
}

// novaEffort maps an OpenAI effort to low, medium or high.
func novaEffort(effort string) string {
	switch effort {
	case "minimal", "low":
		return "low"
	case "medium":
		return "medium"
	case "high", "xhigh":
		return "high"
	}
	return ""
}
