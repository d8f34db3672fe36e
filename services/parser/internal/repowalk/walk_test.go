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
		{"undeclared latin-1", "caf\xe9 = 1\n", "", ReasonUndecodable},
		{"PEP 263 latin-1", "# -*- coding: latin-1 -*-\ncaf\xe9 = 1\n", "# -*- coding: latin-1 -*-\ncaf\u00e9 = 1\n", ""},
		{"PEP 263 on the second line", "#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\nx = '\xa4'\n",
			"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\nx = '\u20ac'\n", ""},
		{"cp1252 quotes", "# coding=cp1252\ns = '\x93hi\x94'\n", "# coding=cp1252\ns = '\u201chi\u201d'\n", ""},
		{"Shift_JIS", "# coding: shift_jis\ns = '\x93\xfa\x96\x7b'\n", "# coding: shift_jis\ns = '\u65e5\u672c'\n", ""},
		{"declared UTF-8", "# coding: utf-8\ns = '\u00e9'\n", "# coding: utf-8\ns = '\u00e9'\n", ""},
		{"declaration after code is ignored", "x = 1\n# coding: latin-1\ncaf\xe9 = 1\n", "", ReasonUndecodable},
		{"declared UTF-8 but latin-1", "# coding: utf-8\ncaf\xe9 = 1\n", "", ReasonUndecodable},
		{"unknown coding", "# coding: klingon\nx = 1\n", "", ReasonUndecodable},
		{"not ASCII-compatible", "# coding: utf-16\nx = 1\n", "", ReasonUndecodable},
		{"undefined cp1252 byte", "# coding: cp1252\nx = '\x81'\n", "", ReasonUndecodable},
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

func TestIsTestFile(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"test_api.py", true},
		{"pkg/api_test.py", true},
		{"conftest.py", true},
		{"app/tests.py", true},
		{"tests/helpers.py", true},
		{"pkg/test/util.py", true},
		{"pkg/testing/fixtures.py", true},
		{"test_data/gen.py", true},
		{"pkg/unit_tests/a.py", true},
		{"idlelib/idle_test/htest.py", true},
		{"integration/connection.py", true},
		{"werkzeug/test.py", false},
		{"werkzeug/testapp.py", false},
		{"pkg/latest.py", false},
		{"contest/rules.py", false},
		{"pkg/attestation.py", false},
		{"pkg/integration/hooks.py", false}, // only a top-level integration/ holds tests
		{"testsuite_helpers.py", false},
	}
	for _, tt := range tests {
		if got := IsTestFile(tt.path); got != tt.want {
			t.Errorf("IsTestFile(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
