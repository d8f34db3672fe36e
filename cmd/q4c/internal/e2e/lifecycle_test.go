package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
)

// cliRun is a q4c process and what it printed.
type cliRun struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

// startCLI starts q4c with args; it is killed at cleanup if still running.
func startCLI(t *testing.T, args ...string) *cliRun {
	t.Helper()
	r := &cliRun{cmd: processtest.Command(t, "q4c", args...), done: make(chan struct{})}
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
	})
	return r
}

// wait returns the exit code once q4c ended.
func (r *cliRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("q4c still running\nstderr: %s", r.stderr.String())
	}
	var exit *exec.ExitError
	if errors.As(r.err, &exit) {
		return exit.ExitCode()
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return 0
}

func (r *cliRun) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// llmArgs point q4c's in-process annotator at fakellm.
func llmArgs(llm *fakellm.Server) []string {
	return []string{"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm"}
}

// referenceRun annotates the example without interruption in-process and returns its pairs.jsonl and
// the LLM requests it took.
func referenceRun(t *testing.T, latency time.Duration) ([]byte, int) {
	t.Helper()
	llm := startFakeLLM(t, fakellm.Config{Latency: latency})
	out := filepath.Join(t.TempDir(), "ref")
	run := startCLI(t, append([]string{"annotate", "--state-dir", t.TempDir(), "--out", out, "--concurrency", "4"}, append(llmArgs(llm), example)...)...)
	if code := run.wait(t); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, run.stderr.String())
	}
	return readFile(t, filepath.Join(out, "pairs.jsonl")), llm.Counts().Requests
}

// checkContinued waits for a re-run of an interrupted command: it must say it continues the job,
// succeed, write the uninterrupted run's pairs.jsonl, and bring the LLM requests to at most the
// uninterrupted run's plus those in flight at two interruptions.
func checkContinued(t *testing.T, run *cliRun, out string, refPairs []byte, llm *fakellm.Server, total int) {
	t.Helper()
	if code := run.wait(t); code != 0 {
		t.Fatalf("the same command again: exit %d\n%s", code, run.stderr.String())
	}
	if !strings.Contains(run.stderr.String(), "continuing job") {
		t.Errorf("the re-run did not continue the interrupted job:\n%s", run.stderr.String())
	}
	if got := readFile(t, filepath.Join(out, "pairs.jsonl")); !bytes.Equal(got, refPairs) {
		t.Error("pairs.jsonl differs from the uninterrupted run's")
	}
	if got := llm.Counts().Requests; got > total+2*concurrency {
		t.Errorf("the interrupted run and its continuation sent %d LLM requests, the uninterrupted run %d", got, total)
	}
}

// jobsIn lists the jobs of an orchestrator store by serving it (no job left to run) and asking.
func jobsIn(t *testing.T, storePath, outRoot string) []*orchestratorv1.Job {
	t.Helper()
	orch := processtest.Start(t, "orchestrator", "--parser-addr", "127.0.0.1:1", "--docs-addr", "127.0.0.1:1",
		"--annotator-addr", "127.0.0.1:1", "--store", storePath, "--output-root", outRoot)
	defer orch.Kill()
	list, err := dialOrchestrator(t, orch.Addr).ListJobs(context.Background(), &orchestratorv1.ListJobsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return list.GetJobs()
}

// SIGKILL of the all-in-one q4c annotate partway, then the same command: it continues the one job
// (no second one), repeats at most the calls that were in flight, and writes the uninterrupted
// run's pairs.jsonl.
func TestAnnotateSIGKILLThenSameCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs q4c three times")
	}
	const latency = 40 * time.Millisecond
	refPairs, total := referenceRun(t, latency)

	llm := startFakeLLM(t, fakellm.Config{Latency: latency})
	state, out := t.TempDir(), filepath.Join(t.TempDir(), "dataset")
	args := append([]string{"annotate", "--state-dir", state, "--out", out, "--concurrency", "4"}, append(llmArgs(llm), example)...)
	first := startCLI(t, args...)
	waitForRequests(t, llm, total*2/5)
	first.signal(t, syscall.SIGKILL)
	first.wait(t)

	checkContinued(t, startCLI(t, args...), out, refPairs, llm, total)
	if jobs := jobsIn(t, filepath.Join(state, "orchestrator.db"), filepath.Dir(out)); len(jobs) != 1 || jobs[0].GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Errorf("the store holds %d jobs, want the one continued job: %v", len(jobs), jobs)
	}
}

// With --orchestrator: Ctrl-C stops watching, not the job; the same command then continues
// watching that job (no second one), across a restart of the orchestrator.
func TestAnnotateRemoteCtrlCAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	const latency = 40 * time.Millisecond
	refPairs, total := referenceRun(t, latency)

	s := startSuite(t, latency)
	orch := s.startOrchestrator(t)
	out := filepath.Join(s.outRoot, "dataset")
	args := func() []string {
		return []string{"annotate", "--orchestrator", orch.Addr, "--out", out, "--concurrency", "4", example}
	}
	first := startCLI(t, args()...)
	waitForRequests(t, s.llm, total/4)
	first.signal(t, syscall.SIGINT)
	if code := first.wait(t); code != 130 || !strings.Contains(first.stderr.String(), "the job goes on in the orchestrator") {
		t.Fatalf("Ctrl-C: exit %d, want 130 and how to continue\n%s", code, first.stderr.String())
	}

	second := startCLI(t, args()...)
	waitForRequests(t, s.llm, total/2)
	addr := orch.Addr
	orch.Kill()
	orch = processtest.Start(t, "orchestrator", "--addr", addr, "--parser-addr", s.parser.Addr, "--docs-addr", s.docs.Addr,
		"--annotator-addr", s.annotator.Addr, "--store", s.storePath, "--output-root", s.outRoot, "--progress-interval", "50ms")
	checkContinued(t, second, out, refPairs, s.llm, total)
	list, err := dialOrchestrator(t, orch.Addr).ListJobs(context.Background(), &orchestratorv1.ListJobsRequest{})
	if err != nil || len(list.GetJobs()) != 1 {
		t.Fatalf("jobs %v %v, want the one job", list.GetJobs(), err)
	}
}
