package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/sluicegw/sluice/gateway"
	"github.com/sluicegw/sluice/scripting"
	"github.com/spf13/cobra"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "ai-script",
		Usage: "--script <file> --request <file.json> [--header 'Name: value'] [--response <text>] [--chunk <text>]...",
		Short: "Runs an ai_gateway script's hooks on a sample request, offline",
		Long: `
Runs the hooks of a Lua, JavaScript or WebAssembly script, as the ai_gateway handler would,
on a sample chat completions request (an OpenAI request body in a JSON file),
without any traffic or provider. It prints each hook's decision: what
on_request changed (and the body that would go upstream), where route sends
the call, what on_response makes of --response, and what on_chunk makes of
each --chunk; the script's print and gw.log lines go to standard error.

Exit status: 0 when the hooks ran, 3 when a hook denied (gw.deny), 1 when the
script failed to compile or a hook failed.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().String("script", "", "the script file (.lua, .js or .wasm)")
			cmd.Flags().String("request", "", "a JSON file holding a chat completions request body")
			cmd.Flags().StringArray("header", nil, "a client header, 'Name: value' (may repeat)")
			cmd.Flags().String("response", "", "an answer's text to run on_response on")
			cmd.Flags().StringArray("chunk", nil, "a streamed text delta to run on_chunk on (may repeat)")
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(runAIScript)
		},
	})
}

// errDenied marks a run in which a hook denied; it maps to exit status 3.
var errDenied = errors.New("denied")

func runAIScript(fl caddycmd.Flags) (int, error) {
	err := previewScript(os.Stdout, os.Stderr, fl.String("script"), fl.String("request"),
		stringArray(fl, "header"), fl.String("response"), stringArray(fl, "chunk"))
	switch {
	case errors.Is(err, errDenied):
		return 3, nil
	case err != nil:
		return caddy.ExitCodeFailedStartup, err
	}
	return caddy.ExitCodeSuccess, nil
}

func stringArray(fl caddycmd.Flags, name string) []string {
	v, _ := fl.GetStringArray(name)
	return v
}

// previewScript runs the hooks and reports to out; script logs go to logs.
func previewScript(out, logs io.Writer, scriptPath, requestPath string, headers []string, response string, chunks []string) error {
	if scriptPath == "" || requestPath == "" {
		return errors.New("--script and --request are required")
	}
	source, err := os.ReadFile(scriptPath)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(requestPath)
	if err != nil {
		return err
	}
	header := http.Header{}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("--header %q is not 'Name: value'", h)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	engine := strings.TrimPrefix(filepath.Ext(scriptPath), ".")
	all, err := engines()
	if err != nil {
		return err
	}
	script, err := scripting.NewInline(scriptPath, engine, source, all, scripting.Limits{}, writerLogger{logs})
	if err != nil {
		return err
	}
	defer script.Close()
	preview, err := gateway.NewScriptPreview(body, header)
	if err != nil {
		return fmt.Errorf("the sample request: %w", err)
	}
	chain := scripting.NewChain(nil, scripting.Step{Script: script})
	run := chain.Begin()
	defer run.Release()
	ctx, req := context.Background(), preview.Request()

	report := func(hook string, err error) error {
		var denial *scripting.Denial
		if errors.As(err, &denial) {
			fmt.Fprintf(out, "%s: denied with %d: %s\n", hook, denial.Status, denial.Message)
			return errDenied
		}
		return err
	}
	if run.Has(scripting.HookOnRequest) {
		if err := run.OnRequest(ctx, req); err != nil {
			return report("on_request", err)
		}
		upstream, err := preview.Body()
		if err != nil {
			return err
		}
		if string(upstream) == string(body) {
			fmt.Fprintln(out, "on_request: no change")
		} else {
			fmt.Fprintf(out, "on_request: changed; upstream body:\n%s\n", upstream)
		}
		if len(req.Metadata) > 0 {
			fmt.Fprintf(out, "metadata: %v\n", req.Metadata)
		}
	}
	if run.Has(scripting.HookRoute) {
		targets, err := run.Route(ctx, req)
		if err != nil {
			return report("route", err)
		}
		if len(targets) == 0 {
			fmt.Fprintln(out, "route: nothing returned; the config decides")
		} else {
			fmt.Fprintf(out, "route: %s\n", strings.Join(targets, ", then "))
		}
	}
	if response != "" && run.Has(scripting.HookOnResponse) {
		res := scripting.Response{Content: response, Model: req.Model, Status: http.StatusOK}
		if err := run.OnResponse(ctx, req, &res); err != nil {
			return report("on_response", err)
		}
		fmt.Fprintf(out, "on_response: %q\n", res.Content)
	}
	if len(chunks) > 0 && run.Has(scripting.HookOnChunk) {
		for _, text := range chunks {
			chunk := scripting.Chunk{Text: text}
			if err := run.OnChunk(ctx, req, &chunk); err != nil {
				return report("on_chunk", err)
			}
			if chunk.Drop {
				fmt.Fprintf(out, "on_chunk: %q dropped\n", text)
			} else {
				fmt.Fprintf(out, "on_chunk: %q -> %q\n", text, chunk.Text)
			}
		}
	}
	return nil
}

// writerLogger prints script logs as "[level] message" lines.
type writerLogger struct{ w io.Writer }

func (l writerLogger) Log(level, message string) { fmt.Fprintf(l.w, "[%s] %s\n", level, message) }
