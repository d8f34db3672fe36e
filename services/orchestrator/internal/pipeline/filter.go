package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	"github.com/query4code/query4code/services/orchestrator/internal/store"
)

// filterSet says which default filters of "what enters the dataset" are on: true leaves the kind out.
type filterSet struct {
	tests, dunder, trivial, duplicates bool
}

// filtersOf reads a job's filters. Every filter is on unless its keep_* field turns it off; the
// parse options' skip_* fields, which jobs no longer send to the parser (left-out functions must
// still be parsed so their callers resolve), keep the meaning they had: leave the kind out.
func filtersOf(o *orchestratorv1.JobOptions) filterSet {
	f, p := o.GetFilters(), o.GetParse()
	return filterSet{
		tests:      !f.GetKeepTests() || p.GetSkipTests(),
		dunder:     !f.GetKeepDunder() || p.GetSkipDunder(),
		trivial:    !f.GetKeepTrivial() || p.GetSkipTrivial(),
		duplicates: !f.GetKeepDuplicates(),
	}
}

// parserOptions are the parse options a job sends: the job's, with every function reported.
func parserOptions(o *orchestratorv1.JobOptions) *parserv1.ParseOptions {
	p := o.GetParse()
	if p == nil {
		return nil
	}
	return &parserv1.ParseOptions{Include: p.GetInclude(), Exclude: p.GetExclude(), MaxFileBytes: p.GetMaxFileBytes(), Languages: p.GetLanguages()}
}

// exclusion is why a function is left out of the dataset.
type exclusion struct {
	reason string
	detail string
	// representative and jaccard name a near_duplicate's representative (its record id).
	representative string
	jaccard        float64
}

// traitExclusion applies the filters that look at one function alone, in a fixed order so a function
// that is, say, both a test and trivial is always reported as a test.
func (fs filterSet) traitExclusion(fn *parserv1.Function) (exclusion, bool) {
	switch {
	case fs.tests && fn.GetIsTest():
		return exclusion{reason: dataset.ReasonTest}, true
	case fs.dunder && fn.GetIsDunder():
		return exclusion{reason: dataset.ReasonDunder}, true
	case fs.trivial && fn.GetIsTrivial():
		return exclusion{reason: dataset.ReasonTrivial}, true
	}
	return exclusion{}, false
}

// normalizedCodeHash hashes code with every run of whitespace made one space, so reindented or
// rewrapped copies of a function count as identical.
func normalizedCodeHash(code string) string {
	return store.HashText("normalized-code", dataset.NormalizeCode(code))
}

// decideExclusions marks the functions the job leaves out, in the order of "what enters the dataset":
// by their traits first, then, among the functions still in, every function of a source whose licence
// the allow-list does not allow, every function matching an evaluation set, every copy of identical
// code but the first by repository order, path, start line and id (left out as a duplicate of that
// first one), and every near-duplicate but its cluster's representative. It runs after parsing and
// before any LLM call, so nothing left out costs a call unless a kept caller needs its summary.
func decideExclusions(funcs []*fnState, fs filterSet, tf trainingFilters) error {
	var candidates []*fnState
	for _, f := range funcs {
		if ex, ok := fs.traitExclusion(f.fn); ok {
			f.exclusion = &ex
			continue
		}
		candidates = append(candidates, f)
	}
	candidates = tf.licenseExclusions(candidates)
	candidates = tf.contaminationExclusions(candidates)
	if fs.duplicates {
		candidates = exactDuplicateExclusions(candidates)
	}
	return tf.nearDuplicateExclusions(candidates)
}

// exactDuplicateExclusions leaves out every copy of identical code but the first by repository order,
// path, start line and id, and returns the functions still in.
func exactDuplicateExclusions(candidates []*fnState) []*fnState {
	slices.SortStableFunc(candidates, func(a, b *fnState) int {
		return cmp.Or(
			cmp.Compare(a.repo.index, b.repo.index),
			strings.Compare(a.fn.GetPath(), b.fn.GetPath()),
			cmp.Compare(a.fn.GetStartLine(), b.fn.GetStartLine()),
			strings.Compare(a.fn.GetId(), b.fn.GetId()),
		)
	})
	first := map[string]*fnState{}
	return slices.DeleteFunc(candidates, func(f *fnState) bool {
		h := normalizedCodeHash(f.fn.GetCode())
		kept, seen := first[h]
		if !seen {
			first[h] = f
			return false
		}
		f.exclusion = &exclusion{reason: dataset.ReasonDuplicate, detail: dataset.DuplicateDetail(kept.recordID())}
		return true
	})
}

// markSummaryOnly marks the left-out functions whose summary a kept function needs: the callees,
// outside the caller's own cycle, of every kept function and, transitively, of every function so
// marked (their summaries are written from their callees' summaries too). Callees inside a caller's
// cycle reach its prompt as code, so they need no summary.
func markSummaryOnly(funcs []*fnState, lookup func(repo *repoState, id string) *fnState) {
	var queue []*fnState
	for _, f := range funcs {
		if f.exclusion == nil {
			queue = append(queue, f)
		}
	}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		for _, c := range f.fn.GetCallees() {
			callee := lookup(f.repo, c.GetId())
			if callee == nil || callee == f || callee.fn.GetSccId() == f.fn.GetSccId() || callee.exclusion == nil || callee.summaryOnly {
				continue
			}
			callee.summaryOnly = true
			queue = append(queue, callee)
		}
	}
}

// syntaxErrorExclusions lists the functions the parser did not emit because their span holds a
// syntax error.
func syntaxErrorExclusions(repo *repoState) []dataset.Excluded {
	out := make([]dataset.Excluded, 0, len(repo.syntaxErrors))
	for _, s := range repo.syntaxErrors {
		out = append(out, dataset.Excluded{
			ID: repo.prov.ID(s.GetId()), Repo: repo.prov.Repo, Path: repo.prov.Path(s.GetPath()), Function: s.GetId(),
			Language: dataset.LanguageOfPath(s.GetPath()), Reason: dataset.ReasonSyntaxError, Detail: fmt.Sprintf("syntax error in lines %d-%d", s.GetStartLine(), s.GetEndLine()),
		})
	}
	return out
}

// excludedEntries lists every function the job left out, as excluded.jsonl holds them.
func (r *run) excludedEntries() []dataset.Excluded {
	var out []dataset.Excluded
	for _, repo := range r.repos {
		out = append(out, syntaxErrorExclusions(repo)...)
	}
	for _, f := range r.funcs {
		if f.exclusion == nil {
			continue
		}
		out = append(out, dataset.Excluded{
			ID: f.recordID(), Repo: f.repo.prov.Repo, Path: f.repo.prov.Path(f.fn.GetPath()), Function: f.fn.GetId(),
			Language: language(f.fn), Reason: f.exclusion.reason, Detail: f.exclusion.detail,
		})
	}
	return out
}

// recordID is the id of the function's record (or of its excluded.jsonl entry).
func (f *fnState) recordID() string { return f.repo.prov.ID(f.fn.GetId()) }
