# Sluice: the commands a developer and CI use.
#
#   make run     build ./caddy and run the default Caddyfile on :8080
#   make test    everything CI runs: vet, unit tests, fuzz smoke, e2e tests, bench smoke
#   make bench   Sluice against plain Caddy and Portkey, ~23 min: writes bench/RESULTS.md (bench/README.md)
#   make bench-go  Go benchmarks of the request path (ns/op, allocs/op), benchstat-comparable
#   make soak    1,000,000 requests through one Sluice: RSS, goroutines and heap must stay flat (bench/SOAK.md)
#   make fuzz-long  every fuzz target for 10 minutes (scripts/fuzz-long.sh)

GO ?= go
# A short fuzz pass per target in `make test`; long runs are done by hand.
FUZZTIME ?= 5s

.PHONY: all build run test tools vet unit fuzz-smoke fuzz-long e2e bench bench-smoke bench-go soak xcaddy clean

all: build

build:
	$(GO) build -o caddy ./cmd/caddy

run: build
	./caddy run --config Caddyfile --adapter caddyfile

# Builds the same binary through xcaddy (pinned), as a distribution would.
xcaddy:
	./xcaddy.sh

test: tools vet unit fuzz-smoke e2e bench-smoke

# What the tests need beyond Go: wat2wasm (Debian's wabt) assembles the
# WebAssembly-text plugins; redis-server backs the shared-store tests (each
# test starts its own on a free loopback port). Installed with apt-get when
# missing (CI runs as root); the Debian package's own service is not used.
tools:
	@missing=""; \
	command -v wat2wasm >/dev/null 2>&1 || missing="$$missing wabt"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null || \
		{ echo "could not install$$missing: run 'apt-get install -y$$missing' as root"; exit 1; }; fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -race $$($(GO) list ./... | grep -v /tests)

fuzz-smoke:
	@for t in "FuzzReader ./sse" "FuzzDecodeChatRequest ./apischema/openai" "FuzzReader ./wasmhost/internal/wire" \
		"FuzzAnthropicRequestToOpenAI ./translate" "FuzzResponsesRequestToOpenAI ./translate" \
		"FuzzEventStream ./providers/bedrock" "FuzzStreamRedactor ./guard" "FuzzDecodeEmbeddingsRequest ./gateway" \
		"FuzzCaddyfileWords ./caddymodule"; do \
		set -- $$t; echo "fuzz $$1 $$2"; FUZZTIME=$(FUZZTIME) GO=$(GO) ./scripts/fuzz-smoke.sh $$1 $$2 || exit 1; done

# The long campaign, by hand: every Fuzz* target for FUZZLONG (10m) each,
# FUZZJOBS at a time (scripts/fuzz-long.sh).
FUZZLONG ?= 10m
FUZZJOBS ?= 2
fuzz-long:
	FUZZTIME=$(FUZZLONG) JOBS=$(FUZZJOBS) GO=$(GO) ./scripts/fuzz-long.sh

e2e:
	$(GO) test -count=1 ./tests/

# The benchmark against the field (bench/README.md); flags through BENCHFLAGS.
bench: build
	$(GO) run ./bench/cmd/bench -caddy ./caddy $(BENCHFLAGS)

# The soak, by hand: SOAK requests (default 1,000,000) through one Sluice
# with every stateful feature on; RSS, goroutines and heap must stay flat
# (bench/SOAK.md).
SOAK ?= 1000000
soak: build
	$(GO) run ./bench/cmd/bench -caddy ./caddy -soak $(SOAK)

# The same harness in seconds: every endpoint answers correctly (never asserts speed).
bench-smoke: build
	$(GO) run ./bench/cmd/bench -smoke -caddy ./caddy

BENCHCOUNT ?= 5
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) $$(grep -rl --include='*_test.go' '^func Benchmark' . | grep -v '^./tests/' | xargs -n1 dirname | sort -u)

clean:
	rm -f caddy
