package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

func TestLanguageOfPath(t *testing.T) {
	for path, want := range map[string]string{
		"pkg/mod.py": "python", "src/a.js": "javascript", "src/a.MJS": "javascript", "a.cjs": "javascript",
		"ui/App.jsx": "javascript", "src/a.ts": "typescript", "a.mts": "typescript", "a.cts": "typescript",
		"ui/App.tsx": "typescript", "Makefile": "python",
	} {
		if got := LanguageOfPath(path); got != want {
			t.Errorf("LanguageOfPath(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestCardLanguages: a dataset of one language names it alone, in the card's first line, its table and
// the front matter's tags; a record written before records said their language counts as Python, and
// a language only left-out functions have is counted but not tagged.
func TestCardLanguages(t *testing.T) {
	records := []*orchestratorv1.Record{
		{Id: "web:src.a.f", Repo: "web", Path: "src/a.js", Function: "src.a.f", Language: "javascript", Code: "function f(a) { return g(a) }", Score: 3, Kept: true},
		{Id: "web:src.a.h", Repo: "web", Path: "src/a.js", Function: "src.a.h", Language: "javascript", Code: "function h(a) { return a * 2 }", Score: 1},
	}
	excluded := []Excluded{{ID: "web:src.b.k", Repo: "web", Path: "src/b.ts", Function: "src.b.k", Language: "typescript", Reason: ReasonTrivial}}
	dir := t.TempDir()
	if err := Write(dir, records, excluded, Card{KeepThreshold: 2, Sources: []Source{{Repo: "web", Functions: 3}}}, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, CardFile))
	if err != nil {
		t.Fatal(err)
	}
	front, body, _ := strings.Cut(strings.TrimPrefix(string(data), "---\n"), "\n---\n")
	if !strings.Contains(front, "tags:\n- code\n- code-search\n- javascript\nsize_categories:") {
		t.Errorf("front matter tags are not code, code-search and javascript:\n%s", front)
	}
	for _, want := range []string{
		"search queries and functions in JavaScript and TypeScript,",
		"| JavaScript | 0 | 2 | 1 | 1 |",
		"| TypeScript | 1 | 0 | 0 | 0 |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("card lacks %q:\n%s", want, body)
		}
	}

	records[0].Language, records[1].Language = "", "python"
	if err := Write(dir, records[:2], nil, Card{KeepThreshold: 2}, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	if data, err = os.ReadFile(filepath.Join(dir, CardFile)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "search queries and Python functions,") || !strings.Contains(string(data), "| Python | 0 | 2 | 1 | 1 |") ||
		!strings.Contains(string(data), "\n- python\n") {
		t.Errorf("records without a language are not counted as Python:\n%s", data)
	}
}
