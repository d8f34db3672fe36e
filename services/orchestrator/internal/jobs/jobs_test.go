package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newManager(t *testing.T, allowed ...string) (*Manager, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "out")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{Store: st, OutputRoot: root, AllowedRoots: allowed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Close(context.Background())
		_ = st.Close()
	})
	return m, root
}

func TestOutputDir(t *testing.T) {
	m, root := newManager(t)
	if err := os.Symlink(t.TempDir(), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		requested string
		want      string
		invalid   bool
	}{
		{"default", "", filepath.Join(root, "job1"), false},
		{"relative", "mine/run1", filepath.Join(root, "mine/run1"), false},
		{"absolute inside", filepath.Join(root, "abs"), filepath.Join(root, "abs"), false},
		{"cleaned inside", "a/../b", filepath.Join(root, "b"), false},
		{"parent escape", "../elsewhere", "", true},
		{"absolute outside", "/etc", "", true},
		{"root sibling prefix", root + "-other", "", true},
		{"symlink out of the root", "link", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.outputDir(tc.requested, "job1")
			if tc.invalid {
				var invalid *InvalidArgumentError
				if !errors.As(err, &invalid) || invalid.Field != "options.output_dir" || !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("want an invalid output_dir error, got %v (%q)", err, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheckSource(t *testing.T) {
	allowed := t.TempDir()
	m, _ := newManager(t, allowed)
	tests := []struct {
		name    string
		source  *parserv1.Source
		wantErr error
	}{
		{"inside allowed root", &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: filepath.Join(allowed, "repo")}}, nil},
		{"the root itself", &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: allowed}}, nil},
		{"outside", &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: "/usr/lib"}}, ErrPermissionDenied},
		{"escape by dots", &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: allowed + "/../x"}}, ErrPermissionDenied},
		{"git", &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: "https://example.com/r.git"}}}, nil},
		{"git without url", &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{}}}, ErrInvalidArgument},
		{"NUL byte in the path", &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: allowed + "/\x00x"}}, ErrInvalidArgument},
		{"git over ssh", gitSource("ssh://git@github.com/psf/requests.git"), ErrInvalidArgument},
		{"scp-style git", gitSource("git@github.com:psf/requests.git"), ErrInvalidArgument},
		{"git over file", gitSource("file:///etc"), ErrInvalidArgument},
		{"git over http", gitSource("http://github.com/psf/requests.git"), ErrInvalidArgument},
		{"git with credentials", gitSource("https://user:token@github.com/psf/requests.git"), ErrInvalidArgument},
		{"git without host", gitSource("https:///r.git"), ErrInvalidArgument},
		{"no kind", &parserv1.Source{}, ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := m.checkSource(tc.source)
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func gitSource(url string) *parserv1.Source {
	return &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: url}}}
}

func TestSubmitValidationAndClose(t *testing.T) {
	m, _ := newManager(t)
	if _, _, err := m.Submit(context.Background(), Spec{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("no sources: %v", err)
	}
	if _, err := m.Get("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := m.Cancel("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancel missing: %v", err)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	src := []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: "/r"}}}
	if _, _, err := m.Submit(context.Background(), Spec{Sources: src}); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}

func TestIdentity(t *testing.T) {
	local := func(p string) *parserv1.Source {
		return &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: p}}
	}
	opts := func(concurrency, threshold int32, budget float64) *orchestratorv1.JobOptions {
		return &orchestratorv1.JobOptions{Concurrency: concurrency, KeepThreshold: &threshold, BudgetUsd: budget, OutputDir: "ignored"}
	}
	model := store.AnnotatorIdentity{Model: "m", PromptVersion: "v1"}
	languages := func(langs ...string) *orchestratorv1.JobOptions {
		o := opts(1, 2, 0)
		o.Parse = &parserv1.ParseOptions{Languages: langs}
		return o
	}
	base := Identity([]*parserv1.Source{local("/a"), local("/b")}, opts(1, 2, 0), "/out", model)
	same := map[string]string{
		"concurrency":         Identity([]*parserv1.Source{local("/a"), local("/b")}, opts(8, 2, 0), "/out", model),
		"source order":        Identity([]*parserv1.Source{local("/b"), local("/a")}, opts(1, 2, 0), "/out", model),
		"unclean source path": Identity([]*parserv1.Source{local("/a/"), local("/x/../b")}, opts(1, 2, 0), "/out", model),
	}
	for name, id := range same {
		if id != base {
			t.Errorf("%s changed the identity", name)
		}
	}
	mixed := Identity([]*parserv1.Source{local("/a")}, languages("typescript", "python"), "/out", model)
	if Identity([]*parserv1.Source{local("/a")}, languages("python", "typescript"), "/out", model) != mixed {
		t.Error("the order of the languages changed the identity")
	}
	if Identity([]*parserv1.Source{local("/a")}, languages("python"), "/out", model) == mixed {
		t.Error("a different set of languages kept the identity")
	}
	differ := map[string]string{
		"threshold":  Identity([]*parserv1.Source{local("/a"), local("/b")}, opts(1, 3, 0), "/out", model),
		"budget":     Identity([]*parserv1.Source{local("/a"), local("/b")}, opts(1, 2, 5), "/out", model),
		"sources":    Identity([]*parserv1.Source{local("/a")}, opts(1, 2, 0), "/out", model),
		"output":     Identity([]*parserv1.Source{local("/a"), local("/b")}, opts(1, 2, 0), "/out2", model),
		"model":      Identity([]*parserv1.Source{local("/a"), local("/b")}, opts(1, 2, 0), "/out", store.AnnotatorIdentity{Model: "m2", PromptVersion: "v1"}),
		"prompt ver": Identity([]*parserv1.Source{local("/a"), local("/b")}, opts(1, 2, 0), "/out", store.AnnotatorIdentity{Model: "m", PromptVersion: "v2"}),
	}
	for name, id := range differ {
		if id == base {
			t.Errorf("a different %s kept the identity", name)
		}
	}
}
