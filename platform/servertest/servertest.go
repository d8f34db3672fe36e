// Package servertest starts a service on the real platform server (every
// interceptor, health, reflection) over an in-memory bufconn listener, and
// checks the contract every query4code service keeps: health without a token,
// reflection listing the service, protovalidate rejections naming the field,
// and Unauthenticated without the token.
package servertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/query4code/query4code/platform/server"
)

// Token is the bearer token servers started by Start require when auth is on.
const Token = "servertest-token"

// Start serves register's services on a platform server with cfg (Addr and
// listener are provided here) and returns a client connection. The server
// stops at test cleanup.
func Start(t testing.TB, cfg server.Config, register func(*server.Server) error) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	if cfg.Addr == "" {
		cfg.Addr = "bufconn"
	}
	srv, err := server.NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), server.WithListener(lis))
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if err := register(srv); err != nil {
		t.Fatalf("register: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return conn
}

// WithToken returns ctx carrying the bearer token.
func WithToken(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+Token)
}

// Contract describes one service for CheckContract.
type Contract struct {
	// Service is the full gRPC service name, e.g. "query4code.parser.v1.ParserService".
	Service string
	// Register adds the service to the server.
	Register func(*server.Server) error
	// Invalid sends a request that protovalidate rejects and returns the error.
	Invalid func(ctx context.Context, conn *grpc.ClientConn) error
	// InvalidField is the field path the rejection must name, e.g. "source.kind".
	InvalidField string
}

// CheckContract runs the contract checks as subtests.
func CheckContract(t *testing.T, c Contract) {
	cfg := server.DefaultConfig("servertest", "bufconn")
	cfg.AuthTokens = []string{Token}
	conn := Start(t, cfg, c.Register)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)

	t.Run("health without token", func(t *testing.T) {
		for _, name := range []string{"", c.Service} {
			resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			if err != nil {
				t.Fatalf("Check(%q): %v", name, err)
			}
			if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("Check(%q) = %v, want SERVING", name, resp.GetStatus())
			}
		}
	})
	t.Run("reflection lists the service", func(t *testing.T) {
		services, err := listServices(WithToken(ctx), conn)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{c.Service, "grpc.health.v1.Health"} {
			if !slices.Contains(services, want) {
				t.Errorf("reflection lists %v, missing %s", services, want)
			}
		}
	})
	t.Run("protovalidate rejection names the field", func(t *testing.T) {
		err := c.Invalid(WithToken(ctx), conn)
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("invalid request: %v, want InvalidArgument", err)
		}
		if !strings.Contains(status.Convert(err).Message(), c.InvalidField) {
			t.Errorf("message %q does not name field %q", status.Convert(err).Message(), c.InvalidField)
		}
	})
	t.Run("no token is Unauthenticated", func(t *testing.T) {
		if err := c.Invalid(ctx, conn); status.Code(err) != codes.Unauthenticated {
			t.Errorf("request without token: %v, want Unauthenticated", err)
		}
		bad := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer wrong")
		if err := c.Invalid(bad, conn); status.Code(err) != codes.Unauthenticated {
			t.Errorf("request with a wrong token: %v, want Unauthenticated", err)
		}
	})
}

// listServices asks server reflection for the service names.
func listServices(ctx context.Context, conn *grpc.ClientConn) ([]string, error) {
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	}); err != nil {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	_ = stream.CloseSend()
	list := resp.GetListServicesResponse()
	if list == nil {
		return nil, errors.New("reflection answered without a service list")
	}
	var names []string
	for _, s := range list.GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

// Bufconn serves register's services on a plain grpc.Server (no interceptors)
// over an in-memory listener and returns a client connection, for handler
// tests that need no platform behaviour. Both stop at test cleanup, after
// which the serving goroutine has ended.
func Bufconn(t testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	register(srv)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-done
	})
	return conn
}
