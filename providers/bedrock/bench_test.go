package bedrock

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkTranslateRequest(b *testing.B) {
	body := readFixture(b, "openai_request_full.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, e := translateRequest(body, "us.anthropic.claude-sonnet-4-5-20250929-v1:0"); e != nil {
			b.Fatal(e.message)
		}
	}
}

func BenchmarkTranslateResponse(b *testing.B) {
	raw := readFixture(b, "converse_response_tools.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := translateResponse(raw, fixtureModel, fixtureID, fixtureCreated); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStream translates the 16-message fixture stream; allocs/op are
// per whole stream.
func BenchmarkStream(b *testing.B) {
	up := streamFixture(b, "converse_stream_tools.json")
	buf := make([]byte, 32<<10)
	rd := bytes.NewReader(up)
	b.ReportAllocs()
	b.SetBytes(int64(len(up)))
	for b.Loop() {
		rd.Reset(up)
		r := newStreamReader(io.NopCloser(rd), fixtureID, fixtureModel, fixtureCreated)
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
