package server

import (
	"testing"

	"github.com/query4code/query4code/platform/client"
	"github.com/query4code/query4code/platform/internal/testpb"
)

// BenchmarkUnaryFullChain measures one unary call over bufconn through every
// interceptor (auth, rate limit and validation on).
func BenchmarkUnaryFullChain(b *testing.B) {
	cfg := testConfig()
	cfg.AuthTokens = []string{"bench-token"}
	cfg.RateLimit = 1e9
	ts := startServer(b, cfg, false)
	conn := ts.dial(b, client.Config{Token: "bench-token"})
	api := testpb.NewEchoServiceClient(conn)
	req := &testpb.EchoRequest{Message: "bench", Behavior: testpb.Behavior_BEHAVIOR_ECHO}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := api.Echo(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}
