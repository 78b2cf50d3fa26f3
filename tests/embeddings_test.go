package tests

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestEmbeddings calls POST /v1/embeddings with the OpenAI SDK: routed to a
// provider that serves embeddings, usage counted for the consumer, clear
// errors for an unknown model and a request without input.
func TestEmbeddings(t *testing.T) {
	g := startGatewayWith(t, options{admin: true, body: indent(fmt.Sprintf(`provider mock {
	type mock
}
model text-embedding-3-small {
	target mock/text-embedding-3-small
}
consumer team-a {
	key %s
	limit tokens 100000/1m
}`, keyA))})
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(keyA), option.WithMaxRetries(0))
	ctx := context.Background()
	res, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model:      "text-embedding-3-small",
		Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"the quick brown fox", "jumps over the lazy dog today"}},
		Dimensions: openai.Int(16),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 2 || len(res.Data[0].Embedding) != 16 || res.Data[1].Index != 1 || res.Usage.PromptTokens != 10 {
		t.Fatalf("answer %+v", res)
	}
	norm := 0.0
	for _, x := range res.Data[0].Embedding {
		norm += x * x
	}
	if math.Abs(norm-1) > 1e-3 {
		t.Errorf("vector norm %v", norm)
	}
	doc := waitUsage(t, g, 1)
	if doc.Totals.InputTokens != 10 || doc.Totals.OutputTokens != 0 {
		t.Errorf("usage %+v", doc.Totals)
	}
	m := scrape(t, g, "ai_gateway_requests_total")
	if m[`ai_gateway_requests_total{consumer="team-a",model="text-embedding-3-small",provider="mock",status_class="2xx"}`] != 1 {
		t.Errorf("requests metric: %v", m)
	}
	_, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "nope", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Errorf("unknown model: %v", err)
	}
	resp, body := post(t, g, "/v1/embeddings", keyA, `{"model":"text-embedding-3-small"}`)
	if resp.StatusCode != 400 || errorCode(body) != "invalid_request" {
		t.Errorf("no input: %d %s", resp.StatusCode, body)
	}
}
