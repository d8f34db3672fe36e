package dataset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

var sampleCard = Card{
	Splits:          split.AllTrain,
	KeepThreshold:   2,
	FunctionsFailed: 1,
	Sources: []Source{
		{Repo: "repo-a", Commit: "c1", License: "MIT", Functions: 4},
		{Repo: "repo-b", Commit: "", License: "", Functions: 1},
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
	if err := Write(dir, sampleRecords(), nil, sampleCard, manifest); err != nil {
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
	if err := Write(dirA, recs, nil, sampleCard, map[string]int{"x": 1}); err != nil {
		t.Fatal(err)
	}
	// Same records in another order must give the same bytes.
	shuffled := sampleRecords()
	shuffled[0], shuffled[3] = shuffled[3], shuffled[0]
	if err := Write(dirB, shuffled, nil, sampleCard, map[string]int{"x": 1}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{PairsFile, RejectedFile, trainFile, CardFile, ManifestFile} {
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
		{"a target name is taken by a directory", func(t *testing.T) string {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, PairsFile, "child"), 0o755); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			err := Write(dir, sampleRecords(), nil, sampleCard, map[string]int{})
			if err == nil {
				t.Fatal("write succeeded")
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if sub, _ := os.ReadDir(filepath.Join(dir, e.Name())); e.Name() == DataDir && len(sub) == 0 {
					continue // the empty directory the data files were to be staged in
				}
				if e.Name() != PairsFile {
					t.Fatalf("left %s behind after a failed write (%v)", e.Name(), err)
				}
			}
		})
	}
}

// trainFile is the one Parquet shard of the train split of a small dataset.
var trainFile = filepath.Join(DataDir, "train-00000-of-00001.parquet")

// TestParquetReadByArrow reads the train split's Parquet file with Apache Arrow's Go implementation, which shares no
// code with the writer, and checks rows, columns and values.
func TestParquetReadByArrow(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sampleRecords(), nil, sampleCard, map[string]int{}); err != nil {
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

func TestDetectLicense(t *testing.T) {
	// Package license tests licence texts; these fixtures hold none, so this
	// test binary does not pay for compiling licensecheck's patterns.
	for dir, want := range map[string]string{"setupcfg": "ISC", "packagejson": "MIT", "none": "unknown"} {
		if got := DetectLicense(filepath.Join("..", "internal", "license", "testdata", dir)); got != want {
			t.Errorf("DetectLicense(%s) = %s, want %s", dir, got, want)
		}
	}
	if got := DetectLicense(filepath.Join(t.TempDir(), "missing")); got != "unknown" {
		t.Fatalf("missing dir: %s", got)
	}
}
