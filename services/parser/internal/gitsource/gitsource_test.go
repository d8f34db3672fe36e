package gitsource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/platform/gittest"
)

// gitServer serves a real repository over https with `git http-backend`
// (smart HTTP), so the clone goes through go-git's real transport.
type gitServer struct {
	url    string
	host   string
	ca     []byte
	commit map[string]string // revision name -> commit id
}

// newGitServer serves repo.git with a history of three commits: v1 (a.py), main (b.py added) and
// the branch feature (c.py added).
func newGitServer(t *testing.T) *gitServer {
	t.Helper()
	root := t.TempDir()
	work := filepath.Join(root, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(dir string, args ...string) string { return gittest.Git(t, dir, args...) }
	run(work, "init", "-q", "-b", "main")
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.py", "def first():\n    return 1\n")
	run(work, "add", ".")
	run(work, "commit", "-q", "-m", "first")
	first := run(work, "rev-parse", "HEAD")
	run(work, "tag", "v1")
	write("b.py", "def second():\n    return 2\n")
	run(work, "add", ".")
	run(work, "commit", "-q", "-m", "second")
	second := run(work, "rev-parse", "HEAD")
	run(work, "checkout", "-q", "-b", "feature")
	write("c.py", "def third():\n    return 3\n")
	run(work, "add", ".")
	run(work, "commit", "-q", "-m", "third")
	third := run(work, "rev-parse", "HEAD")
	run(work, "checkout", "-q", "main")
	run(root, "clone", "-q", "--bare", work, "repo.git")
	srv := gittest.ServeBare(t, root)
	return &gitServer{url: srv.URL("repo"), host: srv.Host, ca: srv.CA,
		commit: map[string]string{"main": second, "v1": first, "feature": third, "first": first}}
}

func (g *gitServer) cloner(t *testing.T) *Cloner {
	return &Cloner{AllowedHosts: []string{g.host}, CABundle: g.ca, TempDir: t.TempDir()}
}

func TestCloneRevisions(t *testing.T) {
	srv := newGitServer(t)
	c := srv.cloner(t)
	tests := []struct {
		revision   string
		wantCommit string
		wantFiles  []string
		absent     []string
	}{
		{"", srv.commit["main"], []string{"a.py", "b.py"}, []string{"c.py"}},
		{"main", srv.commit["main"], []string{"a.py", "b.py"}, []string{"c.py"}},
		{"feature", srv.commit["feature"], []string{"a.py", "b.py", "c.py"}, nil},
		{"v1", srv.commit["v1"], []string{"a.py"}, []string{"b.py"}},
		{srv.commit["first"][:12], srv.commit["first"], []string{"a.py"}, []string{"b.py"}},
	}
	for _, tt := range tests {
		t.Run("rev="+tt.revision, func(t *testing.T) {
			co, err := c.Clone(context.Background(), srv.url, tt.revision)
			if err != nil {
				t.Fatalf("Clone: %v", err)
			}
			t.Cleanup(func() { _ = co.Remove() })
			if co.Commit != tt.wantCommit {
				t.Errorf("commit = %s, want %s", co.Commit, tt.wantCommit)
			}
			for _, f := range tt.wantFiles {
				if _, err := os.Stat(filepath.Join(co.Dir, f)); err != nil {
					t.Errorf("%s missing: %v", f, err)
				}
			}
			for _, f := range tt.absent {
				if _, err := os.Stat(filepath.Join(co.Dir, f)); err == nil {
					t.Errorf("%s present at revision %q", f, tt.revision)
				}
			}
		})
	}
}

func TestCloneErrors(t *testing.T) {
	srv := newGitServer(t)
	c := srv.cloner(t)
	tmp := c.TempDir
	if _, err := c.Clone(context.Background(), srv.url, "no-such-branch"); !errors.Is(err, ErrRevisionNotFound) {
		t.Errorf("missing branch: err = %v, want ErrRevisionNotFound", err)
	}
	if _, err := c.Clone(context.Background(), strings.TrimSuffix(srv.url, "repo.git")+"other.git", ""); !errors.Is(err, ErrClone) {
		t.Errorf("missing repository: err = %v, want ErrClone", err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("failed clones left %d directories behind", len(entries))
	}
}

func TestCheckURL(t *testing.T) {
	c := &Cloner{AllowedHosts: []string{"github.com", "*.example.org"}}
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://github.com/psf/requests.git", true},
		{"https://GitHub.com/psf/requests", true},
		{"https://git.example.org/x.git", true},
		{"https://example.org.evil.com/x.git", false},
		{"https://gitlab.com/x/y.git", false},
		{"http://github.com/psf/requests.git", false},
		{"file:///etc", false},
		{"ssh://git@github.com/psf/requests.git", false},
		{"git@github.com:psf/requests.git", false},
		{"/home/user/repo", false},
		{"../repo", false},
		{"https://user:secret@github.com/psf/requests.git", false},
	}
	for _, tt := range tests {
		err := c.CheckURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrURLNotAllowed) {
			t.Errorf("CheckURL(%q) error %v is not ErrURLNotAllowed", tt.url, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("CheckURL(%q) leaks the password: %v", tt.url, err)
		}
	}
}
