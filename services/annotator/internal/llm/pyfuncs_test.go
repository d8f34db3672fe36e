package llm

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// debianDistPackages holds the Debian packages scripts/ensure-debian-packages
// installs (python3-requests, python3-click).
const debianDistPackages = "/usr/lib/python3/dist-packages"

// installedPackageFunctions returns the functions of installed Debian
// packages, skipping the test when one is absent.
func installedPackageFunctions(t *testing.T, packages ...string) []prompt.Function {
	t.Helper()
	var out []prompt.Function
	for _, pkg := range packages {
		dir := filepath.Join(debianDistPackages, pkg)
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			t.Skipf("%s is absent: apt-get install -y python3-%s", dir, pkg)
		}
		out = append(out, pythonFunctions(t, dir)...)
	}
	return out
}

// pythonFunctions splits every .py file under dir into its functions and
// methods by indentation: a def runs until the next non-blank line indented
// no deeper than it. Nested functions are left inside their parent, as the
// parser does. It is a test helper, not a parser: enough to feed the
// back-ends real code.
func pythonFunctions(t *testing.T, dir string) []prompt.Function {
	t.Helper()
	return sourceFunctions(t, dir, ".py", "", splitDefs)
}

// sourceFunctions cuts every file under dir whose name ends in ext into
// functions of language with split.
func sourceFunctions(t *testing.T, dir, ext, language string, split func(src string) []string) []prompt.Function {
	t.Helper()
	var out []prompt.Function
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ext) {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(filepath.Dir(dir), path)
		if err != nil {
			return err
		}
		for _, code := range split(string(src)) {
			out = append(out, prompt.Function{Path: filepath.ToSlash(rel), Language: language, Code: code})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func splitDefs(src string) []string {
	lines := strings.Split(src, "\n")
	indentOf := func(l string) int { return len(l) - len(strings.TrimLeft(l, " \t")) }
	var out []string
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(trimmed, "def ") && !strings.HasPrefix(trimmed, "async def ") {
			continue
		}
		indent := indentOf(lines[i])
		end := i + 1
		for ; end < len(lines); end++ {
			l := lines[end]
			if strings.TrimSpace(l) == "" {
				continue
			}
			if indentOf(l) <= indent && !strings.HasPrefix(strings.TrimSpace(l), ")") {
				break
			}
		}
		block := strings.TrimRight(strings.Join(lines[i:end], "\n"), "\n ")
		// Dedent, so methods read like the parser's function code.
		var b strings.Builder
		for _, l := range strings.Split(block, "\n") {
			if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
				l = l[indent:]
			}
			b.WriteString(l + "\n")
		}
		out = append(out, b.String())
		// Skip past nested defs: the parser keeps them in their parent.
		i = end - 1
	}
	return out
}
