package pyclient_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/query4code/query4code/clients/go/internal/testservers"
)

// python is Debian's interpreter, which has python3-grpcio and
// python3-protobuf (a pyenv python3 on PATH may not).
const python = "/usr/bin/python3"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// requirePython skips when Debian's Python or its gRPC packages are missing
// (scripts/ensure-debian-packages installs them).
func requirePython(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import grpc, google.protobuf").CombinedOutput()
	if err != nil {
		t.Skipf("%s cannot import grpc and google.protobuf (apt-get install python3-grpcio python3-protobuf): %v\n%s", python, err, out)
	}
}

func runPython(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(python, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"PYTHONDONTWRITEBYTECODE=1", "PYTHONPATH="}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPythonSuite(t *testing.T) {
	requirePython(t)
	orch := testservers.NewFakeOrchestrator()
	orch.DropAfter = 2 // watch_job must resume through broken streams
	env := []string{
		"Q4C_TEST_ANNOTATOR_ADDR=" + testservers.StartAnnotator(t, true),
		"Q4C_TEST_ORCHESTRATOR_ADDR=" + testservers.StartOrchestrator(t, true, orch),
		"Q4C_TEST_TOKEN=" + testservers.Token,
	}
	out := runPython(t, filepath.Join(repoRoot(t), "clients/python"), env, "-m", "unittest", "discover", "-v", "-s", "tests", "-t", ".")
	if strings.Contains(out, "skipped") {
		t.Errorf("live Python tests were skipped although the servers run:\n%s", out)
	}
	if !strings.Contains(out, "test_annotate ") || !strings.Contains(out, "test_submit_and_watch ") {
		t.Errorf("the live tests did not run:\n%s", out)
	}
	if calls := orch.WatchCalls(); len(calls) < 2 {
		t.Errorf("watch calls from %v: the Python watch never resumed", calls)
	}
}

// TestPythonSuiteRealServices runs the suite against the real services:
// parser, docs, annotator (offline) and orchestrator on one loopback
// address, annotating the example repository.
func TestPythonSuiteRealServices(t *testing.T) {
	requirePython(t)
	if testing.Short() {
		t.Skip("runs a whole annotation job; skipped in -short mode")
	}
	root := repoRoot(t)
	addr := testservers.StartSuite(t, true, filepath.Join(root, "examples"))
	env := []string{
		"Q4C_TEST_ANNOTATOR_ADDR=" + addr,
		"Q4C_TEST_ORCHESTRATOR_ADDR=" + addr,
		"Q4C_TEST_TOKEN=" + testservers.Token,
		"Q4C_TEST_REPO=" + filepath.Join(root, "examples", "bookshelf"),
	}
	out := runPython(t, filepath.Join(root, "clients/python"), env, "-m", "unittest", "discover", "-v", "-s", "tests", "-t", ".")
	if strings.Contains(out, "skipped") || !strings.Contains(out, "test_submit_and_watch ") {
		t.Errorf("live Python tests did not all run:\n%s", out)
	}
}

func TestPythonExample(t *testing.T) {
	requirePython(t)
	addr := testservers.StartAnnotator(t, true)
	script := filepath.Join(repoRoot(t), "clients/python/examples/annotate_function.py")
	src := filepath.Join(t.TempDir(), "stats.py")
	if err := os.WriteFile(src, []byte("import math\n\n\n@staticmethod\ndef mean(xs):\n    \"\"\"Return the arithmetic mean of a list of numbers.\"\"\"\n    return sum(xs) / len(xs)\n\n\ndef other():\n    pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		wantQuery string
	}{
		{name: "sample function", args: []string{script, "--addr", addr}, wantQuery: "query: how to split multiline string into list excluding blank in python\n"},
		{name: "function from a file", args: []string{script, "--addr", addr, src, "mean"}, wantQuery: "query: how to get arithmetic mean of list of numbers in python\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := runPython(t, t.TempDir(), []string{"Q4C_AUTH_TOKEN=" + testservers.Token}, tt.args...)
			if !strings.HasPrefix(out, tt.wantQuery) {
				t.Errorf("example printed\n%s\nwant it to start with %q", out, tt.wantQuery)
			}
			if !strings.Contains(out, "model offline") {
				t.Errorf("example output lacks the model:\n%s", out)
			}
		})
	}
}

// TestPythonStubsMatchProtos fails when clients/python/query4code/_gen was
// not regenerated after a .proto change (make clients).
func TestPythonStubsMatchProtos(t *testing.T) {
	for _, tool := range []string{"protoc", "grpc_python_plugin"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install protobuf-compiler protobuf-compiler-grpc libprotobuf-dev)", tool)
		}
	}
	cmd := exec.Command(filepath.Join(repoRoot(t), "scripts/gen-python-client"), "--check")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/gen-python-client --check: %v\n%s", err, out)
	}
}
