package deploy

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the --help blocks of docs/operations.md from the binaries")

const operationsDoc = "../docs/operations.md"

// helpBlock matches one service's --help block in docs/operations.md.
var helpBlock = regexp.MustCompile("(?s)<!-- help:([a-z]+) -->\n```text\n(.*?)```\n<!-- /help:[a-z]+ -->")

// TestOperationsHelpIsCurrent builds the four servers and compares their
// --help output with the blocks in docs/operations.md, so the documented
// flags and environment variables are the real ones.
func TestOperationsHelpIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the four service binaries")
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for s := range services {
			if !yield(s) {
				return
			}
		}
	})
	binDir := t.TempDir()
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	for _, s := range names {
		args = append(args, fmt.Sprintf("./services/%s/cmd/%s", s, s))
	}
	build := exec.Command("go", args...)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}

	help := map[string]string{}
	for _, s := range names {
		help[s] = helpText(t, filepath.Join(binDir, s), s)
	}

	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	var stale []string
	updated := helpBlock.ReplaceAllFunc(doc, func(block []byte) []byte {
		m := helpBlock.FindSubmatch(block)
		svc, text := string(m[1]), string(m[2])
		want, ok := help[svc]
		if !ok {
			t.Errorf("docs/operations.md has a help block for %q, which is not a service", svc)
			return block
		}
		documented[svc] = true
		if text == want {
			return block
		}
		stale = append(stale, svc)
		return []byte(fmt.Sprintf("<!-- help:%s -->\n```text\n%s```\n<!-- /help:%s -->", svc, want, svc))
	})
	for _, s := range names {
		if !documented[s] {
			t.Errorf("docs/operations.md has no help block for %s (<!-- help:%s --> ... <!-- /help:%s -->)", s, s, s)
		}
	}
	if len(stale) == 0 {
		return
	}
	if *update {
		if err := os.WriteFile(operationsDoc, updated, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the help of %v in docs/operations.md", stale)
		return
	}
	t.Errorf("the --help of %v differs from docs/operations.md; run: go test ./deploy -run TestOperationsHelpIsCurrent -update", stale)
}

// helpText runs bin --help from / with no Q4C_* variables, so defaults that
// come from the environment or the working directory are the same everywhere,
// and drops the final "flag: help requested" line.
func helpText(t *testing.T, bin, svc string) string {
	t.Helper()
	cmd := exec.Command(bin, "--help")
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// --help exits non-zero after printing the usage; the output is what matters.
	_ = cmd.Run()
	text := out.String()
	if !strings.HasPrefix(text, "Usage of "+svc+":") {
		t.Fatalf("%s --help printed no usage:\n%s", svc, text)
	}
	lines := strings.SplitAfter(text, "\n")
	if n := len(lines); n >= 2 && lines[n-1] == "" && strings.Contains(lines[n-2], "help requested") {
		lines = lines[:n-2]
	}
	return strings.Join(lines, "")
}
