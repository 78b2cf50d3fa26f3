package main

import (
	"net"
	"os"
	"strings"
	"testing"
)

func TestDecodeProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000001000000:01BB": "[::1]:443",
		"00000000000000000000000000000000:0016": "[::]:22",
	} {
		if got := decodeProcAddr(in); got != want {
			t.Errorf("decodeProcAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOwnProcessFigures(t *testing.T) {
	pid := os.Getpid()
	if _, err := cpuTime(pid); err != nil {
		t.Fatal(err)
	}
	if v, err := rss(pid); err != nil || v <= 0 {
		t.Fatalf("rss %d, %v", v, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addrs, err := listeners(pid)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(addrs, " "), l.Addr().String()) {
		t.Fatalf("listeners %v miss %v", addrs, l.Addr())
	}
}

func TestBodiesAndWorkloads(t *testing.T) {
	if n := len(chatBody("bench", false)); n < 900 || n > 1100 {
		t.Errorf("chat body is %d bytes, want about 1 KB", n)
	}
	if got := selectWorkloads("chat-c1, paced-512"); len(got) != 2 || got[1].concurrency != 512 {
		t.Errorf("selectWorkloads: %+v", got)
	}
	if len(selectWorkloads("")) != len(workloads) {
		t.Error("an empty list selects every workload")
	}
}
