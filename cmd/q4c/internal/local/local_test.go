package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	parserserver "github.com/query4code/query4code/services/parser/server"
)

// TestCloseDuringJobDrainsCallsInFlight is Ctrl-C in q4c annotate: the suite closes while LLM calls are
// in flight. They finish and are stored (the orchestrator stops before the connections and services it
// calls), so no function fails as Canceled and the resumed job sends no request twice.
func TestCloseDuringJobDrainsCallsInFlight(t *testing.T) {
	const functions = 6
	llm, err := fakellm.Start(fakellm.Config{Latency: 200 * time.Millisecond}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = llm.Close() })
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	if err := os.MkdirAll(filepath.Join(repo, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for i := range functions {
		fmt.Fprintf(&src, "def scale_%d(values, factor):\n    \"\"\"Scale values by factor %d.\"\"\"\n    out = [v * factor for v in values]\n    return [o + %d for o in out]\n\n\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(repo, "pkg", "m.py"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() *Suite {
		t.Helper()
		annotator := annotatorserver.DefaultConfig()
		annotator.LLM, annotator.BaseURL, annotator.Model = annotatorserver.BackendOpenAI, llm.URL(), "fake-llm"
		parser := parserserver.DefaultConfig()
		parser.AllowedRoots = []string{repo}
		return newSuite(t, root, parser, annotator)
	}

	suite := start()
	orch := orchestratorv1.NewOrchestratorServiceClient(suite.Orchestrator)
	sub, err := orch.SubmitJob(t.Context(), &orchestratorv1.SubmitJobRequest{
		Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for llm.Counts().Requests == 0 {
		job, err := orch.GetJob(t.Context(), &orchestratorv1.GetJobRequest{JobId: sub.GetJobId()})
		if err != nil {
			t.Fatal(err)
		}
		if s := job.GetJob().GetState(); s != orchestratorv1.JobState_JOB_STATE_QUEUED && s != orchestratorv1.JobState_JOB_STATE_RUNNING {
			t.Fatalf("job %v before its first LLM request: %s", s, job.GetJob().GetError())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := suite.Close(); err != nil {
		t.Fatalf("close with calls in flight: %v", err)
	}
	interrupted := llm.Counts().Requests
	if interrupted >= 3*functions {
		t.Fatalf("the job ended before the close (%d requests): the test needs calls in flight", interrupted)
	}

	// The next suite on the same store resumes the job; its event log holds both runs.
	suite = start()
	t.Cleanup(func() {
		if err := suite.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stream, err := orchestratorv1.NewOrchestratorServiceClient(suite.Orchestrator).WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: sub.GetJobId()})
	if err != nil {
		t.Fatal(err)
	}
	var done *orchestratorv1.JobDone
	for done == nil {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatal("watch ended without a done event")
		}
		if err != nil {
			t.Fatal(err)
		}
		if e := resp.GetEvent().GetError(); e != nil {
			t.Errorf("function %s failed: %s", e.GetFunction(), e.GetMessage())
		}
		done = resp.GetEvent().GetDone()
	}
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED || done.GetProgress().GetFunctionsFailed() != 0 {
		t.Fatalf("resumed job: %v, %d functions failed", done.GetState(), done.GetProgress().GetFunctionsFailed())
	}
	// Every call in flight at the close was answered and stored: nothing was sent twice.
	if got := llm.Counts().Requests; got != 3*functions {
		t.Errorf("fakellm received %d requests over both runs (%d before the close), want %d", got, interrupted, 3*functions)
	}
}
