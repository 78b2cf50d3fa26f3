// Command sdkfloor is the least an SDK plugin can be: a route hook that
// asks for no field of req and returns one target. BenchmarkRoute's
// "go-sdk-floor" measures it: the SDK's own cost per call over go-floor.
package main

import "github.com/sluicegw/sluice/wasmhost/guest"

func main() {}

var target = []string{"mock/cheap-1"}

func init() {
	guest.Route(func(*guest.Request) ([]string, error) { return target, nil }, guest.NoFields)
}
