# entra-archiver — developer targets. `make test` is the whole suite (README).
GO      ?= go
PKGS    ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X github.com/entra-archiver/entra-archiver/internal/version.Version=$(VERSION)

# golangci-lint, pinned, built from the module proxy (no binary download).
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

.PHONY: build test test-short vet lint fmt bench bench-e2e demo clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/entra-archiver ./cmd/entra-archiver

# Azurite (the Azure Storage emulator) comes from npm; tests start it themselves
# unless ENTRA_ARCHIVER_TEST_AZURITE names a running one.
node_modules/.bin/azurite-blob: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

test: node_modules/.bin/azurite-blob
	$(GO) test -race -timeout 45m $(PKGS)

test-short: node_modules/.bin/azurite-blob
	$(GO) test -short $(PKGS)

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# Lint: the layering (depguard: dependencies point inward, the Azure SDK at
# the edges, no test harness in the product), errorlint and the rest of
# .golangci.yml. docs/architecture.md explains the layers.
lint:
	$(GOLANGCI_LINT) run ./...

bench: node_modules/.bin/azurite-blob
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# End-to-end: real binary, simulated Graph, local folder and Azurite, with
# the fetch-only and curl+jq+gzip baselines (about 20 min; docs/benchmarks.md).
bench-e2e: node_modules/.bin/azurite-blob
	$(GO) run ./cmd/entra-archiver-bench

demo:
	$(GO) run ./cmd/entra-archiver demo

clean:
	rm -rf bin demo-archive
