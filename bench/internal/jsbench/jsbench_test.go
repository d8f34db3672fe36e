package jsbench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/query4code/query4code/bench/internal/jscompare"
)

func sample() []Result {
	ref := &jscompare.Reference{TypeScript: "5.9.3", Files: 4, Functions: []string{"a.f", "a.g"}, Edges: [][2]string{{"a.f", "a.g"}}, RunsMs: []float64{1000}}
	return []Result{
		{
			Package: Packages[0], Version: "7.6.3", Ref: ref, TSC: 1000 * time.Millisecond, Q4C: 100 * time.Millisecond,
			Score: jscompare.Result{
				Counts:           jscompare.Counts{RefFunctions: 4, FoundFunctions: 3, PredFunctions: 5, RefEdges: 10, PredEdges: 8, MatchedEdges: 6},
				MissingFunctions: []string{"a.K.constructor"},
				MissedEdges:      [][2]string{{"a.f", "a.g"}, {"a.g", "a.h"}, {"a.h", "a.i"}, {"a.i", "a.f"}},
			},
			Skipped:  []string{"a.min.js: minified"},
			Commands: []string{"node bench/tsref/tsref.js --root x --runs 3", "bin/q4c callgraph --format json x"},
		},
		{
			Package: Packages[2], Version: "7.8.1", Ref: ref, TSC: 3000 * time.Millisecond, Q4C: 500 * time.Millisecond,
			Score: jscompare.Result{Counts: jscompare.Counts{RefFunctions: 96, FoundFunctions: 96, PredFunctions: 100, RefEdges: 90, PredEdges: 92, MatchedEdges: 80}},
		},
	}
}

func TestSectionTable(t *testing.T) {
	sec := Section(sample())
	if len(sec.Table.Rows) != 3 {
		t.Fatalf("rows %v: want two packages and a total", sec.Table.Rows)
	}
	want := []string{"semver@7.6.3", "CommonJS JavaScript", "4", "4", "0.750 (3)", "10 / 8", "0.750", "0.600", "1000", "100", "10.0x"}
	if got := sec.Table.Rows[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("semver row %v, want %v", got, want)
	}
	// Totals add counts and times: recall 99/100, precision 86/100, recall 86/100, 4000/600 ms.
	want = []string{"**total**", "", "8", "100", "0.990 (99)", "100 / 100", "0.860", "0.860", "4000", "600", "6.7x"}
	if got := sec.Table.Rows[2]; !reflect.DeepEqual(got, want) {
		t.Errorf("total row %v, want %v", got, want)
	}
	if len(sec.Table.Header) != len(want) {
		t.Errorf("header %v does not match the rows' %d columns", sec.Table.Header, len(want))
	}
	if len(sec.Notes) != 1 || !strings.Contains(sec.Notes[0], "Packages: semver 7.6.3 (CommonJS JavaScript, `semver/`), rxjs 7.8.1") {
		t.Errorf("notes %v: want the packages measured", sec.Notes)
	}
	if !strings.Contains(strings.Join(sec.Commands, "\n"), "bin/q4c callgraph --format json x") {
		t.Errorf("commands %v: want each package's commands", sec.Commands)
	}
}

func TestSectionWithoutQ4CTime(t *testing.T) {
	res := sample()[:1]
	res[0].Q4C = 0
	if got := Section(res).Table.Rows[0][10]; got != "-" {
		t.Errorf("speed-up %q for a zero q4c time, want -", got)
	}
}

func TestRawLimit(t *testing.T) {
	raw := Raw(sample(), 2)
	for _, want := range []string{
		"== semver@7.6.3 (semver)",
		"files q4c skipped: 1\n  a.min.js: minified\n",
		"compiler functions q4c does not list: 1\n  a.K.constructor\n",
		"compiler edges q4c misses: 4\n  a.f -> a.g\n  a.g -> a.h\n  ... 2 more\n",
		"== rxjs@7.8.1 (rxjs/src)",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw output lacks %q:\n%s", want, raw)
		}
	}
}

func TestDiff(t *testing.T) {
	got := diff("function", []string{"a.f", "a.g"}, []string{"a.g", "a.h"})
	if want := "- function a.f\n+ function a.h\n"; got != want {
		t.Errorf("diff = %q, want %q", got, want)
	}
	if d := diff("edge", []string{"x"}, []string{"x"}); d != "" {
		t.Errorf("diff of equal lists = %q", d)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := Run(ctx, Config{Root: t.TempDir(), Q4C: "q4c", Runs: 0}); err == nil || !strings.Contains(err.Error(), "runs") {
		t.Errorf("zero runs: error %v", err)
	}
	missing := filepath.Join(t.TempDir(), "q4c")
	if _, err := Run(ctx, Config{Root: t.TempDir(), Q4C: missing, Runs: 1}); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("missing q4c: error %v", err)
	}
}

// TestSelfCheck runs the reference on its naming fixture, so a change to
// the naming rules on either side shows in make test (make npm-deps installs
// bench/tsref's packages).
func TestSelfCheck(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, TSRef, "node_modules", "typescript")); err != nil {
		t.Fatalf("bench/tsref's packages are not installed (%v): run `make npm-deps`", err)
	}
	if err := SelfCheck(context.Background(), root, t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

func TestPinnedAndFailed(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	line, err := Pinned(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"semver 7.6.3 (CommonJS JavaScript, `semver/`)", "rxjs 7.8.1 (TypeScript sources, `rxjs/src/`, with its `src/tsconfig.base.json`)", "TypeScript 5.9.3."} {
		if !strings.Contains(line, want) {
			t.Errorf("Pinned() = %q, lacks %q", line, want)
		}
	}
	sec := Failed(root, os.ErrNotExist)
	if sec.Err == "" || sec.Text[len(sec.Text)-1] != line {
		t.Errorf("Failed section %+v: want the error and the packages line", sec)
	}
	if _, err := Pinned(t.TempDir()); err == nil {
		t.Error("Pinned on a folder without bench/tsref: no error")
	}
}
