package jscompare

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const refJSON = `{
 "typescript": "5.9.3", "root": "lib", "files": 2,
 "modules": ["a", "b"],
 "functions": ["a.K.constructor", "a.f", "a.g", "b.h", "a.f"],
 "edges": [
  ["a", "a.f"],
  ["a.f", "a.g"],
  ["a.f", "a.K.constructor"],
  ["a.g", "b.h"]
 ],
 "call_sites": 9, "elapsed_ms": 1500, "runs_ms": [1600, 1500, 1400]
}`

// predJSON has the shape of q4c callgraph --format json (fields the scorer ignores included).
const predJSON = `{
  "functions": [
    {"id": "b.h", "path": "b.js", "start_line": 1, "end_line": 2, "callees": [], "scc": 0, "level": 0},
    {"id": "a.g", "path": "a.js", "start_line": 3, "end_line": 4, "callees": [
      {"id": "b.h", "kind": "resolved"}, {"id": "b.h", "kind": "resolved"}, {"id": "a.f", "kind": "name_matched"}], "scc": 1, "level": 1},
    {"id": "a.f", "path": "a.js", "start_line": 5, "end_line": 6, "callees": [{"id": "a.g", "kind": "resolved"}], "scc": 1, "level": 1},
    {"id": "a.extra", "path": "a.js", "start_line": 7, "end_line": 8, "callees": [{"id": "a.f", "kind": "resolved"}], "scc": 2, "level": 2}
  ],
  "cycles": [["a.g", "a.f"]],
  "stats": {"files": 2, "functions": 4, "elapsed_ns": 25000000},
  "skipped": [{"path": "dist/x.min.js", "reason": "minified", "detail": "minified file name"}, {"path": "y.d.ts", "reason": "declaration"}],
  "syntax_error_functions": []
}`

func mustRef(t *testing.T, s string) *Reference {
	t.Helper()
	ref, err := ReadReference(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func mustPred(t *testing.T, s string) *Prediction {
	t.Helper()
	p, err := ReadPrediction(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadPrediction(t *testing.T) {
	p := mustPred(t, predJSON)
	if want := []string{"b.h", "a.g", "a.f", "a.extra"}; !reflect.DeepEqual(p.Functions, want) {
		t.Errorf("functions %v, want %v", p.Functions, want)
	}
	if len(p.Edges) != 5 || p.Edges[2] != [2]string{"a.g", "a.f"} {
		t.Errorf("edges %v: want both edge kinds, duplicates kept until scoring", p.Edges)
	}
	if want := []string{"dist/x.min.js: minified (minified file name)", "y.d.ts: declaration"}; !reflect.DeepEqual(p.Skipped, want) {
		t.Errorf("skipped %v, want %v", p.Skipped, want)
	}
	if p.Elapsed != 25*time.Millisecond {
		t.Errorf("elapsed %v, want 25ms from stats.elapsed_ns", p.Elapsed)
	}
}

func TestScore(t *testing.T) {
	res := Score(mustRef(t, refJSON), mustPred(t, predJSON))
	want := Counts{RefFunctions: 4, FoundFunctions: 3, PredFunctions: 4, RefEdges: 2, PredEdges: 3, MatchedEdges: 2}
	if res.Counts != want {
		t.Fatalf("counts %+v, want %+v", res.Counts, want)
	}
	if got := res.FunctionRecall(); got != 0.75 {
		t.Errorf("function recall %v, want 0.75", got)
	}
	if got := res.EdgePrecision(); got != 2.0/3 {
		t.Errorf("edge precision %v, want 2/3", got)
	}
	if got := res.EdgeRecall(); got != 1 {
		t.Errorf("edge recall %v, want 1", got)
	}
	if want := []string{"a.K.constructor"}; !reflect.DeepEqual(res.MissingFunctions, want) {
		t.Errorf("missing %v, want %v", res.MissingFunctions, want)
	}
	// a.extra -> a.f is out of scope (the compiler has no a.extra), so is the module
	// node's edge (q4c does not list module a) and the edge to the missing constructor.
	if want := [][2]string{{"a.g", "a.f"}}; !reflect.DeepEqual(res.ExtraEdges, want) {
		t.Errorf("extra edges %v, want %v", res.ExtraEdges, want)
	}
	if len(res.MissedEdges) != 0 {
		t.Errorf("missed edges %v, want none", res.MissedEdges)
	}
}

func TestScoreCountsModuleNodesBothSidesList(t *testing.T) {
	pred := mustPred(t, predJSON)
	pred.Functions = append(pred.Functions, "a")
	res := Score(mustRef(t, refJSON), pred)
	if res.RefEdges != 3 || res.MatchedEdges != 2 {
		t.Fatalf("counts %+v: the module node's edge a -> a.f should be in scope and missed", res.Counts)
	}
	if want := [][2]string{{"a", "a.f"}}; !reflect.DeepEqual(res.MissedEdges, want) {
		t.Errorf("missed edges %v, want %v", res.MissedEdges, want)
	}
}

func TestEmptyPredictionScoresZero(t *testing.T) {
	res := Score(mustRef(t, refJSON), mustPred(t, `{"functions": [], "stats": {}}`))
	if res.FunctionRecall() != 0 || res.EdgePrecision() != 0 || res.EdgeRecall() != 0 {
		t.Errorf("empty prediction scored %+v: nothing found must not look perfect", res.Counts)
	}
	if len(res.MissingFunctions) != 4 {
		t.Errorf("missing %v, want all 4 reference functions", res.MissingFunctions)
	}
}

func TestCountsAdd(t *testing.T) {
	a := Counts{RefFunctions: 10, FoundFunctions: 9, PredFunctions: 12, RefEdges: 20, PredEdges: 18, MatchedEdges: 15}
	b := Counts{RefFunctions: 90, FoundFunctions: 90, PredFunctions: 95, RefEdges: 80, PredEdges: 82, MatchedEdges: 70}
	sum := a.Add(b)
	if sum.FunctionRecall() != 0.99 || sum.EdgePrecision() != 0.85 || sum.EdgeRecall() != 0.85 {
		t.Errorf("total %+v: recall %v precision %v edge recall %v, want 0.99 0.85 0.85 (micro-average)",
			sum, sum.FunctionRecall(), sum.EdgePrecision(), sum.EdgeRecall())
	}
}

func TestMedian(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{ms(7), 7 * time.Millisecond},
		{ms(30, 10, 20), 20 * time.Millisecond},
		{ms(40, 10, 30, 20), 20 * time.Millisecond},
	} {
		in := append([]time.Duration(nil), c.in...)
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
		if !reflect.DeepEqual(in, c.in) {
			t.Errorf("Median reordered its input %v", c.in)
		}
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct {
		name, ref, want string
	}{
		{"not json", `{`, "reading the TypeScript reference"},
		{"unknown field", `{"modules": ["a"], "elapsed_ms": 1, "extra": 1}`, "unknown field"},
		{"no modules", `{"functions": ["a.f"], "elapsed_ms": 1}`, "no modules"},
		{"bad edge", `{"modules": ["a"], "edges": [["a", ""]], "elapsed_ms": 1}`, "empty end"},
		{"no time", `{"modules": ["a"]}`, "elapsed_ms"},
	} {
		if _, err := ReadReference(strings.NewReader(c.ref)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	for _, c := range []struct {
		name, pred, want string
	}{
		{"not json", `[`, "reading q4c callgraph"},
		{"pycg format", `{"a": ["a.f"]}`, "no functions list"},
		{"no id", `{"functions": [{"callees": []}]}`, "without an id"},
	} {
		if _, err := ReadPrediction(strings.NewReader(c.pred)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
