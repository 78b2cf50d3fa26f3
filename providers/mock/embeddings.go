package mock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/sluicegw/sluice/apierror"
)

// DefaultDimensions is the length of the mock's embedding vectors when the
// request sets no "dimensions".
const DefaultDimensions = 8

// embed answers an embeddings request: one unit vector per input, derived
// from the SHA-256 of the input (the same input always gets the same
// vector), and usage counting one token per whitespace-separated word (at
// least one per input).
func (s *Server) embed(ctx context.Context, body []byte) (int, string, io.ReadCloser, error) {
	if err := sleep(ctx, s.opts.Latency); err != nil {
		return 0, "", nil, err
	}
	fail := func(e *apierror.Error) (int, string, io.ReadCloser, error) {
		return e.Status, "application/json", io.NopCloser(bytes.NewReader(e.Body(apierror.OpenAI))), nil
	}
	if s.opts.FailStatus != 0 {
		return fail(&apierror.Error{Status: s.opts.FailStatus, Code: "mock_failure",
			Message: fmt.Sprintf("The mock provider was told to fail with status %d.", s.opts.FailStatus)})
	}
	var req struct {
		Model      string          `json:"model"`
		Input      json.RawMessage `json:"input"`
		Dimensions int             `json:"dimensions"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return fail(apierror.InvalidRequest("", "The mock could not read the embeddings request: %v.", err))
	}
	inputs, err := embeddingInputs(req.Input)
	if err != nil {
		return fail(apierror.InvalidRequest("input", "%v", err))
	}
	dims := req.Dimensions
	if dims <= 0 {
		dims = DefaultDimensions
	}
	if dims > 4096 {
		return fail(apierror.InvalidRequest("dimensions", "The mock makes at most 4096 dimensions."))
	}
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	}
	data := make([]item, len(inputs))
	tokens := 0
	for i, in := range inputs {
		data[i] = item{Object: "embedding", Index: i, Embedding: vector(in, dims)}
		tokens += max(len(strings.Fields(in)), 1)
	}
	out, _ := json.Marshal(map[string]any{
		"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
	return 200, "application/json", io.NopCloser(bytes.NewReader(out)), nil
}

// embeddingInputs reads "input": a string, a list of strings, or token
// arrays (kept as their JSON text).
func embeddingInputs(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []json.RawMessage
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, fmt.Errorf("input must be a string or a non-empty array")
	}
	out := make([]string, len(many))
	for i, m := range many {
		if json.Unmarshal(m, &out[i]) != nil {
			out[i] = string(m)
		}
	}
	return out, nil
}

// vector is a unit vector of n dimensions derived from text.
func vector(text string, n int) []float64 {
	v := make([]float64, n)
	seed := sha256.Sum256([]byte(text))
	norm := 0.0
	for i := range v {
		block := sha256.Sum256(append(seed[:], byte(i), byte(i>>8)))
		x := float64(int32(binary.BigEndian.Uint32(block[:4]))) / math.MaxInt32
		v[i] = x
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = math.Round(v[i]/norm*1e6) / 1e6
	}
	return v
}
