package gitsource

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitServer serves a real repository over https with `git http-backend`
// (smart HTTP), so the clone goes through go-git's real transport.
type gitServer struct {
	url    string
	ca     []byte
	commit map[string]string // revision name -> commit id
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func newGitServer(t *testing.T) *gitServer {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	work := filepath.Join(root, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, work, "init", "-q", "-b", "main")
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.py", "def first():\n    return 1\n")
	run(t, work, "add", ".")
	run(t, work, "commit", "-q", "-m", "first")
	first := run(t, work, "rev-parse", "HEAD")
	run(t, work, "tag", "v1")
	write("b.py", "def second():\n    return 2\n")
	run(t, work, "add", ".")
	run(t, work, "commit", "-q", "-m", "second")
	second := run(t, work, "rev-parse", "HEAD")
	run(t, work, "checkout", "-q", "-b", "feature")
	write("c.py", "def third():\n    return 3\n")
	run(t, work, "add", ".")
	run(t, work, "commit", "-q", "-m", "third")
	third := run(t, work, "rev-parse", "HEAD")
	run(t, work, "checkout", "-q", "main")
	run(t, root, "clone", "-q", "--bare", work, "repo.git")

	backend := run(t, root, "--exec-path") + "/git-http-backend"
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return &gitServer{url: srv.URL + "/repo.git", ca: ca,
		commit: map[string]string{"main": second, "v1": first, "feature": third, "first": first}}
}

func (g *gitServer) cloner(t *testing.T) *Cloner {
	u, err := url.Parse(g.url)
	if err != nil {
		t.Fatal(err)
	}
	return &Cloner{AllowedHosts: []string{u.Hostname()}, CABundle: g.ca, TempDir: t.TempDir()}
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
