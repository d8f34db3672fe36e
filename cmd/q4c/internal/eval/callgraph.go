package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// This file scores call graphs exactly as ../shared/bench/score_callgraph.py
// does: per case, only edges whose callee's first dotted part names a module
// (x.py) or a directory of the case folder count, and callees starting with
// "<" (builtins, methods of builtin types) are ignored.

// Edge is a scored call edge.
type Edge struct {
	Caller, Callee string
}

// CallGraphCase is the score of one case.
type CallGraphCase struct {
	Case     string `json:"case"`     // slash path relative to the cases folder
	Category string `json:"category"` // first path element
	TP       int    `json:"tp"`
	FP       int    `json:"fp"`
	FN       int    `json:"fn"`
	Exact    bool   `json:"exact"`
	Missing  []Edge `json:"missing,omitempty"`
	Extra    []Edge `json:"extra,omitempty"`
}

// PRF is precision, recall and F1 over edge counts, with the scorer's
// conventions: an empty denominator counts as 1.0.
type PRF struct {
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Exact     int     `json:"exact"`
	Cases     int     `json:"cases"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

func (p *PRF) add(c CallGraphCase) {
	p.TP += c.TP
	p.FP += c.FP
	p.FN += c.FN
	p.Cases++
	if c.Exact {
		p.Exact++
	}
}

func (p *PRF) finish() {
	p.Precision, p.Recall = 1, 1
	if p.TP+p.FP > 0 {
		p.Precision = float64(p.TP) / float64(p.TP+p.FP)
	}
	if p.TP+p.FN > 0 {
		p.Recall = float64(p.TP) / float64(p.TP+p.FN)
	}
	p.F1 = 0
	if p.Precision+p.Recall > 0 {
		p.F1 = 2 * p.Precision * p.Recall / (p.Precision + p.Recall)
	}
}

// CallGraphReport is the score of a tree of cases.
type CallGraphReport struct {
	Cases      []CallGraphCase `json:"cases"`
	Categories map[string]*PRF `json:"categories"`
	Total      PRF             `json:"total"`
}

// WriteText prints one line per category, sorted, then the TOTAL line, in
// score_callgraph.py's format.
func (r *CallGraphReport) WriteText(w io.Writer) error {
	cats := make([]string, 0, len(r.Categories))
	for c := range r.Categories {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		p := r.Categories[c]
		if _, err := fmt.Fprintf(w, "%-16s precision=%.3f recall=%.3f f1=%.3f exact=%d/%d\n",
			c, p.Precision, p.Recall, p.F1, p.Exact, p.Cases); err != nil {
			return err
		}
	}
	t := r.Total
	_, err := fmt.Fprintf(w, "TOTAL precision=%.3f recall=%.3f f1=%.3f exact=%d/%d\n",
		t.Precision, t.Recall, t.F1, t.Exact, t.Cases)
	return err
}

// LocalModules names the modules and packages of a case folder: x for every
// x.py file and every directory name, as the scorer lists them.
func LocalModules(caseDir string) (map[string]bool, error) {
	entries, err := os.ReadDir(caseDir)
	if err != nil {
		return nil, fmt.Errorf("list case %s: %w", caseDir, err)
	}
	mods := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".py") {
			mods[strings.TrimSuffix(name, ".py")] = true
			continue
		}
		// os.path.isdir follows symlinks.
		if info, err := os.Stat(filepath.Join(caseDir, name)); err == nil && info.IsDir() {
			mods[name] = true
		}
	}
	return mods, nil
}

// ScoredEdges keeps the edges of graph that the scorer counts.
func ScoredEdges(graph map[string][]string, mods map[string]bool) map[Edge]bool {
	out := map[Edge]bool{}
	for caller, callees := range graph {
		for _, callee := range callees {
			if strings.HasPrefix(callee, "<") {
				continue
			}
			first, _, _ := strings.Cut(callee, ".")
			if !mods[first] {
				continue
			}
			out[Edge{caller, callee}] = true
		}
	}
	return out
}

// ScoreCase compares predicted against ground-truth edges.
func ScoreCase(name string, truth, pred map[Edge]bool) CallGraphCase {
	c := CallGraphCase{Case: name, Category: name}
	if i := strings.IndexByte(name, '/'); i >= 0 {
		c.Category = name[:i]
	}
	for e := range pred {
		if truth[e] {
			c.TP++
		} else {
			c.FP++
			c.Extra = append(c.Extra, e)
		}
	}
	for e := range truth {
		if !pred[e] {
			c.FN++
			c.Missing = append(c.Missing, e)
		}
	}
	c.Exact = c.FP == 0 && c.FN == 0
	sortEdges(c.Missing)
	sortEdges(c.Extra)
	return c
}

func sortEdges(es []Edge) {
	sort.Slice(es, func(a, b int) bool {
		if es[a].Caller != es[b].Caller {
			return es[a].Caller < es[b].Caller
		}
		return es[a].Callee < es[b].Callee
	})
}

// Predictor returns the predicted PyCG-format graph of one case folder.
type Predictor func(ctx context.Context, caseDir string) (map[string][]string, error)

// ScoreCallGraphs walks casesDir for folders holding a callgraph.json (at
// any depth), predicts each with predict and scores it. When predDir is not
// empty each prediction is written to predDir/<case>/callgraph.json, the
// layout score_callgraph.py reads. A case whose prediction fails scores as
// an empty graph (as the Python scorer treats a missing prediction) and its
// error is returned joined with the others after every case ran.
func ScoreCallGraphs(ctx context.Context, casesDir, predDir string, predict Predictor) (*CallGraphReport, error) {
	var caseDirs []string
	err := filepath.WalkDir(casesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "callgraph.json" {
			caseDirs = append(caseDirs, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", casesDir, err)
	}
	if len(caseDirs) == 0 {
		return nil, fmt.Errorf("no case with a callgraph.json under %s", casesDir)
	}
	sort.Strings(caseDirs)
	rep := &CallGraphReport{Categories: map[string]*PRF{}}
	var predErrs []error
	for _, dir := range caseDirs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(casesDir, dir)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", dir, err)
		}
		rel = filepath.ToSlash(rel)
		mods, err := LocalModules(dir)
		if err != nil {
			return nil, err
		}
		truthGraph, err := readPyCG(filepath.Join(dir, "callgraph.json"))
		if err != nil {
			return nil, fmt.Errorf("case %s ground truth: %w", rel, err)
		}
		predGraph, err := predict(ctx, dir)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			predErrs = append(predErrs, fmt.Errorf("case %s: %w", rel, err))
			predGraph = nil
		}
		if predDir != "" && predGraph != nil {
			if err := writePyCG(filepath.Join(predDir, filepath.FromSlash(rel), "callgraph.json"), predGraph); err != nil {
				return nil, err
			}
		}
		c := ScoreCase(rel, ScoredEdges(truthGraph, mods), ScoredEdges(predGraph, mods))
		rep.Cases = append(rep.Cases, c)
		cat := rep.Categories[c.Category]
		if cat == nil {
			cat = &PRF{}
			rep.Categories[c.Category] = cat
		}
		cat.add(c)
		rep.Total.add(c)
	}
	for _, p := range rep.Categories {
		p.finish()
	}
	rep.Total.finish()
	return rep, errors.Join(predErrs...)
}

func readPyCG(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g map[string][]string
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return g, nil
}

func writePyCG(path string, g map[string][]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create prediction folder: %w", err)
	}
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("encode prediction: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write prediction: %w", err)
	}
	return nil
}
