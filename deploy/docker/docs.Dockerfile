# syntax=docker/dockerfile:1
# Image of the docs service. Build from the repository root (the go.work workspace):
#   docker build -f deploy/docker/docs.Dockerfile -t query4code/docs:TAG .
# or ./scripts/images for every service.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# The workspace needs every module listed in go.work, so the whole tree is the
# context (deploy/docker/docs.Dockerfile.dockerignore leaves out bin/, out/, .git).
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -buildvcs=false -ldflags="-s -w" \
      -o /out/docs ./services/docs/cmd/docs

# Runtime: distroless/base (glibc, CA certificates, user nonroot). docs parses
# Python sources with tree-sitter through cgo, so it needs a libc. The image has
# no Python: mount site-packages and pass --python-path for installed docs.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/docs /usr/local/bin/docs
USER 65532:65532
EXPOSE 50052 9090
ENTRYPOINT ["/usr/local/bin/docs"]
