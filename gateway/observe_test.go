package gateway

import (
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/sluicegw/sluice/metrics"
)

func histogramCount(t *testing.T, h *prometheus.HistogramVec, labels ...string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := h.WithLabelValues(labels...).(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

func TestMetricsCountCallsAndTokens(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Providers = append(c.Providers, ProviderConfig{Name: "dead", Type: "openai", BaseURL: "http://127.0.0.1:1/v1"})
		c.Models = append([]ModelConfig{{Name: "dead", Targets: []TargetConfig{{Provider: "dead", Model: "x"}}}}, c.Models...)
	})
	ok := metrics.Requests.WithLabelValues("gpt-4o", "up", "2xx", "anonymous")
	input := metrics.Tokens.WithLabelValues("gpt-4o", "up", "anonymous", "input")
	cached := metrics.Tokens.WithLabelValues("gpt-4o", "up", "anonymous", "cached")
	connect := metrics.UpstreamErrors.WithLabelValues("dead", "connect")
	wild := metrics.Requests.WithLabelValues("*", "up", "4xx", "anonymous")
	before := []float64{testutil.ToFloat64(ok), testutil.ToFloat64(input), testutil.ToFloat64(cached), testutil.ToFloat64(connect), testutil.ToFloat64(wild)}
	ttft := histogramCount(t, metrics.TimeToFirstToken, "gpt-4o", "up")
	overhead := histogramCount(t, metrics.Overhead, "gpt-4o", "up")

	msgs := `"messages":[{"role":"user","content":"hi"}]`
	resp, _ := h.post(t, `{"model":"gpt-4o",`+msgs+`}`)
	ms, err := strconv.ParseFloat(resp.Header.Get("X-Sluice-Overhead-Ms"), 64)
	if err != nil || ms < 0 {
		t.Errorf("overhead header %q", resp.Header.Get("X-Sluice-Overhead-Ms"))
	}
	h.post(t, `{"model":"gpt-4o","stream":true,`+msgs+`}`)
	h.post(t, `{"model":"dead",`+msgs+`}`)
	h.post(t, `{"model":"some-client-invented-name-1",`+msgs+`}`) // the "*" route: label stays the declared name

	after := []float64{testutil.ToFloat64(ok), testutil.ToFloat64(input), testutil.ToFloat64(cached), testutil.ToFloat64(connect), testutil.ToFloat64(wild)}
	want := []float64{2, 1117 + 19, 1024, 1, 1}
	for i := range want {
		if got := after[i] - before[i]; got != want[i] {
			t.Errorf("metric %d grew by %v, want %v", i, got, want[i])
		}
	}
	if got := histogramCount(t, metrics.TimeToFirstToken, "gpt-4o", "up") - ttft; got != 2 {
		t.Errorf("TTFT observations %d, want 2", got)
	}
	if got := histogramCount(t, metrics.Overhead, "gpt-4o", "up") - overhead; got != 2 {
		t.Errorf("overhead observations %d, want 2", got)
	}
	for _, o := range h.outcomes {
		if o.Overhead < 0 || o.Overhead > o.Duration || o.UpstreamWait <= 0 {
			t.Errorf("outcome times: %+v", o)
		}
	}
}

func TestRegisterToleratesRepeats(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	for i := 0; i < 2; i++ {
		if err := metrics.Register(reg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}
