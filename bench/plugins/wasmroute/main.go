//go:build wasip1

// Command wasmroute is the benchmark's route hook as a Wasm plugin written
// with the Go guest SDK: the same router as bench/scripts/route.lua. The
// runner builds it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o route.wasm ./bench/plugins/wasmroute
package main

import "github.com/sluicegw/sluice/wasmhost/guest"

func init() {
	guest.Route(route, guest.FieldModel, guest.FieldEstimatedInputTokens)
}

func route(req *guest.Request) ([]string, error) {
	if req.Model == "paced" {
		return []string{"paced/bench"}, nil
	}
	if req.EstimatedInputTokens > 100000 {
		return []string{"up/bench-long", "up/bench"}, nil
	}
	return []string{"up/bench"}, nil
}

func main() {}
