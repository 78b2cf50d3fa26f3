package bedrock

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sluicegw/sluice/internal/fakeupstream"
	"github.com/sluicegw/sluice/providers"
)

// clearAWSEnv keeps the developer's own AWS settings out of a test.
func clearAWSEnv(t *testing.T) {
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(v, "")
	}
}

func TestNewResolvesRegionAndCredentials(t *testing.T) {
	clearAWSEnv(t)
	for _, c := range []struct {
		name string
		cfg  Config
		env  map[string]string
		err  string
		base string
	}{
		{"no region", Config{Name: "aws", AccessKeyID: "AKIA", SecretAccessKey: "s"}, nil, "needs a region", ""},
		{"no credentials", Config{Name: "aws", Region: "us-west-2"}, nil, "needs AWS credentials", ""},
		{"no secret", Config{Name: "aws", Region: "us-west-2", AccessKeyID: "AKIA"}, nil, "no `secret_access_key`", ""},
		{"no key id", Config{Name: "aws", Region: "us-west-2", SecretAccessKey: "s"}, nil, "no `access_key_id`", ""},
		{"words", Config{Name: "aws", Region: "eu-west-3", AccessKeyID: "AKIA", SecretAccessKey: "s"}, nil, "", "https://bedrock-runtime.eu-west-3.amazonaws.com"},
		{"environment", Config{Name: "aws"}, map[string]string{"AWS_DEFAULT_REGION": "ap-northeast-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}, "", "https://bedrock-runtime.ap-northeast-1.amazonaws.com"},
		{"AWS_REGION first", Config{Name: "aws"}, map[string]string{"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-west-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}, "", "https://bedrock-runtime.us-east-2.amazonaws.com"},
		{"china", Config{Name: "aws", Region: "cn-north-1", AccessKeyID: "AKIA", SecretAccessKey: "s"}, nil, "", "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"},
		{"region from base_url", Config{Name: "aws", BaseURL: "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com/", AccessKeyID: "AKIA", SecretAccessKey: "s"}, nil, "", "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com"},
		{"base_url without region", Config{Name: "aws", BaseURL: "https://proxy.internal", AccessKeyID: "AKIA", SecretAccessKey: "s"}, nil, "needs a region to sign", ""},
		{"api key needs no AWS credentials", Config{Name: "aws", BaseURL: "https://proxy.internal", APIKeys: []string{"k"}}, nil, "", "https://proxy.internal"},
		{"bad base_url", Config{Name: "aws", BaseURL: "bedrock.local", APIKeys: []string{"k"}}, nil, "must start with http", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			p, err := New(c.cfg)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "provider aws") {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.base != c.base {
				t.Errorf("base %q, want %q", p.base, c.base)
			}
			if (p.signer == nil) != (len(c.cfg.APIKeys) > 0) {
				t.Errorf("signer %v with api keys %v", p.signer, c.cfg.APIKeys)
			}
		})
	}
}

func TestSessionTokenComesWithItsKeys(t *testing.T) {
	clearAWSEnv(t)
	t.Setenv("AWS_SESSION_TOKEN", "env-token")
	p, err := New(Config{Name: "aws", Region: "us-east-1", AccessKeyID: "AKIA", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if p.signer.creds.SessionToken != "" {
		t.Error("the environment's session token was paired with configured keys")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	p, _ = New(Config{Name: "aws", Region: "us-east-1"})
	if p.signer.creds.SessionToken != "env-token" || p.signer.creds.AccessKeyID != "AKIAENV" {
		t.Errorf("creds %+v", p.signer.creds)
	}
}

func TestModelURLEscapesTheModelID(t *testing.T) {
	p := &Provider{base: "https://bedrock-runtime.us-east-1.amazonaws.com"}
	for model, want := range map[string]string{
		"anthropic.claude-3-5-sonnet-20240620-v1:0":                                                  "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0": "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-instruct-v1%3A0/converse",
	} {
		if got := p.modelURL(model, false); got != p.base+want {
			t.Errorf("%s: %s", model, got)
		}
	}
	if got := p.modelURL("m", true); !strings.HasSuffix(got, "/model/m/converse-stream") {
		t.Errorf("stream URL %s", got)
	}
}

// fakeProvider is a provider signing for the fake Bedrock.
func fakeProvider(t *testing.T, fake *fakeupstream.BedrockServer, mutate func(*Config)) *Provider {
	t.Helper()
	clearAWSEnv(t)
	cfg := Config{Name: "aws", BaseURL: fake.URL, Region: fake.Region, AccessKeyID: fake.AccessKeyID, SecretAccessKey: fake.SecretAccessKey,
		Headers: http.Header{"X-Team": {"search"}}, Timeout: 10 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func send(t *testing.T, p *Provider, model, body string, stream bool) (*http.Response, string) {
	t.Helper()
	released := 0
	resp, err := p.Send(context.Background(), &providers.Call{Model: model, Body: []byte(body), Stream: stream, Release: func() { released++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading: %v (%s)", err, b)
	}
	if released != 1 {
		t.Errorf("Release called %d times", released)
	}
	return resp, string(b)
}

const hiBody = `{"model":"x","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hi to me"}],"max_tokens":20}`

func TestSendSignedWholeAndStreamed(t *testing.T) {
	fake := fakeupstream.NewBedrock()
	defer fake.Close()
	p := fakeProvider(t, fake, func(c *Config) { c.SessionToken = "session-token" })
	model := "us.anthropic.claude-3-5-haiku-20241022-v1:0"

	resp, body := send(t, p, model, hiBody, false)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if gjson.Get(body, "choices.0.message.content").String() != fakeupstream.BedrockAnswer || gjson.Get(body, "model").String() != model {
		t.Errorf("answer %s", body)
	}
	if !strings.HasPrefix(gjson.Get(body, "id").String(), "chatcmpl-fake-") {
		t.Errorf("id %s", gjson.Get(body, "id"))
	}
	got := fake.Last()
	if got.ModelID != model || got.Auth != "sigv4" || got.Stream || got.Header.Get("X-Amz-Security-Token") != "session-token" || got.Header.Get("X-Team") != "search" {
		t.Errorf("fake got %+v", got)
	}
	if !strings.Contains(got.Header.Get("Authorization"), "x-team") {
		t.Errorf("extra header not signed: %s", got.Header.Get("Authorization"))
	}

	resp, body = send(t, p, model, hiBody, true)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	evs := sseData(body)
	if evs[len(evs)-1] != "[DONE]" || gjson.Get(evs[len(evs)-2], "usage.prompt_tokens").Int() != 6 {
		t.Errorf("stream %s", body)
	}
	var text strings.Builder
	for _, ev := range evs {
		text.WriteString(gjson.Get(ev, "choices.0.delta.content").String())
	}
	if text.String() != fakeupstream.BedrockAnswer || fake.Last().Header.Get("Accept") != eventStreamType {
		t.Errorf("streamed %q; accept %q", text.String(), fake.Last().Header.Get("Accept"))
	}
	if b := fake.Billed(); b.Calls != 2 || b.InputTokens != 12 {
		t.Errorf("billed %+v", b)
	}
}

func TestSendWithAPIKey(t *testing.T) {
	fake := fakeupstream.NewBedrock()
	defer fake.Close()
	p := fakeProvider(t, fake, func(c *Config) { c.AccessKeyID, c.SecretAccessKey, c.APIKeys = "", "", []string{fake.APIKey} })
	resp, body := send(t, p, "amazon.nova-pro-v1:0", hiBody, false)
	if resp.StatusCode != 200 || fake.Last().Auth != "bearer" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestSendErrors(t *testing.T) {
	fake := fakeupstream.NewBedrock()
	defer fake.Close()

	wrong := fakeProvider(t, fake, func(c *Config) { c.SecretAccessKey = "not-the-secret" })
	resp, body := send(t, wrong, "m", hiBody, false)
	if resp.StatusCode != 403 || gjson.Get(body, "error.code").String() != "invalid_signature_exception" || strings.Contains(body, "not-the-secret") {
		t.Errorf("wrong secret: %d %s", resp.StatusCode, body)
	}

	p := fakeProvider(t, fake, nil)
	resp, body = send(t, p, "anthropic.claude-status-429-v1:0", hiBody, false)
	if resp.StatusCode != 429 || gjson.Get(body, "error.code").String() != "throttling_exception" || gjson.Get(body, "error.message").String() != "fake bedrock says 429" {
		t.Errorf("429: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, p, "anthropic.claude-status-429-v1:0", hiBody, true)
	if resp.StatusCode != 429 || gjson.Get(body, "error.type").String() != "rate_limit_error" {
		t.Errorf("streamed 429: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, p, "garbage", hiBody, false)
	if resp.StatusCode != 502 || !strings.Contains(body, "cannot read") {
		t.Errorf("garbage: %d %s", resp.StatusCode, body)
	}

	n := len(fake.Requests())
	resp, body = send(t, p, "m", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}`, false)
	if resp.StatusCode != 400 || gjson.Get(body, "error.param").String() != "messages[0].content[0].image_url.url" ||
		!strings.Contains(gjson.Get(body, "error.message").String(), "aws (bedrock)") || len(fake.Requests()) != n {
		t.Errorf("refused request: %d %s", resp.StatusCode, body)
	}
}

func TestSendStreamExceptionFailsTheRead(t *testing.T) {
	fake := fakeupstream.NewBedrock()
	defer fake.Close()
	p := fakeProvider(t, fake, nil)
	for model, want := range map[string]string{
		"m-exception": "modelStreamErrorException: The model stopped unexpectedly.",
		"m-throttled": "throttlingException: Too many requests",
		"m-cut":       "reading the Bedrock stream",
	} {
		resp, err := p.Send(context.Background(), &providers.Call{Model: model, Body: []byte(hiBody), Stream: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", model, err)
		}
	}
}

func TestSendTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	clearAWSEnv(t)
	p, _ := New(Config{Name: "aws", BaseURL: srv.URL, APIKeys: []string{"k"}, Timeout: 50 * time.Millisecond})
	_, err := p.Send(context.Background(), &providers.Call{Model: "m", Body: []byte(hiBody)})
	if err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Errorf("err %v", err)
	}
}

func TestRegistered(t *testing.T) {
	clearAWSEnv(t)
	p, err := providers.New(providers.Config{Name: "aws", Type: "bedrock", Region: "us-east-1", AccessKeyID: "AKIA", SecretAccessKey: "s"})
	if err != nil || p.Name() != "aws" {
		t.Fatalf("%v %v", p, err)
	}
}
