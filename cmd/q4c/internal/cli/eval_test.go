package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/annotator/fakellm"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const evalPairs = `[
 {"idx": "a", "doc": "python read file lines", "code": "def read_lines(path):\n    \"\"\"Read the lines of a file.\"\"\"\n    with open(path) as f:\n        return f.readlines()", "label": 1, "retrieval_idx": 0},
 {"idx": "b", "doc": "python send email", "code": "def read_lines(path):\n    \"\"\"Read the lines of a file.\"\"\"\n    with open(path) as f:\n        return f.readlines()", "label": 0, "retrieval_idx": 0},
 {"idx": "c", "doc": "python sort dict by value", "code": "def sort_by_value(d):\n    return sorted(d.items(), key=lambda kv: kv[1])", "label": 1, "retrieval_idx": 1},
 {"idx": "d", "doc": "python parse date string", "code": "def sort_by_value(d):\n    return sorted(d.items(), key=lambda kv: kv[1])", "label": 0, "retrieval_idx": 1}
]`

const evalCodebase = `{"def read_lines(path):\n    \"\"\"Read the lines of a file.\"\"\"\n    with open(path) as f:\n        return f.readlines()": 0,
 "def sort_by_value(d):\n    return sorted(d.items(), key=lambda kv: kv[1])": 1,
 "def send_email(to, body):\n    smtp.sendmail(to, body)": 2}`

func TestEvalJudgeBackends(t *testing.T) {
	dir := t.TempDir()
	pairs := writeFile(t, dir, "pairs.json", evalPairs)
	llm, err := fakellm.Start(fakellm.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = llm.Close() })
	for _, tt := range []struct {
		name  string
		args  []string
		model string
	}{
		{"offline in process", nil, "offline"},
		{"openai back-end", []string{"--llm", "openai", "--llm-base-url", llm.URL(), "--llm-model", "fake-llm", "--llm-api-key", "k"}, "fake-llm"},
	} {
		args := append([]string{"eval", "judge", "--json", "--concurrency", "2"}, tt.args...)
		stdout, stderr, code := runQ4C(t, append(args, pairs)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.name, code, stderr)
		}
		var rep struct {
			Items, Scored int
			Model         string
			Confusion     map[string]int
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%s: %v\n%s", tt.name, err, stdout)
		}
		total := 0
		for _, n := range rep.Confusion {
			total += n
		}
		if rep.Items != 4 || rep.Scored != 4 || total != 4 || rep.Model != tt.model {
			t.Errorf("%s: report %+v", tt.name, rep)
		}
	}
	if got := llm.Counts().ByStage[fakellm.StageValidate]; got != 4 {
		t.Errorf("fake LLM saw %d validations, want 4", got)
	}
}

func TestEvalSearchCachesAnnotations(t *testing.T) {
	dir := t.TempDir()
	queries := writeFile(t, dir, "q.json", evalPairs)
	codebase := writeFile(t, dir, "cb.json", evalCodebase)
	cache := filepath.Join(dir, "cache")
	for run, wantCached := range []int{0, 3} {
		stdout, stderr, code := runQ4C(t, "eval", "search", "--queries", queries, "--codebase", codebase, "--cache", cache)
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", run, code, stderr)
		}
		for _, v := range []string{"code ", "code+docstring ", "code+generated ", "code+docstring+generated "} {
			if !strings.Contains(stdout, "\n"+v) {
				t.Errorf("run %d: no %q row:\n%s", run, v, stdout)
			}
		}
		if want := "3 from cache"; wantCached == 3 && !strings.Contains(stdout, want) {
			t.Errorf("run %d: want %q:\n%s", run, want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "annotations-offline-v2.jsonl")); err != nil {
		t.Errorf("cache file: %v", err)
	}
	if _, stderr, code := runQ4C(t, "eval", "search", "--queries", queries); code == 0 || !strings.Contains(stderr, "--codebase") {
		t.Errorf("missing --codebase: exit %d, %s", code, stderr)
	}
}

func TestEvalCallgraph(t *testing.T) {
	cases := t.TempDir()
	writeFile(t, cases, "direct/one/main.py", "def f():\n    g()\n\ndef g():\n    pass\n\nf()\n")
	writeFile(t, cases, "direct/one/callgraph.json", `{"main": ["main.f"], "main.f": ["main.g"], "main.g": []}`)
	pred := filepath.Join(t.TempDir(), "pred")
	stdout, stderr, code := runQ4C(t, "eval", "callgraph", "--pred-dir", pred, cases)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "direct           precision=1.000 recall=1.000 f1=1.000 exact=1/1\nTOTAL precision=1.000 recall=1.000 f1=1.000 exact=1/1\n"
	if stdout != want {
		t.Errorf("output:\n%s\nwant:\n%s", stdout, want)
	}
	if _, err := os.Stat(filepath.Join(pred, "direct", "one", "callgraph.json")); err != nil {
		t.Errorf("prediction: %v", err)
	}
}

func TestCallgraphFormatsAndFileSelection(t *testing.T) {
	repo := t.TempDir()
	writeFile(t, repo, "pkg/__init__.py", "")
	writeFile(t, repo, "pkg/a.py", "from pkg.b import g\n\ndef f():\n    return g()\n")
	writeFile(t, repo, "pkg/b.py", "def g():\n    return 1\n")
	writeFile(t, repo, "tests/test_a.py", "from pkg.a import f\n\ndef test_f():\n    assert f() == 1\n")
	pycg := func(args ...string) map[string][]string {
		t.Helper()
		stdout, stderr, code := runQ4C(t, append([]string{"callgraph"}, append(args, repo)...)...)
		if code != 0 {
			t.Fatalf("callgraph %v: exit %d: %s", args, code, stderr)
		}
		var g map[string][]string
		if err := json.Unmarshal([]byte(stdout), &g); err != nil {
			t.Fatalf("callgraph %v: %v\n%s", args, err, stdout)
		}
		return g
	}
	all := pycg()
	if !slices.Equal(all["pkg.a.f"], []string{"pkg.b.g"}) || !slices.Equal(all["tests.test_a.test_f"], []string{"pkg.a.f"}) {
		t.Errorf("whole repository: %v", all)
	}
	if g := pycg("--skip-tests"); g["tests.test_a.test_f"] != nil || g["pkg.a.f"] == nil {
		t.Errorf("--skip-tests: %v", g)
	}
	if g := pycg("--exclude", "pkg/b.py"); g["pkg.b.g"] != nil || g["pkg.a.f"] == nil {
		t.Errorf("--exclude pkg/b.py: %v", g)
	}
	if g := pycg("--include", "tests/**"); g["pkg.a.f"] != nil || g["tests.test_a.test_f"] == nil {
		t.Errorf("--include tests/**: %v", g)
	}
	stdout, stderr, code := runQ4C(t, "callgraph", "--format", "json", repo)
	if code != 0 || !strings.Contains(stdout, `"pkg.b.g"`) || !strings.Contains(stdout, `"level"`) {
		t.Errorf("--format json: exit %d, %s\n%s", code, stderr, stdout)
	}
	// The package directory itself: PyCG names modules relative to it, the
	// json format by import semantics (the package keeps its name).
	pkgDir := filepath.Join(repo, "pkg")
	if stdout, stderr, code := runQ4C(t, "callgraph", pkgDir); code != 0 || !strings.Contains(stdout, `"a.f": [`) || strings.Contains(stdout, `"pkg.a.f"`) {
		t.Errorf("--format pycg on the package: exit %d, %s\n%s", code, stderr, stdout)
	}
	if stdout, stderr, code := runQ4C(t, "callgraph", "--format", "json", pkgDir); code != 0 || !strings.Contains(stdout, `"id": "pkg.a.f"`) {
		t.Errorf("--format json on the package: exit %d, %s\n%s", code, stderr, stdout)
	}
	// Both functions are two lines long: trivial.
	if stdout, stderr, code := runQ4C(t, "callgraph", "--format", "json", "--skip-trivial", pkgDir); code != 0 || strings.Contains(stdout, `"id": "pkg.`) {
		t.Errorf("--format json --skip-trivial on the package: exit %d, %s\n%s", code, stderr, stdout)
	}
	if _, stderr, code := runQ4C(t, "callgraph", "--format", "dot", repo); code == 0 || !strings.Contains(stderr, "pycg or json") {
		t.Errorf("--format dot: exit %d, %s", code, stderr)
	}
}
