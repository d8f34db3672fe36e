package llm

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// offlineRecord is what a job keeps of one function annotated offline.
type offlineRecord struct {
	code, summary, query string
	score                int
}

// annotateOffline runs the three offline stages over functions as a job
// does.
func annotateOffline(t *testing.T, fns []prompt.Function) []offlineRecord {
	t.Helper()
	off := NewOffline()
	ctx := context.Background()
	var out []offlineRecord
	for _, fn := range fns {
		in := prompt.Input{Function: fn}
		s, err := off.Summarize(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		q, err := off.GenerateQuery(ctx, in, s.Text)
		if err != nil {
			t.Fatal(err)
		}
		j, err := off.Validate(ctx, in, q.Text)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, offlineRecord{code: fn.Code, summary: s.Text, query: q.Text, score: j.Score})
	}
	return out
}

// TestOfflineQueriesDistinctOnInstalledPackages runs the offline back-end
// over Debian's requests and click: the kept queries must be distinct
// (a name read alone gave "python initialize" to every constructor), pass
// the checks an LLM's query must pass, and still be kept by the offline
// judge.
func TestOfflineQueriesDistinctOnInstalledPackages(t *testing.T) {
	for _, pkg := range []string{"requests", "click"} {
		t.Run(pkg, func(t *testing.T) {
			fns := installedPackageFunctions(t, pkg)
			if len(fns) < 100 {
				t.Fatalf("%d functions read from %s: the splitter is broken", len(fns), pkg)
			}
			checkOfflineRecords(t, pkg, "python", annotateOffline(t, fns))
		})
	}
}

// checkOfflineRecords checks what the offline back-end wrote for the functions of a corpus in
// language: every query and summary passes the checks an LLM's answers must pass, every query is a
// search in the language (search-sized, naming no other language), at least 90% of the pairs are
// kept and at least 90% of the kept queries are distinct.
func checkOfflineRecords(t *testing.T, corpus, language string, records []offlineRecord) {
	t.Helper()
	count := map[string]int{}
	kept := 0
	for _, r := range records {
		if err := checkQuery(r.query); err != nil {
			t.Errorf("query %q of %s fails the answer checks: %v", r.query, firstLine(r.code), err)
		}
		if err := checkSummary(r.summary); err != nil {
			t.Errorf("summary %q of %s fails the answer checks: %v", r.summary, firstLine(r.code), err)
		}
		words := strings.Fields(r.query)
		if n := len(words); n > 16 {
			t.Errorf("query of %d words is not search-sized: %q", n, r.query)
		}
		for _, other := range []string{"python", "javascript", "typescript"} {
			if other != language && slices.Contains(words, other) {
				t.Errorf("query %q of %s code names %s", r.query, language, other)
			}
		}
		if r.score >= 2 {
			kept++
			count[r.query]++
		}
	}
	if share := float64(kept) / float64(len(records)); share < 0.9 {
		t.Errorf("%d of %d pairs kept (%.2f): the queries lost touch with the code", kept, len(records), share)
	}
	distinct := float64(len(count)) / float64(kept)
	t.Logf("%s: %d functions, %d kept, %d distinct queries (%.3f)", corpus, len(records), kept, len(count), distinct)
	if distinct < 0.9 {
		var repeated []string
		for q, n := range count {
			if n > 2 {
				repeated = append(repeated, q)
			}
		}
		slices.Sort(repeated)
		t.Errorf("%.3f of kept queries distinct, want >= 0.9; repeated: %q", distinct, repeated)
	}
}
