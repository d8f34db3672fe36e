package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/query4code/query4code/services/orchestrator/dataset"
)

func newMergeCmd() *cobra.Command {
	var out, sourcesFile string
	var expect int
	cmd := &cobra.Command{
		Use:   "merge --out DIR [--sources-file FILE] SHARD_DIR...",
		Short: "Combine the outputs of shard runs into one dataset with one card",
		Long: `Combine the output directories of q4c annotate --shard runs into one dataset.

Records are read back from pairs.jsonl and rejected.jsonl, deduplicated by id
(one id with two different records is an error), sorted as a run sorts them
and written with the manifest's sources of every shard, the shards'
excluded.jsonl and a card recomputed over all records. Identical code in two
shards is kept once, the first copy in corpus order, the others left out as
duplicates (unless the shards ran with --keep-duplicates); near-duplicates
are checked again across shards, a record whose code is a near-duplicate of
one in an earlier source left out as near_duplicate (unless the shards ran
with --keep-near-duplicates; shards that applied a --near-duplicate-plan left
such copies out already, naming the representative one run names). Shards must agree on the model, prompt version,
keep threshold, parse options, filters and splits. With --sources-file (the
corpus list the shards were cut from) the card and manifest list the
repositories in corpus order, so the result is byte for byte what one run over
the corpus writes; without it they are sorted by name. The files (the Parquet
shards under data/, README.md, pairs.jsonl, rejected.jsonl, excluded.jsonl,
manifest.json) appear in DIR together or not at all.

A SHARD_DIR with * or ? is a pattern expanded by q4c itself (the images have
no shell), e.g. '/data/shards/*'; --expect-shards N then refuses to merge
unless exactly N shard directories were found, so a missing shard fails the
merge instead of silently shrinking the dataset.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts dataset.MergeOptions
			if sourcesFile != "" {
				order, err := repoOrder(sourcesFile)
				if err != nil {
					return err
				}
				opts.Order = order
			}
			dirs, err := expandShardDirs(args)
			if err != nil {
				return err
			}
			if expect > 0 && len(dirs) != expect {
				return fmt.Errorf("found %d shard directories, --expect-shards is %d", len(dirs), expect)
			}
			res, err := dataset.Merge(out, dirs, opts)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "merged %d shards: %d sources, %d records (%d kept, %d duplicates dropped, %d near-duplicates across shards left out)\ncard: %s\n",
				res.Shards, res.Sources, res.Records, res.Kept, res.Duplicates, res.NearDuplicates, filepath.Join(out, dataset.CardFile))
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory the merged dataset is written to")
	cmd.Flags().StringVar(&sourcesFile, "sources-file", "", "the corpus list, to list repositories in its order")
	cmd.Flags().IntVar(&expect, "expect-shards", 0, "fail unless exactly this many shard directories are given (0: any number)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// repoOrder names the sources of a sources file as records do (dataset.RepoName), in file order.
// Local directories need not exist any more: the merge only needs their names.
func repoOrder(sourcesFile string) ([]string, error) {
	specs, err := readSourcesFile(sourcesFile)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(specs))
	for _, spec := range specs {
		if isRemoteSource(spec) {
			src, err := ParseSource(spec)
			if err != nil {
				return nil, err
			}
			names = append(names, dataset.RepoName(src))
			continue
		}
		abs, err := filepath.Abs(spec)
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", spec, err)
		}
		names = append(names, abs)
	}
	return names, nil
}

// expandShardDirs expands the arguments that are glob patterns (sorted) and keeps the others.
func expandShardDirs(args []string) ([]string, error) {
	var dirs []string
	for _, arg := range args {
		if !strings.ContainsAny(arg, "*?[") {
			dirs = append(dirs, arg)
			continue
		}
		matches, err := filepath.Glob(arg)
		if err != nil {
			return nil, fmt.Errorf("shard pattern %q: %w", arg, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("shard pattern %q matches nothing", arg)
		}
		for _, m := range matches {
			if info, err := os.Stat(m); err == nil && info.IsDir() {
				dirs = append(dirs, m)
			}
		}
	}
	return dirs, nil
}
