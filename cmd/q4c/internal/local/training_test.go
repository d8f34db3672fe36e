package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/query4code/query4code/platform/gittest"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	docsserver "github.com/query4code/query4code/services/docs/server"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	orchestratorserver "github.com/query4code/query4code/services/orchestrator/server"
	parserserver "github.com/query4code/query4code/services/parser/server"
)

// startSuite starts the four real services with the given parser and annotator configurations, and
// closes them when the test ends.
func startSuite(t *testing.T, parser parserserver.Config, annotator annotatorserver.Config) *Suite {
	t.Helper()
	suite := newSuite(t, t.TempDir(), parser, annotator)
	t.Cleanup(func() {
		if err := suite.Close(); err != nil {
			t.Error(err)
		}
	})
	return suite
}

// newSuite starts the four real services with their store and outputs under root.
func newSuite(t *testing.T, root string, parser parserserver.Config, annotator annotatorserver.Config) *Suite {
	t.Helper()
	docs := docsserver.DefaultConfig()
	docs.DisableInstalled = true
	suite, err := Start(Config{
		Parser: parser, Docs: docs, Annotator: annotator,
		Orchestrator: orchestratorserver.Config{
			StorePath: filepath.Join(root, "orchestrator.db"), OutputRoot: filepath.Join(root, "out"), DefaultConcurrency: 2,
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return suite
}

// runJob submits a job and watches it to the end; it fails the test unless the job succeeded.
func runJob(t *testing.T, suite *Suite, req *orchestratorv1.SubmitJobRequest) *orchestratorv1.JobDone {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	orch := orchestratorv1.NewOrchestratorServiceClient(suite.Orchestrator)
	sub, err := orch.SubmitJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := orch.WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: sub.GetJobId()})
	if err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			t.Fatal("watch ended without a done event")
		}
		if err != nil {
			t.Fatal(err)
		}
		if d := resp.GetEvent().GetDone(); d != nil {
			if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
				t.Fatalf("job %v: %s", d.GetState(), d.GetError())
			}
			return d
		}
	}
}

func gitSource(url string) *parserv1.Source {
	return &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: url}}}
}

// TestGitSourceLicenceAllowList: the parser names a git checkout's licence, so a git source under an
// allowed licence is kept by --licenses (and one naming none is left out as license).
func TestGitSourceLicenceAllowList(t *testing.T) {
	mit, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "platform", "license", "testdata", "mit", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	srv := gittest.Serve(t, map[string]map[string]string{
		"shapes": {"LICENSE": string(mit), "shapes/area.py": "def rectangle_area(width, height):\n    \"\"\"Area of a width by height rectangle.\"\"\"\n    area = width * height\n    return area\n"},
		"tools":  {"tools/text.py": "def shout_words(text):\n    \"\"\"Upper-case every word of text.\"\"\"\n    words = [w.upper() for w in text.split()]\n    return \" \".join(words)\n"},
	})
	parser := parserserver.DefaultConfig()
	parser.AllowedRoots, parser.GitAllowedHosts, parser.GitCABundle, parser.GitTempDir = nil, []string{srv.Host}, srv.CA, t.TempDir()
	suite := startSuite(t, parser, annotatorserver.DefaultConfig())
	done := runJob(t, suite, &orchestratorv1.SubmitJobRequest{
		Sources: []*parserv1.Source{gitSource(srv.URL("shapes")), gitSource(srv.URL("tools"))},
		Options: &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{Licenses: []string{"MIT"}}},
	})
	d, err := dataset.Read(done.GetOutputDir())
	if err != nil {
		t.Fatal(err)
	}
	licences := map[string]string{}
	for _, s := range d.Manifest.Sources {
		licences[path.Base(s.Repo)] = s.License
	}
	if licences["shapes"] != "MIT" || licences["tools"] != "unknown" || len(licences) != 2 {
		t.Errorf("source licences %v, want the shapes checkout MIT and the tools checkout unknown", licences)
	}
	if len(d.Records) != 1 || d.Records[0].GetFunction() != "shapes.area.rectangle_area" || d.Records[0].GetLicense() != "MIT" {
		t.Fatalf("records %v, want shapes.area.rectangle_area under MIT", d.Records)
	}
	if len(d.Excluded) != 1 || d.Excluded[0].Function != "tools.text.shout_words" || d.Excluded[0].Reason != dataset.ReasonLicense {
		t.Errorf("excluded %+v, want tools.text.shout_words left out as license", d.Excluded)
	}
}

// TestExcludedFunctionsMakeNoLLMCall is the promise that leaving a function out costs nothing: a job
// over a source holding near-duplicate copies and a function of an evaluation set, annotated by the
// real annotator against fakellm, sends requests for the annotated functions only.
func TestExcludedFunctionsMakeNoLLMCall(t *testing.T) {
	llm, err := fakellm.Start(fakellm.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = llm.Close() })
	root := t.TempDir()
	repo, eval := filepath.Join(root, "repo"), filepath.Join(root, "eval")
	// grouping is long enough that one changed constant keeps its token 5-gram Jaccard near 0.9.
	grouping := func(name, limit string) string {
		return fmt.Sprintf(`def %s(records, field, fallback=None):
    """Bucket records by a field, tally each bucket and return the biggest buckets."""
    buckets = {}
    for record in records:
        label = record.get(field, fallback)
        if label is None:
            continue
        members = buckets.setdefault(label, [])
        members.append(record)
    sizes = {label: len(members) for label, members in buckets.items()}
    ranked = sorted(sizes.items(), key=lambda pair: pair[1], reverse=True)
    return [label for label, size in ranked if size > 1][:%s]
`, name, limit)
	}
	contaminated := `def parse_header_line(line):
    """Split an HTTP header line into its lower-cased name and stripped value."""
    name, sep, value = line.partition(":")
    if not sep:
        raise ValueError("not a header line: " + line)
    return name.strip().lower(), value.strip()
`
	files := map[string]string{
		filepath.Join(repo, "pkg", "__init__.py"): "",
		// The first by path is the cluster's representative.
		filepath.Join(repo, "pkg", "legacy.py"): grouping("top_groups", "10"),
		filepath.Join(repo, "pkg", "stats.py"):  grouping("top_groups", "100"),
		filepath.Join(repo, "pkg", "vendor.py"): grouping("top_groups", "1000"),
		filepath.Join(repo, "pkg", "http.py"):   strings.ReplaceAll(contaminated, "    ", "  "),
		filepath.Join(repo, "pkg", "shapes.py"): "def rectangle_area(width, height):\n    \"\"\"Area of a width by height rectangle.\"\"\"\n    area = width * height\n    return area\n",
		filepath.Join(eval, "bench.py"):         contaminated,
	}
	for path, body := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	annotator := annotatorserver.DefaultConfig()
	annotator.LLM, annotator.BaseURL, annotator.Model = annotatorserver.BackendOpenAI, llm.URL(), "fake-llm"
	parser := parserserver.DefaultConfig()
	parser.AllowedRoots = []string{repo}
	suite := startSuite(t, parser, annotator)
	done := runJob(t, suite, &orchestratorv1.SubmitJobRequest{
		Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}},
		Options: &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{DecontaminatePaths: []string{eval}}},
	})
	d, err := dataset.Read(done.GetOutputDir())
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, e := range d.Excluded {
		reasons[e.Function] = e.Reason
	}
	wantExcluded := map[string]string{
		"pkg.stats.top_groups": dataset.ReasonNearDuplicate, "pkg.vendor.top_groups": dataset.ReasonNearDuplicate,
		"pkg.http.parse_header_line": dataset.ReasonContaminated,
	}
	if fmt.Sprint(reasons) != fmt.Sprint(wantExcluded) {
		t.Fatalf("left out %v, want %v", reasons, wantExcluded)
	}
	annotated := map[string]bool{}
	for _, r := range d.Records {
		annotated[r.GetFunction()] = true
	}
	if len(annotated) != 2 || !annotated["pkg.legacy.top_groups"] || !annotated["pkg.shapes.rectangle_area"] {
		t.Fatalf("annotated %v, want pkg.legacy.top_groups and pkg.shapes.rectangle_area", annotated)
	}

	// Each annotated function costs a summary, a query and a validation; nothing else was asked.
	counts := llm.Counts()
	if counts.Requests != 3*len(annotated) {
		t.Errorf("fakellm received %d requests (%v), want 3 for each of the %d annotated functions", counts.Requests, counts.ByStage, len(annotated))
	}
	if got := done.GetProgress().GetLlmCalls(); got != int64(counts.Requests) {
		t.Errorf("the job counted %d LLM calls, fakellm %d", got, counts.Requests)
	}
	// No prompt holds the code of a function left out: the ones annotated are told apart by their
	// constant (10) and name, the others by theirs.
	for _, e := range llm.Received() {
		var prompt strings.Builder
		for _, m := range e.Messages {
			prompt.WriteString(m.Content)
		}
		for _, marker := range []string{"[:100]", "[:1000]", "parse_header_line", "not a header line"} {
			if strings.Contains(prompt.String(), marker) {
				t.Errorf("request %d (%s) holds %q, the code of a function left out", e.Seq, e.Stage, marker)
			}
		}
	}
}
