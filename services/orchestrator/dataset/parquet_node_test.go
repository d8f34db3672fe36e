package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

// parquetReaderDir holds the pinned npm reader; make test installs it (make npm-deps).
var parquetReaderDir = filepath.Join("..", "..", "..", "tools", "parquet-reader")

// TestParquetReadByIndependentReader reads every data/*.parquet file of a written dataset with
// hyparquet (pure JavaScript, run by node), not with the Go library that wrote them: every file is
// zstd, holds the rows of its split only, and the rows of all files are pairs.jsonl's, field for field.
func TestParquetReadByIndependentReader(t *testing.T) {
	if _, err := os.Stat(filepath.Join(parquetReaderDir, "node_modules", "hyparquet")); err != nil {
		t.Fatalf("the npm Parquet reader is not installed (run make npm-deps, or npm ci in tools/parquet-reader): %v", err)
	}
	old := shardBytes
	t.Cleanup(func() { shardBytes = old })
	shardBytes = 500 // several shards per split
	var recs []*orchestratorv1.Record
	splits := []string{split.Train, split.Validation, split.Test}
	for i := range 40 {
		r := &orchestratorv1.Record{
			Id: fmt.Sprintf("repo-%d:pkg.m.f%d", i%5, i), Repo: fmt.Sprintf("repo-%d", i%5), Commit: "c0ffee", Path: "pkg/m.py",
			StartLine: int32(i*10 + 1), EndLine: int32(i*10 + 5), Function: fmt.Sprintf("pkg.m.f%d", i), Language: "python",
			Code:      fmt.Sprintf("def f%d(values):\n    \"\"\"Ünïcode ✓ and\ttabs.\"\"\"\n    return [v * %d for v in values]\n", i, i),
			Docstring: "Ünïcode ✓", Summary: fmt.Sprintf("scales by %d", i), Query: "scale a list", Score: int32(2 + i%2),
			Explanation: "fits", Kept: i%7 != 0, Model: "offline", PromptVersion: "v1",
			PromptTokens: int64(1000 + i), CompletionTokens: int64(i), CostUsd: float64(i) / 1000, Split: splits[i%3], License: "MIT",
		}
		if i%2 == 0 {
			r.Callees, r.Apis, r.DocsUsed = []string{"pkg.m.g", "pkg.m.h"}, []string{"numpy.mean"}, []string{"numpy.mean"}
		}
		recs = append(recs, r)
	}
	dir := t.TempDir()
	card := sampleCard
	card.Splits = split.Ratios{Train: 0.4, Validation: 0.3, Test: 0.3}
	if err := Write(dir, recs, nil, card, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, DataDir, "*.parquet"))
	if err != nil || len(files) <= len(splits) {
		t.Fatalf("data files %v (%v): want more than one shard for some split", files, err)
	}

	cmd := exec.Command("node", append([]string{filepath.Join(parquetReaderDir, "read.mjs")}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node read.mjs: %v\n%s", err, stderr.String())
	}
	var read map[string]struct {
		Codecs []string         `json:"codecs"`
		Rows   []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(out, &read); err != nil {
		t.Fatalf("reader output: %v\n%s", err, out)
	}
	got := map[string]map[string]any{}
	for _, path := range files {
		f, ok := read[path]
		if !ok {
			t.Fatalf("the reader did not read %s", path)
		}
		if !reflect.DeepEqual(f.Codecs, []string{"ZSTD"}) {
			t.Errorf("%s: codecs %v, want ZSTD", filepath.Base(path), f.Codecs)
		}
		fileSplit, _, _ := strings.Cut(filepath.Base(path), "-")
		for _, row := range f.Rows {
			id, _ := row["id"].(string)
			if _, dup := got[id]; dup {
				t.Errorf("row %s is in two files", id)
			}
			if row["split"] != fileSplit {
				t.Errorf("row %s of split %v is in %s", id, row["split"], filepath.Base(path))
			}
			got[id] = row
		}
	}
	want := jsonlObjects(t, filepath.Join(dir, PairsFile))
	if kept := 40 - 6; len(want) != kept {
		t.Fatalf("pairs.jsonl holds %d rows, want the %d kept", len(want), kept)
	}
	if len(got) != len(want) {
		t.Errorf("the Parquet files hold %d rows, pairs.jsonl %d", len(got), len(want))
	}
	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("row %s of pairs.jsonl is in no Parquet file", id)
		} else if !reflect.DeepEqual(g, w) {
			t.Errorf("row %s:\nParquet    %v\npairs.jsonl %v", id, g, w)
		}
	}
}

// jsonlObjects reads a JSON lines file as generic objects, by id.
func jsonlObjects(t *testing.T, path string) map[string]map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read-only file
	out := map[string]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatal(err)
		}
		out[obj["id"].(string)] = obj
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
