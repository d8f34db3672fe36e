package dataset

import (
	"os"
	"path/filepath"
	"testing"

	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

func TestPortableRemote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"git@github.com:a/b.git", "https://github.com/a/b"},
		{"git@github.com:a/b", "https://github.com/a/b"},
		{"github.com:a/b.git", "https://github.com/a/b"},
		{"https://github.com/a/b.git", "https://github.com/a/b"},
		{"https://github.com/a/b/", "https://github.com/a/b"},
		{"https://user:secret-token@github.com/a/b.git", "https://github.com/a/b"},
		{"ssh://git@gitlab.example.com:2222/group/sub/b.git", "https://gitlab.example.com/group/sub/b"},
		{"git://example.org/b.git", "https://example.org/b"},
		{"http://internal.example/b", "http://internal.example/b"},
		{"/srv/git/b.git", ""},
		{"../b", ""},
		{"file:///srv/git/b.git", ""},
		{`C:\repos\b`, ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := PortableRemote(tc.in); got != tc.want {
			t.Errorf("PortableRemote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSourceProvenance(t *testing.T) {
	root := t.TempDir()
	// A clone with two remotes: origin wins.
	writeFile(t, filepath.Join(root, "mono", ".git", "config"),
		"[core]\n\tbare = false\n[remote \"backup\"]\n\turl = https://backup.example/m.git\n[remote \"origin\"]\n\turl = git@github.com:acme/mono.git\n")
	if err := os.MkdirAll(filepath.Join(root, "mono", "examples", "shop"), 0o755); err != nil {
		t.Fatal(err)
	}
	const monoHead, wtHead, plainHead = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"
	writeFile(t, filepath.Join(root, "mono", ".git", "HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(root, "mono", ".git", "refs", "heads", "main"), monoHead+"\n")
	// A linked work tree of mono: .git is a file, the config and its branch (packed) are in the
	// common directory.
	writeFile(t, filepath.Join(root, "mono", ".git", "worktrees", "wt", "commondir"), "../..\n")
	writeFile(t, filepath.Join(root, "mono", ".git", "worktrees", "wt", "HEAD"), "ref: refs/heads/wt\n")
	writeFile(t, filepath.Join(root, "mono", ".git", "packed-refs"), "# pack-refs with: peeled\n"+wtHead+" refs/heads/wt\n")
	writeFile(t, filepath.Join(root, "wt", ".git"), "gitdir: "+filepath.Join(root, "mono", ".git", "worktrees", "wt")+"\n")
	// A work tree whose only remote is a local path, and one without a remote.
	writeFile(t, filepath.Join(root, "mirror", ".git", "config"), "[remote \"origin\"]\n\turl = /srv/git/mirror.git\n")
	writeFile(t, filepath.Join(root, "plain", ".git", "config"), "[core]\n\tbare = false\n")
	writeFile(t, filepath.Join(root, "plain", ".git", "HEAD"), plainHead+"\n") // detached
	if err := os.MkdirAll(filepath.Join(root, "plain", "src", "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "loose", "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	local := func(p string) *parserv1.Source {
		return &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: filepath.Join(root, p)}}
	}
	tests := []struct {
		name   string
		src    *parserv1.Source
		want   Provenance
		wantID string
	}{
		{"clone root", local("mono"), Provenance{Repo: "https://github.com/acme/mono", Commit: monoHead}, "https://github.com/acme/mono:m.f"},
		{"subdirectory of a clone", local("mono/examples/shop"), Provenance{Repo: "https://github.com/acme/mono", Subdir: "examples/shop", Commit: monoHead},
			"https://github.com/acme/mono/examples/shop:m.f"},
		{"linked work tree", local("wt"), Provenance{Repo: "https://github.com/acme/mono", Commit: wtHead}, "https://github.com/acme/mono:m.f"},
		{"local-path remote, no commit yet", local("mirror"), Provenance{Repo: "mirror"}, "mirror:m.f"},
		{"no remote", local("plain/src/pkg"), Provenance{Repo: "plain", Subdir: "src/pkg", Commit: plainHead}, "plain/src/pkg:m.f"},
		{"no work tree", local("loose/lib"), Provenance{Repo: "lib"}, "lib:m.f"},
		{"missing directory", local("gone"), Provenance{Repo: "gone"}, "gone:m.f"},
		{"git source", &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: "https://tok@github.com/pallets/flask.git", Revision: "3.0.0"}}},
			Provenance{Repo: "https://github.com/pallets/flask"}, "https://github.com/pallets/flask:m.f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SourceProvenance(tc.src)
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if id := got.ID("m.f"); id != tc.wantID {
				t.Fatalf("id %q, want %q", id, tc.wantID)
			}
		})
	}
	if p := (Provenance{Repo: "r", Subdir: "examples/shop"}).Path("shelf/models.py"); p != "examples/shop/shelf/models.py" {
		t.Fatalf("path %q", p)
	}
}

func TestDistinguish(t *testing.T) {
	provs := []Provenance{{Repo: "src"}, {Repo: "https://github.com/a/b"}, {Repo: "src"}, {Repo: "https://github.com/a/b", Subdir: "x"},
		{Repo: "https://github.com/a/b"}, {Repo: "src"}}
	Distinguish(provs)
	want := []string{"src", "https://github.com/a/b", "src#2", "https://github.com/a/b/x", "https://github.com/a/b#2", "src#3"}
	for i, p := range provs {
		if p.Name() != want[i] {
			t.Errorf("source %d named %q, want %q", i, p.Name(), want[i])
		}
	}
}
