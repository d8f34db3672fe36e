package dataset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleRecords() []*orchestratorv1.Record {
	return []*orchestratorv1.Record{
		{Id: "repo-b:m.g", Repo: "repo-b", Commit: "c2", Path: "m.py", StartLine: 10, EndLine: 12, Function: "m.g", Language: "python",
			Code: "def g():\n    return 1", Summary: "returns one", Query: "return constant one", Score: 1, Explanation: "weak", Kept: false,
			Model: "offline", PromptVersion: "v1", PromptTokens: 5, CompletionTokens: 2, CostUsd: 0.001},
		{Id: "repo-a:pkg.b.f", Repo: "repo-a", Commit: "c1", Path: "pkg/b.py", StartLine: 3, EndLine: 9, Function: "pkg.b.f", Language: "python",
			Code: "def f(x):\n    return np.mean(g(x)) <3 & co", Docstring: "Mean of g.", Summary: "averages g", Query: "python mean of values",
			Score: 3, Explanation: "good", Kept: true, Model: "offline", PromptVersion: "v1", Callees: []string{"m.g"},
			Apis: []string{"numpy.mean", "tinylib.op"}, DocsUsed: []string{"tinylib.op"}, PromptTokens: 10, CompletionTokens: 4, CostUsd: 0.002},
		{Id: "repo-a:pkg.a.h", Repo: "repo-a", Commit: "c1", Path: "pkg/a.py", StartLine: 40, EndLine: 41, Function: "pkg.a.h", Language: "python",
			Code: "def h(): pass", Summary: "does nothing", Query: "no-op function", Score: 2, Explanation: "ok", Kept: true,
			Model: "offline", PromptVersion: "v1", PromptTokens: 7, CompletionTokens: 3, CostUsd: 0.003},
		{Id: "repo-a:pkg.a.k", Repo: "repo-a", Commit: "c1", Path: "pkg/a.py", StartLine: 1, EndLine: 2, Function: "pkg.a.k", Language: "python",
			Code: "def k(): pass", Summary: "nothing", Query: "noop", Score: 0, Explanation: "unrelated", Kept: false,
			Model: "offline", PromptVersion: "v1"},
	}
}

func sampleExcluded() []Excluded {
	return []Excluded{
		{ID: "repo-a:tests.test_b.test_f", Repo: "repo-a", Path: "tests/test_b.py", Function: "tests.test_b.test_f", Language: "python", Reason: ReasonTest},
		{ID: "repo-a:pkg.a.k2", Repo: "repo-a", Path: "pkg/a.py", Function: "pkg.a.k2", Language: "python", Reason: ReasonDuplicate, Detail: "duplicate of repo-a:pkg.a.k"},
		{ID: "repo-b:m.C.__repr__", Repo: "repo-b", Path: "m.py", Function: "m.C.__repr__", Language: "python", Reason: ReasonDunder},
	}
}

var sampleCard = Card{
	Splits:          split.AllTrain,
	KeepThreshold:   2,
	FunctionsFailed: 1,
	LLMRequests:     14,
	Sources: []Source{
		{Repo: "repo-a", Commit: "c1", License: "MIT", Functions: 7, SkippedFiles: 2},
		{Repo: "repo-b", Commit: "", License: "", Functions: 2},
	},
}

func readJSONL(t *testing.T, path string) []Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) != reflect.TypeFor[Row]().NumField() {
			t.Fatalf("record has %d fields, want every one of %d: %s", len(raw), reflect.TypeFor[Row]().NumField(), sc.Text())
		}
		var row Row
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	return rows
}

func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	manifest := map[string]any{"keep_threshold": 2, "sources": []string{"repo-a", "repo-b"}}
	if err := Write(dir, sampleRecords(), sampleExcluded(), sampleCard, manifest); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{CardFile, DataDir, ExcludedFile, ManifestFile, PairsFile, RejectedFile}; !reflect.DeepEqual(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	tests := []struct {
		file string
		ids  []string
	}{
		{PairsFile, []string{"repo-a:pkg.a.h", "repo-a:pkg.b.f"}},
		{RejectedFile, []string{"repo-a:pkg.a.k", "repo-b:m.g"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var ids []string
			for _, r := range readJSONL(t, filepath.Join(dir, tc.file)) {
				ids = append(ids, r.ID)
				if r.Callees == nil || r.APIs == nil || r.DocsUsed == nil {
					t.Fatalf("record %s has a null list", r.ID)
				}
			}
			if !reflect.DeepEqual(ids, tc.ids) {
				t.Fatalf("ids %v, want %v (sorted by repo, path, line)", ids, tc.ids)
			}
		})
	}
	// excluded.jsonl: every entry with the seven fields, sorted by repo, path and id.
	excl, err := os.ReadFile(filepath.Join(dir, ExcludedFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(excl)), "\n")
	wantOrder := []string{"repo-a:pkg.a.k2", "repo-a:tests.test_b.test_f", "repo-b:m.C.__repr__"}
	if len(lines) != len(wantOrder) {
		t.Fatalf("excluded.jsonl has %d lines, want %d:\n%s", len(lines), len(wantOrder), excl)
	}
	for i, line := range lines {
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) != 7 || raw["id"] != wantOrder[i] || raw["reason"] == "" || raw["language"] != "python" {
			t.Fatalf("excluded line %d: %s (want id %s and the seven fields, language python)", i+1, line, wantOrder[i])
		}
	}
	if !strings.Contains(lines[0], `"detail":"duplicate of repo-a:pkg.a.k"`) {
		t.Fatalf("duplicate detail missing: %s", lines[0])
	}

	raw, _ := os.ReadFile(filepath.Join(dir, PairsFile))
	if !bytes.Contains(raw, []byte("<3 & co")) {
		t.Fatal("code is HTML-escaped in pairs.jsonl")
	}
	var gotManifest map[string]any
	data, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err := json.Unmarshal(data, &gotManifest); err != nil || gotManifest["keep_threshold"] != float64(2) {
		t.Fatalf("manifest %s: %v", data, err)
	}

	card, _ := os.ReadFile(filepath.Join(dir, CardFile))
	golden := filepath.Join("testdata", "README.golden.md")
	if *update {
		if err := os.WriteFile(golden, card, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(card, want) {
		t.Fatalf("dataset card differs from %s (run with -update if intended):\n%s", golden, card)
	}
}

func TestRewriteIsByteIdentical(t *testing.T) {
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	recs := sampleRecords()
	if err := Write(dirA, recs, sampleExcluded(), sampleCard, map[string]int{"x": 1}); err != nil {
		t.Fatal(err)
	}
	// Same records in another order must give the same bytes.
	shuffled := sampleRecords()
	shuffled[0], shuffled[3] = shuffled[3], shuffled[0]
	excl := sampleExcluded()
	excl[0], excl[2] = excl[2], excl[0]
	if err := Write(dirB, shuffled, excl, sampleCard, map[string]int{"x": 1}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{PairsFile, RejectedFile, ExcludedFile, trainFile, CardFile, ManifestFile} {
		a, _ := os.ReadFile(filepath.Join(dirA, name))
		b, _ := os.ReadFile(filepath.Join(dirB, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s differs between runs (%d vs %d bytes)", name, len(a), len(b))
		}
	}
}

func TestWriteFailureLeavesNoPartialFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string
	}{
		{"output path is a file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(p, "out")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			err := Write(dir, sampleRecords(), sampleExcluded(), sampleCard, map[string]int{})
			if err == nil {
				t.Fatal("write succeeded")
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != PairsFile {
					t.Fatalf("left %s behind after a failed write (%v)", e.Name(), err)
				}
			}
		})
	}
}

// A write replaces the previous dataset whole or not at all, keeps files that are not the dataset's
// (a Hub clone's .git), and leaves no staging directory behind either way.
func TestWriteReplacesWholeOrNothing(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := Write(dir, sampleRecords(), nil, sampleCard, map[string]int{"run": 1}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "config"), []byte("[core]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]string {
		files := map[string]string{}
		for _, name := range []string{PairsFile, RejectedFile, ExcludedFile, trainFile, CardFile, ManifestFile, ".git/config"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			files[name] = string(b)
		}
		return files
	}
	onlyOut := func() {
		t.Helper()
		entries, _ := os.ReadDir(parent)
		if len(entries) != 1 || entries[0].Name() != "out" {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("beside the output: %v, want only out", names)
		}
	}
	before := snapshot()
	// A manifest that cannot be encoded fails the write after the other files were staged.
	if err := Write(dir, sampleRecords()[:1], nil, sampleCard, map[string]any{"bad": make(chan int)}); err == nil {
		t.Fatal("write with an unencodable manifest succeeded")
	}
	if after := snapshot(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("a failed write changed the previous dataset")
	}
	onlyOut()
	if err := Write(dir, sampleRecords()[:1], nil, sampleCard, map[string]int{"run": 2}); err != nil {
		t.Fatal(err)
	}
	after := snapshot()
	if after[".git/config"] != before[".git/config"] || after[ManifestFile] == before[ManifestFile] || after[PairsFile] == before[PairsFile] {
		t.Fatal("the second write did not replace the dataset files and keep the others")
	}
	onlyOut()
}

// trainFile is the one Parquet shard of the train split of a small dataset.
var trainFile = filepath.Join(DataDir, "train-00000-of-00001.parquet")

// TestParquetReadByArrow reads the train split's Parquet file with Apache Arrow's Go implementation, which shares no
// code with the writer, and checks rows, columns and values.
func TestParquetReadByArrow(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sampleRecords(), sampleExcluded(), sampleCard, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	rdr, err := file.OpenParquetFile(filepath.Join(dir, trainFile), false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rdr.Close() }()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	table, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	if table.NumRows() != 2 {
		t.Fatalf("rows %d, want the 2 kept pairs", table.NumRows())
	}
	wantCols := []string{"id", "repo", "commit", "path", "start_line", "end_line", "function", "language", "code", "docstring",
		"summary", "query", "score", "explanation", "kept", "model", "prompt_version", "callees", "apis", "docs_used",
		"prompt_tokens", "completion_tokens", "cost_usd", "split", "license"}
	schema := table.Schema()
	var gotCols []string
	for _, f := range schema.Fields() {
		gotCols = append(gotCols, f.Name)
	}
	if !reflect.DeepEqual(gotCols, wantCols) {
		t.Fatalf("columns %v, want %v", gotCols, wantCols)
	}
	col := func(name string) arrow.Array {
		idx := schema.FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("column %s missing", name)
		}
		chunks := table.Column(idx[0]).Data().Chunks()
		if len(chunks) != 1 {
			t.Fatalf("column %s has %d chunks", name, len(chunks))
		}
		return chunks[0]
	}
	ids := col("id").(*array.String)
	if ids.Value(0) != "repo-a:pkg.a.h" || ids.Value(1) != "repo-a:pkg.b.f" {
		t.Fatalf("ids %v", ids)
	}
	if s := col("score").(*array.Int32); s.Value(0) != 2 || s.Value(1) != 3 {
		t.Fatalf("scores %v", s)
	}
	if c := col("cost_usd").(*array.Float64); c.Value(1) != 0.002 {
		t.Fatalf("cost %v", c)
	}
	apis, ok := col("apis").(*array.List)
	if !ok {
		t.Fatalf("apis is %T, want a list column", col("apis"))
	}
	start, end := apis.ValueOffsets(1)
	values := apis.ListValues().(*array.String)
	var got []string
	for i := start; i < end; i++ {
		got = append(got, values.Value(int(i)))
	}
	if strings.Join(got, ",") != "numpy.mean,tinylib.op" {
		t.Fatalf("apis of row 1: %v", got)
	}
	if s, e := apis.ValueOffsets(0); s != e {
		t.Fatalf("row 0 should have no apis, has %d", e-s)
	}
}

func TestCheckOutputDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, wantErr string
	}{
		{"new directory", filepath.Join(base, "a", "b"), ""},
		{"existing directory", base, ""},
		{"an existing file", file, "exists and is not a directory"},
		{"under a file", filepath.Join(file, "out"), "is not a directory"},
		{"in a read-only filesystem", "/proc/q4c-out", "cannot create output directory /proc/q4c-out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckOutputDir(tc.dir)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.dir) {
				t.Fatalf("got %v, want an error naming %s with %q", err, tc.dir, tc.wantErr)
			}
		})
	}
	if entries, _ := os.ReadDir(base); len(entries) != 1 {
		t.Fatalf("the check left %d entries behind", len(entries))
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(base, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := CheckOutputDir(ro); err == nil || !strings.Contains(err.Error(), "not writable") {
			t.Fatalf("read-only directory: %v", err)
		}
	}
}

// A volume mounted as the output directory cannot be swapped; the dataset is staged inside it.
func TestWriteToMountPoint(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	if err := CheckOutputDir(dir); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		if err := Write(dir, sampleRecords(), nil, sampleCard, map[string]int{"run": run}); err != nil {
			t.Fatalf("write %d: %v", run, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// The dataset's files (a second write replaced data/) and no staging directory.
	if fmt.Sprint(names) != fmt.Sprint([]string{CardFile, DataDir, ExcludedFile, ManifestFile, PairsFile, RejectedFile}) {
		t.Fatalf("mount point holds %v", names)
	}
}
