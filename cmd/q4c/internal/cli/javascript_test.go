package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/annotator/fakellm"
)

// notesJS is a small CommonJS project whose node_modules holds escape-goat 3.0.0, a niche npm
// package with a .d.ts (make npm-deps installs it from the project's lock file).
const notesJS = "../../../../examples/notes-js"

// escapeGoatDoc is the first line of htmlEscape's JSDoc in escape-goat's index.d.ts.
const escapeGoatDoc = "Escape a string for use in HTML."

func requireNotesJS(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(notesJS, "node_modules", "escape-goat", "index.d.ts")); err != nil {
		t.Fatalf("examples/notes-js has no node_modules/escape-goat (%v): run `make npm-deps`", err)
	}
}

// TestAnnotateJavaScriptProject annotates the JavaScript example with the defaults: every record
// is JavaScript, callees follow require() and CommonJS exports, the niche npm API is in apis and
// its .d.ts documentation reaches the prompt (docs_used names it).
func TestAnnotateJavaScriptProject(t *testing.T) {
	requireNotesJS(t)
	llm, err := fakellm.Start(fakellm.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = llm.Close() })
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"offline", nil},
		{"fakellm", []string{"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"annotate", "--state-dir", t.TempDir(), "--out", out}, tc.args...)
			stdout, stderr, code := runQ4C(t, append(args, notesJS)...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			recs := map[string]map[string]any{}
			for _, r := range append(readRecords(t, filepath.Join(out, "pairs.jsonl")), readRecords(t, filepath.Join(out, "rejected.jsonl"))...) {
				recs[r["function"].(string)] = r
				if r["language"] != "javascript" || r["license"] != "MIT" {
					t.Errorf("%s: language %v, license %v, want javascript and MIT", r["function"], r["language"], r["license"])
				}
			}
			want := map[string][]string{
				"lib.format.formatTitle": nil,
				"lib.format.excerpt":     nil,
				"lib.render.renderNote":  {"lib.format.excerpt", "lib.format.formatTitle"},
				"lib.render.renderNotes": {"lib.render.renderNote"},
				"lib.index.buildPage":    {"lib.render.renderNotes"},
			}
			if len(recs) != len(want) {
				t.Fatalf("records %v, want the five functions %v", keys(recs), want)
			}
			for id, callees := range want {
				r, ok := recs[id]
				if !ok {
					t.Errorf("no record for %s", id)
					continue
				}
				if got := strings.Join(strs(r["callees"]), ","); got != strings.Join(callees, ",") {
					t.Errorf("%s: callees %q, want %q", id, got, callees)
				}
			}
			note := recs["lib.render.renderNote"]
			if !slices.Contains(strs(note["apis"]), "escape-goat.htmlEscape") || !slices.Contains(strs(note["docs_used"]), "escape-goat.htmlEscape") {
				t.Errorf("renderNote: apis %v, docs_used %v, want escape-goat.htmlEscape in both", note["apis"], note["docs_used"])
			}
			if apis := strs(recs["lib.index.buildPage"]["apis"]); len(apis) != 0 {
				t.Errorf("buildPage: apis %v, want none (fs is Node's standard library)", apis)
			}
			if tc.name != "fakellm" {
				return
			}
			// The documentation came from escape-goat's .d.ts: its JSDoc is in the prompts about renderNote.
			found := false
			for _, e := range llm.Received() {
				for _, m := range e.Messages {
					if strings.Contains(m.Content, "function renderNote(") && strings.Contains(m.Content, escapeGoatDoc) {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("no prompt about renderNote carries escape-goat's .d.ts documentation %q", escapeGoatDoc)
			}
		})
	}
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestAnnotateMixedRepository: Python and TypeScript in one tree give one dataset with both
// languages, each record with its own, and calls resolved within each language.
func TestAnnotateMixedRepository(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "mixed")
	writeTree(t, repo, map[string]string{
		"tools/stats.py": "def mean(values):\n    \"\"\"Average of a list of numbers.\"\"\"\n    total = sum(values)\n    return total / len(values)\n\n\n" +
			"def spread(values):\n    \"\"\"Difference between the mean and the smallest value.\"\"\"\n    centre = mean(values)\n    return centre - min(values)\n",
		"web/src/format.ts": "/** Formats a price in cents as a string with two decimals. */\nexport function formatPrice(cents: number): string {\n" +
			"  const whole = Math.floor(cents / 100);\n  const rest = cents % 100;\n  return `${whole}.${String(rest).padStart(2, '0')}`;\n}\n",
		"web/src/cart.ts": "import { formatPrice } from './format';\n\n/** Sums a cart's line prices and formats the total. */\n" +
			"export function cartTotal(lines: { cents: number }[]): string {\n  let sum = 0;\n  for (const line of lines) {\n    sum += line.cents;\n  }\n  return formatPrice(sum);\n}\n",
	})
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", t.TempDir(), "--out", out, repo)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	want := map[string]struct {
		language string
		callees  string
	}{
		"tools.stats.mean":           {"python", ""},
		"tools.stats.spread":         {"python", "tools.stats.mean"},
		"web.src.format.formatPrice": {"typescript", ""},
		"web.src.cart.cartTotal":     {"typescript", "web.src.format.formatPrice"},
	}
	got := map[string]bool{}
	for _, r := range append(readRecords(t, filepath.Join(out, "pairs.jsonl")), readRecords(t, filepath.Join(out, "rejected.jsonl"))...) {
		id := r["function"].(string)
		w, ok := want[id]
		if !ok {
			t.Errorf("unexpected record %s", id)
			continue
		}
		got[id] = true
		if r["language"] != w.language || strings.Join(strs(r["callees"]), ",") != w.callees {
			t.Errorf("%s: language %v, callees %v, want %s and %q", id, r["language"], r["callees"], w.language, w.callees)
		}
	}
	if len(got) != len(want) {
		t.Errorf("records for %v, want %d functions", keys(got), len(want))
	}
	card, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"- python", "- typescript"} {
		if !strings.Contains(string(card), tag) {
			t.Errorf("card front matter lacks %q", tag)
		}
	}
}
