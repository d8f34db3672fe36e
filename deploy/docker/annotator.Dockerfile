# syntax=docker/dockerfile:1
# Image of the annotator service. Build from the repository root (the go.work workspace):
#   docker build -f deploy/docker/annotator.Dockerfile -t query4code/annotator:TAG .
# or ./scripts/images for every service.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# The workspace needs every module listed in go.work, so the whole tree is the
# context (deploy/docker/annotator.Dockerfile.dockerignore leaves out bin/, out/, .git).
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" \
      -o /out/annotator ./services/annotator/cmd/annotator

# Runtime: distroless/static (CA certificates, user nonroot, no libc). The
# annotator is pure Go (CGO_ENABLED=0 gives a static binary); the certificates
# are what it needs to reach an https LLM endpoint.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/annotator /usr/local/bin/annotator
USER 65532:65532
EXPOSE 50053 9090
ENTRYPOINT ["/usr/local/bin/annotator"]
