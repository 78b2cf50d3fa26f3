package load

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// checkWhole checks a non-streamed answer and returns its text (in strict
// mode; the light check only looks for the answer's key field).
func checkWhole(shape Shape, body []byte, strict bool) (string, error) {
	if !strict {
		key := []byte(`"choices"`)
		if shape == Anthropic {
			key = []byte(`"content"`)
		}
		if !bytes.Contains(body, key) {
			return "", fmt.Errorf("answer without %s: %.200s", key, body)
		}
		return "", nil
	}
	if shape == Anthropic {
		var m struct {
			Type    string `json:"type"`
			Role    string `json:"role"`
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
			StopReason *string `json:"stop_reason"`
			Usage      *struct {
				InputTokens  int `json:"input_tokens"`
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return "", fmt.Errorf("answer is not JSON: %v: %.200s", err, body)
		}
		switch {
		case m.Type != "message" || m.Role != "assistant":
			return "", fmt.Errorf("answer is not an assistant message: %.200s", body)
		case len(m.Content) == 0 || m.Content[0].Type != "text" || m.Content[0].Text == "":
			return "", fmt.Errorf("answer without text content: %.200s", body)
		case m.StopReason == nil:
			return "", fmt.Errorf("answer without stop_reason: %.200s", body)
		case m.Usage == nil || m.Usage.InputTokens <= 0 || m.Usage.OutputTokens <= 0:
			return "", fmt.Errorf("answer without usage: %.200s", body)
		}
		return m.Content[0].Text, nil
	}
	var c struct {
		Object  string `json:"object"`
		Choices []struct {
			Message struct {
				Role    string  `json:"role"`
				Content *string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return "", fmt.Errorf("answer is not JSON: %v: %.200s", err, body)
	}
	switch {
	case c.Object != "chat.completion":
		return "", fmt.Errorf("answer's object is %q, not chat.completion: %.200s", c.Object, body)
	case len(c.Choices) != 1 || c.Choices[0].Message.Role != "assistant" || c.Choices[0].Message.Content == nil ||
		*c.Choices[0].Message.Content == "":
		return "", fmt.Errorf("answer without one assistant message with content: %.200s", body)
	case c.Choices[0].FinishReason == "":
		return "", fmt.Errorf("answer without finish_reason: %.200s", body)
	case c.Usage == nil || c.Usage.PromptTokens <= 0 || c.Usage.CompletionTokens <= 0 ||
		c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens:
		return "", fmt.Errorf("answer without consistent usage: %.200s", body)
	}
	return *c.Choices[0].Message.Content, nil
}

// checkEvent checks one stream event's data. It appends the event's text
// to text (strict mode), and says whether the answer has finished (a
// finish reason or stop reason was seen) and whether the event is the
// stream's terminal one.
func checkEvent(shape Shape, data []byte, strict bool, text []byte, finished bool) ([]byte, bool, bool, error) {
	if shape == OpenAI {
		if bytes.Equal(data, []byte("[DONE]")) {
			return text, finished, true, nil
		}
		if bytes.HasPrefix(data, []byte(`{"error"`)) {
			return text, finished, false, fmt.Errorf("error event: %.200s", data)
		}
		if !strict {
			return text, finished, false, nil
		}
		var c struct {
			Object  string `json:"object"`
			Choices []struct {
				Delta struct {
					Content *string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			return text, finished, false, fmt.Errorf("event is not JSON: %v: %.200s", err, data)
		}
		if c.Object != "chat.completion.chunk" {
			return text, finished, false, fmt.Errorf("event's object is %q, not chat.completion.chunk", c.Object)
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				text = append(text, *ch.Delta.Content...)
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				finished = true
			}
		}
		return text, finished, false, nil
	}
	if !strict {
		if bytes.Contains(data, []byte(`"type":"error"`)) {
			return text, finished, false, fmt.Errorf("error event: %.200s", data)
		}
		return text, finished, bytes.Contains(data, []byte(`"type":"message_stop"`)), nil
	}
	var e struct {
		Type  string `json:"type"`
		Delta struct {
			Type       string  `json:"type"`
			Text       string  `json:"text"`
			StopReason *string `json:"stop_reason"`
		} `json:"delta"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return text, finished, false, fmt.Errorf("event is not JSON: %v: %.200s", err, data)
	}
	switch e.Type {
	case "error":
		return text, finished, false, fmt.Errorf("error event: %.200s", data)
	case "content_block_delta":
		if e.Delta.Type == "text_delta" {
			text = append(text, e.Delta.Text...)
		}
	case "message_delta":
		finished = e.Delta.StopReason != nil
	case "message_stop":
		return text, finished, true, nil
	case "message_start", "content_block_start", "content_block_stop", "ping":
	default:
		return text, finished, false, fmt.Errorf("unknown event type %q", e.Type)
	}
	return text, finished, false, nil
}
