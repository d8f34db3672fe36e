# syntax=docker/dockerfile:1
# Image of the q4c CLI, for the corpus Jobs in deploy/k8s/corpus (q4c popularity,
# q4c annotate --shard, q4c merge). Build from the repository root (the go.work workspace):
#   docker build -f deploy/docker/q4c.Dockerfile -t query4code/q4c:TAG .
# or ./scripts/images q4c.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# The workspace needs every module listed in go.work, so the whole tree is the
# context (deploy/docker/q4c.Dockerfile.dockerignore leaves out bin/, out/, .git).
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -buildvcs=false -ldflags="-s -w" \
      -o /out/q4c ./cmd/q4c

# Runtime: distroless/base (glibc, CA certificates, user nonroot). q4c runs the four
# services in one process, the parser and docs among them, which link tree-sitter's C
# runtime through cgo, so it needs a libc; CA certificates serve https git clones and
# the LLM endpoint.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/q4c /usr/local/bin/q4c
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/q4c"]
