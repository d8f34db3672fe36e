#!/bin/sh
# Regenerates echo.pb.go and echo_grpc.pb.go with the pinned buf and plugins from
# tools/go.mod. buf cannot reach files outside its workspace, so echo.proto and the
# vendored protovalidate rules are staged in a throwaway directory first.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/query4code/platform/test/v1"
# A unique import path keeps the file from clashing in the global proto registry.
cp echo.proto "$tmp/query4code/platform/test/v1/echo.proto"
cp -R ../../../proto/third_party/buf "$tmp/buf"
printf 'version: v2\n' >"$tmp/buf.yaml"
GOWORK=off go tool -modfile=../../../tools/go.mod buf generate "$tmp" --template buf.gen.yaml --path "$tmp/query4code"
