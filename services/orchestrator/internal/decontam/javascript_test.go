package decontam

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/orchestrator/internal/neardup"
	"github.com/query4code/query4code/services/orchestrator/internal/pyblock"
	"github.com/query4code/query4code/services/orchestrator/internal/shingle"
)

// JavaScript and TypeScript functions as the parser emits them: template literals (backquotes),
// regular expression literals, arrows, generics, JSDoc, and characters outside ASCII.
var (
	jsFormat = "/**\n * Formats a duration in milliseconds as `1h 2m 3s`.\n */\n" +
		"export function formatDuration(ms) {\n" +
		"  const parts = [];\n" +
		"  const units = { h: 3600000, m: 60000, s: 1000 };\n" +
		"  for (const [unit, size] of Object.entries(units)) {\n" +
		"    const n = Math.floor(ms / size);\n" +
		"    if (n > 0) { parts.push(`${n}${unit}`); ms -= n * size; }\n" +
		"  }\n" +
		"  return parts.join(' ').replace(/\\s+$/, '') || '0s';\n" +
		"}\n"
	// jsFormatReformatted is jsFormat as another formatter writes it: double quotes, no semicolons,
	// one line per statement joined, a trailing comma.
	jsFormatReformatted = "/**\n * Formats a duration in milliseconds as `1h 2m 3s`.\n */\n" +
		"export function formatDuration(ms) {\n" +
		"  const parts = []\n" +
		"  const units = { h: 3600000, m: 60000, s: 1000, }\n" +
		"  for (const [unit, size] of Object.entries(units)) {\n" +
		"    const n = Math.floor(ms / size)\n" +
		"    if (n > 0) {\n      parts.push(`${n}${unit}`)\n      ms -= n * size\n    }\n" +
		"  }\n" +
		"  return parts.join(\" \").replace(/\\s+$/, \"\") || \"0s\"\n" +
		"}\n"
	tsCache = "export class LruCache<K, V> {\n" +
		"  private readonly items = new Map<K, V>();\n" +
		"  get(key: K): V | undefined {\n" +
		"    const value = this.items.get(key);\n" +
		"    if (value !== undefined) { this.items.delete(key); this.items.set(key, value); }\n" +
		"    return value; // « moved to the front »\n" +
		"  }\n" +
		"}\n"
)

// TestJavaScriptCode: the shingle tokeniser, near-duplicate clustering, decontamination and pyblock
// take JavaScript and TypeScript code without assuming Python: a reformatted copy is a near-duplicate,
// a user's .js evaluation file is matched whole, and the Python-only parts find nothing in it.
func TestJavaScriptCode(t *testing.T) {
	for _, code := range []string{jsFormat, tsCache, "x => x", "`", "/"} {
		if code != "`" && len(shingle.Tokens(code)) == 0 {
			t.Errorf("no tokens in %q", code)
		}
	}
	if a, b := shingle.Tokens(jsFormat), shingle.Tokens(jsFormatReformatted); strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("reformatting changed the tokens:\n%q\n%q", a, b)
	}

	got, err := neardup.Cluster([]neardup.Item{{Key: "a", Code: jsFormat}, {Key: "b", Code: jsFormatReformatted}, {Key: "c", Code: tsCache}}, 0.85)
	if err != nil {
		t.Fatal(err)
	}
	if !got[1].Duplicate() || got[1].Representative != "a" || got[2].Duplicate() {
		t.Errorf("clusters %+v: want b a near-duplicate of a, c on its own", got)
	}

	// A user's evaluation set in JavaScript: the file is one entry; a function taken from it matches.
	dir := t.TempDir()
	eval := filepath.Join(dir, "eval.js")
	if err := os.WriteFile(eval, []byte(jsFormat+"\nexport const answer = 42;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if blocks := pyblock.Functions(jsFormat + tsCache); len(blocks) != 0 {
		t.Errorf("pyblock found Python blocks in JavaScript: %+v", blocks)
	}
	ix, err := NewIndex(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.AddPath("mine", dir); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 1 {
		t.Fatalf("%d entries from one .js file, want 1", ix.Len())
	}
	if m, ok := ix.Match(jsFormatReformatted); !ok || m.ID != eval {
		t.Errorf("reformatted copy of the evaluation function: match %+v %v, want %s", m, ok, eval)
	}
	if m, ok := ix.Match(tsCache); ok {
		t.Errorf("unrelated TypeScript matched %+v", m)
	}

	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{jsFormat, tsCache} {
		if m, ok := builtin.Match(code); ok {
			t.Errorf("JavaScript matched the Python evaluation sets: %+v", m)
		}
	}
}
