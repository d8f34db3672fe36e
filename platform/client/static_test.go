package client

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestStaticAddresses(t *testing.T) {
	tests := []struct {
		target string
		want   int
	}{
		{"127.0.0.1:1,127.0.0.1:2", 2},
		{"127.0.0.1:1, 127.0.0.2:1 ,[::1]:3", 3},
		{"127.0.0.1:1", 0},
		{"dns:///a:1,b:2", 0},
		{"127.0.0.1:1,nonsense", 0},
		{"", 0},
	}
	for _, tt := range tests {
		addrs, ok := staticAddresses(tt.target)
		if ok != (tt.want > 0) || len(addrs) != tt.want {
			t.Errorf("staticAddresses(%q) = %v, %v; want %d addresses", tt.target, addrs, ok, tt.want)
		}
	}
	if !IsLocalTarget("127.0.0.1:1,localhost:2") || IsLocalTarget("127.0.0.1:1,10.0.0.1:2") {
		t.Error("IsLocalTarget on a list must require every address to be local")
	}
}

// TestDialAddressListRoundRobins dials two servers as one comma-separated
// target and checks that calls reach both.
func TestDialAddressListRoundRobins(t *testing.T) {
	var hits [2]atomic.Int64
	var addrs []string
	for i := range hits {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if info.FullMethod == "/grpc.health.v1.Health/Check" {
				hits[i].Add(1)
			}
			return h(ctx, req)
		}))
		healthpb.RegisterHealthServer(srv, health.NewServer())
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		addrs = append(addrs, lis.Addr().String())
	}
	conn, err := Dial(addrs[0]+","+addrs[1], Config{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	hc := healthpb.NewHealthClient(conn)
	// The second replica joins the rotation once its connection is ready:
	// bounded, not timed.
	for i := 0; i < 5000 && (hits[0].Load() == 0 || hits[1].Load() == 0); i++ {
		if _, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err != nil {
			t.Fatal(err)
		}
	}
	if hits[0].Load() == 0 || hits[1].Load() == 0 {
		t.Errorf("calls per replica = %d, %d; want both above 0", hits[0].Load(), hits[1].Load())
	}
}
