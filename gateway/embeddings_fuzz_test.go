package gateway

import "testing"

// FuzzDecodeEmbeddingsRequest: any body gives inputs and a model, or a
// 400; never a panic, never an empty input list accepted.
func FuzzDecodeEmbeddingsRequest(f *testing.F) {
	for _, seed := range []string{
		`{"model":"text-embedding-3-small","input":"hello"}`,
		`{"model":"m","input":["a","b"],"dimensions":16,"encoding_format":"float"}`,
		`{"model":"m","input":[[1,2,3],[4]]}`,
		`{"model":"m","input":[]}`,
		`{"model":1,"input":"x"}`,
		`[{"model":"m"}]`,
		`{"model":"m","input":[{"nested":true}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		inputs, model, aerr := decodeEmbeddingsRequest(body)
		if aerr != nil {
			if aerr.Status != 400 {
				t.Fatalf("status %d", aerr.Status)
			}
			return
		}
		if len(inputs) == 0 || model == "" {
			t.Fatalf("accepted %q: %d inputs, model %q", body, len(inputs), model)
		}
	})
}
