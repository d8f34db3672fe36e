// Package jscompare scores the parser's JavaScript/TypeScript call graph
// (`q4c callgraph --format json`) against the TypeScript compiler's
// (bench/tsref/tsref.js): named functions found, and call edges between
// functions both sides know.
package jscompare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

// Reference is the compiler's graph as tsref.js writes it.
type Reference struct {
	TypeScript string `json:"typescript"`
	Root       string `json:"root"`
	Files      int    `json:"files"`
	// Modules are the module nodes (module-level code), by module id.
	Modules   []string    `json:"modules"`
	Functions []string    `json:"functions"`
	Edges     [][2]string `json:"edges"`
	CallSites int         `json:"call_sites"`
	// ElapsedMs is the median of RunsMs: program creation, checking and
	// resolution of every call, in process.
	ElapsedMs float64   `json:"elapsed_ms"`
	RunsMs    []float64 `json:"runs_ms"`
}

// ReadReference decodes and checks a tsref.js output.
func ReadReference(r io.Reader) (*Reference, error) {
	var ref Reference
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ref); err != nil {
		return nil, fmt.Errorf("reading the TypeScript reference: %w", err)
	}
	if len(ref.Modules) == 0 {
		return nil, errors.New("the TypeScript reference has no modules: not a tsref.js output?")
	}
	for i, e := range ref.Edges {
		if e[0] == "" || e[1] == "" {
			return nil, fmt.Errorf("the TypeScript reference's edge %d has an empty end", i)
		}
	}
	if ref.ElapsedMs <= 0 {
		return nil, errors.New("the TypeScript reference has no elapsed_ms")
	}
	return &ref, nil
}

// Prediction is the parser's graph: function ids, edges (resolved and
// name-matched alike), the in-process analysis time and the files it
// skipped ("path: reason"), which explain missing functions.
type Prediction struct {
	Functions []string
	Edges     [][2]string
	Elapsed   time.Duration
	Skipped   []string
}

// ReadPrediction decodes `q4c callgraph --format json` output.
func ReadPrediction(r io.Reader) (*Prediction, error) {
	var g struct {
		Functions *[]struct {
			ID      string `json:"id"`
			Callees []struct {
				ID string `json:"id"`
			} `json:"callees"`
		} `json:"functions"`
		Stats struct {
			ElapsedNs int64 `json:"elapsed_ns"`
		} `json:"stats"`
		Skipped []struct {
			Path   string `json:"path"`
			Reason string `json:"reason"`
			Detail string `json:"detail"`
		} `json:"skipped"`
	}
	if err := json.NewDecoder(r).Decode(&g); err != nil {
		return nil, fmt.Errorf("reading q4c callgraph --format json: %w", err)
	}
	if g.Functions == nil {
		return nil, errors.New("q4c callgraph output has no functions list: not --format json?")
	}
	p := &Prediction{Elapsed: time.Duration(g.Stats.ElapsedNs)}
	for _, f := range g.Skipped {
		entry := f.Path + ": " + f.Reason
		if f.Detail != "" {
			entry += " (" + f.Detail + ")"
		}
		p.Skipped = append(p.Skipped, entry)
	}
	for _, f := range *g.Functions {
		if f.ID == "" {
			return nil, errors.New("q4c callgraph output has a function without an id")
		}
		p.Functions = append(p.Functions, f.ID)
		for _, c := range f.Callees {
			p.Edges = append(p.Edges, [2]string{f.ID, c.ID})
		}
	}
	return p, nil
}

// Counts are what a score is computed from; they add up over packages.
type Counts struct {
	RefFunctions, FoundFunctions, PredFunctions int
	// Edges between functions both sides know (see Score).
	RefEdges, PredEdges, MatchedEdges int
}

// Add sums counts (for the total over packages).
func (c Counts) Add(o Counts) Counts {
	return Counts{
		RefFunctions: c.RefFunctions + o.RefFunctions, FoundFunctions: c.FoundFunctions + o.FoundFunctions,
		PredFunctions: c.PredFunctions + o.PredFunctions, RefEdges: c.RefEdges + o.RefEdges,
		PredEdges: c.PredEdges + o.PredEdges, MatchedEdges: c.MatchedEdges + o.MatchedEdges,
	}
}

// FunctionRecall is the share of the compiler's named functions the parser found.
func (c Counts) FunctionRecall() float64 { return ratio(c.FoundFunctions, c.RefFunctions) }

// EdgePrecision is the share of the parser's edges the compiler also finds.
func (c Counts) EdgePrecision() float64 { return ratio(c.MatchedEdges, c.PredEdges) }

// EdgeRecall is the share of the compiler's edges the parser also finds.
func (c Counts) EdgeRecall() float64 { return ratio(c.MatchedEdges, c.RefEdges) }

// ratio is n/d, and 0 for an empty denominator (nothing to find is not a perfect score).
func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Result is one package's score, with what was missed for inspection.
type Result struct {
	Counts
	// MissingFunctions: the compiler's functions the parser did not name.
	MissingFunctions []string
	// MissedEdges (the compiler's, not the parser's) and ExtraEdges (the
	// parser's, not the compiler's), between functions both know.
	MissedEdges, ExtraEdges [][2]string
}

// Score compares a prediction with the reference. Functions: every
// reference function id is looked up among the prediction's. Edges: both
// sides are first restricted to edges whose caller and callee are both known
// to both sides (reference functions or module nodes that the prediction
// also lists), so a naming difference counts once, in function recall, not
// again in every edge through that function; duplicates count once.
func Score(ref *Reference, pred *Prediction) Result {
	predSet := set(pred.Functions)
	known := map[string]bool{}
	var res Result
	for _, f := range uniq(ref.Functions) {
		res.RefFunctions++
		if predSet[f] {
			res.FoundFunctions++
			known[f] = true
		} else {
			res.MissingFunctions = append(res.MissingFunctions, f)
		}
	}
	for _, m := range ref.Modules {
		if predSet[m] {
			known[m] = true
		}
	}
	res.PredFunctions = len(predSet)
	inScope := func(edges [][2]string) map[[2]string]bool {
		out := map[[2]string]bool{}
		for _, e := range edges {
			if known[e[0]] && known[e[1]] {
				out[e] = true
			}
		}
		return out
	}
	refEdges, predEdges := inScope(ref.Edges), inScope(pred.Edges)
	res.RefEdges, res.PredEdges = len(refEdges), len(predEdges)
	for e := range refEdges {
		if predEdges[e] {
			res.MatchedEdges++
		} else {
			res.MissedEdges = append(res.MissedEdges, e)
		}
	}
	for e := range predEdges {
		if !refEdges[e] {
			res.ExtraEdges = append(res.ExtraEdges, e)
		}
	}
	sortEdges(res.MissedEdges)
	sortEdges(res.ExtraEdges)
	return res
}

// Median is the middle of the durations (the lower middle for an even count), 0 for none.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)/2]
}

func set(ids []string) map[string]bool {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func uniq(ids []string) []string {
	seen := set(nil)
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func sortEdges(e [][2]string) {
	sort.Slice(e, func(i, j int) bool {
		if e[i][0] != e[j][0] {
			return e[i][0] < e[j][0]
		}
		return e[i][1] < e[j][1]
	})
}
