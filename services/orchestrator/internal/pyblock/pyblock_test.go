package pyblock

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFunctions(t *testing.T) {
	src := `import os

def top(a):
    """Doc."""

    return a


class C:
    async def method(
        self,
        x,
    ):
        def inner():
            return x
        return inner

x = 1
`
	got := Functions(src)
	want := []Block{
		{Name: "top", Line: 3, Code: "def top(a):\n    \"\"\"Doc.\"\"\"\n\n    return a\n"},
		{Name: "method", Line: 10, Code: "async def method(\n    self,\n    x,\n):\n    def inner():\n        return x\n    return inner\n"},
		{Name: "inner", Line: 14, Code: "def inner():\n    return x\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d blocks %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("block %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestFunctionsNone(t *testing.T) {
	if got := Functions("x = 1\nprint(x)\n"); len(got) != 0 {
		t.Errorf("Functions(no def) = %+v, want none", got)
	}
}

func TestDir(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"b.py":                 "def b():\n    return 2\n",
		"pkg/a.py":             "def a():\n    return 1\n",
		"pkg/__pycache__/a.py": "def cached():\n    return 1\n",
		"notes.txt":            "def text():\n    return 1\n",
	}
	if err := os.MkdirAll(filepath.Join(root, "pkg", "__pycache__"), 0o755); err != nil {
		t.Fatal(err)
	}
	for rel, body := range files {
		if err := os.WriteFile(filepath.Join(root, rel), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Dir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range got {
		names = append(names, b.Path+":"+b.Name)
	}
	if want := []string{"b.py:b", "pkg/a.py:a"}; !slices.Equal(names, want) {
		t.Errorf("Dir = %v, want %v", names, want)
	}
	if _, err := Dir(filepath.Join(root, "missing")); err == nil {
		t.Error("Dir(missing) gave no error")
	}
}

func TestFunctionsDocstringAtColumnZero(t *testing.T) {
	src := "def zs(inlist):\n    \"\"\"\nReturns z-scores.\n\nUsage: 'zs(x)' # not a comment\n\"\"\"\n    return [z(x) for x in inlist]  # '''\nafter = 1\n"
	got := Functions(src)
	if len(got) != 1 || !strings.HasSuffix(got[0].Code, "return [z(x) for x in inlist]  # '''\n") {
		t.Errorf("Functions = %+v, want the whole function up to its return", got)
	}
}
