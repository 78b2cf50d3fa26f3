// Command caddy is Caddy with the standard modules and Sluice's ai_gateway
// module compiled in. `go build ./cmd/caddy` gives the same binary as
// ./xcaddy.sh; this file exists so that a plain Go toolchain, tests and IDEs
// can build it without xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/sluicegw/sluice/caddymodule"
)

func main() {
	caddycmd.Main()
}
