# syntax=docker/dockerfile:1
# Image of the orchestrator service. Build from the repository root (the go.work workspace):
#   docker build -f deploy/docker/orchestrator.Dockerfile -t query4code/orchestrator:TAG .
# or ./scripts/images for every service.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# The workspace needs every module listed in go.work, so the whole tree is the
# context (deploy/docker/orchestrator.Dockerfile.dockerignore leaves out bin/, out/, .git).
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" \
      -o /out/orchestrator ./services/orchestrator/cmd/orchestrator

# Runtime: distroless/static (user nonroot, no libc). The orchestrator is pure
# Go (bbolt, parquet-go), so CGO_ENABLED=0 gives a static binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/orchestrator /usr/local/bin/orchestrator
USER 65532:65532
EXPOSE 50054 9090
ENTRYPOINT ["/usr/local/bin/orchestrator"]
