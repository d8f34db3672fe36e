package analysis

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// debianRequests is where python3-requests (scripts/ensure-debian-packages)
// installs the package.
const debianRequests = "/usr/lib/python3/dist-packages/requests"

// TestPackageDirectoryKeepsItsName analyses Debian's requests passed as its
// package directory: the root __init__ is a module, absolute self-imports
// resolve, and nothing of the package is taken for a third-party API.
func TestPackageDirectoryKeepsItsName(t *testing.T) {
	if _, err := os.Stat(filepath.Join(debianRequests, "__init__.py")); err != nil {
		t.Skipf("python3-requests not installed: %v", err)
	}
	res, err := Analyze(context.Background(), Options{Root: debianRequests})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Function{}
	for k := range res.Functions {
		f := &res.Functions[k]
		byID[f.ID] = f
		for _, a := range f.APICalls {
			if strings.HasPrefix(a.API, "requests.") {
				t.Errorf("%s calls %s as a third-party API", f.ID, a.API)
			}
		}
		if !strings.HasPrefix(f.ID, "requests.") || strings.Contains(f.ID, "/") || strings.HasPrefix(f.Path, "/") {
			t.Errorf("function %s at %s: want an id under requests. and a relative path", f.ID, f.Path)
		}
	}
	if byID["requests.check_compatibility"] == nil {
		t.Error("requests.check_compatibility (the root __init__) is missing")
	}
	req := byID["requests.sessions.Session.request"]
	if req == nil || !hasCallee(req, "requests.sessions.Session.send") {
		t.Errorf("requests.sessions.Session.request = %+v, want callee requests.sessions.Session.send", req)
	}
}

func hasCallee(f *Function, id string) bool {
	for _, c := range f.Callees {
		if c.ID == id {
			return true
		}
	}
	return false
}

// TestPackageDirectoryMatchesItsParent checks that the standard library's
// email package gets the same ids and call edges passed alone as in a
// directory that holds it.
func TestPackageDirectoryMatchesItsParent(t *testing.T) {
	email := filepath.Join(stdlibRoot(t), "email")
	if _, err := os.Stat(filepath.Join(email, "__init__.py")); err != nil {
		t.Skipf("no email package in the standard library: %v", err)
	}
	parent := t.TempDir()
	copyPython(t, email, filepath.Join(parent, "email"))
	alone, err := Analyze(context.Background(), Options{Root: email})
	if err != nil {
		t.Fatal(err)
	}
	inParent, err := Analyze(context.Background(), Options{Root: parent})
	if err != nil {
		t.Fatal(err)
	}
	edges := func(r *Result) map[string]bool {
		out := map[string]bool{}
		for _, f := range r.Functions {
			out[f.ID] = true
			for _, c := range f.Callees {
				out[f.ID+" -> "+c.ID] = true
			}
		}
		return out
	}
	a, p := edges(alone), edges(inParent)
	for e := range a {
		if !p[e] {
			t.Errorf("%s: only when email is the source", e)
		}
	}
	for e := range p {
		if !a[e] {
			t.Errorf("%s: only when email's parent is the source", e)
		}
	}
	if !a["email.message_from_string"] || !a["email.message.Message.as_string -> email.generator.Generator.flatten"] {
		t.Errorf("email alone lacks its root functions or as_string's callees (%d ids and edges)", len(a))
	}
}

// TestSubpackageKeepsItsFullName: a subpackage passed as the source is
// named from the first ancestor that is not a package.
func TestSubpackageKeepsItsFullName(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"outer/__init__.py":       "",
		"outer/inner/__init__.py": "",
		"outer/inner/mod.py":      "from outer.inner import helpers\n\n\ndef run(x):\n    y = helpers.double(x)\n    return y + 1\n",
		"outer/inner/helpers.py":  "def double(x):\n    y = x * 2\n    return y\n",
		"outer/sibling.py":        "def not_read():\n    pass\n",
	})
	res, err := Analyze(context.Background(), Options{Root: filepath.Join(dir, "outer", "inner")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range res.Functions {
		ids = append(ids, f.ID)
		if f.ID == "outer.inner.mod.run" && !hasCallee(&f, "outer.inner.helpers.double") {
			t.Errorf("run's callees = %v, want outer.inner.helpers.double", f.Callees)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"outer.inner.helpers.double", "outer.inner.mod.run"}) {
		t.Errorf("ids = %v", ids)
	}
}

// copyPython copies the .py files under src to dst.
func copyPython(t *testing.T, src, dst string) {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dst, files)
}

// TestOddFiles: a syntax error loses only its function, a PEP 263 file is
// decoded, an undeclared non-UTF-8 file and an oversized one are skipped
// and named with their reasons.
func TestOddFiles(t *testing.T) {
	dir := t.TempDir()
	var big strings.Builder
	for k := 0; big.Len() < 5<<20; k++ {
		big.WriteString("def generated_" + strings.Repeat("x", 8) + "_" + strconv.Itoa(k) + "():\n    return " + strconv.Itoa(k) + "\n\n")
	}
	writeFiles(t, dir, map[string]string{
		"broken.py":     "def broken(:\n    return valid()\n\n\ndef valid():\n    total = 0\n    return total + 1\n",
		"latin1.py":     "# -*- coding: latin-1 -*-\ndef caf\xe9():\n    text = 'd\xe9j\xe0 vu'\n    return text.upper()\n",
		"undeclared.py": "def f():\n    return 'caf\xe9'\n",
		"generated.py":  big.String(),
	})
	res, err := Analyze(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Function{}
	for k := range res.Functions {
		byID[res.Functions[k].ID] = &res.Functions[k]
	}
	if byID["broken.broken"] != nil || byID["broken.valid"] == nil {
		t.Errorf("functions %v: want broken.valid and not broken.broken", keys(byID))
	}
	if len(res.SyntaxErrorFunctions) != 1 || res.SyntaxErrorFunctions[0] != (SyntaxErrorFunction{ID: "broken.broken", Path: "broken.py", StartLine: 1, EndLine: 2}) {
		t.Errorf("syntax error functions = %v", res.SyntaxErrorFunctions)
	}
	if f := byID["latin1.café"]; f == nil || f.StartLine != 2 || !strings.Contains(f.Code, "'déjà vu'") {
		t.Errorf("latin1.café = %+v, want it decoded at line 2", f)
	}
	want := map[string]string{"undeclared.py": "undecodable", "generated.py": "too_large"}
	for _, s := range res.Skipped {
		if want[s.Path] != s.Reason || s.Detail == "" {
			t.Errorf("skipped %s: %s (%s)", s.Path, s.Reason, s.Detail)
		}
		delete(want, s.Path)
	}
	if len(want) != 0 {
		t.Errorf("not reported as skipped: %v", want)
	}
}

func keys(m map[string]*Function) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
