# query4code: build, run and test the suite. Every tool is pinned in tools/go.mod and built into
# bin/tools; Debian packages the tests need are installed by scripts/ensure-debian-packages.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO        ?= go
TOOLS     := bin/tools
BUF       := $(TOOLS)/buf
GRPCURL   := $(TOOLS)/grpcurl
GOLANGCI  := $(TOOLS)/golangci-lint
SERVICES  := parser docs annotator orchestrator
BINARIES  := $(addprefix bin/,$(SERVICES) q4c fakellm)
REPO      ?= examples/bookshelf
OUT       ?= out
# Every module of go.work: "./..." does not cross module boundaries from the root.
MODULES   := ./proto/gen/go/... ./platform/... ./services/parser/... ./services/docs/... \
             ./services/annotator/... ./services/orchestrator/... ./cmd/q4c/... \
             ./bench/... ./deploy/... ./clients/go/...
# The independent Parquet reader the tests read data/*.parquet with (npm, pinned by its lock file).
PARQUET_READER := tools/parquet-reader
# The JavaScript example, whose node_modules holds the niche npm package its tests document.
NOTES_JS := examples/notes-js
# The TypeScript-compiler reference of the JS/TS benchmark; make test runs its naming self-check.
TSREF := bench/tsref
# protovalidate's validate.proto is vendored from this Go module version (see proto-deps).
PROTOVALIDATE_VERSION := v1.2.2

.PHONY: npm-deps build run test lint fix-lint proto proto-deps verify-proto clients verify-clients images chaos fuzz load tools deps bench bench-callgraph bench-jscallgraph e2e clean

## tools: build the pinned tools (buf, protoc plugins, grpcurl, golangci-lint) into bin/tools.
tools:
	cd tools && GOWORK=off $(GO) build -o ../$(TOOLS)/ \
	  github.com/bufbuild/buf/cmd/buf \
	  google.golang.org/protobuf/cmd/protoc-gen-go \
	  google.golang.org/grpc/cmd/protoc-gen-go-grpc \
	  github.com/fullstorydev/grpcurl/cmd/grpcurl \
	  github.com/golangci/golangci-lint/v2/cmd/golangci-lint \
	  sigs.k8s.io/kustomize/kustomize/v5

## deps: Debian packages used by tests and the example run (python3-requests, python3-click).
deps:
	./scripts/ensure-debian-packages

## build: every binary into bin/.
build:
	$(GO) build -o bin/ \
	  ./services/parser/cmd/parser \
	  ./services/docs/cmd/docs \
	  ./services/annotator/cmd/annotator \
	  ./services/annotator/cmd/fakellm \
	  ./services/orchestrator/cmd/orchestrator \
	  ./cmd/q4c

## run: annotate REPO (default: the example project) with the offline back-end into OUT.
run: build deps
	bin/q4c annotate --out $(OUT) $(REPO)

## npm-deps: install the npm packages tests use (the Parquet reader, the JavaScript example's
## dependency, the benchmark's TypeScript compiler), once per lock file change.
npm-deps: $(PARQUET_READER)/node_modules/.installed $(NOTES_JS)/node_modules/.installed $(TSREF)/node_modules/.installed

$(TSREF)/node_modules/.installed: $(TSREF)/package.json $(TSREF)/package-lock.json
	cd $(TSREF) && npm ci --ignore-scripts --silent --no-audit --no-fund
	touch $@

$(NOTES_JS)/node_modules/.installed: $(NOTES_JS)/package.json $(NOTES_JS)/package-lock.json
	cd $(NOTES_JS) && npm ci --silent --no-audit --no-fund
	touch $@

$(PARQUET_READER)/node_modules/.installed: $(PARQUET_READER)/package.json $(PARQUET_READER)/package-lock.json
	cd $(PARQUET_READER) && npm ci --silent --no-audit --no-fund
	touch $@

## test: every module's tests, under the race detector (the buf-breaking check test needs the pinned buf;
## the dataset tests read Parquet with the npm reader).
test: deps tools npm-deps
	$(GO) test -race -count=1 $(MODULES)

## lint: buf lint, go vet and golangci-lint over every module.
lint: tools
	$(BUF) lint
	./scripts/check-breaking
	$(GO) vet $(MODULES)
	$(GOLANGCI) run $(MODULES)

## fix-lint: gofmt every Go file and apply golangci-lint's automatic fixes.
fix-lint: tools
	gofmt -w $$(git ls-files '*.go')
	$(GOLANGCI) run --fix $(MODULES)

## proto: regenerate proto/gen/go from proto/.
proto: tools
	rm -rf proto/gen/go/query4code
	$(BUF) generate

## proto-deps: refresh the vendored protovalidate rules from the pinned Go module.
proto-deps:
	dir=$$(GOWORK=off GOFLAGS=-mod=mod $(GO) mod download -json github.com/bufbuild/protovalidate@$(PROTOVALIDATE_VERSION) | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); \
	install -m 0644 "$$dir/proto/protovalidate/buf/validate/validate.proto" proto/third_party/buf/validate/validate.proto

## clients: regenerate the Python client's stubs from proto/.
clients: deps
	./scripts/gen-python-client

## verify-clients: fail when the Python stubs drift from proto/.
verify-clients: deps
	./scripts/gen-python-client --check

## verify-proto: fail when the committed generated code differs from a fresh generation.
verify-proto: proto
	@if [ -n "$$(git status --porcelain -- proto/gen)" ]; then \
	  echo "proto/gen is out of date with proto/: run 'make proto' and commit the result"; \
	  git status --porcelain -- proto/gen; exit 1; fi

## bench: every benchmark; rewrites docs/BENCHMARKS.md.
bench: build
	./scripts/bench

## bench-callgraph: score the call graph on the PyCG micro-benchmark.
bench-callgraph: build
	./scripts/bench-callgraph

## bench-jscallgraph: the JavaScript/TypeScript call graph against the TypeScript compiler on pinned
## npm packages (needs Node and the npm registry); rewrites its docs/BENCHMARKS.md section.
bench-jscallgraph: build
	./scripts/bench-jscallgraph

## e2e: the services as separate processes, driven only with grpcurl.
e2e: build tools deps
	./scripts/e2e

## chaos: the fault suite at full size (500 functions; go test runs a 100-function form).
chaos: build
	./scripts/chaos

## fuzz: every fuzz target, 60 s each.
fuzz:
	./scripts/fuzz

## load: Annotate and ParseRepository under load, 60 s each.
load:
	./scripts/load

## images: build a container image per service (needs a Docker engine; see docs/operations.md).
images:
	./scripts/images

clean:
	rm -rf bin out
