package apicheck_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// protoRepo makes a git repository at branch holding the repository's
// buf.yaml and protos (not the generated code), committed.
func protoRepo(t *testing.T, root, branch string) string {
	t.Helper()
	dir := t.TempDir()
	copyFile := func(rel string) {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("buf.yaml")
	err := filepath.WalkDir(filepath.Join(root, "proto"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && rel == filepath.Join("proto", "gen") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".proto") {
			copyFile(rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q", "-b", branch)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "v1 protos")
	return dir
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=apicheck", "-c", "user.email=apicheck@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// edit replaces old, which must occur exactly once, in the file.
func edit(t *testing.T, path, old, replacement string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want once", path, old, n)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, replacement, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckBreaking(t *testing.T) {
	root := repoRoot(t)
	buf := filepath.Join(root, "bin/tools/buf")
	if _, err := os.Stat(buf); err != nil {
		t.Skipf("pinned buf not built (run 'make tools'): %v", err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	const annotator = "proto/query4code/annotator/v1/annotator.proto"
	const orchestrator = "proto/query4code/orchestrator/v1/orchestrator.proto"
	tests := []struct {
		name     string
		branch   string // of the committed copy; "main" unless set
		change   func(t *testing.T, dir string)
		wantFail bool
		wantText string
	}{
		{name: "unchanged", wantText: "no breaking change"},
		{
			name: "field renumbered",
			change: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, annotator), "  string query = 2;\n  // 0 to 3.\n  int32 score = 3;", "  string query = 20;\n  // 0 to 3.\n  int32 score = 3;")
			},
			wantFail: true, wantText: "AnnotateResponse",
		},
		{
			name: "field removed",
			change: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, orchestrator), "  string idempotency_key = 10;\n", "")
			},
			wantFail: true, wantText: "idempotency_key",
		},
		{
			name: "field type changed",
			change: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, annotator), "  int32 redactions = 4;", "  int64 redactions = 4;")
			},
			wantFail: true, wantText: "redactions",
		},
		{
			name: "field and RPC added",
			change: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, annotator), "  ContextReport context = 9;\n}", "  ContextReport context = 9;\n  // Trace id of the call.\n  string trace_id = 10;\n}")
				edit(t, filepath.Join(dir, annotator), "  rpc Annotate(AnnotateRequest) returns (AnnotateResponse);\n",
					"  rpc Annotate(AnnotateRequest) returns (AnnotateResponse);\n  // AnnotateAgain is Annotate again.\n  rpc AnnotateAgain(AnnotateRequest) returns (AnnotateResponse);\n")
			},
			wantText: "no breaking change",
		},
		{
			name:   "no main branch to compare with",
			branch: "trunk",
			change: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, annotator), "  string query = 2;\n  // 0 to 3.", "  string query = 20;\n  // 0 to 3.")
			},
			wantText: "no branch main",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			branch := tt.branch
			if branch == "" {
				branch = "main"
			}
			dir := protoRepo(t, root, branch)
			if tt.change != nil {
				tt.change(t, dir)
			}
			cmd := exec.Command(filepath.Join(root, "scripts/check-breaking"))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "BUF="+buf)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Fatalf("check-breaking failed=%v (%v), want failed=%v\n%s", failed, err, tt.wantFail, out)
			}
			if !strings.Contains(string(out), tt.wantText) {
				t.Errorf("output does not mention %q:\n%s", tt.wantText, out)
			}
		})
	}
}
