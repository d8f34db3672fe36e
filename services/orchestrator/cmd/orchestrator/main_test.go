package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	platformserver "github.com/query4code/query4code/platform/server"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	fake "github.com/query4code/query4code/services/orchestrator/internal/fakeservices"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serveTCP serves register's services on a loopback port until test cleanup.
func serveTCP(t *testing.T, register func(*grpc.Server)) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	register(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// TestShutdownEndsWatchStreams is SIGTERM (the cancelled context Run derives from it) with a WatchJob
// stream open on a job whose annotation calls are in flight: the stream ends at once with UNAVAILABLE
// "shutting down", so the graceful stop completes without the forced Stop, and Serve returns nil (exit 0).
func TestShutdownEndsWatchStreams(t *testing.T) {
	const repo = "/repos/shop"
	parser := fake.NewParser()
	parser.SetRepo(repo, []*parserv1.Function{
		fake.Func("shop.util.leaf", 1, "def leaf():\n    return 1", nil),
		fake.Func("shop.core.top", 2, "def top():\n    return leaf()", []string{"shop.util.leaf"}),
	})
	annotator := fake.NewAnnotator()
	// Calls outlast the test: only the shutdown ends them.
	annotator.Latency = time.Hour
	parserAddr := serveTCP(t, func(s *grpc.Server) { parserv1.RegisterParserServiceServer(s, parser) })
	docsAddr := serveTCP(t, func(s *grpc.Server) { docsv1.RegisterDocsServiceServer(s, fake.NewDocs(nil)) })
	annotatorAddr := serveTCP(t, func(s *grpc.Server) { annotatorv1.RegisterAnnotatorServiceServer(s, annotator) })

	dir := t.TempDir()
	srvCfg, st, err := parseFlags([]string{
		"--addr", "127.0.0.1:0", "--shutdown-timeout", "2s",
		"--store", filepath.Join(dir, "orchestrator.db"), "--output-root", filepath.Join(dir, "out"),
		"--parser-addr", parserAddr, "--docs-addr", docsAddr, "--annotator-addr", annotatorAddr,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := platformserver.NewServer(srvCfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.register(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, shutdown := context.WithCancel(context.Background())
	defer shutdown()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()

	conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	orch := orchestratorv1.NewOrchestratorServiceClient(conn)
	sub, err := orch.SubmitJob(t.Context(), &orchestratorv1.SubmitJobRequest{
		Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}},
	}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := orch.WatchJob(t.Context(), &orchestratorv1.WatchJobRequest{JobId: sub.GetJobId()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first event: %v", err)
	}

	shutdown()
	var streamErr error
	for streamErr == nil {
		var resp *orchestratorv1.WatchJobResponse
		resp, streamErr = stream.Recv()
		if resp.GetEvent().GetDone() != nil {
			t.Fatalf("job ended (%v) before the shutdown: the test needs it running", resp.GetEvent().GetDone())
		}
	}
	if status.Code(streamErr) != codes.Unavailable || !strings.Contains(streamErr.Error(), "shutting down") {
		t.Errorf("watch ended with %v, want UNAVAILABLE shutting down", streamErr)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil (exit 0)", err)
	}
	if srv.ForcedStop() {
		t.Error("the graceful stop was forced: the watch stream held the drain")
	}
}

func TestStateDefaultsToTheStateDirectory(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	_, st, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(state, "query4code", "orchestrator", "orchestrator.db"); st.cfg.StorePath != want {
		t.Errorf("store = %q, want %q", st.cfg.StorePath, want)
	}
	if want := filepath.Join(state, "query4code", "orchestrator", "out"); st.cfg.OutputRoot != want {
		t.Errorf("output root = %q, want %q", st.cfg.OutputRoot, want)
	}

	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	if _, _, err := parseFlags(nil); err == nil || !strings.Contains(err.Error(), "--store") {
		t.Errorf("without a state directory: %v, want an error naming --store", err)
	}
	if _, st, err := parseFlags([]string{"--store", "/var/lib/q4c/o.db", "--output-root", "/var/lib/q4c/out"}); err != nil || st.cfg.StorePath != "/var/lib/q4c/o.db" {
		t.Errorf("explicit paths without a state directory: %v, %v", st, err)
	}
}
