package tests

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicegw/sluice/internal/fakeupstream"
)

// Caddy's header directive rewrites header values in place; a gateway that
// shared one value slice between answers would see each rewrite pile onto
// the next answer's header.
func TestHeaderDirectiveRewritesEachAnswer(t *testing.T) {
	up := fakeupstream.New()
	defer up.Close()
	g := startGatewayWith(t, options{
		site: `	header >Content-Type "text/event-stream" "text/event-stream; charset=utf-8"
	header >Content-Type "application/json" "application/json; charset=utf-8"`,
		body: indent(fmt.Sprintf("provider up {\n\ttype openai\n\tbase_url %s/v1\n\tapi_key sk-test\n}\nmodel fixture {\n\ttarget up/fixture\n}", up.URL)),
	})
	for i := range 3 {
		for _, stream := range []bool{true, false} {
			body := fmt.Sprintf(`{"model":"fixture","stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)
			resp, err := http.Post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			want := "application/json; charset=utf-8"
			if stream {
				want = "text/event-stream; charset=utf-8"
			}
			if got := resp.Header.Values("Content-Type"); len(got) != 1 || got[0] != want {
				t.Fatalf("call %d (stream %v): Content-Type %q, want %q", i, stream, got, want)
			}
		}
	}
}
