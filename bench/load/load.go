// Package load is the benchmark's load generator: a fixed number of
// workers, each sending one request after another on its own kept-alive
// connection (a closed loop), for a bounded time or a bounded count. It
// measures every request (latency; for streams also the time to the
// response headers, to the first event and between events) and checks every
// answer's status and shape.
package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Shape is the API dialect of the requests and answers.
type Shape int

const (
	// OpenAI chat completions: streams end with "data: [DONE]".
	OpenAI Shape = iota
	// Anthropic Messages: streams end with a message_stop event.
	Anthropic
)

// Spec is one cell of load: where, what, how hard and how long.
type Spec struct {
	URL    string
	Header http.Header // extra request headers (Content-Type is always JSON)
	Body   []byte
	Shape  Shape
	Stream bool

	Concurrency int
	// Duration is the measuring window: no request starts after it, and RPS
	// counts the requests that completed within it. Zero: Requests bounds
	// the cell instead.
	Duration time.Duration
	// Requests, when positive, caps the number of requests sent.
	Requests int
	// Timeout bounds each request from start to end (default 30s), so a
	// cell lasts at most Ramp + Duration + Timeout.
	Timeout time.Duration
	// Ramp spreads the workers' first requests evenly over this time, so
	// that long streams run out of step, as real ones do, rather than all
	// sending their events at the same instants.
	Ramp time.Duration

	// Strict decodes every answer in full and checks its shape (slower;
	// for smoke runs). Otherwise only the status, content type and the
	// terminal event are checked.
	Strict bool
	// Gaps records every gap between two events of a stream.
	Gaps bool
	// StallGap and StallFirst make a stream count as stalled when two of
	// its events are further apart, or its first event comes later.
	// Zero: no stall check.
	StallGap, StallFirst time.Duration
	// SlowGap makes a stream count as slowed when two of its events are
	// further apart (a hiccup short of a stall). Zero: no check.
	SlowGap time.Duration
}

// Result is what a cell measured. Duration slices are sorted.
type Result struct {
	Requests  int           // completed with a valid answer
	InWindow  int           // of which completed within Spec.Duration
	Errors    int           // transport errors, bad statuses, bad answers
	ErrorText []string      // the first few errors
	Elapsed   time.Duration // start to the last completion
	Window    time.Duration // the RPS denominator

	Latency    []time.Duration // whole request (a stream: to its terminal event)
	Headers    []time.Duration // streams: to the response headers
	FirstEvent []time.Duration // streams: to the first event
	Gaps       []time.Duration // streams, with Spec.Gaps: between two events
	Events     []int           // streams: events per stream, terminal included
	Stalled    int             // streams that stalled (see Spec.StallGap)
	Slowed     int             // streams with a gap over Spec.SlowGap
	MaxGap     time.Duration   // streams: the longest gap seen
	Text       string          // the answer text of the first valid answer
}

// RPS is the rate of valid answers in the measuring window.
func (r *Result) RPS() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.InWindow) / r.Window.Seconds()
}

// Percentile returns the p-th percentile (0 < p <= 100, nearest rank) of
// sorted samples, or 0 when there are none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// MedianInt is the median of counts (0 for none).
func MedianInt(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := append([]int(nil), v...)
	sort.Ints(s)
	return s[len(s)/2]
}

// Run runs one cell and returns what it measured. It returns early when ctx
// is done.
func Run(ctx context.Context, spec Spec) *Result {
	if spec.Concurrency < 1 {
		spec.Concurrency = 1
	}
	if spec.Timeout <= 0 {
		spec.Timeout = 30 * time.Second
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        spec.Concurrency,
		MaxIdleConnsPerHost: spec.Concurrency,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		ReadBufferSize:      16 << 10,
		WriteBufferSize:     16 << 10,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	bound := spec.Ramp + spec.Duration + spec.Timeout
	if spec.Duration <= 0 {
		bound = spec.Ramp + 10*spec.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()

	var (
		mu      sync.Mutex
		total   = &Result{}
		started int
		wg      sync.WaitGroup
	)
	begin := time.Now()
	windowEnd := begin.Add(spec.Ramp + spec.Duration)
	// next reports whether a worker may start another request.
	next := func() bool {
		if ctx.Err() != nil || (spec.Duration > 0 && !time.Now().Before(windowEnd)) {
			return false
		}
		if spec.Requests > 0 {
			mu.Lock()
			defer mu.Unlock()
			if started >= spec.Requests {
				return false
			}
			started++
		}
		return true
	}
	for i := range spec.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &Result{}
			if spec.Ramp > 0 && i > 0 {
				t := time.NewTimer(spec.Ramp * time.Duration(i) / time.Duration(spec.Concurrency))
				select {
				case <-t.C:
				case <-ctx.Done():
				}
				t.Stop()
			}
			for next() {
				one(ctx, client, &spec, w, windowEnd)
			}
			mu.Lock()
			total.merge(w)
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.Elapsed = time.Since(begin)
	total.Window = spec.Ramp + spec.Duration
	if spec.Duration <= 0 {
		total.Window = total.Elapsed
		total.InWindow = total.Requests
	}
	for _, s := range [][]time.Duration{total.Latency, total.Headers, total.FirstEvent, total.Gaps} {
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	}
	return total
}

func (r *Result) merge(w *Result) {
	r.Requests += w.Requests
	r.InWindow += w.InWindow
	r.Errors += w.Errors
	for _, e := range w.ErrorText {
		if len(r.ErrorText) < 5 {
			r.ErrorText = append(r.ErrorText, e)
		}
	}
	r.Latency = append(r.Latency, w.Latency...)
	r.Headers = append(r.Headers, w.Headers...)
	r.FirstEvent = append(r.FirstEvent, w.FirstEvent...)
	r.Gaps = append(r.Gaps, w.Gaps...)
	r.Events = append(r.Events, w.Events...)
	r.Stalled += w.Stalled
	r.Slowed += w.Slowed
	r.MaxGap = max(r.MaxGap, w.MaxGap)
	if r.Text == "" {
		r.Text = w.Text
	}
}

func (r *Result) fail(err error) {
	r.Errors++
	if len(r.ErrorText) < 5 {
		r.ErrorText = append(r.ErrorText, err.Error())
	}
}

// one sends one request and records it in w.
func one(ctx context.Context, client *http.Client, spec *Spec, w *Result, windowEnd time.Time) {
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, spec.URL, bytes.NewReader(spec.Body))
	if err != nil {
		w.fail(err)
		return
	}
	for k, v := range spec.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		w.fail(err)
		return
	}
	defer resp.Body.Close()
	headers := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		w.fail(fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b)))
		return
	}
	if !spec.Stream {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			w.fail(err)
			return
		}
		text, err := checkWhole(spec.Shape, body, spec.Strict)
		if err != nil {
			w.fail(err)
			return
		}
		w.record(time.Now(), start, windowEnd)
		if w.Text == "" {
			w.Text = text
		}
		return
	}
	if ct := resp.Header.Get("Content-Type"); len(ct) < 17 || ct[:17] != "text/event-stream" {
		w.fail(fmt.Errorf("stream answered with Content-Type %q", ct))
		return
	}
	s, err := readStream(resp.Body, spec, start)
	if err != nil {
		w.fail(err)
		return
	}
	w.record(s.end, start, windowEnd)
	w.Headers = append(w.Headers, headers)
	w.FirstEvent = append(w.FirstEvent, s.first)
	w.Events = append(w.Events, s.events)
	w.Gaps = append(w.Gaps, s.gaps...)
	w.MaxGap = max(w.MaxGap, s.maxGap)
	if (spec.StallGap > 0 && s.maxGap > spec.StallGap) || (spec.StallFirst > 0 && s.first > spec.StallFirst) {
		w.Stalled++
	}
	if spec.SlowGap > 0 && s.maxGap > spec.SlowGap {
		w.Slowed++
	}
	if w.Text == "" {
		w.Text = s.text
	}
}

func (w *Result) record(end, start time.Time, windowEnd time.Time) {
	w.Requests++
	if !end.After(windowEnd) {
		w.InWindow++
	}
	w.Latency = append(w.Latency, end.Sub(start))
}

// streamStats is what one stream showed.
type streamStats struct {
	first, maxGap time.Duration
	end           time.Time
	events        int
	gaps          []time.Duration
	text          string
}

// readStream reads a server-sent events body to its end, timing each event
// (a "data:" line) and checking it is well-formed and terminated.
func readStream(body io.Reader, spec *Spec, start time.Time) (*streamStats, error) {
	br := bufio.NewReaderSize(body, 16<<10)
	s := &streamStats{}
	var (
		last     time.Time
		done     bool
		text     []byte
		finished bool // saw OpenAI finish_reason / Anthropic message_delta
	)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && bytes.HasPrefix(line, []byte("data:")) {
			now := time.Now()
			if done {
				return nil, fmt.Errorf("an event after the terminal one: %q", bytes.TrimSpace(line))
			}
			if s.events == 0 {
				s.first = now.Sub(start)
			} else {
				gap := now.Sub(last)
				s.maxGap = max(s.maxGap, gap)
				if spec.Gaps {
					s.gaps = append(s.gaps, gap)
				}
			}
			last = now
			s.events++
			data := bytes.TrimSpace(line[len("data:"):])
			var terminal bool
			var cerr error
			text, finished, terminal, cerr = checkEvent(spec.Shape, data, spec.Strict, text, finished)
			if cerr != nil {
				return nil, cerr
			}
			if terminal {
				done = true
				s.end = now
			}
		}
		if err == bufio.ErrBufferFull {
			// An over-long line: skip the rest of it.
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("stream broke after %d events: %w", s.events, err)
		}
	}
	if !done {
		return nil, fmt.Errorf("stream ended after %d events without its terminal event", s.events)
	}
	if spec.Strict && !finished {
		return nil, fmt.Errorf("stream ended without a finish reason")
	}
	s.text = string(text)
	return s, nil
}
