package dataset

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

func TestShardRows(t *testing.T) {
	row := func(n int) Row { return Row{Code: strings.Repeat("x", n)} }
	tests := []struct {
		name  string
		rows  []Row
		limit int
		sizes []int
	}{
		{"no rows give one empty shard", nil, 10, []int{0}},
		{"rows under the limit share a shard", []Row{row(3), row(3), row(3)}, 10, []int{3}},
		{"a shard closes before the limit is passed", []Row{row(4), row(4), row(4), row(4)}, 10, []int{2, 2}},
		{"a row over the limit is a shard of its own", []Row{row(2), row(20), row(2)}, 10, []int{1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shards := shardRows(tc.rows, tc.limit)
			var sizes []int
			for _, s := range shards {
				sizes = append(sizes, len(s))
			}
			if !slices.Equal(sizes, tc.sizes) {
				t.Fatalf("shard sizes %v, want %v", sizes, tc.sizes)
			}
		})
	}
}

// TestWriteShardsAndSplits writes a dataset of three splits with a small shard size: each split's
// pairs land in its own numbered files, the card's front matter names all of them, and a rewrite
// with fewer shards leaves none of the old ones behind.
func TestWriteShardsAndSplits(t *testing.T) {
	old := shardBytes
	t.Cleanup(func() { shardBytes = old })
	shardBytes = 1
	recs := sampleRecords()
	recs[1].Split, recs[2].Split = split.Train, split.Test
	card := sampleCard
	card.Splits = split.Ratios{Train: 0.5, Validation: 0.25, Test: 0.25}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, legacyParquetFile), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, recs, nil, card, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	want := []string{ShardPath(split.Train, 0, 1), ShardPath(split.Validation, 0, 1), ShardPath(split.Test, 0, 1)}
	cardText, _ := os.ReadFile(filepath.Join(dir, CardFile))
	for _, p := range want {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
		if !strings.Contains(string(cardText), "    - "+p+"\n") {
			t.Errorf("front matter does not name %s", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, legacyParquetFile)); !os.IsNotExist(err) {
		t.Errorf("the old dataset.parquet is still there: %v", err)
	}
	// Two kept pairs in train at one byte a shard: two shards, then one after a rewrite with one.
	recs = sampleRecords()
	recs[1].Split, recs[2].Split = split.Train, split.Train
	if err := Write(dir, recs, nil, card, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ShardPath(split.Train, 0, 2), ShardPath(split.Train, 1, 2)} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	shardBytes = old
	if err := Write(dir, []*orchestratorv1.Record{recs[1]}, nil, card, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, DataDir))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "test-00000-of-00001.parquet train-00000-of-00001.parquet validation-00000-of-00001.parquet" {
		t.Errorf("data files after the rewrite: %v", names)
	}
}
