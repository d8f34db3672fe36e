package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
)

// syntheticRepo writes a Python package of n functions under dir: modules of
// call chains five long (each function calls the previous one of its chain),
// every module's first function calling the last one of the module before
// it, and numpy calls at the chain heads. The critical path stays short, so
// the job's length follows the function count, not the depth. It returns the package root and the function ids
// the parser should report ("synth.mK.fK_I").
func syntheticRepo(t *testing.T, dir string, n int) (string, []string) {
	t.Helper()
	const perModule = 25
	root := filepath.Join(dir, "synth")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "__init__.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for m := 0; m*perModule < n; m++ {
		var b strings.Builder
		b.WriteString("import numpy as np\n")
		if m > 0 {
			fmt.Fprintf(&b, "from synth.m%d import f%d_%d\n", m-1, m-1, perModule-1)
		}
		for i := 0; i < perModule && m*perModule+i < n; i++ {
			fmt.Fprintf(&b, "\n\ndef f%d_%d(values, scale=%d):\n", m, i, i+1)
			fmt.Fprintf(&b, "    \"\"\"Scale the values by %d and add the result of step %d of chain %d.\"\"\"\n", i+1, i, m)
			switch {
			case i%5 != 0:
				fmt.Fprintf(&b, "    return [v * scale for v in f%d_%d(values)]\n", m, i-1)
			case i == 0 && m > 0:
				fmt.Fprintf(&b, "    return [v + scale for v in f%d_%d(values)]\n", m-1, perModule-1)
			default:
				b.WriteString("    return list(np.cumsum(values) * scale)\n")
			}
			ids = append(ids, fmt.Sprintf("synth.m%d.f%d_%d", m, m, i))
		}
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("m%d.py", m)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ids
}

func localSource(path string) []*parserv1.Source {
	return []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: path}}}
}

func submitJob(t *testing.T, orch orchestratorv1.OrchestratorServiceClient, repo, out string, concurrency int32) string {
	t.Helper()
	resp, err := orch.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{
		Sources: localSource(repo),
		Options: &orchestratorv1.JobOptions{Concurrency: concurrency, OutputDir: out},
	})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return resp.GetJobId()
}

// watchAll collects a job's events up to and including its done event.
func watchAll(t *testing.T, orch orchestratorv1.OrchestratorServiceClient, id string) []*orchestratorv1.JobEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stream, err := orch.WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: id})
	if err != nil {
		t.Fatal(err)
	}
	var events []*orchestratorv1.JobEvent
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatalf("watch ended without a done event after %d events", len(events))
		}
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		events = append(events, msg.GetEvent())
		if msg.GetEvent().GetDone() != nil {
			return events
		}
	}
}

func doneOf(events []*orchestratorv1.JobEvent) *orchestratorv1.JobDone {
	return events[len(events)-1].GetDone()
}

// readRecords reads a JSONL dataset file.
func readRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var records []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		records = append(records, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return records
}

// checkAccounted checks that every expected function is in pairs.jsonl or
// rejected.jsonl exactly once, or left out by a dataset filter (excluded.jsonl),
// or is named by a non-fatal error event and counted as failed in the done
// event and the dataset card.
func checkAccounted(t *testing.T, out string, ids []string, events []*orchestratorv1.JobEvent) (records, failed int) {
	t.Helper()
	expected := map[string]bool{}
	for _, id := range ids {
		expected[id] = true
	}
	seen := map[string]string{}
	for _, file := range []string{"pairs.jsonl", "rejected.jsonl"} {
		for _, r := range readRecords(t, filepath.Join(out, file)) {
			fn, _ := r["function"].(string)
			if !expected[fn] {
				t.Errorf("%s holds unexpected function %q", file, fn)
			}
			if prev, dup := seen[fn]; dup {
				t.Errorf("function %s is in %s and %s", fn, prev, file)
			}
			seen[fn] = file
		}
	}
	excluded := map[string]bool{}
	for _, r := range readRecords(t, filepath.Join(out, "excluded.jsonl")) {
		fn, _ := r["function"].(string)
		if _, annotated := seen[fn]; annotated {
			t.Errorf("function %s is both annotated and left out", fn)
		}
		excluded[fn] = true
	}
	failedFns := map[string]bool{}
	for _, e := range events {
		if je := e.GetError(); je != nil && !je.GetFatal() && je.GetFunction() != "" {
			failedFns[je.GetFunction()] = true
		}
	}
	left := 0
	for id := range expected {
		_, inDataset := seen[id]
		if excluded[id] {
			left++
		} else if !inDataset && !failedFns[id] {
			t.Errorf("function %s is in neither dataset file nor excluded nor failed", id)
		}
	}
	missing := len(ids) - len(seen) - left
	done := doneOf(events)
	if got := done.GetProgress().GetFunctionsFailed(); got != int64(missing) {
		t.Errorf("done event counts %d failed functions; %d of %d are missing from the dataset", got, missing, len(ids))
	}
	card := string(readFile(t, filepath.Join(out, "README.md")))
	if want := fmt.Sprintf("| Functions that failed annotation | %d |", missing); !strings.Contains(card, want) {
		t.Errorf("dataset card lacks %q", want)
	}
	if want := fmt.Sprintf("| Functions annotated | %d |", len(seen)); !strings.Contains(card, want) {
		t.Errorf("dataset card lacks %q", want)
	}
	return len(seen), missing
}

// noTempFiles fails if anything under dir looks like a half-written output or a staging directory.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if name := d.Name(); strings.Contains(name, ".tmp") || strings.Contains(name, ".staging-") || strings.Contains(name, ".old-") {
			t.Errorf("temporary file or staging directory left behind: %s", path)
		}
		return nil
	})
}

// scanFor returns the names of the texts that contain any needle.
func scanFor(texts map[string][]byte, needles ...string) []string {
	var hits []string
	for name, text := range texts {
		for _, n := range needles {
			if n != "" && bytes.Contains(text, []byte(n)) {
				hits = append(hits, fmt.Sprintf("%s contains %.8s...", name, n))
			}
		}
	}
	return hits
}
