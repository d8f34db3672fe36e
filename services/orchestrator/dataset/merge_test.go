package dataset

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/neardup"
)

// sampleManifest describes sampleRecords' two repositories.
func sampleManifest() Manifest {
	return Manifest{
		Sources: []ManifestSource{
			{Repo: "repo-a", LocalPath: "repo-a", Commit: "c1", License: "MIT", Parsed: true, Functions: 7,
				Skipped: []SkippedFile{{Path: "big.py", Reason: "too_large", Detail: "2000000 bytes, cap 1048576"}}},
			{Repo: "repo-b", GitURL: "https://example.com/b", Commit: "c2", License: "unknown", Parsed: true, Functions: 2, Skipped: []SkippedFile{}},
		},
		KeepThreshold: 2, Concurrency: 8, Model: "offline", PromptVersion: "v1", FunctionsFailed: 1, LLMRequests: 12,
		Parse:    &ManifestParse{SkipTests: true},
		Training: ManifestTraining{NearDuplicateThreshold: 0.85, Splits: "0.5,0.25,0.25"},
	}
}

// nearCopy is a reformatted copy of repo-a's pkg.b.f in a third repository, sharded apart from it.
func nearCopy() (*orchestratorv1.Record, ManifestSource) {
	r := proto.Clone(sampleRecords()[1]).(*orchestratorv1.Record)
	r.Id, r.Repo, r.Path, r.Code = "repo-c:pkg.b.f", "repo-c", "vendor/b.py", "def f(x):\n  return np.mean( g(x) )  <3 & co"
	return r, ManifestSource{Repo: "repo-c", Commit: "c3", License: "MIT", Parsed: true, Functions: 1, Skipped: []SkippedFile{}}
}

// shard writes the records of the given repositories with the manifest's matching sources.
func shard(t *testing.T, repos ...string) string {
	t.Helper()
	full := sampleManifest()
	m := full
	m.Sources, m.FunctionsFailed, m.LLMRequests = []ManifestSource{}, 0, 0
	var recs []*orchestratorv1.Record
	var excluded []Excluded
	for _, repo := range repos {
		for _, s := range full.Sources {
			if s.Repo == repo {
				m.Sources = append(m.Sources, s)
			}
		}
		for _, r := range sampleRecords() {
			if r.GetRepo() == repo {
				recs = append(recs, r)
			}
		}
		for _, e := range sampleExcluded() {
			if e.Repo == repo {
				excluded = append(excluded, e)
			}
		}
		if repo == "repo-a" {
			m.FunctionsFailed, m.LLMRequests = full.FunctionsFailed, full.LLMRequests
		}
	}
	dir := t.TempDir()
	if err := Write(dir, recs, excluded, m.Card(), &m); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMergeLeavesOutNearDuplicatesAcrossShards merges a shard holding a near copy of another shard's
// function: the merge equals one run, in which the copy was left out before annotation.
func TestMergeLeavesOutNearDuplicatesAcrossShards(t *testing.T) {
	copyRec, copySrc := nearCopy()
	m := sampleManifest()
	m.Sources, m.FunctionsFailed, m.LLMRequests = []ManifestSource{copySrc}, 0, 0
	copyShard := t.TempDir()
	if err := Write(copyShard, []*orchestratorv1.Record{copyRec}, nil, m.Card(), &m); err != nil {
		t.Fatal(err)
	}
	// One run over the three repositories: the copy sorts after repo-a's function, so it is left out.
	one := sampleManifest()
	one.Sources = append(one.Sources, copySrc)
	a, err := neardup.Cluster([]neardup.Item{{Key: "a", Code: sampleRecords()[1].GetCode()}, {Key: "c", Code: copyRec.GetCode()}}, 0.85)
	if err != nil || !a[1].Duplicate() {
		t.Fatalf("the copy is not a near-duplicate: %+v %v", a, err)
	}
	single := t.TempDir()
	excluded := append(sampleExcluded(), Excluded{ID: copyRec.GetId(), Repo: "repo-c", Path: "vendor/b.py", Function: "pkg.b.f", Language: "python", Reason: ReasonNearDuplicate,
		Detail: NearDuplicateDetail("repo-a:pkg.b.f", a[1].Jaccard)})
	if err := Write(single, sampleRecords(), excluded, one.Card(), &one); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "merged")
	res, err := Merge(out, []string{shard(t, "repo-a", "repo-b"), copyShard}, MergeOptions{Order: []string{"repo-a", "https://example.com/b", "repo-c"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NearDuplicates != 1 || res.Records != 4 {
		t.Errorf("result %+v, want 4 records and 1 near-duplicate", res)
	}
	compareDirs(t, out, single)
}

// compareDirs checks that every file of a dataset, data files included, is byte-identical in got and want.
func compareDirs(t *testing.T, got, want string) {
	t.Helper()
	var names []string
	err := filepath.WalkDir(want, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(want, path)
			names = append(names, rel)
		}
		return err
	})
	if err != nil || len(names) < 6 {
		t.Fatalf("files of %s: %v %v", want, names, err)
	}
	for _, name := range names {
		g, _ := os.ReadFile(filepath.Join(got, name))
		w, _ := os.ReadFile(filepath.Join(want, name))
		if !bytes.Equal(g, w) {
			t.Errorf("%s differs from a single run's:\n%s\nwant:\n%s", name, g, w)
		}
	}
}

func TestReadRoundTrip(t *testing.T) {
	dir := shard(t, "repo-a", "repo-b")
	d, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleRecords()
	SortRecords(want)
	if len(d.Records) != len(want) {
		t.Fatalf("read %d records, want %d", len(d.Records), len(want))
	}
	byID := map[string]*orchestratorv1.Record{}
	for _, r := range want {
		byID[r.GetId()] = r
	}
	for _, r := range d.Records {
		w := byID[r.GetId()]
		// Written lists are never null, so compare through RowOf, which normalises nil to empty.
		if w == nil || !proto.Equal(RecordOf(RowOf(w)), r) {
			t.Errorf("record %s read back as %v, want %v", r.GetId(), r, w)
		}
	}
	if m := sampleManifest(); d.Manifest.Model != m.Model || len(d.Manifest.Sources) != 2 || d.Manifest.FunctionsFailed != 1 || d.Manifest.LLMRequests != 12 {
		t.Errorf("manifest read back as %+v", d.Manifest)
	}
}

func TestMergeEqualsOneRun(t *testing.T) {
	single := shard(t, "repo-a", "repo-b")
	tests := []struct {
		name   string
		shards func(t *testing.T) []string
		order  []string
		dups   int
	}{
		{"two shards in corpus order", func(t *testing.T) []string { return []string{shard(t, "repo-b"), shard(t, "repo-a")} }, []string{"repo-a", "repo-b"}, 0},
		{"no order sorts by name", func(t *testing.T) []string { return []string{shard(t, "repo-b"), shard(t, "repo-a")} }, nil, 0},
		{"an empty shard contributes nothing", func(t *testing.T) []string { return []string{shard(t), shard(t, "repo-a"), shard(t, "repo-b")} }, nil, 0},
		{"a repository in two shards is written once", func(t *testing.T) []string {
			return []string{shard(t, "repo-a", "repo-b"), shard(t, "repo-b")}
		}, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			res, err := Merge(out, tc.shards(t), MergeOptions{Order: tc.order})
			if err != nil {
				t.Fatal(err)
			}
			if res.Records != 4 || res.Kept != 2 || res.Sources != 2 || res.Duplicates != tc.dups {
				t.Errorf("result %+v, want 4 records, 2 kept, 2 sources, %d duplicates", res, tc.dups)
			}
			compareDirs(t, out, single)
		})
	}
}

func TestMergeRefuses(t *testing.T) {
	otherModel := func(t *testing.T) string {
		m := sampleManifest()
		m.Sources, m.Model = m.Sources[1:], "gpt-4o-mini"
		dir := t.TempDir()
		if err := Write(dir, nil, nil, m.Card(), &m); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	conflicting := func(t *testing.T) string {
		m := sampleManifest()
		m.Sources = m.Sources[:1]
		recs := sampleRecords()[1:2]
		recs[0].Query = "another query"
		dir := t.TempDir()
		if err := Write(dir, recs, nil, m.Card(), &m); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	otherFilters := func(t *testing.T) string {
		m := sampleManifest()
		m.Sources, m.Filters.KeepTests = m.Sources[1:], true
		dir := t.TempDir()
		if err := Write(dir, nil, nil, m.Card(), &m); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	notDataset := func(t *testing.T) string { return t.TempDir() }
	unknownField := func(t *testing.T) string {
		dir := shard(t, "repo-a")
		if err := os.WriteFile(filepath.Join(dir, PairsFile), []byte(`{"id":"x","surprise":1}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tests := []struct {
		name   string
		second func(t *testing.T) string
		want   error
	}{
		{"another model", otherModel, ErrIncompatible},
		{"one id, two records", conflicting, ErrIncompatible},
		{"other filters", otherFilters, ErrIncompatible},
		{"not a dataset", notDataset, ErrNotDataset},
		{"an unknown field", unknownField, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			_, err := Merge(out, []string{shard(t, "repo-a"), tc.second(t)}, MergeOptions{})
			if err == nil {
				t.Fatal("merged")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if _, statErr := os.Stat(out); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("a refused merge left %s behind", out)
			}
		})
	}
	t.Run("output is a shard", func(t *testing.T) {
		dir := shard(t, "repo-a")
		if _, err := Merge(dir, []string{dir}, MergeOptions{}); err == nil {
			t.Fatal("merged into its own input")
		}
	})
}
