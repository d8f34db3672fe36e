package q4c_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// consumerMain is a program written the way another team would, in its own
// module, using only the client package.
const consumerMain = `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/query4code/query4code/clients/go/q4c"
)

func main() {
	client, err := q4c.Dial(os.Args[1], q4c.Options{CallTimeout: 30 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer client.Close()
	ctx := context.Background()

	one, err := client.Annotate(ctx, q4c.Function{
		Path: "textutil/lines.py",
		Code: "def split_multiline(value):\n    \"\"\"Split a multiline string into a list, excluding blank lines.\"\"\"\n    return [l for l in (x.strip() for x in value.split('\\n')) if l]\n",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("annotate: %s | %d | %v | %s\n", one.Query, one.Score, one.Kept, one.Model)

	results, err := client.AnnotateBatch(ctx, []q4c.Request{
		{Function: q4c.Function{Path: "mathutil.py", Code: "def mean(xs):\n    \"\"\"Return the arithmetic mean of a list of numbers.\"\"\"\n    return sum(xs) / len(xs)\n"}},
		{Function: q4c.Function{Path: "x.cbl", Code: "DISPLAY 'HI'.", Language: "cobol"}},
	}, 2)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i, r := range results {
		if r.Err != nil {
			fmt.Printf("batch %d: error %s\n", i, q4c.Code(r.Err))
			continue
		}
		fmt.Printf("batch %d: %s\n", i, r.Result.Query)
	}
}
`

// TestOutsideConsumer is the client's acceptance test: a program in a
// module of its own (example.com/consumer, reaching the repository only
// through replace lines) calls Annotate and AnnotateBatch against a running
// annotator.
func TestOutsideConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a separate module with go run; skipped in -short mode")
	}
	// go test puts its own toolchain first on PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool on PATH: %v", err)
	}
	addr := annotatorStartedForTest(t)
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module example.com/consumer\n\ngo 1.26.0\n\nrequire github.com/query4code/query4code/clients/go v0.0.0\n\nreplace (\n"
	for _, m := range []string{"clients/go", "platform", "proto/gen/go"} {
		goMod += "\tgithub.com/query4code/query4code/" + m + " => " + filepath.Join(repo, m) + "\n"
	}
	goMod += ")\n"
	// The client module's sums cover everything the consumer needs, so the
	// run needs no checksum database.
	sums, err := os.ReadFile(filepath.Join(repo, "clients/go/go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"go.mod": []byte(goMod), "go.sum": sums, "main.go": []byte(consumerMain)} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goTool, "run", ".", addr)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run in %s: %v\n%s\ngo.mod:\n%s", dir, err, out, goMod)
	}
	want := "annotate: how to split multiline string into list excluding blank in python | 3 | true | offline\n" +
		"batch 0: how to get arithmetic mean of list of numbers in python\n" +
		"batch 1: error InvalidArgument\n"
	if got := string(out); !strings.HasSuffix(got, want) {
		t.Errorf("consumer printed\n%s\nwant\n%s", got, want)
	}
}
