# syntax=docker/dockerfile:1
# Image of the parser service. Build from the repository root (the go.work workspace):
#   docker build -f deploy/docker/parser.Dockerfile -t query4code/parser:TAG .
# or ./scripts/images for every service.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# The workspace needs every module listed in go.work, so the whole tree is the
# context (deploy/docker/parser.Dockerfile.dockerignore leaves out bin/, out/, .git).
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -buildvcs=false -ldflags="-s -w" \
      -o /out/parser ./services/parser/cmd/parser

# Runtime: distroless/base (glibc, CA certificates, user nonroot). The parser links
# tree-sitter's C runtime and Python grammar through cgo, so it needs a libc; the
# static image has none. CA certificates are needed for https git clones.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/parser /usr/local/bin/parser
USER 65532:65532
EXPOSE 50051 9090
ENTRYPOINT ["/usr/local/bin/parser"]
