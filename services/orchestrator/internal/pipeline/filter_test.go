package pipeline

import (
	"fmt"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
)

// fnSpec describes a parser function for the filter tests.
type fnSpec struct {
	id, path, code        string
	line, scc             int32
	test, dunder, trivial bool
	callees               []string
}

func states(repos map[int][]fnSpec) ([]*fnState, map[string]*fnState) {
	var funcs []*fnState
	byKey := map[string]*fnState{}
	for index := 0; index < len(repos); index++ {
		repo := &repoState{index: index, prov: dataset.Provenance{Repo: fmt.Sprintf("repo%d", index)}}
		for _, s := range repos[index] {
			fn := &parserv1.Function{Id: s.id, Path: s.path, Code: s.code, StartLine: s.line, SccId: s.scc,
				IsTest: s.test, IsDunder: s.dunder, IsTrivial: s.trivial}
			for _, c := range s.callees {
				fn.Callees = append(fn.Callees, &parserv1.Callee{Id: c})
			}
			f := &fnState{key: nodeKey(index, s.id), repo: repo, fn: fn}
			funcs = append(funcs, f)
			byKey[f.key] = f
		}
	}
	return funcs, byKey
}

// decisions renders what happened to each function by record id: "in", or the reason left out (with
// its detail), followed by "+summary" when a kept caller needs its summary.
func decisions(funcs []*fnState) map[string]string {
	out := map[string]string{}
	for _, f := range funcs {
		d := "in"
		if f.exclusion != nil {
			d = f.exclusion.reason
			if f.exclusion.detail != "" {
				d += " (" + f.exclusion.detail + ")"
			}
		}
		if f.summaryOnly {
			d += " +summary"
		}
		out[f.recordID()] = d
	}
	return out
}

func TestDecideExclusions(t *testing.T) {
	all := filterSet{tests: true, dunder: true, trivial: true, duplicates: true}
	tests := []struct {
		name    string
		repos   map[int][]fnSpec
		filters filterSet
		want    map[string]string
	}{
		{
			name: "traits, first reason wins",
			repos: map[int][]fnSpec{0: {
				{id: "m.f", path: "m.py", code: "def f(): return g() + 1", line: 1, scc: 1},
				{id: "tests.test_m.test_f", path: "tests/test_m.py", code: "def test_f(): assert f()", line: 1, scc: 2, test: true, trivial: true},
				{id: "m.C.__repr__", path: "m.py", code: "def __repr__(self): return 'C'", line: 5, scc: 3, dunder: true, trivial: true},
				{id: "m.noop", path: "m.py", code: "def noop(): pass", line: 9, scc: 4, trivial: true},
			}},
			filters: all,
			want:    map[string]string{"repo0:m.f": "in", "repo0:tests.test_m.test_f": "test", "repo0:m.C.__repr__": "dunder", "repo0:m.noop": "trivial"},
		},
		{
			name: "every filter off",
			repos: map[int][]fnSpec{0: {
				{id: "tests.t.test_a", path: "tests/t.py", code: "def test_a(): pass", line: 1, scc: 1, test: true, trivial: true},
				{id: "m.a", path: "m.py", code: "def a(): return 1", line: 1, scc: 2},
				{id: "m.b", path: "m.py", code: "def a(): return 1", line: 3, scc: 3},
			}},
			filters: filterSet{},
			want:    map[string]string{"repo0:tests.t.test_a": "in", "repo0:m.a": "in", "repo0:m.b": "in"},
		},
		{
			name: "duplicates: first by repository order, path, line; whitespace ignored",
			repos: map[int][]fnSpec{
				0: {
					{id: "z.late", path: "z.py", code: "def a(x):\n    return x * 2", line: 1, scc: 1},
					{id: "b.second", path: "b.py", code: "def a(x):  return   x * 2", line: 20, scc: 2},
					{id: "b.first", path: "b.py", code: "def a(x):\n\treturn x * 2\n", line: 3, scc: 3},
					{id: "b.other", path: "b.py", code: "def a(x):\n    return x * 3", line: 30, scc: 4},
				},
				1: {{id: "a.copy", path: "a.py", code: "def a(x): return x * 2", line: 1, scc: 1}},
			},
			filters: all,
			want: map[string]string{
				"repo0:b.first": "in", "repo0:b.other": "in",
				"repo0:b.second": "duplicate (duplicate of repo0:b.first)",
				"repo0:z.late":   "duplicate (duplicate of repo0:b.first)",
				"repo1:a.copy":   "duplicate (duplicate of repo0:b.first)",
			},
		},
		{
			name: "a copy of a left-out test does not push out the only kept copy",
			repos: map[int][]fnSpec{0: {
				{id: "a_test.helper", path: "a_test.py", code: "def h(): return load()", line: 1, scc: 1, test: true},
				{id: "m.helper", path: "m.py", code: "def h(): return load()", line: 1, scc: 2},
			}},
			filters: all,
			want:    map[string]string{"repo0:a_test.helper": "test", "repo0:m.helper": "in"},
		},
		{
			name: "duplicates kept when asked",
			repos: map[int][]fnSpec{0: {
				{id: "m.a", path: "m.py", code: "def a(): return 1", line: 1, scc: 1},
				{id: "n.a", path: "n.py", code: "def a(): return 1", line: 1, scc: 2},
			}},
			filters: filterSet{tests: true, dunder: true, trivial: true},
			want:    map[string]string{"repo0:m.a": "in", "repo0:n.a": "in"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			funcs, _ := states(tc.repos)
			if err := decideExclusions(funcs, tc.filters, trainingFilters{}); err != nil {
				t.Fatal(err)
			}
			if got := decisions(funcs); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestMarkSummaryOnly(t *testing.T) {
	tests := []struct {
		name  string
		funcs []fnSpec
		want  map[string]string
	}{
		{
			name: "callees of kept functions, transitively, and nothing else",
			funcs: []fnSpec{
				{id: "m.leaf", code: "leaf", scc: 1, trivial: true},
				{id: "m.C.__init__", code: "init", scc: 2, dunder: true, callees: []string{"m.leaf"}},
				{id: "m.unused", code: "unused", scc: 3, trivial: true},
				{id: "tests.t.test_run", code: "test", scc: 4, test: true, callees: []string{"m.unused", "m.run"}},
				{id: "m.run", code: "run", scc: 5, callees: []string{"m.C.__init__", "m.missing"}},
			},
			want: map[string]string{
				"repo0:m.leaf": "trivial +summary", "repo0:m.C.__init__": "dunder +summary", "repo0:m.unused": "trivial",
				"repo0:tests.t.test_run": "test", "repo0:m.run": "in",
			},
		},
		{
			name: "a cycle member reaches the prompt as code: no summary for it or through it",
			funcs: []fnSpec{
				{id: "m.deep", code: "deep", scc: 1, trivial: true},
				{id: "m.ping", code: "ping", scc: 2, callees: []string{"m.pong"}},
				{id: "m.pong", code: "pong", scc: 2, trivial: true, callees: []string{"m.ping", "m.deep"}},
			},
			want: map[string]string{"repo0:m.deep": "trivial", "repo0:m.ping": "in", "repo0:m.pong": "trivial"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			funcs, byKey := states(map[int][]fnSpec{0: tc.funcs})
			if err := decideExclusions(funcs, filterSet{tests: true, dunder: true, trivial: true, duplicates: true}, trainingFilters{}); err != nil {
				t.Fatal(err)
			}
			markSummaryOnly(funcs, func(repo *repoState, id string) *fnState { return byKey[nodeKey(repo.index, id)] })
			if got := decisions(funcs); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestFiltersOf(t *testing.T) {
	tests := []struct {
		name string
		opts *orchestratorv1.JobOptions
		want filterSet
	}{
		{"defaults: every filter on", nil, filterSet{tests: true, dunder: true, trivial: true, duplicates: true}},
		{"every keep_*", &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{KeepTests: true, KeepDunder: true, KeepTrivial: true, KeepDuplicates: true}}, filterSet{}},
		{"a parse skip_* still leaves the kind out", &orchestratorv1.JobOptions{
			Filters: &orchestratorv1.DatasetFilters{KeepTests: true, KeepDunder: true, KeepTrivial: true},
			Parse:   &parserv1.ParseOptions{SkipTests: true},
		}, filterSet{tests: true, duplicates: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := filtersOf(tc.opts); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	// The parser is never asked to leave functions out: their callers must still resolve.
	po := parserOptions(&orchestratorv1.JobOptions{Parse: &parserv1.ParseOptions{Include: []string{"src/**"}, SkipTests: true, SkipDunder: true, SkipTrivial: true, MaxFileBytes: 10}})
	if po.GetSkipTests() || po.GetSkipDunder() || po.GetSkipTrivial() || po.GetMaxFileBytes() != 10 || len(po.GetInclude()) != 1 {
		t.Fatalf("parser options %v", po)
	}
}
