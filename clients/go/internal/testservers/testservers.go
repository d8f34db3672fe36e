// Package testservers starts the services the client tests call on real
// loopback TCP listeners (127.0.0.1:0), so clients in other processes (go
// run, python3) can reach them too: the real annotator with its offline
// back-end, and a small in-memory OrchestratorService whose watch streams
// can be made to break mid-way.
package testservers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	platformserver "github.com/query4code/query4code/platform/server"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
)

// Token is the bearer token servers started with auth require.
const Token = "client-test-token"

// Listen starts a platform server (every interceptor, health, reflection)
// on 127.0.0.1:0 with register's services and returns its address and a
// function that shuts it down and reports how serving ended. With auth set,
// every call but health needs Token.
func Listen(service string, auth bool, register func(*platformserver.Server) error) (addr string, stop func() error, err error) {
	cfg := platformserver.DefaultConfig(service, "127.0.0.1:0")
	if auth {
		cfg.AuthTokens = []string{Token}
	}
	srv, err := platformserver.NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return "", nil, fmt.Errorf("new %s server: %w", service, err)
	}
	if err := register(srv); err != nil {
		return "", nil, fmt.Errorf("register %s: %w", service, err)
	}
	if err := srv.Listen(); err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	stop = func() error {
		cancel()
		if err := <-done; err != nil {
			return fmt.Errorf("%s server: %w", service, err)
		}
		return nil
	}
	return srv.Addr().String(), stop, nil
}

// ListenAnnotator serves the annotator with its offline back-end (the
// deterministic default).
func ListenAnnotator(auth bool) (addr string, stop func() error, err error) {
	return Listen("annotator", auth, func(s *platformserver.Server) error {
		annotator, err := annotatorserver.New(annotatorserver.DefaultConfig())
		if err != nil {
			return err
		}
		s.OnShutdown(func(context.Context) error { annotator.Close(); return nil })
		annotator.Register(s.GRPC())
		return nil
	})
}

// ListenOrchestrator serves orch.
func ListenOrchestrator(auth bool, orch *FakeOrchestrator) (addr string, stop func() error, err error) {
	return Listen("orchestrator", auth, func(s *platformserver.Server) error {
		orch.Register(s.GRPC())
		return nil
	})
}

// StartAnnotator is ListenAnnotator stopped at test cleanup.
func StartAnnotator(t testing.TB, auth bool) string {
	t.Helper()
	return cleanupOnEnd(t)(ListenAnnotator(auth))
}

// StartOrchestrator is ListenOrchestrator stopped at test cleanup.
func StartOrchestrator(t testing.TB, auth bool, orch *FakeOrchestrator) string {
	t.Helper()
	return cleanupOnEnd(t)(ListenOrchestrator(auth, orch))
}

func cleanupOnEnd(t testing.TB) func(string, func() error, error) string {
	return func(addr string, stop func() error, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
		return addr
	}
}
