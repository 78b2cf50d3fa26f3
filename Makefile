# Sluice: the commands a developer and CI use.
#
#   make run     build ./caddy and run the default Caddyfile on :8080
#   make test    everything CI runs: vet, unit tests, fuzz smoke, e2e tests
#   make bench   Go benchmarks of the request path (ns/op, allocs/op)

GO ?= go
# A short fuzz pass per target in `make test`; long runs are done by hand.
FUZZTIME ?= 5s

.PHONY: all build run test vet unit fuzz-smoke e2e bench xcaddy clean

all: build

build:
	$(GO) build -o caddy ./cmd/caddy

run: build
	./caddy run --config Caddyfile --adapter caddyfile

# Builds the same binary through xcaddy (pinned), as a distribution would.
xcaddy:
	./xcaddy.sh

test: vet unit fuzz-smoke e2e

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -race $$($(GO) list ./... | grep -v /tests)

fuzz-smoke:
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./sse
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeChatRequest$$' -fuzztime $(FUZZTIME) ./apischema/openai

e2e:
	$(GO) test -count=1 ./tests/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./gateway ./apischema/openai ./sse

clean:
	rm -f caddy
