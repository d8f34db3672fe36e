package eval

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/parser/analysis"
)

// writeCase creates dir/rel with the given files.
func writeCase(t *testing.T, dir, rel string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, rel, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScoredEdgesKeepsOnlyCaseCallees(t *testing.T) {
	mods := map[string]bool{"main": true, "pkg": true}
	g := map[string][]string{
		"main":      {"main.f", "<builtin>.print", "os.path.join", "pkg.mod.g", "mainly.x"},
		"main.f":    {"<**PyStr**>.split", "main.f"},
		"pkg.mod.g": {},
	}
	got := ScoredEdges(g, mods)
	want := map[Edge]bool{{"main", "main.f"}: true, {"main", "pkg.mod.g"}: true, {"main.f", "main.f"}: true}
	if len(got) != len(want) {
		t.Fatalf("edges = %v, want %v", got, want)
	}
	for e := range want {
		if !got[e] {
			t.Errorf("missing %v", e)
		}
	}
}

// TestScoreCallGraphsHandComputed scores three small cases whose counts are
// worked out by hand:
//
//	cat1/a: truth {main->main.f, main.f->main.g}; pred {main->main.f, main->main.h}
//	        tp 1, fp 1, fn 1, not exact
//	cat1/b: truth {main->mod.x}; pred the same plus a builtin: tp 1, exact
//	cat2/c: truth {main->main.f}; prediction fails: tp 0, fn 1, not exact
//
// cat1: P = 2/3, R = 2/3, F1 = 2/3, exact 1/2; cat2: P = 1 (no prediction), R = 0, F1 = 0;
// total: tp 2, fp 1, fn 2 -> P = 2/3, R = 1/2, F1 = 4/7, exact 1/3.
func TestScoreCallGraphsHandComputed(t *testing.T) {
	cases := t.TempDir()
	writeCase(t, cases, "cat1/a", map[string]string{"main.py": "", "callgraph.json": `{"main": ["main.f", "<builtin>.len"], "main.f": ["main.g"], "main.g": []}`})
	writeCase(t, cases, "cat1/b", map[string]string{"main.py": "", "mod.py": "", "callgraph.json": `{"main": ["mod.x"], "mod.x": []}`})
	writeCase(t, cases, "cat2/c", map[string]string{"main.py": "", "callgraph.json": `{"main": ["main.f"], "main.f": []}`})
	preds := map[string]map[string][]string{
		"a": {"main": {"main.f", "main.h"}, "main.f": {}},
		"b": {"main": {"mod.x", "<builtin>.print"}},
	}
	predict := func(_ context.Context, dir string) (map[string][]string, error) {
		if g, ok := preds[filepath.Base(dir)]; ok {
			return g, nil
		}
		return nil, errors.New("cannot analyse")
	}
	predDir := t.TempDir()
	rep, err := ScoreCallGraphs(context.Background(), cases, predDir, predict)
	if err == nil || !strings.Contains(err.Error(), "cat2/c") {
		t.Errorf("err = %v, want the failing case named", err)
	}
	if rep == nil {
		t.Fatal("no report")
	}
	check := func(name string, p PRF, tp, fp, fn, exact, n int, prec, rec, f1 float64) {
		t.Helper()
		if p.TP != tp || p.FP != fp || p.FN != fn || p.Exact != exact || p.Cases != n {
			t.Errorf("%s counts = %+v, want tp %d fp %d fn %d exact %d/%d", name, p, tp, fp, fn, exact, n)
		}
		if !near(p.Precision, prec) || !near(p.Recall, rec) || !near(p.F1, f1) {
			t.Errorf("%s P/R/F1 = %v/%v/%v, want %v/%v/%v", name, p.Precision, p.Recall, p.F1, prec, rec, f1)
		}
	}
	check("cat1", *rep.Categories["cat1"], 2, 1, 1, 1, 2, 2.0/3, 2.0/3, 2.0/3)
	check("cat2", *rep.Categories["cat2"], 0, 0, 1, 0, 1, 1, 0, 0)
	check("total", rep.Total, 2, 1, 2, 1, 3, 2.0/3, 0.5, 4.0/7)
	if c := rep.Cases[0]; c.Case != "cat1/a" || len(c.Missing) != 1 || c.Missing[0] != (Edge{"main.f", "main.g"}) || len(c.Extra) != 1 || c.Extra[0] != (Edge{"main", "main.h"}) {
		t.Errorf("case a = %+v", c)
	}
	if _, err := os.Stat(filepath.Join(predDir, "cat1", "b", "callgraph.json")); err != nil {
		t.Errorf("prediction not written: %v", err)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	want := "cat1             precision=0.667 recall=0.667 f1=0.667 exact=1/2\n" +
		"cat2             precision=1.000 recall=0.000 f1=0.000 exact=0/1\n" +
		"TOTAL precision=0.667 recall=0.500 f1=0.571 exact=1/3\n"
	if out.String() != want {
		t.Errorf("text =\n%s\nwant\n%s", out.String(), want)
	}
}

func TestScoreCallGraphsNoCases(t *testing.T) {
	_, err := ScoreCallGraphs(context.Background(), t.TempDir(), "", nil)
	if err == nil {
		t.Fatal("no error for a folder without cases")
	}
}

// pycgSnippets is ../shared/bench/pycg-micro/snippets beside the repository
// (this package is cmd/q4c/internal/eval), or $Q4C_SHARED/bench/...
func sharedBench(t *testing.T, parts ...string) string {
	t.Helper()
	base := filepath.Join("..", "..", "..", "..", "..", "shared")
	if dir := os.Getenv("Q4C_SHARED"); dir != "" {
		base = dir
	}
	p := filepath.Join(append([]string{base, "bench"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not available: %v", p, err)
	}
	return p
}

// TestCallGraphAgreesWithPythonScorer runs the parser over the PyCG
// micro-benchmark, scores it in Go, and checks that score_callgraph.py on
// the same predictions prints exactly the same lines.
func TestCallGraphAgreesWithPythonScorer(t *testing.T) {
	snippets := sharedBench(t, "pycg-micro", "snippets")
	scorer := sharedBench(t, "score_callgraph.py")
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	pred := t.TempDir()
	rep, err := ScoreCallGraphs(context.Background(), snippets, pred, analysis.PyCG)
	if err != nil {
		t.Fatalf("score: %v", err)
	}
	var goOut bytes.Buffer
	if err := rep.WriteText(&goOut); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, scorer, snippets, pred)
	var pyOut, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &pyOut, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("score_callgraph.py: %v\n%s", err, stderr.String())
	}
	if goOut.String() != pyOut.String() {
		t.Errorf("Go scorer and score_callgraph.py differ:\n--- go\n%s--- python\n%s", goOut.String(), pyOut.String())
	}
	if rep.Total.Cases < 100 {
		t.Errorf("only %d cases scored", rep.Total.Cases)
	}
	t.Logf("%s", strings.TrimSpace(strings.Split(strings.TrimSpace(goOut.String()), "\n")[len(rep.Categories)]))
}
