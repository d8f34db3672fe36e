package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// orchestratorUnderTest is bin/orchestrator's wiring on loopback, against fake upstream services.
type orchestratorUnderTest struct {
	srv     *platformserver.Server
	client  orchestratorv1.OrchestratorServiceClient
	outRoot string
	stop    func() error // the cancelled context SIGTERM gives Run
}

func startOrchestrator(t *testing.T, repo string, funcs []*parserv1.Function, annotator *fake.Annotator, args ...string) *orchestratorUnderTest {
	t.Helper()
	parser := fake.NewParser()
	parser.SetRepo(repo, funcs)
	parserAddr := serveTCP(t, func(s *grpc.Server) { parserv1.RegisterParserServiceServer(s, parser) })
	docsAddr := serveTCP(t, func(s *grpc.Server) { docsv1.RegisterDocsServiceServer(s, fake.NewDocs(nil)) })
	annotatorAddr := serveTCP(t, func(s *grpc.Server) { annotatorv1.RegisterAnnotatorServiceServer(s, annotator) })
	dir := t.TempDir()
	o := &orchestratorUnderTest{outRoot: filepath.Join(dir, "out")}
	srvCfg, st, err := parseFlags(append([]string{
		"--addr", "127.0.0.1:0", "--store", filepath.Join(dir, "orchestrator.db"), "--output-root", o.outRoot,
		"--parser-addr", parserAddr, "--docs-addr", docsAddr, "--annotator-addr", annotatorAddr,
	}, args...))
	if err != nil {
		t.Fatal(err)
	}
	if o.srv, err = platformserver.NewServer(srvCfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if err := st.register(o.srv); err != nil {
		t.Fatal(err)
	}
	if err := o.srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- o.srv.Serve(ctx) }()
	var once sync.Once
	var serveErr error
	o.stop = func() error {
		once.Do(func() {
			cancel()
			serveErr = <-served
		})
		return serveErr
	}
	conn, err := grpc.NewClient(o.srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		_ = o.stop()
	})
	o.client = orchestratorv1.NewOrchestratorServiceClient(conn)
	return o
}

func (o *orchestratorUnderTest) submit(t *testing.T, repo string) string {
	t.Helper()
	sub, err := o.client.SubmitJob(t.Context(), &orchestratorv1.SubmitJobRequest{
		Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}},
	}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	return sub.GetJobId()
}

var shopFuncs = []*parserv1.Function{
	fake.Func("shop.util.leaf", 1, "def leaf():\n    return 1", nil),
	fake.Func("shop.util.other", 2, "def other():\n    return 2", nil),
	fake.Func("shop.core.top", 3, "def top():\n    return leaf() + other()", []string{"shop.util.leaf", "shop.util.other"}),
}

// TestShutdownEndsWatchStreams is SIGTERM (the cancelled context Run derives from it) with a WatchJob
// stream open on a job whose annotation calls are in flight: the stream ends at once with UNAVAILABLE
// "shutting down", so the graceful stop completes without the forced Stop, and Serve returns nil (exit 0).
func TestShutdownEndsWatchStreams(t *testing.T) {
	const repo = "/repos/shop"
	annotator := fake.NewAnnotator()
	// Calls outlast the test: only the shutdown ends them.
	annotator.Latency = time.Hour
	o := startOrchestrator(t, repo, shopFuncs, annotator, "--shutdown-timeout", "2s")
	stream, err := o.client.WatchJob(t.Context(), &orchestratorv1.WatchJobRequest{JobId: o.submit(t, repo)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first event: %v", err)
	}

	served := make(chan error, 1)
	go func() { served <- o.stop() }()
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
	if o.srv.ForcedStop() {
		t.Error("the graceful stop was forced: the watch stream held the drain")
	}
}

// TestMetricsAgreeWithTheJob scrapes /metrics after a job: the LLM requests, tokens and cost agree with
// what the job reported, the failed functions with manifest.json, and the job is counted as succeeded.
func TestMetricsAgreeWithTheJob(t *testing.T) {
	const repo = "/repos/shop"
	annotator := fake.NewAnnotator()
	annotator.CostUSD = 0.0015
	annotator.FailAlways("shop.util.other", codes.InvalidArgument)
	o := startOrchestrator(t, repo, shopFuncs, annotator, "--metrics-addr", "127.0.0.1:0")
	id := o.submit(t, repo)
	stream, err := o.client.WatchJob(t.Context(), &orchestratorv1.WatchJobRequest{JobId: id})
	if err != nil {
		t.Fatal(err)
	}
	var done *orchestratorv1.JobDone
	for done == nil {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		done = resp.GetEvent().GetDone()
	}
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job %v: %s", done.GetState(), done.GetError())
	}
	var manifest struct {
		FunctionsFailed float64 `json:"functions_failed"`
	}
	data, err := os.ReadFile(filepath.Join(done.GetOutputDir(), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get("http://" + o.srv.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := done.GetProgress()
	if p.GetLlmCalls() == 0 || p.GetCostUsd() == 0 || manifest.FunctionsFailed == 0 {
		t.Fatalf("the job spent nothing or failed nothing (%v, manifest %+v): the test compares nothing", p, manifest)
	}
	calls := annotator.Calls()
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"q4c_orchestrator_llm_requests_total", nil, float64(p.GetLlmCalls())},
		{"q4c_orchestrator_llm_tokens_total", []string{`kind="prompt"`}, float64(p.GetPromptTokens())},
		{"q4c_orchestrator_llm_tokens_total", []string{`kind="completion"`}, float64(p.GetCompletionTokens())},
		{"q4c_orchestrator_llm_cost_usd_total", nil, p.GetCostUsd()},
		{"q4c_orchestrator_functions_failed_total", nil, manifest.FunctionsFailed},
		{"q4c_orchestrator_cache_hits_total", nil, float64(p.GetCacheHits())},
		{"q4c_orchestrator_jobs", []string{`state="succeeded"`}, 1},
		{"q4c_orchestrator_jobs", []string{`state="running"`}, 0},
		{"q4c_orchestrator_annotation_calls_total", []string{`code="OK"`}, float64(len(calls))},
		{"q4c_orchestrator_annotation_calls_total", []string{`code="InvalidArgument"`}, 1},
	} {
		got, ok := metricValue(string(body), c.name, c.labels...)
		if !ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

// metricValue sums the samples of name in a Prometheus text exposition whose labels include all of labels.
func metricValue(exposition, name string, labels ...string) (float64, bool) {
	sum, found := 0.0, false
	for _, line := range strings.Split(exposition, "\n") {
		series, value, ok := strings.Cut(line, " ")
		if !ok || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(series, l)
		}
		if v, err := strconv.ParseFloat(strings.Fields(value)[0], 64); match && err == nil {
			sum, found = sum+v, true
		}
	}
	return sum, found
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
