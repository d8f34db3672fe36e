package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
)

// TestNearDuplicatePlan: a plan of two sources makes a job over the second alone leave out its near
// copy of the first's function, naming it; any difference between the plan and the job fails it.
func TestNearDuplicatePlan(t *testing.T) {
	root := t.TempDir()
	srcA := &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: filepath.Join(root, "a")}}
	srcB := &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: filepath.Join(root, "b")}}
	fn := func(id, code string) *parserv1.Function {
		return &parserv1.Function{Id: id, Path: "m.py", StartLine: 1, Code: code}
	}
	opts := &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{KeepContaminated: true}}
	plan, err := NearDuplicatePlan(opts, []ParsedSource{
		{Source: srcA, Parsed: true, Commit: "c1", Functions: []*parserv1.Function{fn("a.group", grouping("100"))}},
		{Source: srcB, Parsed: true, Commit: "c2", Functions: []*parserv1.Function{fn("b.group", grouping("1000")), fn("b.parse", benchmarkCode)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "plan.json")
	data, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Filters.NearDuplicatePlan = path
	tf, err := resolveTrainingFilters(opts)
	if err != nil {
		t.Fatal(err)
	}
	// shard is a job over source b alone, as the parser reports it.
	shard := func(commit string, funcs ...*parserv1.Function) ([]*repoState, []*fnState) {
		repo := &repoState{name: dataset.RepoName(srcB), prov: dataset.SourceProvenance(srcB), commit: commit, parsed: true, funcs: funcs}
		var states []*fnState
		for _, f := range funcs {
			states = append(states, &fnState{repo: repo, fn: f})
		}
		return []*repoState{repo}, states
	}
	repos, funcs := shard("c2", fn("b.group", grouping("1000")), fn("b.parse", benchmarkCode))
	if err := tf.plan.check(repos, funcs); err != nil {
		t.Fatal(err)
	}
	if err := decideExclusions(funcs, filterSet{}, tf); err != nil {
		t.Fatal(err)
	}
	ex := funcs[0].exclusion
	if ex == nil || ex.reason != dataset.ReasonNearDuplicate || !strings.HasPrefix(ex.detail, "near-duplicate of a:a.group (Jaccard 0.") || funcs[1].exclusion != nil {
		t.Fatalf("b.group left out as %+v, b.parse as %+v; want b.group a near_duplicate of a:a.group, b.parse kept", ex, funcs[1].exclusion)
	}

	type mismatch struct {
		name, want string
		repos      []*repoState
		funcs      []*fnState
	}
	var mismatches []mismatch
	add := func(name, want string, repos []*repoState, funcs []*fnState) {
		mismatches = append(mismatches, mismatch{name, want, repos, funcs})
	}
	repos, funcs = shard("c3", fn("b.group", grouping("1000")), fn("b.parse", benchmarkCode))
	add("other commit", "was made from commit c2", repos, funcs)
	repos, funcs = shard("c2", fn("b.group", grouping("1000")))
	add("a function fewer", "lists 2 functions", repos, funcs)
	repos, funcs = shard("c2", fn("b.group", grouping("1000")), fn("b.parse", benchmarkCode), fn("b.new", "def new():\n    return 1"))
	add("a function more", "does not list function b.new", repos, funcs)
	repos, funcs = shard("c2", fn("b.group", grouping("2000")), fn("b.parse", benchmarkCode))
	add("other code", "other code of b.group", repos, funcs)
	other := &repoState{name: filepath.Join(root, "c"), parsed: true}
	add("source not planned", "does not list source", []*repoState{other}, []*fnState{{repo: other, fn: fn("c.f", "def f(): pass")}})
	for _, m := range mismatches {
		if err := tf.plan.check(m.repos, m.funcs); err == nil || !strings.Contains(err.Error(), m.want) {
			t.Errorf("%s: %v, want an error saying %q", m.name, err, m.want)
		}
	}

	// Other filters than the plan's.
	opts.Filters.KeepContaminated = false
	if _, err := resolveTrainingFilters(opts); err == nil || !strings.Contains(err.Error(), "other parse options or filters") {
		t.Errorf("a job with other filters: %v", err)
	}
}
