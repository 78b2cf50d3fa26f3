package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/openai/openai-go/v3"
	"github.com/sluicegw/sluice/sse"
)

// closeRecorder is an upstream body that records its closing.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func translateStream(t testing.TB, upstream []byte, model string) ([]byte, error) {
	t.Helper()
	s := newStreamBody(&closeRecorder{Reader: bytes.NewReader(upstream)}, model, nil)
	// One byte at a time: the translation must not depend on read sizes.
	return io.ReadAll(iotest.OneByteReader(s))
}

// accumulate reads a translated stream with the official SDK's accumulator.
func accumulate(t *testing.T, stream []byte) (openai.ChatCompletionAccumulator, []openai.ChatCompletionChunk) {
	t.Helper()
	var acc openai.ChatCompletionAccumulator
	var chunks []openai.ChatCompletionChunk
	rd := sse.NewReader(bytes.NewReader(stream), 1<<20)
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(ev.Data) == "[DONE]" {
			continue
		}
		var c openai.ChatCompletionChunk
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			t.Fatalf("chunk %s: %v", ev.Data, err)
		}
		if !acc.AddChunk(c) {
			t.Fatalf("accumulator refused %s", ev.Data)
		}
		chunks = append(chunks, c)
	}
	return acc, chunks
}

func TestStreamGolden(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"gemini_stream_text.sse", "want_openai_stream_text.sse"},
		{"gemini_stream_tool_calls.sse", "want_openai_stream_tool_calls.sse"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := translateStream(t, readFixture(t, c.in), "asked")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.want, got)
		})
	}
}

func TestStreamAsTheSDKSeesIt(t *testing.T) {
	got, err := translateStream(t, readFixture(t, "gemini_stream_text.sse"), "asked")
	if err != nil {
		t.Fatal(err)
	}
	acc, chunks := accumulate(t, got)
	if text := acc.Choices[0].Message.Content; text != "The quick brown fox jumps over the \"lazy\" dog,\nthen naps. ☀️" {
		t.Errorf("text %q", text)
	}
	if acc.Choices[0].FinishReason != "stop" || acc.Usage.PromptTokens != 8 || acc.Usage.CompletionTokens != 49 || acc.Usage.TotalTokens != 57 ||
		acc.Usage.CompletionTokensDetails.ReasoningTokens != 30 || acc.Model != "gemini-2.5-flash" || acc.ID != "chatcmpl-0c5eaOqaNK-zz7IP_vOo6AU" {
		t.Errorf("accumulated %+v", acc.ChatCompletion)
	}
	if chunks[0].Choices[0].Delta.Role != "assistant" || len(chunks[len(chunks)-1].Choices) != 0 {
		t.Errorf("first chunk %+v, last %+v", chunks[0], chunks[len(chunks)-1])
	}

	got, err = translateStream(t, readFixture(t, "gemini_stream_tool_calls.sse"), "asked")
	if err != nil {
		t.Fatal(err)
	}
	acc, _ = accumulate(t, got)
	calls := acc.Choices[0].Message.ToolCalls
	if len(calls) != 2 || calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"city":"Paris","unit":"celsius"}` ||
		signatureFromID(calls[0].ID) != "CiQBVKhc7+tz/3vR9eL2kQmA8a==" || calls[1].Function.Name != "get_time" ||
		acc.Choices[0].FinishReason != "tool_calls" || acc.Choices[0].Message.Content != "I will look both up." ||
		acc.Usage.PromptTokensDetails.CachedTokens != 64 {
		t.Errorf("accumulated %+v", acc.ChatCompletion)
	}
	// The stream and the whole answer name the calls alike.
	whole, _ := translateCompletion(readFixture(t, "gemini_response_tool_calls.json"), "asked")
	if !strings.Contains(string(whole), calls[0].ID) || !strings.Contains(string(whole), calls[1].ID) {
		t.Errorf("ids %s / %s not in %s", calls[0].ID, calls[1].ID, whole)
	}
}

func TestStreamEndings(t *testing.T) {
	events := strings.SplitAfter(string(readFixture(t, "gemini_stream_text.sse")), "\r\n\r\n")
	t.Run("cut before the finish", func(t *testing.T) {
		out, err := translateStream(t, []byte(events[0]+events[1]), "m")
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "before the answer was finished") {
			t.Errorf("err %v", err)
		}
		if !bytes.Contains(out, []byte(`"content":" quick brown fox`)) || bytes.Contains(out, []byte("[DONE]")) {
			t.Errorf("out %s", out)
		}
	})
	t.Run("an event cut in the middle", func(t *testing.T) {
		_, err := translateStream(t, []byte(events[0]+events[1][:40]), "m")
		if err == nil || !strings.Contains(err.Error(), "not a GenerateContentResponse") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("error event", func(t *testing.T) {
		up := events[0] + `data: {"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}` + "\r\n\r\n"
		_, err := translateStream(t, []byte(up), "m")
		if err == nil || !strings.Contains(err.Error(), "The model is overloaded") || !strings.Contains(err.Error(), "UNAVAILABLE") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("no event at all", func(t *testing.T) {
		out, err := translateStream(t, []byte(": keep-alive\n\n"), "m")
		if err != nil || len(out) != 0 {
			t.Errorf("out %q err %v", out, err)
		}
	})
	t.Run("blocked prompt", func(t *testing.T) {
		up := `data: {"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"responseId":"r1"}` + "\n\n"
		out, err := translateStream(t, []byte(up), "m")
		if err != nil {
			t.Fatal(err)
		}
		acc, _ := accumulate(t, out)
		if acc.Choices[0].FinishReason != "content_filter" || acc.Usage.PromptTokens != 9 || !bytes.HasSuffix(out, []byte("data: [DONE]\n\n")) {
			t.Errorf("out %s", out)
		}
	})
	t.Run("several candidates", func(t *testing.T) {
		up := `data: {"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0},{"content":{"parts":[{"text":"b"}]},"index":1}]}` + "\n\n" +
			`data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}}}]},"finishReason":"STOP","index":1}]}` + "\n\n" +
			`data: {"candidates":[{"content":{"parts":[{"text":"c"}]},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":4,"totalTokenCount":5}}` + "\n\n"
		out, err := translateStream(t, []byte(up), "m")
		if err != nil {
			t.Fatal(err)
		}
		acc, _ := accumulate(t, out)
		if len(acc.Choices) != 2 || acc.Choices[0].Message.Content != "ac" || acc.Choices[0].FinishReason != "length" ||
			acc.Choices[1].Message.Content != "b" || acc.Choices[1].FinishReason != "tool_calls" || len(acc.Choices[1].Message.ToolCalls) != 1 {
			t.Errorf("out %s", out)
		}
	})
	t.Run("close closes the upstream", func(t *testing.T) {
		up := &closeRecorder{Reader: strings.NewReader(events[0])}
		s := newStreamBody(up, "m", nil)
		buf := make([]byte, 10)
		if _, err := s.Read(buf); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		if !up.closed {
			t.Error("upstream not closed")
		}
		if _, err := s.Read(make([]byte, 1<<16)); err == nil {
			// Buffered bytes may still come out; after them, an error.
			if _, err := s.Read(make([]byte, 1<<16)); err == nil {
				t.Error("read after close succeeded")
			}
		}
	})
}
