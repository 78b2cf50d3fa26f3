package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/providers"
)

// chatOnly is a provider without embeddings.
type chatOnly struct{}

func (chatOnly) Name() string { return "claude" }
func (chatOnly) Send(context.Context, *providers.Call) (*http.Response, error) {
	return nil, nil
}

func TestEmbeddingCandidatesKeepsEmbedders(t *testing.T) {
	g, err := New(Config{Providers: []ProviderConfig{{Name: "mock", Type: "mock"}}})
	if err != nil {
		t.Fatal(err)
	}
	embedder := g.providers["mock"]
	plan := &attemptPlan{candidates: []candidate{{provider: chatOnly{}}, {provider: embedder, model: "e"}}, attempts: 2}
	if aerr := embeddingCandidates(plan); aerr != nil {
		t.Fatal(aerr)
	}
	if len(plan.candidates) != 1 || plan.candidates[0].model != "e" || plan.attempts != 1 || !plan.embeddings {
		t.Errorf("plan %+v", plan)
	}
	only := &attemptPlan{candidates: []candidate{{provider: chatOnly{}}}, attempts: 1}
	if aerr := embeddingCandidates(only); aerr == nil || aerr.Status != 400 || !strings.Contains(aerr.Message, "claude") {
		t.Errorf("chat-only: %v", aerr)
	}
}

func TestDecodeEmbeddingsRequest(t *testing.T) {
	for body, want := range map[string]int{
		`{"model":"m","input":"a"}`:         1,
		`{"model":"m","input":["a","b"]}`:   2,
		`{"model":"m","input":[[1,2],[3]]}`: 2,
		`{"model":"m","input":[]}`:          -1,
		`{"model":"m"}`:                     -1,
		`{"model":"","input":"a"}`:          -1,
		`{"model":"m","input":[{"x":1}]}`:   -1,
		`[1]`:                               -1,
		`{"model":"m","input":"a"`:          -1,
	} {
		inputs, _, aerr := decodeEmbeddingsRequest([]byte(body))
		if (want < 0) != (aerr != nil) || (want >= 0 && len(inputs) != want) {
			t.Errorf("%s: %d inputs, %v", body, len(inputs), aerr)
		}
	}
}
