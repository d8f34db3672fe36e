package server

import (
	"fmt"
	"strings"
	"testing"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	fake "github.com/query4code/query4code/services/orchestrator/internal/fakeservices"
)

const renderCode = "export function render(el: Element): void {\n  const n = frob(el.id);\n  hammer(n);\n  readFile(n);\n}"

// sharedNameRepo holds a Python and a TypeScript function that both call a "tinylib.frob": a PyPI
// package's and an npm package's, which must not share documentation.
func sharedNameRepo() []*parserv1.Function {
	ts := fake.Func("web.app.render", 8, renderCode, nil, "tinylib.frob", "@acme/tools.hammer", "fs.readFile", "bad name/x")
	ts.Language, ts.Path, ts.Signature = "typescript", "web/app.ts", "function render(el: Element): void"
	return append(shopRepo(leaf1V1), ts)
}

func TestDocsAskedPerLanguage(t *testing.T) {
	e := newEnv(t)
	e.parser.SetRepo(repoPath, sharedNameRepo())
	e.docs.SetNPM(map[string]string{"tinylib.frob": "The npm tinylib's frob.", "@acme/tools.hammer": "Drives a nail."})
	d := done(t, e.watch(e.submit(nil), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	var asked []string
	for _, req := range e.docs.Lookups() {
		asked = append(asked, fmt.Sprintf("%q %q %v", req.GetLanguage(), req.GetRepositoryPath(), req.GetApis()))
	}
	want := []string{
		`"" "" [tinylib.frob numpy.mean]`,
		`"typescript" "/repos/shop" [tinylib.frob @acme/tools.hammer fs.readFile]`,
	}
	// "bad name/x" is no npm path: left out rather than failing the batch.
	if fmt.Sprint(asked) != fmt.Sprint(want) {
		t.Fatalf("LookupAPIs requests:\n%s\nwant\n%s", asked, want)
	}
	if got := fmt.Sprint(apiDocs(summarizeCall(t, e.annotator, "web.app.render"))); got != "[tinylib.frob=The npm tinylib's frob. @acme/tools.hammer=Drives a nail.]" {
		t.Errorf("render's API docs: %s", got)
	}
	if got := fmt.Sprint(apiDocs(summarizeCall(t, e.annotator, "shop.util.leaf1"))); got != "[tinylib.frob=Frobnicate a value.]" {
		t.Errorf("leaf1's API docs: %s", got)
	}
	// Scoped npm names are counted like Python ones.
	if got := e.docs.Usage(repoPath); got["@acme/tools.hammer"] != 1 || got["tinylib.frob"] != 2 {
		t.Errorf("usage recorded %v", got)
	}
}

// A docs server that may not read the repository still answers popularity: the job neither fails
// nor loses the Python documentation.
func TestDocsRefusingTheRepository(t *testing.T) {
	e := newEnv(t)
	e.parser.SetRepo(repoPath, sharedNameRepo())
	e.docs.SetNPM(map[string]string{"@acme/tools.hammer": "Drives a nail."})
	e.docs.RefuseRepository(true)
	d := done(t, e.watch(e.submit(nil), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	lookups := e.docs.Lookups()
	if len(lookups) != 2 || lookups[1].GetLanguage() != "typescript" || lookups[1].GetRepositoryPath() != "" {
		t.Fatalf("lookups %v, want the npm batch resent without the repository", lookups)
	}
	if got := apiDocs(summarizeCall(t, e.annotator, "web.app.render")); len(got) != 0 {
		t.Errorf("render got npm docs without node_modules: %v", got)
	}
	if got := fmt.Sprint(apiDocs(summarizeCall(t, e.annotator, "shop.util.leaf1"))); got != "[tinylib.frob=Frobnicate a value.]" {
		t.Errorf("leaf1's API docs: %s", got)
	}
}

// apiDocs lists a call's API documentation as "api=docstring" (the pipeline puts the signature
// on the first line).
func apiDocs(c fake.Call) []string {
	var out []string
	for _, d := range c.APIDocs {
		_, doc, _ := strings.Cut(d.GetDoc(), "\n")
		out = append(out, d.GetApi()+"="+doc)
	}
	return out
}
