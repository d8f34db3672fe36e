package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// shelfkitFiles is a small package with one function of every kind the default filters leave out,
// and a kept caller (make_book) of two left-out functions: a dunder method and a duplicate.
var shelfkitFiles = map[string]string{
	"README.md":         "# shelfkit\n",
	"shelf/__init__.py": "",
	"shelf/models.py": `class Book:
    def __init__(self, title, pages):
        self.title = title
        self.pages = pages
        self.tags = []

    def __repr__(self):
        return "Book(%r)" % self.title


def normalise_title(title):
    """Normalise a book title for sorting."""
    words = title.strip().split()
    return " ".join(w.capitalize() for w in words)


def make_book(title, pages):
    """Create a book with a normalised title, refusing empty books."""
    if pages <= 0:
        raise ValueError("a book needs pages")
    clean = normalise_title(title)
    return Book(clean, pages)


def identity(x):
    return x
`,
	// The same normalise_title, reindented: the copy in shelf/copy.py comes first by path, so it is
	// the one kept and models.normalise_title is its duplicate.
	"shelf/copy.py": `def normalise_title(title):
  """Normalise a book title for sorting."""
  words = title.strip().split()
  return " ".join(w.capitalize() for w in words)
`,
	"tests/test_models.py": `from shelf.models import make_book


def test_make_book():
    book = make_book("the hobbit", 310)
    assert book.title == "The Hobbit"
`,
}

// gitRun runs git in dir with a fixed identity, failing the test on error.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestAnnotateFiltersAndProvenance annotates shelfkit as a subdirectory of a git work tree whose
// remote is an ssh URL: records name the https remote, paths relative to the work tree and its
// commit; excluded.jsonl gives each left-out function its reason; a left-out callee of a kept
// function is summarised for it but has no record; no output file holds a local path.
func TestAnnotateFiltersAndProvenance(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	tmp := t.TempDir()
	work := filepath.Join(tmp, "checkout")
	src := filepath.Join(work, "libs", "shelfkit")
	writeTree(t, src, shelfkitFiles)
	gitRun(t, work, "init", "-q")
	gitRun(t, work, "remote", "add", "origin", "git@github.com:acme/monorepo.git")
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-qm", "shelfkit")
	commit := gitRun(t, work, "rev-parse", "HEAD")

	out := filepath.Join(tmp, "out")
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", filepath.Join(tmp, "state"), "--out", out, "--manifest-omit-local-paths", src)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	records := map[string]map[string]any{}
	for _, name := range []string{"pairs.jsonl", "rejected.jsonl"} {
		for _, r := range readRecords(t, filepath.Join(out, name)) {
			records[r["function"].(string)] = r
		}
	}
	const repo = "https://github.com/acme/monorepo"
	book, ok := records["shelf.models.make_book"]
	if !ok {
		t.Fatalf("no record for make_book: %v", records)
	}
	if book["repo"] != repo || book["path"] != "libs/shelfkit/shelf/models.py" || book["commit"] != commit ||
		book["id"] != repo+"/libs/shelfkit:shelf.models.make_book" {
		t.Errorf("make_book provenance: id %v, repo %v, path %v, commit %v", book["id"], book["repo"], book["path"], book["commit"])
	}
	// The duplicate callee was summarised for make_book: its summary reaches make_book's.
	if s, _ := book["summary"].(string); !strings.Contains(strings.ToLower(s), "normalise a book title") {
		t.Errorf("make_book's summary does not use its left-out callee's summary: %q", s)
	}

	excluded := map[string]map[string]any{}
	for _, x := range readRecords(t, filepath.Join(out, "excluded.jsonl")) {
		if len(x) != 7 || x["language"] != "python" {
			t.Errorf("excluded entry %v: want the seven fields, language python", x)
		}
		excluded[x["function"].(string)] = x
	}
	dup, ok := excluded["shelf.models.normalise_title"]
	if !ok || dup["reason"] != "duplicate" || dup["detail"] != "duplicate of "+repo+"/libs/shelfkit:shelf.copy.normalise_title" {
		t.Errorf("models.normalise_title left out as %v, want a duplicate of shelf.copy.normalise_title", dup)
	}
	if _, ok := records["shelf.models.normalise_title"]; ok {
		t.Error("the duplicate has a record")
	}
	if _, ok := records["shelf.copy.normalise_title"]; !ok {
		t.Error("the first copy of normalise_title has no record")
	}

	// No output file, the Parquet files under data/ included, holds a path of this machine.
	err := filepath.WalkDir(out, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(tmp)) {
			t.Errorf("%s holds the local path %s", path, tmp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The trait filters, from the parser's is_test/is_dunder/is_trivial.
	for fn, reason := range map[string]string{
		"tests.test_models.test_make_book": "test", "shelf.models.Book.__init__": "dunder", "shelf.models.Book.__repr__": "dunder",
		"shelf.models.identity": "trivial",
	} {
		if x := excluded[fn]; x == nil || x["reason"] != reason {
			t.Errorf("%s left out as %v, want reason %s", fn, x, reason)
		}
		if _, ok := records[fn]; ok {
			t.Errorf("%s, left out, has a record", fn)
		}
	}
}

// TestAnnotateWithoutCode: a directory without a file in a language q4c reads fails the run with a
// message saying so.
func TestAnnotateWithoutCode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "notes")
	writeTree(t, dir, map[string]string{"README.md": "# notes\n", "data/table.csv": "a,b\n"})
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", t.TempDir(), "--out", filepath.Join(t.TempDir(), "out"), dir)
	if code == 0 || !strings.Contains(stderr, "no file in a supported language (python, javascript, typescript) in notes") {
		t.Fatalf("exit %d, want non-zero with a message naming the source\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// TestAnnotateLanguages: --languages reaches the job as a set in one order (the manifest says it),
// and a name q4c does not read is refused before anything starts.
func TestAnnotateLanguages(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "chain")
	writeChainRepo(t, repo, "return x + 1")
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runQ4C(t, "annotate", "--state-dir", t.TempDir(), "--out", out, "--languages", "TypeScript,python", "--languages", "typescript", repo)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Parse struct {
			Languages []string `json:"languages"`
		} `json:"parse"`
	}
	if err := json.Unmarshal(data, &man); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(man.Parse.Languages, ","); got != "python,typescript" {
		t.Errorf("manifest languages %q, want python,typescript", got)
	}
	for _, r := range readRecords(t, filepath.Join(out, "pairs.jsonl")) {
		if r["language"] != "python" {
			t.Errorf("record %v in language %v", r["id"], r["language"])
		}
	}

	dir := t.TempDir()
	for _, args := range [][]string{
		{"annotate", "--state-dir", dir, "--out", filepath.Join(dir, "out")},
		{"popularity", "--out", filepath.Join(dir, "out")},
	} {
		_, stderr, code := runQ4C(t, append(args, "--languages", "python,ruby", repo)...)
		if code != 1 || !strings.Contains(stderr, `--languages: "ruby" is not a language q4c reads (python, javascript, typescript)`) {
			t.Errorf("%s --languages python,ruby: exit %d, stderr %q", args[0], code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
			t.Errorf("%s with a bad --languages wrote output", args[0])
		}
	}
}
