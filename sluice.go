// Package sluice is an AI gateway that runs inside Caddy. Importing it (as
// xcaddy's `--with github.com/sluicegw/sluice` does) registers the
// ai_gateway app and the http.handlers.ai_gateway handler; see package
// caddymodule, and README.md for what the gateway does.
package sluice

import (
	_ "github.com/sluicegw/sluice/caddymodule"
)
