package repowalk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
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

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"pkg/a.py":                   "",
		"pkg/b.txt":                  "",
		"pkg/tests/test_a.py":        "",
		"pkg/a_test.py":              "",
		"docs/conf.py":               "",
		".git/hooks/x.py":            "",
		"pkg/__pycache__/a.py":       "",
		"venv/pyvenv.cfg":            "",
		"venv/lib/site.py":           "",
		"node_modules/x/y.py":        "",
		"src/lib/site-packages/z.py": "",
	})
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults prune vendored and hidden dirs", Options{}, []string{"docs/conf.py", "pkg/a.py", "pkg/a_test.py", "pkg/tests/test_a.py"}},
		{"skip tests", Options{SkipTests: true}, []string{"docs/conf.py", "pkg/a.py"}},
		{"include", Options{Include: []string{"pkg/**"}}, []string{"pkg/a.py", "pkg/a_test.py", "pkg/tests/test_a.py"}},
		{"exclude a directory", Options{Exclude: []string{"docs/**", "**/tests/**"}}, []string{"pkg/a.py", "pkg/a_test.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, skipped, err := Walk(context.Background(), dir, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("files = %v, want %v", got, tt.want)
			}
			if len(skipped) != 0 {
				t.Errorf("skipped = %v", skipped)
			}
		})
	}
}

func TestCheckSource(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   string
		reason Reason
	}{
		{"plain", "x = 1\n", "x = 1\n", ""},
		{"byte order mark removed", "\xef\xbb\xbfx = 1\n", "x = 1\n", ""},
		{"binary", "x\x00y", "", ReasonBinary},
		{"latin-1", "caf\xe9 = 1\n", "", ReasonNotUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckSource([]byte(tt.src))
			if tt.reason == "" {
				if err != nil || string(got) != tt.want {
					t.Fatalf("CheckSource = %q, %v", got, err)
				}
				return
			}
			var se *SkipError
			if !errors.As(err, &se) || se.Reason != tt.reason || !errors.Is(err, ErrSkip) {
				t.Fatalf("err = %v, want reason %q", err, tt.reason)
			}
		})
	}
}

func TestReadSourceSizeCap(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.py")
	if err := os.WriteFile(p, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSource(File{Path: "big.py", Abs: p, Size: 2048}, 1024)
	var se *SkipError
	if !errors.As(err, &se) || se.Reason != ReasonTooLarge {
		t.Fatalf("err = %v, want too large", err)
	}
	// A file that grows after it was listed is caught while reading.
	_, err = ReadSource(File{Path: "big.py", Abs: p, Size: 10}, 1024)
	if !errors.As(err, &se) || se.Reason != ReasonTooLarge {
		t.Fatalf("err = %v, want too large", err)
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		root, p string
		want    bool
	}{
		{"/a/b", "/a/b", true},
		{"/a/b", "/a/b/c/d.py", true},
		{"/a/b", "/a/bc", false},
		{"/a/b", "/a", false},
		{"/a/b", "/a/b/../c", false},
		{"/a/b", "/a/b/..hidden", true},
	}
	for _, tt := range tests {
		if got := Within(tt.root, filepath.Clean(tt.p)); got != tt.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tt.root, tt.p, got, tt.want)
		}
	}
}
