// Command fakeupstream is the benchmark's fake LLM upstream (package
// bench/fake) as a process of its own: OpenAI chat completions at
// POST /v1/chat/completions and Anthropic Messages at POST /v1/messages.
//
//	fakeupstream -addr 127.0.0.1:9000 -chunks 64 -delay 20ms
//
// It listens on a loopback address only and prints "listening on
// http://ADDR" once it accepts connections.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluicegw/sluice/bench/fake"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0: any free port)")
	chunks := flag.Int("chunks", 20, "content chunks per streamed answer")
	delay := flag.Duration("delay", 0, "pause between two content chunks of a stream")
	latency := flag.Duration("latency", 0, "wait before the response headers")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("fakeupstream: -addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("fakeupstream: -addr %q is not a loopback IP address; the fake serves loopback only", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("fakeupstream: %v", err)
	}
	srv := &http.Server{
		Handler:           fake.New(fake.Options{Chunks: *chunks, ChunkDelay: *delay, Latency: *latency}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(os.Stderr, "fakeupstream: ", 0),
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("fakeupstream: %v", err)
	}
}
