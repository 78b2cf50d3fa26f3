package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// mockTargets declares mock providers for the example scripts' targets.
const mockTargets = `provider mock {
	type mock
	chunks 6
}
model mock-* {
	target mock/{model}
}
model chat {
	target mock/stable-1
}`

func exampleScript(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "examples", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScriptExamplesThroughTheBinary(t *testing.T) {
	for _, lang := range []string{"lua", "js"} {
		t.Run(lang, func(t *testing.T) {
			var scripts strings.Builder
			for _, name := range []string{"block_secrets", "team_system_prompt", "clamp_sampling", "route_by_prompt", "canary", "redact_emails"} {
				fmt.Fprintf(&scripts, "script %s\n", exampleScript(t, name+"."+lang))
			}
			g := startGateway(t, indent(mockTargets+"\n"+scripts.String()))
			client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0))
			ctx := context.Background()
			ask := func(model, prompt string, opts ...option.RequestOption) (*openai.ChatCompletion, *http.Response, error) {
				var raw *http.Response
				c, err := client.Chat.Completions.New(ctx, userPrompt(model, prompt), append(opts, option.WithResponseInto(&raw))...)
				return c, raw, err
			}

			// route_by_prompt: cheap for a short question, strong for reasoning.
			_, raw, err := ask("auto", "What is the capital of France?")
			if err != nil || raw.Header.Get("X-Sluice-Model") != "cheap-1" {
				t.Errorf("short prompt: %v %v", err, raw.Header)
			}
			_, raw, err = ask("auto", "Explain step by step why the sky is blue.")
			if err != nil || raw.Header.Get("X-Sluice-Model") != "strong-1" {
				t.Errorf("reasoning prompt: %v %v", err, raw.Header)
			}

			// canary: the same caller always gets the same side.
			_, first, err := ask("chat", "hi")
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5; i++ {
				if _, raw, err = ask("chat", "hi"); err != nil || raw.Header.Get("X-Sluice-Model") != first.Header.Get("X-Sluice-Model") {
					t.Fatalf("canary flipped: %v", err)
				}
			}

			// block_secrets: a 400 naming the rule, never the secret.
			secret := "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
			_, _, err = ask("mock-1", "my key is "+secret)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "request_denied" ||
				!strings.Contains(apiErr.Message, "an API key") || strings.Contains(apiErr.RawJSON(), secret) {
				t.Errorf("secret not blocked: %v", err)
			}

			// redact_emails: the mock echoes the prompt, the script redacts it,
			// whole and streamed.
			c, _, err := ask("mock-1", "write to ann@example.com")
			if err != nil || strings.Contains(c.Choices[0].Message.Content, "ann@example.com") || !strings.Contains(c.Choices[0].Message.Content, "[EMAIL]") {
				t.Errorf("whole answer not redacted: %v %q", err, c.Choices[0].Message.Content)
			}
		})
	}
}

// TestScriptHotReloadUnderTraffic rewrites a script 50 times while requests
// flow: none may fail, and every streamed answer must come from exactly one
// version (each chunk is stamped by on_chunk; on_request picks the stamp).
func TestScriptHotReloadUnderTraffic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stamp.lua")
	version := func(n int) string {
		return fmt.Sprintf(`function on_request(req) req.metadata.v = "%d" end
function on_chunk(req, chunk) chunk.text = "[v%d:" .. req.metadata.v .. "]" .. chunk.text end
`, n, n)
	}
	if err := os.WriteFile(path, []byte(version(0)), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, indent(mockTargets+"\nscript "+path))
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0))

	var failures, answers atomic.Int64
	seen := sync.Map{}
	stamp := regexp.MustCompile(`\[v(\d+):(\d+)\]`)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				stream := client.Chat.Completions.NewStreaming(context.Background(), userPrompt("mock-1", "hello"))
				var text strings.Builder
				for stream.Next() {
					if c := stream.Current(); len(c.Choices) > 0 {
						text.WriteString(c.Choices[0].Delta.Content)
					}
				}
				if stream.Err() != nil {
					failures.Add(1)
					continue
				}
				marks := stamp.FindAllStringSubmatch(text.String(), -1)
				versions := map[string]bool{}
				for _, m := range marks {
					versions[m[1]] = true
					if m[1] != m[2] {
						versions["mixed"] = true // on_chunk and on_request from different versions
					}
				}
				if len(marks) == 0 || len(versions) != 1 {
					failures.Add(1)
					t.Errorf("answer from several versions: %q", text.String())
					continue
				}
				for v := range versions {
					seen.Store(v, true)
				}
				answers.Add(1)
			}
		}()
	}
	for n := 1; n <= 50; n++ {
		time.Sleep(150 * time.Millisecond) // past the watcher's debounce, so each edit is a version
		if err := os.WriteFile(path+".tmp", []byte(version(n)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil { // as editors save
			t.Fatal(err)
		}
	}
	// The last version must be served within a second or two.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := seen.Load("50"); ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if failures.Load() != 0 {
		t.Errorf("%d of %d requests failed during reloads", failures.Load(), failures.Load()+answers.Load())
	}
	if _, ok := seen.Load("50"); !ok {
		t.Error("the last version was never served")
	}
	distinct := 0
	seen.Range(func(any, any) bool { distinct++; return true })
	if distinct < 25 {
		t.Errorf("only %d versions served over 50 edits", distinct)
	}

	// A broken edit keeps the old behaviour.
	if err := os.WriteFile(path, []byte("function on_request(req) this is not lua"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	stream := client.Chat.Completions.NewStreaming(context.Background(), userPrompt("mock-1", "hello"))
	var text strings.Builder
	for stream.Next() {
		if c := stream.Current(); len(c.Choices) > 0 {
			text.WriteString(c.Choices[0].Delta.Content)
		}
	}
	if stream.Err() != nil || !strings.Contains(text.String(), "[v50:50]") {
		t.Errorf("after a broken edit: %v %q", stream.Err(), text.String())
	}
	if !strings.Contains(g.logs.String(), "stamp.lua:1") {
		t.Errorf("the compile error was not logged with file:line:\n%s", g.logs.String())
	}
}

func TestScriptFailurePolicies(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop.js")
	if err := os.WriteFile(loop, []byte("function on_request(req) { for (;;) {} }"), 0o644); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.lua")
	if err := os.WriteFile(open, []byte(`function on_request(req) error("boom") end`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGatewayWith(t, options{admin: true, body: indent(mockTargets + fmt.Sprintf(`
script %s {
	on_error fail_open
}
script %s {
	timeout 20ms
}`, open, loop))})
	client := openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0))
	_, err := client.Chat.Completions.New(context.Background(), userPrompt("mock-1", "hi"))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Code != "script_error" || !strings.Contains(apiErr.Message, "ran out of time in its on_request hook") {
		t.Fatalf("runaway script: %v", err)
	}
	m := scrape(t, g, "ai_gateway_script_")
	for series, want := range map[string]float64{
		fmt.Sprintf(`ai_gateway_script_errors_total{hook="on_request",kind="error",script=%q}`, open):          1,
		fmt.Sprintf(`ai_gateway_script_errors_total{hook="on_request",kind="timeout",script=%q}`, loop):        1,
		fmt.Sprintf(`ai_gateway_script_duration_seconds_count{engine="js",hook="on_request",script=%q}`, loop): 1,
		fmt.Sprintf(`ai_gateway_script_reloads_total{result="ok",script=%q}`, loop):                            0,
	} {
		if m[series] != want {
			t.Errorf("%s = %v, want %v", series, m[series], want)
		}
	}
	if v, ok := m[fmt.Sprintf(`ai_gateway_script_reloads_total{result="error",script=%q}`, loop)]; !ok || v != 0 {
		t.Errorf("script_reloads_total missing or wrong: %v %v", v, ok)
	}
	if !strings.Contains(g.logs.String(), "skipped (on_error fail_open)") || !strings.Contains(g.logs.String(), "boom") {
		t.Errorf("the fail_open failure was not logged:\n%s", g.logs.String())
	}
}

func TestAIScriptCommand(t *testing.T) {
	run := func(args ...string) (string, int) {
		cmd := exec.Command(caddyBin, append([]string{"ai-script", "--request", "../examples/scripts/sample_request.json"}, args...)...)
		out, err := cmd.CombinedOutput()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	for _, lang := range []string{"lua", "js"} {
		out, code := run("--script", "../examples/scripts/route_by_prompt."+lang)
		if code != 0 || !strings.Contains(out, "route: mock/strong-1") {
			t.Errorf("%s route: %d %s", lang, code, out)
		}
		out, code = run("--script", "../examples/scripts/clamp_sampling."+lang, "--header", "X-Tier: research")
		if code != 0 || !strings.Contains(out, `"max_tokens":4096`) || !strings.Contains(out, `"temperature": 1,`) {
			t.Errorf("%s clamp: %d %s", lang, code, out)
		}
		out, code = run("--script", "../examples/scripts/redact_emails."+lang, "--response", "mail bob@x.org", "--chunk", "to a@b.com")
		if code != 0 || !strings.Contains(out, `on_response: "mail [EMAIL]"`) || !strings.Contains(out, `"to a@b.com" -> "to [EMAIL]"`) {
			t.Errorf("%s redact: %d %s", lang, code, out)
		}
	}
	deny := filepath.Join(t.TempDir(), "deny.lua")
	if err := os.WriteFile(deny, []byte(`function on_request(req) print("checking", req.model) gw.deny(403, "nope") end`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := run("--script", deny)
	if code != 3 || !strings.Contains(out, "on_request: denied with 403: nope") || !strings.Contains(out, "[info] checking auto") {
		t.Errorf("deny: %d %s", code, out)
	}
	broken := filepath.Join(t.TempDir(), "broken.js")
	if err := os.WriteFile(broken, []byte("function route(req) { return ; ]"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run("--script", broken); code != 1 || !strings.Contains(out, "broken.js:1") {
		t.Errorf("compile error: %d %s", code, out)
	}
}

// TestScriptSurvivesCaddyReload checks that a `caddy reload` keeps a
// script's compiled version and its watcher (no second Script is made), and
// measures edit-to-served.
func TestScriptSurvivesCaddyReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.js")
	write := func(v int) {
		t.Helper()
		src := fmt.Sprintf(`function route(req) { return "mock/v%d"; }`, v)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	served := func(g *gateway) string {
		t.Helper()
		resp, err := http.Post(g.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"mock-1","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("X-Sluice-Model")
	}
	waitFor := func(g *gateway, want string) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 5*time.Second {
			if served(g) == want {
				return time.Since(start)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s never served", want)
		return 0
	}
	write(1)
	g := startGatewayWith(t, options{admin: true, body: indent(mockTargets + "\nscript " + path)})
	reloads := fmt.Sprintf(`ai_gateway_script_reloads_total{result="ok",script=%q}`, path)
	write(2)
	t.Logf("edit to served: %v", waitFor(g, "v2"))
	if got := scrape(t, g, "ai_gateway_script_")[reloads]; got != 1 {
		t.Fatalf("%s = %v before the caddy reload, want 1", reloads, got)
	}

	req, _ := http.NewRequest(http.MethodPost, g.Admin+"/load", strings.NewReader(strings.Replace(g.Caddyfile, "chunks 6", "chunks 7", 1)))
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("caddy reload: %v %v", err, resp)
	}
	resp.Body.Close()
	if got := served(g); got != "v2" {
		t.Errorf("after caddy reload, served %s, want the kept version v2", got)
	}
	if got := scrape(t, g, "ai_gateway_script_")[reloads]; got != 1 {
		t.Errorf("%s = %v after the caddy reload: the script was rebuilt, want it kept (1)", reloads, got)
	}
	write(3)
	t.Logf("edit to served after a caddy reload: %v", waitFor(g, "v3"))
	time.Sleep(300 * time.Millisecond) // a second watcher would reload once more by now
	if got := scrape(t, g, "ai_gateway_script_")[reloads]; got != 2 {
		t.Errorf("%s = %v after one more edit, want 2 (one watcher)", reloads, got)
	}
}
