// Package testpb holds a tiny test-only gRPC API (EchoService) whose requests
// carry protovalidate rules; the platform tests serve it to exercise the
// interceptor chain. The generated files are committed; gen.sh regenerates them.
package testpb

//go:generate sh gen.sh
