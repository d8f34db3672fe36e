package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	"github.com/query4code/query4code/services/annotator/fakellm"
)

// recordFields are the fields DESIGN.md promises in every record.
var recordFields = []string{"id", "repo", "commit", "path", "start_line", "end_line", "function", "language", "code",
	"docstring", "summary", "query", "score", "explanation", "kept", "model", "prompt_version", "callees", "apis",
	"docs_used", "prompt_tokens", "completion_tokens", "cost_usd"}

func runQ4C(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut processtest.LockedBuffer
	code = Execute(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func readRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s: bad JSON line %q: %v", path, line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestAnnotateExampleOffline is what `make run` does: the example project,
// the offline back-end, all four services in process.
func TestAnnotateExampleOffline(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", t.TempDir(), "--out", out, "../../../../examples/bookshelf")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, f := range []string{"pairs.jsonl", "rejected.jsonl", "data/train-00000-of-00001.parquet", "excluded.jsonl", "README.md", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("output file %s: %v", f, err)
		}
	}
	kept := readRecords(t, filepath.Join(out, "pairs.jsonl"))
	rejected := readRecords(t, filepath.Join(out, "rejected.jsonl"))
	excluded := readRecords(t, filepath.Join(out, "excluded.jsonl"))
	if len(kept)+len(rejected)+len(excluded) < 50 || len(kept)+len(rejected) < 25 {
		t.Fatalf("%d records and %d functions left out, want every one of the example's 50+ functions accounted for, most annotated",
			len(kept)+len(rejected), len(excluded))
	}
	seen := map[string]bool{}
	for _, r := range append(kept, rejected...) {
		for _, f := range recordFields {
			if _, ok := r[f]; !ok {
				t.Errorf("record %v lacks field %q", r["id"], f)
			}
		}
		id, _ := r["id"].(string)
		if seen[id] {
			t.Errorf("record %s written twice", id)
		}
		seen[id] = true
		if r["model"] != "offline" || r["query"] == "" || r["summary"] == "" {
			t.Errorf("record %s: model %v, query %q, summary %q", id, r["model"], r["query"], r["summary"])
		}
	}
	for _, r := range kept {
		if score, _ := r["score"].(float64); score < 2 || r["kept"] != true {
			t.Errorf("kept record %v has score %v, kept %v", r["id"], r["score"], r["kept"])
		}
	}
	for _, r := range rejected {
		if score, _ := r["score"].(float64); score >= 2 || r["kept"] != false {
			t.Errorf("rejected record %v has score %v, kept %v", r["id"], r["score"], r["kept"])
		}
	}
	if !strings.Contains(stdout, "card: "+out+"/README.md") {
		t.Errorf("stdout does not say where the card is:\n%s", stdout)
	}
}

func TestAnnotateRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing directory", []string{"annotate", "/nonexistent/repo"}, "no such file"},
		{"no source", []string{"annotate"}, "no SOURCE"},
		{"threshold out of range", []string{"annotate", "--keep-threshold", "7", "."}, "keep-threshold"},
		{"unknown back-end", []string{"annotate", "--state-dir", "STATE", "--out", "OUT", "--llm", "gpt-magic", "."}, "gpt-magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, a := range tt.args {
				tt.args[i] = strings.NewReplacer("STATE", filepath.Join(dir, "state"), "OUT", filepath.Join(dir, "out")).Replace(a)
			}
			_, stderr, code := runQ4C(t, tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want failure mentioning %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "out", "pairs.jsonl")); err == nil {
				t.Errorf("a failed run wrote a dataset")
			}
		})
	}
}

// writeChainRepo writes a repository with a known call graph:
// top -> mid -> leaf, and uses_other -> other.
func writeChainRepo(t *testing.T, dir, leafBody string) {
	t.Helper()
	files := map[string]string{
		"pkg/__init__.py": "",
		"pkg/core.py": "def leaf(x):\n    \"\"\"Add one.\"\"\"\n    " + leafBody + "\n\n\n" +
			"def mid(x):\n    \"\"\"Double the successor.\"\"\"\n    return leaf(x) * 2\n\n\n" +
			"def top(x):\n    \"\"\"Compute the value.\"\"\"\n    return mid(x) - 1\n\n\n" +
			"def other(x):\n    \"\"\"Triple.\"\"\"\n    return x * 3\n\n\n" +
			"def uses_other(x):\n    \"\"\"Use other.\"\"\"\n    return other(x) + 1\n",
	}
	writeTree(t, dir, files)
}

// writeTree writes files (slash paths relative to dir, and their contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRerunReusesFinishedStages checks the store: an unchanged repository
// costs no LLM call, and editing one leaf re-summarises exactly it and its
// transitive callers.
func TestRerunReusesFinishedStages(t *testing.T) {
	llm, repo := startLLMAndRepo(t, fakellm.Config{})
	state := t.TempDir()
	outDir := t.TempDir()
	run := func(out string) {
		t.Helper()
		stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", state, "--out", filepath.Join(outDir, out),
			"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm", repo)
		if code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	}

	run("first")
	first := llm.Counts()
	if first.ByStage[fakellm.StageSummary] != 5 || first.ByStage[fakellm.StageQuery] != 5 || first.ByStage[fakellm.StageValidate] != 5 {
		t.Fatalf("first run: %v LLM calls by stage, want 5 of each", first.ByStage)
	}

	run("second")
	if again := llm.Counts(); again.Requests != first.Requests {
		t.Errorf("unchanged repository made %d new LLM calls, want 0", again.Requests-first.Requests)
	}
	a, _ := os.ReadFile(filepath.Join(outDir, "first", "pairs.jsonl"))
	b, _ := os.ReadFile(filepath.Join(outDir, "second", "pairs.jsonl"))
	if !bytes.Equal(a, b) {
		t.Errorf("re-run on unchanged code wrote a different pairs.jsonl")
	}

	writeChainRepo(t, repo, "return x + 2")
	before := llm.Counts()
	run("third")
	after := llm.Counts()
	if got := after.ByStage[fakellm.StageSummary] - before.ByStage[fakellm.StageSummary]; got != 3 {
		t.Errorf("editing leaf re-summarised %d functions, want 3 (leaf, mid, top)", got)
	}
	// Only a function's own prompt holds its code (there is no cycle here).
	resummarised := map[string]bool{}
	for _, e := range llm.Received()[before.Requests:] {
		for _, m := range e.Messages {
			for _, name := range []string{"leaf", "mid", "top", "other", "uses_other"} {
				if e.Stage == fakellm.StageSummary && strings.Contains(m.Content, "def "+name+"(x):") {
					resummarised[name] = true
				}
			}
		}
	}
	if len(resummarised) != 3 || !resummarised["leaf"] || !resummarised["mid"] || !resummarised["top"] {
		t.Errorf("re-summarised %v, want exactly leaf, mid and top", resummarised)
	}
}

// startLLMAndRepo starts a fakellm and writes the chain repository.
func startLLMAndRepo(t *testing.T, cfg fakellm.Config) (*fakellm.Server, string) {
	t.Helper()
	llm, err := fakellm.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = llm.Close() })
	repo := filepath.Join(t.TempDir(), "repo")
	writeChainRepo(t, repo, "return x + 1")
	return llm, repo
}

// An output that cannot be written and a budget that cannot be enforced are refused before any
// service makes an LLM request.
func TestAnnotateRefusedBeforeAnyRequest(t *testing.T) {
	llm, repo := startLLMAndRepo(t, fakellm.Config{})
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"out is a file", []string{"--out", file}, file + " exists and is not a directory"},
		{"out under a file", []string{"--out", filepath.Join(file, "sub")}, file + " is not a directory"},
		{"out on a read-only filesystem", []string{"--out", "/proc/q4c-out"}, "cannot create output directory /proc/q4c-out"},
		{"budget on an unpriced model", []string{"--out", filepath.Join(dir, "ok"), "--budget-usd", "1"}, "--llm-prices fake-llm="},
	}
	if os.Geteuid() != 0 { // root writes through permission bits
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"read-only out", []string{"--out", ro}, ro + " is not writable"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"annotate", "--state-dir", filepath.Join(dir, "state"),
				"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm"}, tc.args...)
			stdout, stderr, code := runQ4C(t, append(args, repo)...)
			if code != 1 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 naming %q", code, stdout, stderr, tc.want)
			}
			if n := llm.Counts().Requests; n != 0 {
				t.Fatalf("%d LLM requests before the refusal", n)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "ok")); err == nil {
		t.Error("a refused job created its output directory")
	}
}

// A failed job is one line on stderr with its reason and what it spent, and no summary of a
// dataset it did not write.
func TestFailedJobIsOneLine(t *testing.T) {
	llm, repo := startLLMAndRepo(t, fakellm.Config{FaultRate: 1, FaultKinds: []fakellm.Fault{fakellm.FaultGarbage}})
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", t.TempDir(), "--out", out,
		"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm", repo)
	if code != exitJobFailed || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want exit %d and nothing on stdout", code, stdout, exitJobFailed)
	}
	var reports []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(line, "{") {
			t.Fatalf("raw log line without -v: %s", line)
		}
		if strings.HasPrefix(line, "q4c:") {
			reports = append(reports, line)
		}
	}
	// The count is every request sent, failures and repairs included: what fakellm received.
	spent := regexp.MustCompile(`^q4c: job failed: .+ \(([1-9][0-9]*) LLM requests, \$[0-9]+\.[0-9]{4}\)$`)
	if len(reports) != 1 || !spent.MatchString(reports[0]) {
		t.Fatalf("stderr reports %q; want one \"q4c: job failed: REASON (N LLM requests, $X)\" line\n%s", reports, stderr)
	}
	if got, saw := spent.FindStringSubmatch(reports[0])[1], strconv.Itoa(llm.Counts().Requests); got != saw {
		t.Errorf("the failed job reports %s LLM requests, fakellm received %s", got, saw)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed job left an output directory")
	}
}

// A budget stop writes what was finished, says so and exits 3.
func TestBudgetStopExitCode(t *testing.T) {
	llm, repo := startLLMAndRepo(t, fakellm.Config{})
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", t.TempDir(), "--out", out, "--concurrency", "1",
		"--budget-usd", "0.0000001", "--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "gpt-4o-mini", repo)
	if code != exitBudget || !strings.Contains(stderr, "q4c: stopped by the cost budget") || !strings.Contains(stdout, "dataset: "+out) {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Fatalf("a budget stop wrote no dataset: %v", err)
	}
}

// An interrupted in-process job holds its output directory: another command there is refused,
// naming the job, until q4c cancel --state-dir releases it.
func TestBusyOutputAndLocalCancel(t *testing.T) {
	llm, repo := startLLMAndRepo(t, fakellm.Config{Latency: 50 * time.Millisecond})
	state, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	args := func(threshold string) []string {
		return append([]string{"annotate", "--state-dir", state, "--out", out, "--concurrency", "1", "--keep-threshold", threshold}, append(
			[]string{"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm"}, repo)...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for llm.Counts().Requests < 3 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	var stdout, stderr bytes.Buffer
	if code := Execute(ctx, args("2"), &stdout, &stderr); code != exitInterrupted {
		t.Fatalf("interrupted run: exit %d\n%s", code, stderr.String())
	}

	_, refusal, code := runQ4C(t, args("3")...)
	held := regexp.MustCompile(`held by job ([0-9a-f]+) `).FindStringSubmatch(refusal)
	if code != 1 || held == nil || !strings.Contains(refusal, "q4c cancel --state-dir "+state) {
		t.Fatalf("another command on the held output: exit %d, stderr %q", code, refusal)
	}
	listed, _, code := runQ4C(t, "jobs", "--state-dir", state)
	if code != 0 || !strings.Contains(listed, held[1]) {
		t.Fatalf("q4c jobs --state-dir: exit %d\n%s", code, listed)
	}
	cancelled, stderrText, code := runQ4C(t, "cancel", "--state-dir", state, held[1])
	if code != 0 || strings.TrimSpace(cancelled) != held[1]+" cancelled" {
		t.Fatalf("q4c cancel --state-dir: exit %d, %q %q", code, cancelled, stderrText)
	}
	if stdoutText, stderrText, code := runQ4C(t, args("3")...); code != 0 {
		t.Fatalf("the other command after the cancellation: exit %d\n%s%s", code, stdoutText, stderrText)
	}
}
