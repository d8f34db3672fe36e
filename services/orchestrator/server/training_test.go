package server

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	fake "github.com/query4code/query4code/services/orchestrator/internal/fakeservices"
)

const mitText = `MIT License

Copyright (c) 2024 Example

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

// longFunction is a function long enough for its token 5-grams to tell a one-token edit (Jaccard
// about 0.9) from a different function.
func longFunction(name, constant string) string {
	return "def " + name + `(rows, key, default=None):
    """Group rows by key and count them."""
    groups = {}
    for row in rows:
        value = row.get(key, default)
        if value is None:
            continue
        bucket = groups.setdefault(value, [])
        bucket.append(row)
    counts = {value: len(bucket) for value, bucket in groups.items()}
    ordered = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    total = sum(count for _, count in ordered)
    return [(value, count, count / total * ` + constant + `) for value, count in ordered]`
}

// evaluationCode is a user's evaluation function, planted reformatted in the job's MIT repository.
const evaluationCode = `def parse_header_line(line, separator=":"):
    name, _, value = line.partition(separator)
    name = name.strip().lower()
    value = value.strip()
    if not name:
        raise ValueError("empty header name in %r" % line)
    return name, value
`

// TestTrainingFilters runs a job over an MIT and a GPL-3.0 repository with an allow-list, a
// decontaminate path and the near-duplicate filter: every reason is written to excluded.jsonl, no
// left-out function costs a call, records carry their licence and split, no planted secret or
// email reaches a file, and the card's front matter names Parquet files holding the kept pairs.
func TestTrainingFilters(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	mitDir, gplDir, evalDir := filepath.Join(root, "mitrepo"), filepath.Join(root, "gplrepo"), filepath.Join(root, "eval")
	gpl, err := os.ReadFile("/usr/share/common-licenses/GPL-3")
	if err != nil {
		t.Skip("no GPL-3 text on this machine:", err)
	}
	for dir, files := range map[string]map[string]string{
		mitDir:  {"LICENSE": mitText},
		gplDir:  {"COPYING": string(gpl)},
		evalDir: {"bench.py": evaluationCode},
	} {
		for name, text := range files {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	reformatted := strings.ReplaceAll(strings.ReplaceAll(evaluationCode, "    ", "  "), `":"`, `':'`)
	e.parser.SetRepo(mitDir, []*parserv1.Function{
		fake.Func("mit.stats.group_counts", 1, longFunction("group_counts", "100"), nil),
		fake.Func("mit.vendor.group_counts", 2, longFunction("group_counts", "1000"), nil),
		fake.Func("mit.http.parse_header_line", 3, reformatted, nil),
		fake.Func("mit.cloud.connect", 4, "def connect():\n    \"\"\"Mail ops@example.com when it fails.\"\"\"\n    return Client(key=\"AKIAIOSFODNN7EXAMPLE\", admin=\"ops@example.com\")", nil),
	})
	e.parser.SetRepo(gplDir, []*parserv1.Function{fake.Func("gpl.core.run", 1, "def run(job):\n    return job.start()", nil)})

	opts := &orchestratorv1.JobOptions{
		Filters: &orchestratorv1.DatasetFilters{Licenses: []string{"MIT", "BSD-2-Clause"}, DecontaminatePaths: []string{evalDir}},
		Splits:  []float64{0.5, 0.5, 0},
	}
	d := done(t, e.watch(e.submit(opts, mitDir, gplDir), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	excluded := map[string]dataset.Excluded{}
	for _, x := range readExcludedLines(t, filepath.Join(d.GetOutputDir(), dataset.ExcludedFile)) {
		excluded[x.Function] = x
	}
	want := map[string]struct{ reason, detail string }{
		"gpl.core.run":               {dataset.ReasonLicense, "GPL-3.0"},
		"mit.http.parse_header_line": {dataset.ReasonContaminated, evalDir},
		"mit.vendor.group_counts":    {dataset.ReasonNearDuplicate, "near-duplicate of mitrepo:mit.stats.group_counts (Jaccard 0."},
	}
	for fn, w := range want {
		x, ok := excluded[fn]
		if !ok || x.Reason != w.reason || !strings.Contains(x.Detail, w.detail) {
			t.Errorf("%s left out as %+v, want reason %s with %q in the detail", fn, x, w.reason, w.detail)
		}
		if n := e.annotator.Count("Summarize")[fn]; n != 0 {
			t.Errorf("%s, left out, was summarised %d times", fn, n)
		}
	}
	if len(excluded) != len(want) {
		t.Errorf("left out %v, want exactly %d functions", excluded, len(want))
	}
	if p := d.GetProgress(); p.GetFunctionsExcluded() != 3 || p.GetFunctionsTotal() != 2 {
		t.Errorf("progress %v, want 3 left out and 2 annotated", p)
	}

	rows := readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile))
	if len(rows) != 2 {
		t.Fatalf("%d kept pairs, want 2", len(rows))
	}
	for _, r := range rows {
		if r.License != "MIT" || (r.Split != "train" && r.Split != "validation") {
			t.Errorf("record %s: licence %q split %q", r.ID, r.License, r.Split)
		}
	}
	// No planted secret or address in any file written.
	err = filepath.WalkDir(d.GetOutputDir(), func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, planted := range []string{"AKIAIOSFODNN7EXAMPLE", "ops@example.com"} {
			if strings.Contains(string(data), planted) {
				t.Errorf("%s holds %s", path, planted)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	card, err := os.ReadFile(filepath.Join(d.GetOutputDir(), dataset.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"license:\n- mit\n", "[REDACTED:email]", "| aws_access_key_id | 1 |", "| email |"} {
		if !strings.Contains(string(card), s) {
			t.Errorf("card lacks %q:\n%s", s, card)
		}
	}
	if got := frontMatterRows(t, d.GetOutputDir(), string(card)); got != len(rows) {
		t.Errorf("the front matter's data files hold %d rows, pairs.jsonl %d", got, len(rows))
	}
}

// frontMatterRows reads every Parquet file the card's configs name, with Apache Arrow's reader, and
// counts their rows.
func frontMatterRows(t *testing.T, dir, card string) int {
	t.Helper()
	front, _, ok := strings.Cut(strings.TrimPrefix(card, "---\n"), "\n---\n")
	if !strings.HasPrefix(card, "---\n") || !ok {
		t.Fatalf("card has no front matter:\n%s", card)
	}
	rows, files := 0, 0
	sc := bufio.NewScanner(strings.NewReader(front))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "- data/") {
			continue
		}
		files++
		table := readParquet(t, filepath.Join(dir, strings.TrimPrefix(line, "- ")))
		rows += int(table.NumRows())
		table.Release()
	}
	if files == 0 {
		t.Fatalf("front matter names no data file:\n%s", front)
	}
	return rows
}

// readParquet reads a Parquet file whole with Apache Arrow's reader; the caller releases the table.
func readParquet(t *testing.T, path string) arrow.Table {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
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
	return table
}

func readExcludedLines(t *testing.T, path string) []dataset.Excluded {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []dataset.Excluded
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var x dataset.Excluded
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

// TestTrainingOptionsRefused: options a job could not run with are refused at submission.
func TestTrainingOptionsRefused(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		opts *orchestratorv1.JobOptions
		want string
	}{
		{"missing decontaminate path", &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{DecontaminatePaths: []string{filepath.Join(t.TempDir(), "none")}}}, "does not exist"},
		{"unknown licence", &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{Licenses: []string{"NOT-A-LICENCE"}}}, "licenses"},
		{"splits not adding up to 1", &orchestratorv1.JobOptions{Splits: []float64{0.5, 0.2}}, "splits"},
		{"threshold above 1", &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{NearDuplicateThreshold: 1.5}}, "near_duplicate_threshold"},
		{"missing near-duplicate plan", &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{NearDuplicatePlan: filepath.Join(t.TempDir(), "plan.json")}}, "near_duplicate_plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{
				Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repoPath}}}, Options: tc.opts})
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want InvalidArgument naming %q", err, tc.want)
			}
		})
	}
}
