#!/usr/bin/env bash
# Builds ./caddy with the Sluice module through xcaddy, the way Caddy plugins
# are distributed. xcaddy itself is fetched and run at a pinned version by the
# Go toolchain, so nothing needs installing first. The result is the same
# binary `go build ./cmd/caddy` gives: both use the Caddy version go.mod pins.
set -euo pipefail
cd "$(dirname "$0")"
XCADDY_VERSION=v0.4.5
CADDY_VERSION=$(go list -m -f '{{.Version}}' github.com/caddyserver/caddy/v2)
exec go run "github.com/caddyserver/xcaddy/cmd/xcaddy@${XCADDY_VERSION}" build "${CADDY_VERSION}" \
	--output ./caddy \
	--with "github.com/sluicegw/sluice@v0.0.0=$PWD"
