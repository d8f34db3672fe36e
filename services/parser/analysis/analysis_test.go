package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const fixtureRepo = "testdata/repo"

// goldenView is the part of a Result that golden files pin down: no code
// bodies (the hash covers them) and no timings.
type goldenView struct {
	Functions []goldenFunction      `json:"functions"`
	Stats     goldenStats           `json:"stats"`
	APIUsage  []APICall             `json:"api_usage"`
	Stdlib    []APICall             `json:"stdlib_usage"`
	Skipped   []SkippedFile         `json:"skipped"`
	ParseErrs []string              `json:"parse_error_paths"`
	SyntaxErr []SyntaxErrorFunction `json:"syntax_error_functions"`
}

type goldenFunction struct {
	ID          string    `json:"id"`
	Path        string    `json:"path"`
	Lines       [2]int    `json:"lines"`
	Signature   string    `json:"signature"`
	Class       string    `json:"class,omitempty"`
	Decorators  []string  `json:"decorators,omitempty"`
	Docstring   string    `json:"docstring,omitempty"`
	ContentHash string    `json:"content_hash"`
	Callees     []Callee  `json:"callees,omitempty"`
	APICalls    []APICall `json:"api_calls,omitempty"`
	StdlibCalls []APICall `json:"stdlib_calls,omitempty"`
	SCC         int       `json:"scc"`
	Level       int       `json:"level"`
	Cyclic      bool      `json:"cyclic,omitempty"`
	IsTest      bool      `json:"is_test,omitempty"`
	IsDunder    bool      `json:"is_dunder,omitempty"`
	IsTrivial   bool      `json:"is_trivial,omitempty"`
}

type goldenStats struct {
	Files, Functions, Edges, Cycles, ParseErrorFiles, SkippedLargeFiles, SkippedOther, SyntaxErrorFunctions int
	Bytes                                                                                                   int64
}

func viewOf(r *Result) goldenView {
	v := goldenView{APIUsage: r.APIUsage, Stdlib: r.StdlibUsage, Skipped: r.Skipped, ParseErrs: r.ParseErrorPaths, SyntaxErr: r.SyntaxErrorFunctions}
	for _, f := range r.Functions {
		v.Functions = append(v.Functions, goldenFunction{
			ID: f.ID, Path: f.Path, Lines: [2]int{f.StartLine, f.EndLine}, Signature: f.Signature,
			Class: f.Class, Decorators: f.Decorators, Docstring: f.Docstring, ContentHash: f.ContentHash,
			Callees: f.Callees, APICalls: f.APICalls, StdlibCalls: f.StdlibCalls,
			SCC: f.SCC, Level: f.Level, Cyclic: f.Cyclic, IsTest: f.IsTest, IsDunder: f.IsDunder, IsTrivial: f.IsTrivial,
		})
	}
	s := r.Stats
	v.Stats = goldenStats{Files: s.Files, Functions: s.Functions, Edges: s.Edges, Cycles: s.Cycles,
		ParseErrorFiles: s.ParseErrorFiles, SkippedLargeFiles: s.SkippedLargeFiles, SkippedOther: s.SkippedOther,
		SyntaxErrorFunctions: s.SyntaxErrorFunctions, Bytes: s.Bytes}
	return v
}

func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from the golden file; rerun with -update if the change is intended.\ngot:\n%s", name, b)
	}
}

func TestAnalyzeGolden(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		opts   Options
	}{
		{name: "defaults", golden: "repo.json", opts: Options{Root: fixtureRepo}},
		{name: "skip tests, dunder and trivial", golden: "repo_filtered.json",
			opts: Options{Root: fixtureRepo, SkipTests: true, SkipDunder: true, SkipTrivial: true}},
		{name: "include and exclude globs", golden: "repo_globs.json",
			opts: Options{Root: fixtureRepo, Include: []string{"shop/**"}, Exclude: []string{"**/payments/**"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, viewOf(res))
		})
	}
}

func TestPyCGGolden(t *testing.T) {
	g, err := PyCG(context.Background(), fixtureRepo)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "repo.pycg.json", g)
}

func TestGraphJSON(t *testing.T) {
	res, err := Analyze(context.Background(), Options{Root: fixtureRepo, SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	g := res.Graph()
	if len(g.Functions) != len(res.Functions) {
		t.Fatalf("graph has %d functions, result %d", len(g.Functions), len(res.Functions))
	}
	// is_even and is_odd call each other; countdown calls itself.
	want := [][]string{{"shop.payments.gateway.countdown"}, {"shop.payments.gateway.is_even", "shop.payments.gateway.is_odd"}}
	got := map[string]bool{}
	for _, c := range g.Cycles {
		got[strings.Join(c, ",")] = true
	}
	for _, w := range want {
		if !got[strings.Join(w, ",")] {
			t.Errorf("cycle %v missing from %v", w, g.Cycles)
		}
	}
	if len(g.Skipped) != 1 || g.Skipped[0].Reason != "undecodable" || len(g.SyntaxErrorFunctions) != 1 || g.SyntaxErrorFunctions[0].ID != "broken.broken" {
		t.Errorf("graph skipped %v, syntax error functions %v: want legacy_latin1.py and broken.broken", g.Skipped, g.SyntaxErrorFunctions)
	}
	if _, err := json.Marshal(g); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyzeFixtureFacts(t *testing.T) {
	res, err := Analyze(context.Background(), Options{Root: fixtureRepo})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Function{}
	for _, f := range res.Functions {
		byID[f.ID] = f
	}
	has := func(caller, callee string) bool {
		for _, c := range byID[caller].Callees {
			if c.ID == callee {
				return true
			}
		}
		return false
	}
	edges := [][2]string{
		{"app.main", "shop.catalog.Catalog.__init__"},
		{"app.main", "shop.util.slugify"},                // through the package's star import
		{"app.main", "shop.util.retry.decorate.wrapper"}, // Catalog.load is decorated
		{"shop.util.retry.decorate.wrapper", "shop.catalog.Catalog.load"},
		{"shop.catalog.DiscountedItem.__init__", "shop.catalog.Item.__init__"}, // super()
		{"shop.catalog.DiscountedItem.describe", "shop.catalog.Item.label"},    // property
		{"shop.catalog.Catalog.describe_all", "shop.catalog.DiscountedItem.describe"},
		{"shop.payments.gateway.build", "shop.payments.gateway.checkout"}, // through a lambda
		{"shop.payments.gateway.checkout", "shop.util.slugify"},
		{"broken.after_error", "broken.survives"},
	}
	for _, e := range edges {
		if !has(e[0], e[1]) {
			t.Errorf("missing edge %s -> %s (callees: %v)", e[0], e[1], byID[e[0]].Callees)
		}
	}
	if f := byID["shop.catalog.Catalog.mean_price"]; len(f.APICalls) != 1 || f.APICalls[0].API != "numpy.mean" {
		t.Errorf("mean_price API calls = %v, want numpy.mean", f.APICalls)
	}
	if f := byID["shop.payments.gateway.checkout"]; len(f.APICalls) != 2 {
		t.Errorf("checkout API calls = %v, want requests.Session and requests.Session.post", f.APICalls)
	}
	if res.Stats.ParseErrorFiles != 1 || res.ParseErrorPaths[0] != "broken.py" {
		t.Errorf("parse errors = %d %v, want broken.py", res.Stats.ParseErrorFiles, res.ParseErrorPaths)
	}
	if res.Stats.SkippedOther != 1 || res.Skipped[0].Path != "legacy_latin1.py" || res.Skipped[0].Reason != "undecodable" {
		t.Errorf("skipped = %v, want legacy_latin1.py as undecodable", res.Skipped)
	}
	if _, ok := byID["broken.broken"]; ok || len(res.SyntaxErrorFunctions) != 1 || res.SyntaxErrorFunctions[0].ID != "broken.broken" {
		t.Errorf("broken.broken emitted %v, syntax error functions %v; want it listed, not emitted", ok, res.SyntaxErrorFunctions)
	}
	f := byID["shop.catalog.Item.__init__"]
	if f.Class != "Item" || f.Path != "shop/catalog.py" || f.StartLine != 12 || f.Signature != "def __init__(self, name, price)" {
		t.Errorf("Item.__init__ = %+v", f)
	}
	if !strings.HasPrefix(f.Code, "def __init__(self, name, price):\n    self.name = name") {
		t.Errorf("code is not dedented:\n%s", f.Code)
	}
}

// TestCalleeFirstOrder checks, on a repository with chains, diamonds,
// recursion and mutual recursion, that every callee outside a function's
// SCC comes before it, and that levels are longest paths to a leaf.
func TestCalleeFirstOrder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"chain.py": "def c3():\n    pass\n\ndef c2():\n    c3()\n\ndef c1():\n    c2()\n",
		"diamond.py": `from chain import c1

def bottom():
    pass

def left():
    bottom()

def right():
    bottom()
    c1()

def top():
    left()
    right()
`,
		"cycles.py": `from diamond import top, bottom

def rec(n):
    return rec(n - 1) if n else top()

def ping(n):
    return pong(n - 1)

def pong(n):
    return ping(n - 1) if n else bottom()

def driver():
    ping(3)
    rec(2)
`,
	})
	res, err := Analyze(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	scc := map[string]int{}
	level := map[string]int{}
	for i, f := range res.Functions {
		pos[f.ID], scc[f.ID], level[f.ID] = i, f.SCC, f.Level
	}
	for _, f := range res.Functions {
		for _, c := range f.Callees {
			if scc[c.ID] == f.SCC {
				continue
			}
			if pos[c.ID] > pos[f.ID] {
				t.Errorf("%s comes before its callee %s", f.ID, c.ID)
			}
			if level[c.ID] >= f.Level {
				t.Errorf("level(%s)=%d not above level(%s)=%d", f.ID, f.Level, c.ID, level[c.ID])
			}
		}
	}
	wantLevels := map[string]int{
		"chain.c3": 0, "chain.c2": 1, "chain.c1": 2,
		"diamond.bottom": 0, "diamond.left": 1, "diamond.right": 3, "diamond.top": 4,
		"cycles.rec": 5, "cycles.ping": 1, "cycles.pong": 1, "cycles.driver": 6,
	}
	for id, want := range wantLevels {
		if got, ok := level[id]; !ok || got != want {
			t.Errorf("level(%s) = %d (present %v), want %d", id, got, ok, want)
		}
	}
	if scc["cycles.ping"] != scc["cycles.pong"] {
		t.Error("ping and pong are in different SCCs")
	}
	if res.Stats.Cycles != 2 {
		t.Errorf("cycles = %d, want 2 (rec, ping/pong)", res.Stats.Cycles)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.py": "x = 1\n"})
	other := t.TempDir()
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{"empty root", Options{}, ErrInvalidOption},
		{"missing root", Options{Root: filepath.Join(dir, "nope")}, ErrNotFound},
		{"file as root", Options{Root: filepath.Join(dir, "a.py")}, ErrNotDirectory},
		{"outside allowed roots", Options{Root: dir, AllowedRoots: []string{other}}, ErrOutsideAllowedRoots},
		{"dot-dot escape", Options{Root: filepath.Join(other, "..", filepath.Base(dir)), AllowedRoots: []string{other}}, ErrOutsideAllowedRoots},
		{"bad glob", Options{Root: dir, Include: []string{"[a-"}}, ErrInvalidOption},
		{"negative workers", Options{Root: dir, Workers: -1}, ErrInvalidOption},
		{"bad size cap", Options{Root: dir, MaxFileBytes: -5}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Analyze(context.Background(), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Analyze(context.Background(), Options{Root: dir, AllowedRoots: []string{filepath.Dir(dir)}}); err != nil {
		t.Errorf("root inside an allowed root: %v", err)
	}
}

func TestAnalyzeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, Options{Root: fixtureRepo}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestAnalyzeLimitsAndSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ok.py":    "def ok():\n    pass\n",
		"big.py":   "# " + strings.Repeat("x", 4096) + "\n",
		"bin.py":   "def f():\n    pass\n\x00\x01",
		"inner.py": "def inner():\n    pass\n",
	})
	writeFiles(t, outside, map[string]string{"secret.py": "def secret():\n    pass\n"})
	if err := os.Symlink(filepath.Join(outside, "secret.py"), filepath.Join(dir, "leak.py")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "inner.py"), filepath.Join(dir, "alias.py")); err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(context.Background(), Options{Root: dir, MaxFileBytes: 1024, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, s := range res.Skipped {
		reasons[s.Path] = s.Reason
	}
	want := map[string]string{"big.py": "too_large", "bin.py": "binary", "leak.py": "outside_repository"}
	for path, reason := range want {
		if reasons[path] != reason {
			t.Errorf("%s: reason %q, want %q", path, reasons[path], reason)
		}
	}
	for _, s := range res.Skipped {
		if strings.Contains(s.Detail, dir) || strings.Contains(s.Detail, outside) {
			t.Errorf("%s: detail %q holds a local path", s.Path, s.Detail)
		}
	}
	if res.Stats.SkippedLargeFiles != 1 || res.Stats.SkippedOther != 2 {
		t.Errorf("stats = %+v", res.Stats)
	}
	ids := map[string]bool{}
	for _, f := range res.Functions {
		ids[f.ID] = true
	}
	if !ids["ok.ok"] || !ids["alias.inner"] || ids["leak.secret"] {
		t.Errorf("functions = %v, want ok.ok and alias.inner but not leak.secret", ids)
	}
}
