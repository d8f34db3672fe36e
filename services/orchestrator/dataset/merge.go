package dataset

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

// Errors of Read and Merge, for errors.Is.
var (
	// ErrNotDataset: a directory lacks one of the files a run writes.
	ErrNotDataset = errors.New("not a dataset directory")
	// ErrIncompatible: shards were made with different parameters (model, prompt version, threshold,
	// parse options), or hold different records under one id, so they cannot form one dataset.
	ErrIncompatible = errors.New("incompatible shards")
)

// RecordOf converts a row read back from pairs.jsonl or rejected.jsonl into a record; RowOf inverts it.
func RecordOf(r Row) *orchestratorv1.Record {
	return &orchestratorv1.Record{
		Id: r.ID, Repo: r.Repo, Commit: r.Commit, Path: r.Path, StartLine: r.StartLine, EndLine: r.EndLine,
		Function: r.Function, Language: r.Language, Code: r.Code, Docstring: r.Docstring, Summary: r.Summary,
		Query: r.Query, Score: r.Score, Explanation: r.Explanation, Kept: r.Kept, Model: r.Model,
		PromptVersion: r.PromptVersion, Callees: slices.Clone(r.Callees), Apis: slices.Clone(r.APIs),
		DocsUsed: slices.Clone(r.DocsUsed), PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens,
		CostUsd: r.CostUSD, Split: r.Split, License: r.License,
	}
}

// Dataset is an output directory read back: its records (kept and rejected), the functions it left
// out and its manifest.
type Dataset struct {
	Dir      string
	Records  []*orchestratorv1.Record
	Excluded []Excluded
	Manifest Manifest
}

// Read reads the dataset in dir from pairs.jsonl, rejected.jsonl, excluded.jsonl and manifest.json.
// Unknown fields are an error, so a format change is noticed rather than dropped.
func Read(dir string) (*Dataset, error) {
	d := &Dataset{Dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w: no %s", dir, ErrNotDataset, ManifestFile)
		}
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d.Manifest); err != nil {
		return nil, fmt.Errorf("%s: decode %s: %w", dir, ManifestFile, err)
	}
	if _, err := split.Parse(d.Manifest.Training.Splits); err != nil {
		return nil, fmt.Errorf("%s: %s: splits: %w", dir, ManifestFile, err)
	}
	for _, name := range []string{PairsFile, RejectedFile} {
		rows, err := readLines(filepath.Join(dir, name), rowID)
		if err != nil {
			return nil, readError(dir, name, err)
		}
		for _, row := range rows {
			d.Records = append(d.Records, RecordOf(row))
		}
	}
	if d.Excluded, err = readLines(filepath.Join(dir, ExcludedFile), excludedID); err != nil {
		return nil, readError(dir, ExcludedFile, err)
	}
	return d, nil
}

func readError(dir, name string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w: no %s", dir, ErrNotDataset, name)
	}
	return fmt.Errorf("%s: %w", dir, err)
}

// readLines reads a JSON Lines file of T, each line with a non-empty id.
func readLines[T any](path string, id func(*T) string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	dec.DisallowUnknownFields()
	var rows []T
	for n := 1; ; n++ {
		var row T
		if err := dec.Decode(&row); err != nil {
			if errors.Is(err, io.EOF) {
				return rows, nil
			}
			return nil, fmt.Errorf("%s: line %d: %w", filepath.Base(path), n, err)
		}
		if id(&row) == "" {
			return nil, fmt.Errorf("%s: line %d has no id", filepath.Base(path), n)
		}
		rows = append(rows, row)
	}
}

// MergeOptions control Merge.
type MergeOptions struct {
	// Order lists repository names (RepoName) in the order the merged card and manifest list them,
	// normally the corpus list; sources it does not name follow, sorted by name. Empty: sorted by name.
	Order []string
}

// MergeResult says what Merge wrote.
type MergeResult struct {
	Shards, Sources, Records, Kept int
	// Duplicates are records found in more than one shard with identical content, written once.
	Duplicates int
	// NearDuplicates are records left out as near-duplicates of a record of another shard.
	NearDuplicates int
}

// Merge combines shard outputs into one dataset in out, as one run over all their sources would have
// written it: records sorted and deduplicated by id, identical code across shards kept once (unless
// the shards kept duplicates), the functions every shard left out (an entry found in two shards
// written once), the manifest's sources of every shard, the card
// recomputed over all records. Shards must agree on the parameters that shape records (model, prompt
// version, keep threshold, context budget, parse options, cost budget); a shard without sources (an
// empty shard of an Indexed Job) only contributes nothing. The concurrency recorded is the first
// shard's: it does not change records. Like Write, the files appear all at once or not at all.
func Merge(out string, shardDirs []string, opts MergeOptions) (MergeResult, error) {
	if len(shardDirs) == 0 {
		return MergeResult{}, errors.New("merge: no shard directory given")
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return MergeResult{}, fmt.Errorf("merge: %w", err)
	}
	var (
		res      = MergeResult{Shards: len(shardDirs)}
		merged   Manifest
		base     *Dataset
		byID     = map[string]*orchestratorv1.Record{}
		records  []*orchestratorv1.Record
		excluded []Excluded
		seenExcl = map[Excluded]bool{}
		// redactions sums every shard's, an empty shard's included.
		redactions = map[string]int{}
		sources    = map[string]ManifestSource{}
		notes      []string
		haveBase   bool
	)
	for _, dir := range shardDirs {
		if abs, err := filepath.Abs(dir); err == nil && abs == outAbs {
			return MergeResult{}, fmt.Errorf("merge: the output directory %s is also a shard", dir)
		}
		d, err := Read(dir)
		if err != nil {
			return MergeResult{}, fmt.Errorf("merge: %w", err)
		}
		m := d.Manifest
		if len(m.Sources) > 0 {
			if !haveBase {
				base, haveBase = d, true
				merged = m
				merged.Sources, merged.FunctionsFailed, merged.LLMRequests, merged.Note, merged.Redactions = nil, 0, 0, "", redactions
			} else if diff := parameterDiff(&base.Manifest, &m); diff != "" {
				return MergeResult{}, fmt.Errorf("merge: %w: %s and %s differ in %s", ErrIncompatible, base.Dir, dir, diff)
			}
		}
		merged.FunctionsFailed += m.FunctionsFailed
		merged.LLMRequests += m.LLMRequests
		for kind, n := range m.Redactions {
			redactions[kind] += n
		}
		for _, e := range d.Excluded {
			if !seenExcl[e] {
				seenExcl[e] = true
				excluded = append(excluded, e)
			}
		}
		if m.Note != "" && !slices.Contains(notes, m.Note) {
			notes = append(notes, m.Note)
		}
		for _, s := range m.Sources {
			key := s.orderKey()
			if prev, ok := sources[key]; ok {
				if !reflect.DeepEqual(prev, s) {
					return MergeResult{}, fmt.Errorf("merge: %w: source %s differs between shards (commit %s and %s)", ErrIncompatible, s.Name(), prev.Commit, s.Commit)
				}
				continue
			}
			sources[key] = s
		}
		for _, e := range d.Excluded {
			if !seenExcl[e] {
				seenExcl[e] = true
				excluded = append(excluded, e)
			}
		}
		for _, r := range d.Records {
			if prev, ok := byID[r.GetId()]; ok {
				if !reflect.DeepEqual(RowOf(prev), RowOf(r)) {
					return MergeResult{}, fmt.Errorf("merge: %w: record %s differs between shards", ErrIncompatible, r.GetId())
				}
				res.Duplicates++
				continue
			}
			byID[r.GetId()] = r
			records = append(records, r)
		}
	}
	merged.Note = strings.Join(notes, "; ")
	merged.Redactions = redactions
	if len(redactions) == 0 {
		merged.Redactions = nil // as a run that replaced nothing writes it
	}
	merged.Sources = orderSources(sources, opts.Order)
	if merged.Sources == nil {
		merged.Sources = []ManifestSource{}
	}
	if !merged.Filters.KeepDuplicates {
		records, excluded = dropCrossShardDuplicates(records, excluded, merged.Sources)
	}
	records, nearDup, err := crossShardNearDuplicates(records, merged.Sources, merged.Training.NearDuplicateThreshold)
	if err != nil {
		return MergeResult{}, fmt.Errorf("merge: %w", err)
	}
	excluded = append(excluded, nearDup...)
	res.NearDuplicates = len(nearDup)
	if err := Write(out, records, excluded, merged.Card(), &merged); err != nil {
		return MergeResult{}, fmt.Errorf("merge: %w", err)
	}
	res.Sources, res.Records = len(merged.Sources), len(records)
	for _, r := range records {
		if r.GetKept() {
			res.Kept++
		}
	}
	return res, nil
}

// parameterDiff names the first parameter that shapes records and differs between a and b.
func parameterDiff(a, b *Manifest) string {
	switch {
	case a.Model != b.Model:
		return fmt.Sprintf("model (%q, %q)", a.Model, b.Model)
	case a.PromptVersion != b.PromptVersion:
		return fmt.Sprintf("prompt version (%q, %q)", a.PromptVersion, b.PromptVersion)
	case a.KeepThreshold != b.KeepThreshold:
		return fmt.Sprintf("keep threshold (%d, %d)", a.KeepThreshold, b.KeepThreshold)
	case a.MaxContextTokens != b.MaxContextTokens:
		return fmt.Sprintf("max context tokens (%d, %d)", a.MaxContextTokens, b.MaxContextTokens)
	case a.BudgetUSD != b.BudgetUSD:
		return fmt.Sprintf("budget (%g, %g)", a.BudgetUSD, b.BudgetUSD)
	case !reflect.DeepEqual(a.Parse, b.Parse):
		return "parse options"
	case a.Filters != b.Filters:
		return "filters (--keep-*)"
	case !reflect.DeepEqual(a.Training, b.Training):
		return "training filters or splits"
	}
	return ""
}

// orderKey identifies a source among a merge's: the source as given to the job (RepoName's form,
// which MergeOptions.Order lists), or, when the manifest omits local paths, its portable name.
func (s ManifestSource) orderKey() string {
	switch {
	case s.LocalPath != "":
		return s.LocalPath
	case s.GitURL != "" && s.GitRevision != "":
		return s.GitURL + "@" + s.GitRevision
	case s.GitURL != "":
		return s.GitURL
	}
	return s.Name()
}

// orderSources lists the sources in order, then the rest sorted by name.
func orderSources(sources map[string]ManifestSource, order []string) []ManifestSource {
	var out []ManifestSource
	placed := map[string]bool{}
	for _, key := range order {
		if s, ok := sources[key]; ok && !placed[key] {
			out = append(out, s)
			placed[key] = true
		}
	}
	var rest []string
	for key := range sources {
		if !placed[key] {
			rest = append(rest, key)
		}
	}
	slices.SortFunc(rest, func(a, b string) int {
		if c := strings.Compare(sources[a].Name(), sources[b].Name()); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for _, key := range rest {
		out = append(out, sources[key])
	}
	return out
}

// dropCrossShardDuplicates applies the duplicate filter across shards, as one run applies it across
// its sources: of records with identical code (NormalizeCode), the first by source order, path,
// start line and id stays; the others move to excluded as its duplicates, and entries that named a
// moved record as their original name the one that stays.
func dropCrossShardDuplicates(records []*orchestratorv1.Record, excluded []Excluded, sources []ManifestSource) ([]*orchestratorv1.Record, []Excluded) {
	rank := make(map[string]int, len(sources))
	for i, s := range sources {
		rank[s.Name()] = i
	}
	ordered := slices.Clone(records)
	slices.SortStableFunc(ordered, func(a, b *orchestratorv1.Record) int {
		if c := cmp.Compare(rank[sourceOfID(a.GetId())], rank[sourceOfID(b.GetId())]); c != 0 {
			return c
		}
		if c := strings.Compare(a.GetPath(), b.GetPath()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.GetStartLine(), b.GetStartLine()); c != 0 {
			return c
		}
		return strings.Compare(a.GetId(), b.GetId())
	})
	first := map[string]*orchestratorv1.Record{}
	movedTo := map[string]string{}
	for _, r := range ordered {
		code := NormalizeCode(r.GetCode())
		if kept, ok := first[code]; ok {
			movedTo[r.GetId()] = kept.GetId()
			continue
		}
		first[code] = r
	}
	if len(movedTo) == 0 {
		return records, excluded
	}
	for i, e := range excluded {
		if target, ok := strings.CutPrefix(e.Detail, duplicateOf); ok && e.Reason == ReasonDuplicate && movedTo[target] != "" {
			excluded[i].Detail = duplicateOf + movedTo[target]
		}
	}
	var kept []*orchestratorv1.Record
	for _, r := range records {
		target, moved := movedTo[r.GetId()]
		if !moved {
			kept = append(kept, r)
			continue
		}
		excluded = append(excluded, Excluded{ID: r.GetId(), Repo: r.GetRepo(), Path: r.GetPath(), Function: r.GetFunction(), Language: r.GetLanguage(),
			Reason: ReasonDuplicate, Detail: duplicateOf + target})
	}
	return kept, excluded
}
