package analysis

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// benchDir locates ../shared/bench relative to the repository root (this
// package lives at services/parser/analysis).
func benchDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "bench"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pycg-micro", "snippets")); err != nil {
		t.Skipf("PyCG micro-benchmark not found at %s (it lives in the shared folder beside the repository)", dir)
	}
	return dir
}

var totalLine = regexp.MustCompile(`(?m)^TOTAL precision=([0-9.]+) recall=([0-9.]+) f1=([0-9.]+) exact=(\d+)/(\d+)`)

func TestPyCGMicroBenchmark(t *testing.T) {
	bench := benchDir(t)
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: cannot run the scorer")
	}
	snippets := filepath.Join(bench, "pycg-micro", "snippets")
	pred := t.TempDir()
	if out := os.Getenv("PYCG_PRED_DIR"); out != "" {
		pred = out
	}
	cases := 0
	err = filepath.WalkDir(snippets, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "callgraph.json" {
			return nil
		}
		caseDir := filepath.Dir(p)
		rel, err := filepath.Rel(snippets, caseDir)
		if err != nil {
			return err
		}
		g, err := PyCG(context.Background(), caseDir)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		b, err := MarshalPyCG(g)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(pred, rel), 0o755); err != nil {
			return err
		}
		cases++
		return os.WriteFile(filepath.Join(pred, rel, "callgraph.json"), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if cases == 0 {
		t.Fatal("no benchmark cases found")
	}
	cmd := exec.Command(py, filepath.Join(bench, "score_callgraph.py"), snippets, pred)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scorer failed: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(stdout.Bytes()))
	for sc.Scan() {
		t.Log(sc.Text())
	}
	m := totalLine.FindSubmatch(stdout.Bytes())
	if m == nil {
		t.Fatalf("no TOTAL line in scorer output:\n%s", stdout.String())
	}
	precision, _ := strconv.ParseFloat(string(m[1]), 64)
	recall, _ := strconv.ParseFloat(string(m[2]), 64)
	if precision < 0.98 || recall < 0.95 {
		t.Errorf("PyCG micro-benchmark: precision %.3f (want >= 0.98), recall %.3f (want >= 0.95)", precision, recall)
	}
}
