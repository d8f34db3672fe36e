// Package gittest serves git repositories over https for tests: a bare
// repository behind `git http-backend` (smart HTTP) on a loopback TLS
// server, so a parser clones it through its real transport. Tests that use
// it are skipped where git is not installed.
package gittest

import (
	"encoding/pem"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Server serves the repositories Serve was given.
type Server struct {
	base string
	// CA is the PEM certificate to trust for the server (GitCABundle of the parser).
	CA []byte
	// Host is the server's host name, to allow as a git host.
	Host string
	// Commits is the commit id of each repository's main branch, by name.
	Commits map[string]string
}

// URL is the clone URL of the repository name.
func (s *Server) URL(name string) string { return s.base + "/" + name + ".git" }

// Serve commits each repository's files (relative path -> content) on a main branch, makes a bare
// copy and serves them all until the test ends.
func Serve(t testing.TB, repos map[string]map[string]string) *Server {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	commits := map[string]string{}
	for name, files := range repos {
		work := filepath.Join(root, "work", name)
		for rel, body := range files {
			path := filepath.Join(work, rel)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		Git(t, work, "init", "-q", "-b", "main")
		Git(t, work, "add", ".")
		Git(t, work, "commit", "-q", "-m", "initial")
		commits[name] = Git(t, work, "rev-parse", "HEAD")
		Git(t, root, "clone", "-q", "--bare", work, name+".git")
	}
	srv := ServeBare(t, root)
	srv.Commits = commits
	return srv
}

// ServeBare serves the bare repositories in root (root/NAME.git is Server.URL(NAME)) until the test
// ends, for tests that build their own history with Git.
func ServeBare(t testing.TB, root string) *Server {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	backend := filepath.Join(Git(t, root, "--exec-path"), "git-http-backend")
	srv := httptest.NewTLSServer(&cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}})
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &Server{base: srv.URL, Host: u.Hostname(), Commits: map[string]string{},
		CA: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
}

// Git runs git in dir with a fixed identity and no user or system configuration, and returns its
// trimmed output; a failure ends the test.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=gittest", "GIT_AUTHOR_EMAIL=gittest@example.com",
		"GIT_COMMITTER_NAME=gittest", "GIT_COMMITTER_EMAIL=gittest@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
