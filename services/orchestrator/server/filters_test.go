package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	fake "github.com/query4code/query4code/services/orchestrator/internal/fakeservices"
)

const libPath = "/repos/lib"

// libRepo holds one function of every kind a default filter leaves out, and a kept caller of a
// left-out dunder method that itself calls a left-out trivial function.
func libRepo() []*parserv1.Function {
	helper := fake.Func("lib.util.helper", 1, "def helper():\n    return 1", nil)
	helper.IsTrivial = true
	init := fake.Func("lib.core.Client.__init__", 2, "def __init__(self):\n    self.n = helper()\n    self.m = 2", []string{"lib.util.helper"})
	init.IsDunder = true
	unused := fake.Func("lib.util.unused", 3, "def unused():\n    pass", nil)
	unused.IsTrivial = true
	run := fake.Func("lib.core.run", 4, "def run():\n    c = Client()\n    return c.n + c.m", []string{"lib.core.Client.__init__"})
	copyOfRun := fake.Func("lib.extra.run", 5, "def run():\n  c = Client()\n  return c.n + c.m", []string{"lib.core.Client.__init__"})
	test := fake.Func("tests.test_core.test_run", 6, "def test_run():\n    assert run() == 3", []string{"lib.core.run"})
	test.Path, test.IsTest = "tests/test_core.py", true
	return []*parserv1.Function{helper, init, unused, run, copyOfRun, test}
}

func libStats() *parserv1.ParseStats {
	return &parserv1.ParseStats{
		Skipped: []*parserv1.SkippedFile{
			{Path: "lib/big.py", Reason: "too_large", Detail: "5242880 bytes, cap 1048576"},
			{Path: "lib/legacy.py", Reason: "undecodable", Detail: "not UTF-8 and no PEP 263 declaration"},
		},
		SyntaxErrorFunctions: []*parserv1.SyntaxErrorFunction{{Id: "lib.broken.broken", Path: "lib/broken.py", StartLine: 1, EndLine: 2}},
	}
}

func TestDatasetFilters(t *testing.T) {
	e := newEnv(t)
	e.parser.SetRepo(libPath, libRepo())
	e.parser.SetStats(libPath, libStats())
	// skip_tests in the parse options is not passed on: left-out functions must still be parsed.
	d := done(t, e.watch(e.submit(&orchestratorv1.JobOptions{Parse: &parserv1.ParseOptions{SkipTests: true}}, libPath), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	for _, opts := range e.parser.Requests() {
		if opts.GetSkipTests() || opts.GetSkipDunder() || opts.GetSkipTrivial() {
			t.Fatalf("the parser was asked to leave functions out: %v", opts)
		}
	}
	out := d.GetOutputDir()
	excluded := map[string]dataset.Excluded{}
	for _, x := range readExcluded(t, filepath.Join(out, dataset.ExcludedFile)) {
		excluded[x.Function] = x
	}
	want := map[string]string{
		"lib.util.helper": dataset.ReasonTrivial, "lib.core.Client.__init__": dataset.ReasonDunder, "lib.util.unused": dataset.ReasonTrivial,
		"lib.extra.run": dataset.ReasonDuplicate, "tests.test_core.test_run": dataset.ReasonTest, "lib.broken.broken": dataset.ReasonSyntaxError,
	}
	if len(excluded) != len(want) {
		t.Fatalf("left out %v, want %v", excluded, want)
	}
	for fn, reason := range want {
		if x := excluded[fn]; x.Reason != reason || x.ID != "lib:"+fn || x.Repo != "lib" {
			t.Errorf("%s left out as %+v, want reason %s", fn, x, reason)
		}
	}
	if x := excluded["lib.extra.run"]; x.Detail != "duplicate of lib:lib.core.run" {
		t.Errorf("duplicate detail %q", x.Detail)
	}
	if x := excluded["lib.broken.broken"]; x.Path != "lib/broken.py" || !strings.Contains(x.Detail, "1-2") {
		t.Errorf("syntax error entry %+v", x)
	}

	// Only lib.core.run is annotated; the dunder it calls and the trivial helper that one calls are
	// summarised for it, nothing more; the other left-out functions cost no call.
	calls := map[string][]string{}
	for _, c := range e.annotator.Calls() {
		calls[c.Function] = append(calls[c.Function], c.Method)
	}
	wantCalls := map[string]string{
		"lib.core.run": "[Summarize GenerateQuery Validate]", "lib.core.Client.__init__": "[Summarize]", "lib.util.helper": "[Summarize]",
	}
	if len(calls) != len(wantCalls) {
		t.Fatalf("annotator calls %v, want %v", calls, wantCalls)
	}
	for fn, w := range wantCalls {
		if got := strings.Join(calls[fn], " "); "["+got+"]" != w {
			t.Errorf("calls for %s: [%s], want %s", fn, got, w)
		}
	}
	if got := calleeContext(summarizeCall(t, e.annotator, "lib.core.run")); got["lib.core.Client.__init__"] != "summary" {
		t.Errorf("run's prompt lacks its left-out callee's summary: %v", got)
	}
	rows := readRecords(t, filepath.Join(out, dataset.PairsFile))
	if len(rows) != 1 || rows[0].Function != "lib.core.run" || rows[0].ID != "lib:lib.core.run" {
		t.Fatalf("records %+v, want lib.core.run alone", rows)
	}
	if p := d.GetProgress(); p.GetFunctionsTotal() != 1 || p.GetFunctionsExcluded() != 6 || p.GetFunctionsDone() != 1 || p.GetPairsKept() != 1 {
		t.Fatalf("progress %v", p)
	}

	var man dataset.Manifest
	data, err := os.ReadFile(filepath.Join(out, dataset.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Sources) != 1 || len(man.Sources[0].Skipped) != 2 || man.Sources[0].Skipped[0].Reason != "too_large" || man.Sources[0].Functions != 7 {
		t.Fatalf("manifest sources %+v", man.Sources)
	}
	card, _ := os.ReadFile(filepath.Join(out, dataset.CardFile))
	for _, line := range []string{"| Found | 7 |", "| Left out: trivial | 2 |", "| Left out: syntax_error | 1 |", "| Left out: duplicate | 1 |", "| Annotated | 1 |",
		"| lib | commit-/repos/lib | unknown | 2 | 7 | 6 | 1 | 1 |"} {
		if !strings.Contains(string(card), line) {
			t.Errorf("card lacks %q:\n%s", line, card)
		}
	}
}

func TestDatasetFiltersTurnedOff(t *testing.T) {
	e := newEnv(t)
	e.parser.SetRepo(libPath, libRepo())
	e.parser.SetStats(libPath, libStats())
	keepAll := &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{KeepTests: true, KeepDunder: true, KeepTrivial: true, KeepDuplicates: true,
		KeepNearDuplicates: true, KeepContaminated: true}}
	d := done(t, e.watch(e.submit(keepAll, libPath), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	if rows := readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile)); len(rows) != 6 {
		t.Fatalf("%d records with every filter off, want all 6 parsed functions", len(rows))
	}
	// A syntax error is not a filter: the function was never emitted.
	excluded := readExcluded(t, filepath.Join(d.GetOutputDir(), dataset.ExcludedFile))
	if len(excluded) != 1 || excluded[0].Reason != dataset.ReasonSyntaxError {
		t.Fatalf("left out %v, want the syntax-error function alone", excluded)
	}
}

// TestSourceWithoutSupportedFile: a source with no file in a language the job reads fails alone; the
// message names the languages read.
func TestSourceWithoutSupportedFile(t *testing.T) {
	e := newEnv(t)
	e.parser.SetRepo("/repos/docs-only", nil)
	e.parser.SetRepo("/repos/assets", nil)
	e.parser.SetStats("/repos/assets", &parserv1.ParseStats{Skipped: []*parserv1.SkippedFile{{Path: "blob.py", Reason: "binary"}}})

	// Beside a source with code, the job runs and names the empty source in an error event.
	events := e.watch(e.submit(nil, repoPath, "/repos/docs-only"), 0)
	if d := done(t, events); d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	var named bool
	for _, ev := range events {
		if er := ev.GetError(); er != nil && strings.Contains(er.GetMessage(), "no file in a supported language (python, javascript, typescript) in docs-only") {
			named = true
		}
	}
	if !named {
		t.Fatal("no error event names the source without code")
	}

	typescript := &orchestratorv1.JobOptions{Parse: &parserv1.ParseOptions{Languages: []string{"typescript"}}}
	tests := []struct {
		name    string
		opts    *orchestratorv1.JobOptions
		sources []string
		want    string
	}{
		{"one source", nil, []string{"/repos/docs-only"}, "no file in a supported language (python, javascript, typescript) in docs-only"},
		{"files skipped", nil, []string{"/repos/assets"}, "no file in a supported language (python, javascript, typescript) in assets: 1 files skipped"},
		{"every source", nil, []string{"/repos/docs-only", "/repos/assets"}, "none of the 2 sources holds a file in a supported language (python, javascript, typescript)"},
		// The fake parser reads only the languages asked, as the real one does: shop is Python alone.
		{"languages asked", typescript, []string{repoPath}, "no file in a supported language (typescript) in shop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := done(t, e.watch(e.submit(tc.opts, tc.sources...), 0))
			if d.GetState() != orchestratorv1.JobState_JOB_STATE_FAILED || !strings.Contains(d.GetError(), tc.want) {
				t.Fatalf("state %v, error %q; want a failure saying %q", d.GetState(), d.GetError(), tc.want)
			}
		})
	}
}

// TestSourcesSharingAName: two directories with one name get distinct names, so neither source's
// records replace the other's.
func TestSourcesSharingAName(t *testing.T) {
	e := newEnv(t)
	e.parser.SetRepo("/other/shop", shopRepo(leaf1V1))
	keep := &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{KeepDuplicates: true, KeepNearDuplicates: true}}
	d := done(t, e.watch(e.submit(keep, repoPath, "/other/shop"), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	ids := map[string]bool{}
	repos := map[string]int{}
	for _, r := range readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile)) {
		ids[r.ID] = true
		repos[r.Repo]++
	}
	if len(ids) != 16 || repos["shop"] != 8 || repos["shop#2"] != 8 {
		t.Fatalf("%d distinct ids, records per repository %v; want 8 for shop and 8 for shop#2", len(ids), repos)
	}
}
