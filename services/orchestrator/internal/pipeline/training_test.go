package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/query4code/query4code/platform/license"
	"github.com/query4code/query4code/services/orchestrator/internal/decontam"
	"github.com/query4code/query4code/services/orchestrator/internal/neardup"
)

// grouping is a function long enough for a one-token edit to stay a near-duplicate (Jaccard ~0.9).
func grouping(constant string) string {
	return `def group(rows, key):
    groups = {}
    for row in rows:
        value = row.get(key)
        if value is None:
            continue
        groups.setdefault(value, []).append(row)
    counts = {value: len(bucket) for value, bucket in groups.items()}
    ordered = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    return [(value, count * ` + constant + `) for value, count in ordered]`
}

const benchmarkCode = `def parse_header(line, separator=":"):
    name, _, value = line.partition(separator)
    name = name.strip().lower()
    if not name:
        raise ValueError("empty header name in %r" % line)
    return name, value.strip()`

// TestTrainingExclusionOrder: traits, licence, contaminated, duplicate, near_duplicate, in that order,
// each function reported under the first reason that applies.
func TestTrainingExclusionOrder(t *testing.T) {
	allow, err := license.ParseAllowList("MIT")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := decontam.NewIndex([]decontam.Entry{decontam.Fingerprint("bench", "b1", benchmarkCode)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tf := trainingFilters{licenses: allow, contamination: ix, nearDuplicate: neardup.DefaultThreshold}
	funcs, _ := states(map[int][]fnSpec{
		0: {
			{id: "m.group", path: "m.py", line: 1, code: grouping("100")},
			{id: "m.group_copy", path: "m.py", line: 20, code: grouping("100")},
			{id: "m.group_near", path: "m.py", line: 40, code: grouping("1000")},
			{id: "m.parse", path: "m.py", line: 60, code: strings.ReplaceAll(benchmarkCode, "    ", "  ")},
			{id: "m.trivial_gpl_like", path: "m.py", line: 80, code: grouping("7"), trivial: true},
		},
		1: {
			{id: "g.group", path: "g.py", line: 1, code: grouping("100")},
		},
	})
	funcs[0].repo.license = "MIT"
	funcs[5].repo.license = "GPL-3.0"
	if err := decideExclusions(funcs, filterSet{trivial: true, duplicates: true}, tf); err != nil {
		t.Fatal(err)
	}
	got := decisions(funcs)
	want := map[string]string{
		"repo0:m.group":            "in",
		"repo0:m.group_copy":       "duplicate (duplicate of repo0:m.group)",
		"repo0:m.group_near":       "near_duplicate (near-duplicate of repo0:m.group (Jaccard 0.",
		"repo0:m.parse":            "contaminated (matches bench b1 (containment ",
		"repo0:m.trivial_gpl_like": "trivial",
		"repo1:g.group":            "license (licence GPL-3.0 is not in the allow-list MIT)",
	}
	for id, w := range want {
		if !strings.HasPrefix(got[id], w) {
			t.Errorf("%s: %q, want %q...", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("decisions %v", fmt.Sprint(got))
	}
}
