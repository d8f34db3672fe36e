package dataset

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/query4code/query4code/platform/license"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/scrub"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

// DataDir holds the kept pairs as Parquet, one set of shards per split, in the layout the Hugging Face
// Hub reads as a dataset: data/<split>-NNNNN-of-NNNNN.parquet, named by the card's front matter.
const DataDir = "data"

// shardBytes bounds the text a Parquet shard holds (code, docstring, summary, query, explanation),
// near the Hub's advice of files of a few hundred megabytes; a variable so tests can shard small data.
var shardBytes = 256 << 20

// dataFile is one Parquet shard of a split.
type dataFile struct {
	split string
	path  string // relative to the output directory, with "/" separators
	rows  []Row
}

// dataFiles shards the kept rows of every split: each split the ratios name gets at least one file
// (empty when no pair fell in it), so the card's configs always name files that exist.
func dataFiles(kept []Row, ratios split.Ratios) []dataFile {
	bySplit := map[string][]Row{}
	names := ratios.Names()
	for _, row := range kept {
		s := cmpOr(row.Split, split.Train)
		if !slices.Contains(names, s) {
			names = append(names, s)
		}
		bySplit[s] = append(bySplit[s], row)
	}
	var files []dataFile
	for _, s := range names {
		shards := shardRows(bySplit[s], shardBytes)
		for i, rows := range shards {
			files = append(files, dataFile{split: s, rows: rows,
				path: ShardPath(s, i, len(shards))})
		}
	}
	return files
}

// ShardPath is the path, relative to the output directory with "/" separators, of shard index
// (from 0) of count of a split's Parquet files.
func ShardPath(split string, index, count int) string {
	return fmt.Sprintf("%s/%s-%05d-of-%05d.parquet", DataDir, split, index, count)
}

// shardRows cuts rows into consecutive shards of at most limit bytes of text (a row larger than the
// limit is a shard of its own); no rows give one empty shard.
func shardRows(rows []Row, limit int) [][]Row {
	shards := [][]Row{nil}
	size := 0
	for _, row := range rows {
		n := len(row.Code) + len(row.Docstring) + len(row.Summary) + len(row.Query) + len(row.Explanation)
		last := len(shards) - 1
		if size > 0 && size+n > limit {
			shards = append(shards, nil)
			last, size = last+1, 0
		}
		shards[last] = append(shards[last], row)
		size += n
	}
	return shards
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// removeLegacyParquet deletes the single dataset.parquet of the layout before data/, which the swap
// carries over from an earlier dataset as a file it does not know.
func removeLegacyParquet(dir string) error {
	if err := os.Remove(filepath.Join(dir, legacyParquetFile)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove the earlier layout's %s: %w", legacyParquetFile, err)
	}
	return nil
}

// legacyParquetFile is where kept pairs were written before the data/ layout.
const legacyParquetFile = "dataset.parquet"

// writeFrontMatter writes the YAML front matter the Hugging Face Hub reads from a dataset card: the
// licences of the sources that gave kept pairs, the task, the natural language, a tag per programming
// language of the kept pairs, the size category and one config whose data_files name every shard of
// every split.
func writeFrontMatter(b *strings.Builder, kept []Row, files []dataFile) {
	licenses := map[string]bool{}
	for _, row := range kept {
		licenses[hubLicense(row.License)] = true
	}
	b.WriteString("---\nlicense:\n")
	if len(licenses) == 0 {
		licenses["other"] = true
	}
	for _, l := range sortedKeys(licenses) {
		fmt.Fprintf(b, "- %s\n", yamlString(l))
	}
	b.WriteString("pretty_name: Query4Code dataset\ntask_categories:\n- text-retrieval\ntask_ids:\n- document-retrieval\n")
	b.WriteString("language:\n- en\ntags:\n- code\n- code-search\n")
	present := map[string]bool{}
	for _, row := range kept {
		present[recordLanguage(row.Language)] = true
	}
	for _, l := range sortLanguages(sortedKeys(present)) {
		fmt.Fprintf(b, "- %s\n", yamlString(l))
	}
	fmt.Fprintf(b, "size_categories:\n- %s\n", sizeCategory(len(kept)))
	b.WriteString("configs:\n- config_name: default\n  data_files:\n")
	var order []string
	paths := map[string][]string{}
	for _, f := range files {
		if _, ok := paths[f.split]; !ok {
			order = append(order, f.split)
		}
		paths[f.split] = append(paths[f.split], f.path)
	}
	for _, s := range order {
		fmt.Fprintf(b, "  - split: %s\n    path:\n", yamlString(s))
		for _, p := range paths[s] {
			fmt.Fprintf(b, "    - %s\n", yamlString(p))
		}
	}
	b.WriteString("---\n\n")
}

// hubLicense is the Hub's licence identifier for an SPDX id: the id in lower case for a single
// licence; "other" for an expression or an unknown licence, which the Hub has no id for.
func hubLicense(id string) string {
	if id == "" || id == license.Unknown || strings.ContainsAny(id, " ()") {
		return "other"
	}
	return strings.ToLower(id)
}

// sizeCategory is the Hub's size bucket for n examples.
func sizeCategory(n int) string {
	bounds := []struct {
		limit int
		name  string
	}{{1e3, "n<1K"}, {1e4, "1K<n<10K"}, {1e5, "10K<n<100K"}, {1e6, "100K<n<1M"}, {1e7, "1M<n<10M"}, {1e8, "10M<n<100M"}, {1e9, "100M<n<1B"}}
	for _, b := range bounds {
		if n < b.limit {
			return b.name
		}
	}
	return "n>1B"
}

// yamlString quotes a value when YAML would read it as something other than the plain string.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[]&*!|>'\"%@`,<") || strings.TrimSpace(s) != s {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeSplits writes the funnel of each split: repositories, functions left out, annotated, kept and
// rejected. A function left out is counted in its repository's split.
func writeSplits(b *strings.Builder, records []*orchestratorv1.Record, excluded []Excluded, card Card, files []dataFile) {
	type counts struct {
		repos                               map[string]bool
		excluded, annotated, kept, rejected int
	}
	bySplit := map[string]*counts{}
	var order []string
	get := func(s string) *counts {
		c, ok := bySplit[s]
		if !ok {
			c = &counts{repos: map[string]bool{}}
			bySplit[s] = c
			order = append(order, s)
		}
		return c
	}
	for _, f := range files {
		get(f.split)
	}
	for _, r := range records {
		c := get(cmpOr(r.GetSplit(), split.Train))
		c.repos[r.GetRepo()] = true
		c.annotated++
		if r.GetKept() {
			c.kept++
		} else {
			c.rejected++
		}
	}
	for _, e := range excluded {
		c := get(card.Splits.Assign(e.Repo))
		c.repos[e.Repo] = true
		c.excluded++
	}
	fmt.Fprintf(b, "## Splits\n\nRepositories are assigned to a split by a stable hash of their name (ratios %s), so no repository is in two splits.\n\n", card.Splits)
	b.WriteString("| Split | Repositories | Left out | Annotated | Kept | Rejected | Files |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range order {
		c := bySplit[s]
		n := 0
		for _, f := range files {
			if f.split == s {
				n++
			}
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d |\n", cell(s), len(c.repos), c.excluded, c.annotated, c.kept, c.rejected, n)
	}
	b.WriteString("\n")
}

// reasonDescriptions say, on the card, why a function is left out.
var reasonDescriptions = []struct{ reason, text string }{
	{ReasonTest, "a test by its language's conventions, as the parser reports it (test file or directory, test_* function, TestCase method)"},
	{ReasonDunder, "a __dunder__ method (Python)"},
	{ReasonTrivial, "under 3 lines, or a body that only passes, returns a constant or a parameter, or raises (throws)"},
	{ReasonSyntaxError, "the function's own span holds a syntax error"},
	{ReasonLicense, "its source's licence (unknown included) is not in the allow-list (--licenses)"},
	{ReasonContaminated, "its code matches a function of an evaluation set (CoSQA, WebQueryTest, or a --decontaminate path), tolerating reformatting and truncation; the detail names the benchmark and the function"},
	{ReasonDuplicate, "identical code (whitespace aside) to a function kept earlier"},
	{ReasonNearDuplicate, "token 5-gram Jaccard similarity at or above the threshold (MinHash and LSH, verified; --near-dup-threshold, 0.85 by default) to its cluster's representative, which the detail names"},
}

// writeReasons explains the reasons of excluded.jsonl.
func writeReasons(b *strings.Builder) {
	b.WriteString("## Why functions are left out\n\nEach line of `" + ExcludedFile + "` names one reason; they are applied in this order, before any LLM call:\n\n")
	for _, r := range reasonDescriptions {
		fmt.Fprintf(b, "- `%s`: %s\n", r.reason, r.text)
	}
	b.WriteString("\n")
}

// writeRedaction documents the placeholders and counts what was replaced.
func writeRedaction(b *strings.Builder, counts map[string]int) {
	b.WriteString("## Redaction\n\n")
	b.WriteString("Every text field written (code, docstring, summary, query, explanation, and the names in `" + ExcludedFile + "`) is scrubbed:\n")
	b.WriteString("secrets (the detector that redacts prompts) become `" + scrub.Placeholder("<kind>") + "`, e.g. `" + scrub.Placeholder("aws_access_key_id") + "`;\n")
	b.WriteString("email addresses become `" + scrub.Placeholder(scrub.KindEmail) + "`; public IP addresses become `" + scrub.Placeholder(scrub.KindIPAddress) + "`\n")
	b.WriteString("(loopback, private and reserved addresses stay).\n\n")
	b.WriteString("| Kind | Replaced |\n|---|---:|\n")
	if len(counts) == 0 {
		b.WriteString("| none | 0 |\n")
	}
	for _, kind := range scrub.Counts(counts).Kinds() {
		fmt.Fprintf(b, "| %s | %d |\n", cell(kind), counts[kind])
	}
	b.WriteString("\n")
}

// ScrubExcluded scrubs the text fields of excluded entries in place and adds what it replaced to counts.
func ScrubExcluded(excluded []Excluded, counts scrub.Counts) {
	for i := range excluded {
		e := &excluded[i]
		for _, field := range []*string{&e.Repo, &e.Path, &e.Function, &e.Detail} {
			var c scrub.Counts
			*field, c = scrub.Text(*field)
			counts.Add(c)
		}
	}
}

// writeCardFile writes the card: the front matter, then the human-readable card.
func writeCardFile(w io.Writer, records []*orchestratorv1.Record, excluded []Excluded, kept []Row, files []dataFile, card Card) error {
	var b strings.Builder
	writeFrontMatter(&b, kept, files)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return writeCard(w, records, excluded, files, card)
}
