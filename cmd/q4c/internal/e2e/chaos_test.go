package e2e

import (
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
)

// The default run is the short form CI runs; -chaos.full (or
// Q4C_CHAOS_FULL=1, as scripts/chaos sets) runs the 500-function form.
var chaosFull = flag.Bool("chaos.full", os.Getenv("Q4C_CHAOS_FULL") == "1", "run the chaos suite at full size (500 functions)")

func chaosFunctions() int {
	if *chaosFull {
		return 500
	}
	return 100
}

const chaosConcurrency = 16

// annotatorFlags points an annotator at fakellm with short timeouts, so a
// hang costs a fraction of a second and a retry a few milliseconds.
func annotatorFlags(llm *fakellm.Server, retries int) []string {
	return []string{"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm",
		"--llm-timeout", "400ms", "--llm-retry-backoff", "10ms", "--llm-max-retries", strconv.Itoa(retries)}
}

func startFakeLLM(t *testing.T, cfg fakellm.Config) *fakellm.Server {
	t.Helper()
	llm, err := fakellm.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = llm.Close() })
	return llm
}

func startOrchestrator(t *testing.T, parser, docs, annotator, outRoot string, extra ...string) *processtest.Process {
	t.Helper()
	args := append([]string{"--parser-addr", parser, "--docs-addr", docs, "--annotator-addr", annotator,
		"--store", filepath.Join(t.TempDir(), "orchestrator.db"), "--output-root", outRoot,
		"--progress-interval", "50ms"}, extra...)
	return processtest.Start(t, "orchestrator", args...)
}

// startLLMSuite starts a parser, a docs service, an annotator on llm with the
// given retries and an orchestrator over them, and returns the orchestrator
// process, a client of it and its output root.
func startLLMSuite(t *testing.T, repo string, llm *fakellm.Server, retries int, orchestratorFlags ...string) (*processtest.Process, orchestratorv1.OrchestratorServiceClient, string) {
	t.Helper()
	parser := processtest.Start(t, "parser", "--allowed-roots", repo)
	docs := processtest.Start(t, "docs", "--no-installed")
	annotator := processtest.Start(t, "annotator", annotatorFlags(llm, retries)...)
	outRoot := t.TempDir()
	orchProc := startOrchestrator(t, parser.Addr, docs.Addr, annotator.Addr, outRoot, orchestratorFlags...)
	return orchProc, dialOrchestrator(t, orchProc.Addr), outRoot
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

// TestChaosFaultMix runs a job against an LLM that fails 30% of requests
// with 429 (Retry-After), 500, a hang or malformed JSON. A call whose
// retries all fail is an outage: the run leaves its function for the next
// run of the same job, which the test submits until the dataset is written.
// No call is resent within a run, and every request is reported: the last
// run's count is the job's, over all its runs.
func TestChaosFaultMix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	repo, ids := syntheticRepo(t, t.TempDir(), chaosFunctions())
	llm := startFakeLLM(t, fakellm.Config{
		Latency: time.Millisecond, FaultRate: 0.3, Seed: 7, RetryAfter: 50 * time.Millisecond,
		FaultKinds: []fakellm.Fault{fakellm.FaultRateLimit, fakellm.FaultServerError, fakellm.FaultHang, fakellm.FaultMalformedJSON},
	})
	orchProc, orch, outRoot := startLLMSuite(t, repo, llm, 2, "--llm-pause", "20ms")

	out := filepath.Join(outRoot, "faults")
	var (
		events   []*orchestratorv1.JobEvent
		done     *orchestratorv1.JobDone
		reported int64
		runs     int
	)
	for runs = 1; runs <= 5; runs++ {
		events = watchAll(t, orch, submitJob(t, orch, repo, out, chaosConcurrency))
		done = doneOf(events)
		// Every run continues the same job, whose count covers all its runs so far.
		reported = runReported(t, out, done)
		if done.GetState() == orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
			break
		}
		if !strings.Contains(done.GetError(), "LLM unavailable") {
			t.Fatalf("job %v: %s\n%s", done.GetState(), done.GetError(), orchProc.Logs())
		}
	}
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("no dataset after %d runs: %s", runs-1, done.GetError())
	}
	records, failed := checkAccounted(t, out, ids, events)
	if saw := llm.Counts().Requests; reported != int64(saw) {
		t.Errorf("the runs report %d LLM requests, the server saw %d", reported, saw)
	}
	counts := llm.Counts()
	for _, f := range []fakellm.Fault{fakellm.FaultRateLimit, fakellm.FaultServerError, fakellm.FaultHang, fakellm.FaultMalformedJSON} {
		if counts.ByFault[f] == 0 {
			t.Errorf("fakellm injected no %q fault in %d requests: the test did not exercise it", f, counts.Requests)
		}
	}
	// Faults of the HTTP exchange are outages, never a function's failure.
	if failed != 0 {
		t.Errorf("%d functions failed; transient faults must leave functions for a later run, not fail them", failed)
	}
	t.Logf("functions=%d annotated=%d runs=%d llm_requests=%d faults=%v", len(ids), records, runs, counts.Requests, counts.ByFault)
}

// TestChaosAnnotatorReplicaKilled runs a job over two annotator processes
// and kills one mid-job: the job completes on the other.
func TestChaosAnnotatorReplicaKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six processes")
	}
	repo, ids := syntheticRepo(t, t.TempDir(), chaosFunctions())
	llm := startFakeLLM(t, fakellm.Config{Latency: 5 * time.Millisecond})
	parser := processtest.Start(t, "parser", "--allowed-roots", repo)
	docs := processtest.Start(t, "docs", "--no-installed")
	first := processtest.Start(t, "annotator", annotatorFlags(llm, 4)...)
	second := processtest.Start(t, "annotator", annotatorFlags(llm, 4)...)
	outRoot := t.TempDir()
	orchProc := startOrchestrator(t, parser.Addr, docs.Addr, first.Addr+","+second.Addr, outRoot)
	orch := dialOrchestrator(t, orchProc.Addr)

	out := filepath.Join(outRoot, "replicas")
	id := submitJob(t, orch, repo, out, chaosConcurrency)
	// Three LLM calls per function: kill after about a third of the job.
	waitForRequests(t, llm, len(ids))
	first.Kill()
	atKill := llm.Counts().Requests
	events := watchAll(t, orch, id)
	done := doneOf(events)
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job %v: %s\n%s", done.GetState(), done.GetError(), orchProc.Logs())
	}
	records, failed := checkAccounted(t, out, ids, events)
	// Only calls in flight on the killed replica may be lost.
	if failed > chaosConcurrency {
		t.Errorf("%d functions failed; at most %d were in flight at the kill", failed, chaosConcurrency)
	}
	if after := llm.Counts().Requests - atKill; after < len(ids) {
		t.Errorf("only %d LLM calls after the kill; the surviving replica should have done the rest of the job", after)
	}
	if !strings.Contains(second.Logs(), "serving") {
		t.Error("second replica never served")
	}
	t.Logf("functions=%d annotated=%d failed=%d requests_at_kill=%d total=%d", len(ids), records, failed, atKill, llm.Counts().Requests)
}

// TestChaosDocsDown runs a job with the docs service unreachable: the job
// completes without API documentation and a non-fatal error event says why.
func TestChaosDocsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	repo, ids := syntheticRepo(t, t.TempDir(), 30)
	parser := processtest.Start(t, "parser", "--allowed-roots", repo)
	annotator := processtest.Start(t, "annotator")
	outRoot := t.TempDir()
	orchProc := startOrchestrator(t, parser.Addr, deadAddr(t), annotator.Addr, outRoot)
	orch := dialOrchestrator(t, orchProc.Addr)

	out := filepath.Join(outRoot, "nodocs")
	events := watchAll(t, orch, submitJob(t, orch, repo, out, chaosConcurrency))
	done := doneOf(events)
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job %v: %s\n%s", done.GetState(), done.GetError(), orchProc.Logs())
	}
	if records, _ := checkAccounted(t, out, ids, events); records != len(ids) {
		t.Errorf("%d of %d functions annotated", records, len(ids))
	}
	warned := false
	for _, e := range events {
		if je := e.GetError(); je != nil && !je.GetFatal() && strings.Contains(je.GetMessage(), "docs service") {
			warned = true
		}
	}
	if !warned {
		t.Error("no non-fatal error event says the docs service is down")
	}
	for _, file := range []string{"pairs.jsonl", "rejected.jsonl"} {
		for _, r := range readRecords(t, filepath.Join(out, file)) {
			if used, ok := r["docs_used"].([]any); ok && len(used) > 0 {
				t.Errorf("%s: %v has docs_used %v with the docs service down", file, r["function"], used)
			}
		}
	}
}

// TestChaosDiskFull points a job's output at a full tmpfs: the job fails
// with a clear error and no half-written file remains.
func TestChaosDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	mountDir := t.TempDir()
	if err := syscall.Mount("tmpfs", mountDir, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mountDir, syscall.MNT_DETACH) })
	// Fill the file system, leaving a few KiB: less than any pairs.jsonl of this job.
	filler, err := os.Create(filepath.Join(mountDir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	_ = filler.Close()
	if err := os.Truncate(filepath.Join(mountDir, "filler"), mustSize(t, filepath.Join(mountDir, "filler"))-8192); err != nil {
		t.Fatal(err)
	}

	repo, _ := syntheticRepo(t, t.TempDir(), 100)
	parser := processtest.Start(t, "parser", "--allowed-roots", repo)
	docs := processtest.Start(t, "docs", "--no-installed")
	annotator := processtest.Start(t, "annotator")
	orchProc := startOrchestrator(t, parser.Addr, docs.Addr, annotator.Addr, mountDir)
	orch := dialOrchestrator(t, orchProc.Addr)

	out := filepath.Join(mountDir, "dataset")
	done := doneOf(watchAll(t, orch, submitJob(t, orch, repo, out, chaosConcurrency)))
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_FAILED {
		t.Fatalf("job on a full disk ended %v, want FAILED", done.GetState())
	}
	if !strings.Contains(done.GetError(), "no space left on device") {
		t.Errorf("job error %q does not say the disk is full", done.GetError())
	}
	noTempFiles(t, mountDir)
	for _, f := range []string{"pairs.jsonl", "rejected.jsonl", "data/train-00000-of-00001.parquet", "excluded.jsonl", "README.md", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s exists after the failed write", f)
		}
	}
	t.Logf("job error: %s", done.GetError())
}

func mustSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestChaosCancelledJobWatched cancels a running job, then watches it from
// the start: every event comes back, ending with a CANCELLED done event.
func TestChaosCancelledJobWatched(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	repo, _ := syntheticRepo(t, t.TempDir(), 100)
	llm := startFakeLLM(t, fakellm.Config{Latency: 20 * time.Millisecond})
	_, orch, outRoot := startLLMSuite(t, repo, llm, 4)

	id := submitJob(t, orch, repo, filepath.Join(outRoot, "cancelled"), 2)
	waitForRequests(t, llm, 10)
	if _, err := orch.CancelJob(context.Background(), &orchestratorv1.CancelJobRequest{JobId: id}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	events := watchAll(t, orch, id)
	if got := doneOf(events).GetState(); got != orchestratorv1.JobState_JOB_STATE_CANCELLED {
		t.Fatalf("done state %v, want CANCELLED", got)
	}
	for i, e := range events {
		if e.GetSequence() != uint64(i+1) {
			t.Fatalf("event %d has sequence %d: events missing from the replay", i, e.GetSequence())
		}
	}
	if len(events) < 2 {
		t.Errorf("replay holds %d events; progress events before the cancel are missing", len(events))
	}
	// A second watcher after the end gets the same done event.
	again := watchAll(t, orch, id)
	if len(again) != len(events) || doneOf(again).GetState() != orchestratorv1.JobState_JOB_STATE_CANCELLED {
		t.Errorf("second replay: %d events ending %v; first: %d", len(again), doneOf(again).GetState(), len(events))
	}
}

// TestChaosFailuresCounted makes 60% of LLM answers unreadable. A call
// gets one repair request, then fails for good (no caller resends it): the
// summary reads any text, the query and the judge fail with probability
// 0.6^2, so a function fails about 59% of the time and of 20 some fail and
// some pass. Each failed one is named by an error event and counted in the
// done event and the card; none is lost or written twice; every request,
// failed ones included, is in llm_requests.
func TestChaosFailuresCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	repo, ids := syntheticRepo(t, t.TempDir(), 20)
	llm := startFakeLLM(t, fakellm.Config{FaultRate: 0.6, Seed: 3, FaultKinds: []fakellm.Fault{fakellm.FaultGarbage}})
	_, orch, outRoot := startLLMSuite(t, repo, llm, 0)

	out := filepath.Join(outRoot, "failures")
	events := watchAll(t, orch, submitJob(t, orch, repo, out, chaosConcurrency))
	done := doneOf(events)
	if done.GetState() == orchestratorv1.JobState_JOB_STATE_FAILED && done.GetProgress().GetFunctionsFailed() == int64(len(ids)) {
		// Every function failed (odds about 3e-5): the job fails by design and writes no dataset.
		t.Skipf("every function failed; nothing to account: %s", done.GetError())
	}
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job %v: %s", done.GetState(), done.GetError())
	}
	records, failed := checkAccounted(t, out, ids, events)
	if failed == 0 {
		t.Errorf("no function failed with 60%% of LLM answers unreadable: the failure path was not exercised")
	}
	if got, saw := runReported(t, out, done), llm.Counts().Requests; got != int64(saw) {
		t.Errorf("manifest reports %d LLM requests, the server saw %d", got, saw)
	}
	t.Logf("functions=%d annotated=%d failed=%d llm_requests=%d", len(ids), records, failed, llm.Counts().Requests)
}
