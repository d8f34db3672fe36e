package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	"github.com/query4code/query4code/platform/client"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
)

const concurrency = 4

var example, _ = filepath.Abs("../../../../examples/bookshelf")

// suite is parser, docs and annotator processes, the annotator pointed at fakellm.
type suite struct {
	llm                         *fakellm.Server
	parser, docs, annotator     *processtest.Process
	storePath, outRoot, dataDir string
}

func startSuite(t *testing.T, latency time.Duration) *suite {
	t.Helper()
	llm, err := fakellm.Start(fakellm.Config{Latency: latency}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = llm.Close() })
	dir := t.TempDir()
	s := &suite{llm: llm, storePath: filepath.Join(dir, "orchestrator.db"), outRoot: filepath.Join(dir, "out"), dataDir: dir}
	s.parser = processtest.Start(t, "parser", "--allowed-roots", example)
	s.docs = processtest.Start(t, "docs", "--no-installed")
	s.annotator = processtest.Start(t, "annotator", "--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm")
	return s
}

func (s *suite) startOrchestrator(t *testing.T) *processtest.Process {
	t.Helper()
	return processtest.Start(t, "orchestrator", "--parser-addr", s.parser.Addr, "--docs-addr", s.docs.Addr,
		"--annotator-addr", s.annotator.Addr, "--store", s.storePath, "--output-root", s.outRoot,
		"--progress-interval", "50ms")
}

func dialOrchestrator(t *testing.T, addr string) orchestratorv1.OrchestratorServiceClient {
	t.Helper()
	conn, err := client.Dial(addr, client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return orchestratorv1.NewOrchestratorServiceClient(conn)
}

func submit(t *testing.T, orch orchestratorv1.OrchestratorServiceClient, out string) string {
	t.Helper()
	resp, err := orch.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{
		Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: example}}},
		Options: &orchestratorv1.JobOptions{Concurrency: concurrency, OutputDir: out},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetJobId()
}

// waitDone watches a job to its done event.
func waitDone(t *testing.T, orch orchestratorv1.OrchestratorServiceClient, id string) *orchestratorv1.JobDone {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stream, err := orch.WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: id})
	if err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatal("watch ended without a done event")
		}
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		if d := msg.GetEvent().GetDone(); d != nil {
			return d
		}
	}
}

// waitForRequests blocks until fakellm has seen n requests.
func waitForRequests(t *testing.T, llm *fakellm.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for llm.Counts().Requests < n {
		if time.Now().After(deadline) {
			t.Fatalf("fakellm saw %d requests, waited for %d", llm.Counts().Requests, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// repeatedRequests counts requests whose stage and messages equal an earlier one.
func repeatedRequests(llm *fakellm.Server) int {
	seen := map[string]bool{}
	repeated := 0
	for _, e := range llm.Received() {
		key, _ := json.Marshal([]any{e.Stage, e.Messages})
		if seen[string(key)] {
			repeated++
		}
		seen[string(key)] = true
	}
	return repeated
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOrchestratorSurvivesSIGKILL kills the orchestrator twice in the middle
// of a job. After each restart the job resumes by itself; the dataset equals
// an uninterrupted run's, with no record lost or written twice, and the only
// LLM calls made twice are those in flight at a kill.
func TestOrchestratorSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	const latency = 40 * time.Millisecond

	// The reference: one uninterrupted run.
	ref := startSuite(t, latency)
	refOrch := ref.startOrchestrator(t)
	refOut := filepath.Join(ref.outRoot, "dataset")
	if d := waitDone(t, dialOrchestrator(t, refOrch.Addr), submit(t, dialOrchestrator(t, refOrch.Addr), refOut)); d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("reference run: %v %s", d.GetState(), d.GetError())
	}
	total := ref.llm.Counts().Requests
	if total < 150 {
		t.Fatalf("reference run made %d LLM calls; the example should need about 170", total)
	}

	s := startSuite(t, latency)
	orch := s.startOrchestrator(t)
	out := filepath.Join(s.outRoot, "dataset")
	id := submit(t, dialOrchestrator(t, orch.Addr), out)
	for _, at := range []int{total / 4, total / 2} {
		waitForRequests(t, s.llm, at)
		orch.Kill()
		orch = s.startOrchestrator(t)
	}
	done := waitDone(t, dialOrchestrator(t, orch.Addr), id)
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("resumed job: %v %s\n%s", done.GetState(), done.GetError(), orch.Logs())
	}
	if err := orch.Stop(15 * time.Second); err != nil {
		t.Errorf("orchestrator stop: %v", err)
	}

	for _, f := range []string{"pairs.jsonl", "rejected.jsonl", "README.md"} {
		got, want := readFile(t, filepath.Join(out, f)), readFile(t, filepath.Join(refOut, f))
		if f == "README.md" {
			got, want = bytes.ReplaceAll(got, []byte(out), nil), bytes.ReplaceAll(want, []byte(refOut), nil)
			// The requests sent differ: the interrupted job repeated the calls in flight at the kills.
			got, want = withoutLine(got, "| LLM requests sent |"), withoutLine(want, "| LLM requests sent |")
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the uninterrupted run's", f)
		}
	}
	if rep := repeatedRequests(s.llm); rep > 2*concurrency {
		t.Errorf("%d LLM calls were repeated; at most %d (those in flight at the two kills) may be", rep, 2*concurrency)
	}
	if got := s.llm.Counts().Requests; got > total+2*concurrency {
		t.Errorf("interrupted run made %d LLM calls, uninterrupted %d", got, total)
	}
	// Every run's requests are counted, but for those whose answers a kill lost (in flight, or sent
	// since the last progress event was stored).
	var m struct {
		LLMRequests int64 `json:"llm_requests"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	if saw := int64(s.llm.Counts().Requests); m.LLMRequests > saw || m.LLMRequests < saw-2*concurrency {
		t.Errorf("manifest reports %d LLM requests, the server saw %d (at most %d lost to the two kills)", m.LLMRequests, saw, 2*concurrency)
	}
}

// withoutLine drops the lines of text that start with prefix.
func withoutLine(text []byte, prefix string) []byte {
	var kept [][]byte
	for _, line := range bytes.Split(text, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte(prefix)) {
			kept = append(kept, line)
		}
	}
	return bytes.Join(kept, []byte("\n"))
}
