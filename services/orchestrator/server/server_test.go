package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/query4code/query4code/platform/grpcerr"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	fake "github.com/query4code/query4code/services/orchestrator/internal/fakeservices"
	"github.com/query4code/query4code/services/orchestrator/internal/jobs"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const repoPath = "/repos/shop"

// shopRepo is a callee-first function list: two leaves, a caller of both, a recursive pair (one SCC)
// that also calls a leaf, a top function, and two functions with identical code.
func shopRepo(leaf1Code string) []*parserv1.Function {
	ping := fake.Func("shop.cycle.ping", 4, "def ping(n):\n    return pong(n - 1)", []string{"shop.cycle.pong"})
	pong := fake.Func("shop.cycle.pong", 4, "def pong(n):\n    return ping(n) if n else leaf1()", []string{"shop.cycle.ping", "shop.util.leaf1"})
	ping.SccSize, pong.SccSize = 2, 2
	return []*parserv1.Function{
		fake.Func("shop.util.leaf1", 1, leaf1Code, nil, "tinylib.frob", "numpy.mean"),
		fake.Func("shop.util.leaf2", 2, "def leaf2():\n    return 2", nil),
		fake.Func("shop.core.mid", 3, "def mid():\n    return leaf1() + leaf2()", []string{"shop.util.leaf1", "shop.util.leaf2"}),
		ping, pong,
		fake.Func("shop.core.top", 5, "def top():\n    return mid() + ping(3)", []string{"shop.core.mid", "shop.cycle.ping"}),
		fake.Func("shop.a.same", 6, "def same():\n    return 42", nil),
		fake.Func("shop.b.same", 7, "def same():\n    return 42", nil),
	}
}

const leaf1V1 = "def leaf1():\n    return tinylib.frob(numpy.mean([1]))"

type env struct {
	t         *testing.T
	parser    *fake.Parser
	docs      *fake.Docs
	annotator *fake.Annotator
	conns     struct{ parser, docs, annotator *grpc.ClientConn }
	storePath string
	outRoot   string
	spans     *tracetest.InMemoryExporter
	drain     time.Duration
	// resumeOnSubmit starts the orchestrator as the in-process CLI does.
	resumeOnSubmit bool
	server         *Server
	client         orchestratorv1.OrchestratorServiceClient
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, parser: fake.NewParser(), docs: fake.NewDocs(map[string]string{"tinylib.frob": "Frobnicate a value."}), annotator: fake.NewAnnotator()}
	e.parser.SetRepo(repoPath, shopRepo(leaf1V1))
	e.conns.parser = fake.Serve(t, func(s *grpc.Server) { parserv1.RegisterParserServiceServer(s, e.parser) })
	e.conns.docs = fake.Serve(t, func(s *grpc.Server) { docsv1.RegisterDocsServiceServer(s, e.docs) })
	e.conns.annotator = fake.Serve(t, func(s *grpc.Server) { annotatorv1.RegisterAnnotatorServiceServer(s, e.annotator) })
	dir := t.TempDir()
	e.storePath, e.outRoot = filepath.Join(dir, "orchestrator.db"), filepath.Join(dir, "out")
	e.spans = tracetest.NewInMemoryExporter()
	e.start()
	return e
}

// start opens an orchestrator on the env's store and serves it over bufconn.
func (e *env) start() {
	e.t.Helper()
	tp := trace.NewTracerProvider(trace.WithSyncer(e.spans))
	srv, err := New(Config{
		Parser: parserv1.NewParserServiceClient(e.conns.parser), Docs: docsv1.NewDocsServiceClient(e.conns.docs),
		Annotator: annotatorv1.NewAnnotatorServiceClient(e.conns.annotator), StorePath: e.storePath, OutputRoot: e.outRoot,
		DefaultConcurrency: 4, LLMPause: time.Millisecond, ProgressInterval: 10 * time.Millisecond, TracerProvider: tp,
		ShutdownDrain: e.drain, ResumeOnSubmit: e.resumeOnSubmit,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.server = srv
	conn := fake.Serve(e.t, func(s *grpc.Server) { orchestratorv1.RegisterOrchestratorServiceServer(s, srv) })
	e.client = orchestratorv1.NewOrchestratorServiceClient(conn)
	e.t.Cleanup(func() {
		_ = srv.Close()
		_ = tp.Shutdown(context.Background())
	})
}

func (e *env) submit(opts *orchestratorv1.JobOptions, sources ...string) string {
	e.t.Helper()
	if len(sources) == 0 {
		sources = []string{repoPath}
	}
	var srcs []*parserv1.Source
	for _, s := range sources {
		srcs = append(srcs, &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: s}})
	}
	resp, err := e.client.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{Sources: srcs, Options: opts})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetJobId()
}

// watch collects a job's events from after until the done event.
func (e *env) watch(id string, after uint64) []*orchestratorv1.JobEvent {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := e.client.WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: id, AfterSequence: after})
	if err != nil {
		e.t.Fatal(err)
	}
	var events []*orchestratorv1.JobEvent
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return events
		}
		if err != nil {
			e.t.Fatalf("watch %s: %v", id, err)
		}
		events = append(events, resp.GetEvent())
	}
}

func done(t *testing.T, events []*orchestratorv1.JobEvent) *orchestratorv1.JobDone {
	t.Helper()
	if len(events) == 0 || events[len(events)-1].GetDone() == nil {
		t.Fatalf("stream did not end with a done event: %v", events)
	}
	return events[len(events)-1].GetDone()
}

func readRecords(t *testing.T, path string) []dataset.Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var rows []dataset.Row
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r dataset.Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

func calleeContext(call fake.Call) map[string]string {
	out := map[string]string{}
	for _, c := range call.Callees {
		if c.GetCode() != "" {
			out[c.GetId()] = "code"
		} else {
			out[c.GetId()] = "summary"
		}
	}
	return out
}

func summarizeCall(t *testing.T, a *fake.Annotator, fn string) fake.Call {
	t.Helper()
	for _, c := range a.Calls() {
		if c.Method == "Summarize" && c.Function == fn {
			return c
		}
	}
	t.Fatalf("no Summarize call for %s", fn)
	return fake.Call{}
}

func TestJobCalleeFirstAndDataset(t *testing.T) {
	e := newEnv(t)
	id := e.submit(nil)
	d := done(t, e.watch(id, 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	contexts := []struct {
		fn   string
		want map[string]string
	}{
		{"shop.util.leaf1", map[string]string{}},
		{"shop.core.mid", map[string]string{"shop.util.leaf1": "summary", "shop.util.leaf2": "summary"}},
		{"shop.cycle.ping", map[string]string{"shop.cycle.pong": "code"}},
		{"shop.cycle.pong", map[string]string{"shop.cycle.ping": "code", "shop.util.leaf1": "summary"}},
		{"shop.core.top", map[string]string{"shop.core.mid": "summary", "shop.cycle.ping": "summary"}},
	}
	for _, tc := range contexts {
		t.Run("context of "+tc.fn, func(t *testing.T) {
			if got := calleeContext(summarizeCall(t, e.annotator, tc.fn)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("callee context %v, want %v", got, tc.want)
			}
		})
	}
	leaf := summarizeCall(t, e.annotator, "shop.util.leaf1")
	if len(leaf.APIDocs) != 1 || leaf.APIDocs[0].GetApi() != "tinylib.frob" || !strings.Contains(leaf.APIDocs[0].GetDoc(), "Frobnicate") {
		t.Fatalf("leaf1 should get the unpopular API's docs only: %v", leaf.APIDocs)
	}
	if got := e.docs.Usage(repoPath); got["numpy.mean"] != 1 || got["tinylib.frob"] != 1 {
		t.Fatalf("usage recorded %v", got)
	}
	// Identical code gets one record: the second "same" function is left out as a duplicate of the
	// first, with no call at all.
	counts := e.annotator.Count("Summarize")
	if counts["shop.a.same"] != 1 || counts["shop.b.same"] != 0 {
		t.Fatalf("identical code summarised %v", counts)
	}
	rows := readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile))
	if len(rows) != 7 {
		t.Fatalf("%d kept pairs, want 7", len(rows))
	}
	for _, r := range rows {
		if r.Query == "" || r.Summary == "" || r.Score < 2 || r.Model != "fake-model" || r.Commit != "commit-"+repoPath || r.Repo != "shop" ||
			r.ID != "shop:"+r.Function {
			t.Fatalf("incomplete record %+v", r)
		}
		if r.Function == "shop.util.leaf1" && (fmt.Sprint(r.DocsUsed) != "[tinylib.frob]" || fmt.Sprint(r.APIs) != "[tinylib.frob numpy.mean]") {
			t.Fatalf("leaf1 docs %v apis %v", r.DocsUsed, r.APIs)
		}
	}
	for _, name := range []string{dataset.RejectedFile, dataset.ShardPath(split.Train, 0, 1), dataset.CardFile, dataset.ManifestFile} {
		if _, err := os.Stat(filepath.Join(d.GetOutputDir(), name)); err != nil {
			t.Fatal(err)
		}
	}
	if p := d.GetProgress(); p.GetFunctionsTotal() != 7 || p.GetFunctionsDone() != 7 || p.GetPairsKept() != 7 || p.GetFunctionsExcluded() != 1 {
		t.Fatalf("progress %v", p)
	}
	job, err := e.client.GetJob(context.Background(), &orchestratorv1.GetJobRequest{JobId: id})
	if err != nil || job.GetJob().GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("get job: %v %v", job, err)
	}

	// The job's spans form one trace: job -> repository -> function -> stage. The job span ends just
	// after the done event is stored, so wait for it to be exported.
	var spans tracetest.SpanStubs
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		spans = e.spans.GetSpans()
		if slices.ContainsFunc(spans, func(s tracetest.SpanStub) bool { return s.Name == "job" }) {
			break
		}
	}
	byID := map[string]tracetest.SpanStub{}
	var jobSpan tracetest.SpanStub
	for _, s := range spans {
		byID[s.SpanContext.SpanID().String()] = s
		if s.Name == "job" {
			jobSpan = s
		}
	}
	var sawStage bool
	for _, s := range spans {
		if s.Name != "summarize" {
			continue
		}
		sawStage = true
		if s.SpanContext.TraceID() != jobSpan.SpanContext.TraceID() {
			t.Fatal("a summarize span is outside the job's trace")
		}
		var chain []string
		for cur, ok := s, true; ok; cur, ok = byID[cur.Parent.SpanID().String()] {
			chain = append(chain, cur.Name)
		}
		if fmt.Sprint(chain) != "[summarize function repository job]" {
			t.Fatalf("span ancestry %v", chain)
		}
	}
	if !sawStage {
		t.Fatal("no summarize span")
	}
}

// TestCorpusMode: every repository's usage is recorded before any documentation is looked up or any
// function annotated, so popularity covers the corpus; identical code across repositories gets one
// record (the first repository's) and is annotated once, also when duplicates are kept.
func TestCorpusMode(t *testing.T) {
	e := newEnv(t)
	e.parser.SetRepo("/repos/fork", shopRepo(leaf1V1))
	d := done(t, e.watch(e.submit(nil, repoPath, "/repos/fork"), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED || d.GetProgress().GetRepositoriesParsed() != 2 {
		t.Fatalf("corpus job: %v %s %v", d.GetState(), d.GetError(), d.GetProgress())
	}
	log := e.docs.Log()
	if len(log) != 3 || log[2] != "LookupAPIs" || !slices.Contains(log, "RecordUsage "+repoPath) || !slices.Contains(log, "RecordUsage /repos/fork") {
		t.Fatalf("docs calls %v: want both usages recorded, then one lookup", log)
	}
	// The fork is an identical copy: each distinct function body is summarised once for both.
	for fn, n := range e.annotator.Count("Summarize") {
		if n != 1 {
			t.Fatalf("%s summarised %d times across identical repositories", fn, n)
		}
	}
	repos := map[string]int{}
	for _, r := range readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile)) {
		repos[r.Repo]++
	}
	if repos["shop"] != 7 || repos["fork"] != 0 {
		t.Fatalf("records per repository %v, want 7 for shop and none for its copy", repos)
	}
	excluded := readExcluded(t, filepath.Join(d.GetOutputDir(), dataset.ExcludedFile))
	if len(excluded) != 9 {
		t.Fatalf("%d functions left out, want the fork's 8 and shop.b.same: %v", len(excluded), excluded)
	}
	for _, x := range excluded {
		if x.Reason != dataset.ReasonDuplicate || !strings.HasPrefix(x.Detail, "duplicate of shop:") {
			t.Fatalf("left out %+v, want a duplicate of a shop function", x)
		}
	}

	// Keeping duplicates and near-duplicates (an identical copy is both), both copies get records,
	// still from one call per distinct function.
	e.annotator.Reset()
	keep := &orchestratorv1.JobOptions{Filters: &orchestratorv1.DatasetFilters{KeepDuplicates: true, KeepNearDuplicates: true}}
	d = done(t, e.watch(e.submit(keep, repoPath, "/repos/fork"), 0))
	repos = map[string]int{}
	for _, r := range readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile)) {
		repos[r.Repo]++
	}
	if repos["shop"] != 8 || repos["fork"] != 8 || len(e.annotator.Calls()) != 0 {
		t.Fatalf("keep_duplicates: records per repository %v, %d new calls", repos, len(e.annotator.Calls()))
	}
}

func readExcluded(t *testing.T, path string) []dataset.Excluded {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dataset.Excluded
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var x dataset.Excluded
		if err := json.Unmarshal([]byte(line), &x); err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

func TestRerunAndIncrementalEdit(t *testing.T) {
	e := newEnv(t)
	first := done(t, e.watch(e.submit(nil), 0))
	e.annotator.Reset()

	second := done(t, e.watch(e.submit(nil), 0))
	if n := len(e.annotator.Calls()); n != 0 {
		t.Fatalf("unchanged rerun made %d annotator calls", n)
	}
	sameDataset(t, first.GetOutputDir(), second.GetOutputDir())
	// The rerun sent nothing: every answer came from the cache.
	if got := manifestOf(t, second.GetOutputDir()).LLMRequests; got != 0 {
		t.Fatalf("unchanged rerun reports %d LLM requests", got)
	}
	if got := manifestOf(t, first.GetOutputDir()).LLMRequests; got != first.GetProgress().GetLlmCalls() || got == 0 {
		t.Fatalf("first run's manifest reports %d LLM requests, its progress %d", got, first.GetProgress().GetLlmCalls())
	}

	e.parser.SetRepo(repoPath, shopRepo("def leaf1():\n    return tinylib.frob(numpy.mean([2]))"))
	done(t, e.watch(e.submit(nil), 0))
	want := []string{"shop.core.mid", "shop.core.top", "shop.cycle.ping", "shop.cycle.pong", "shop.util.leaf1"} // ping calls leaf1 through pong
	for _, method := range []string{"Summarize", "GenerateQuery", "Validate"} {
		var got []string
		for fn, n := range e.annotator.Count(method) {
			if n != 1 {
				t.Fatalf("%s called %d times for %s", method, n, fn)
			}
			got = append(got, fn)
		}
		slices.Sort(got)
		if method == "Summarize" && fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s re-ran for %v, want the edited leaf and its transitive callers %v", method, got, want)
		}
		// Query and validation depend on code and summary only: a caller whose new summary reads
		// like the old one (ping's context, pong's code, did not change) keeps its stored query.
		if !slices.Contains(got, "shop.util.leaf1") || len(got) > len(want) {
			t.Fatalf("%s re-ran for %v, want the edited leaf and at most its transitive callers %v", method, got, want)
		}
		for _, fn := range got {
			if !slices.Contains(want, fn) {
				t.Fatalf("%s re-ran for %s, which neither changed nor calls the edited leaf", method, fn)
			}
		}
	}
}

// After the annotator switches model, an unchanged rerun must ask the new
// model everything the first run asked rather than serve the old model's
// cached answers; switching back finds the first model's answers again.
func TestModelSwitchInvalidatesCache(t *testing.T) {
	e := newEnv(t)
	first := done(t, e.watch(e.submit(nil), 0))
	firstCalls := len(e.annotator.Calls())
	e.annotator.SetModel("fake-model-2")
	e.annotator.Reset()
	second := done(t, e.watch(e.submit(nil), 0))
	if n := len(e.annotator.Calls()); firstCalls == 0 || n != firstCalls {
		t.Errorf("after the model switch the rerun made %d annotator calls, the first run %d", n, firstCalls)
	}
	if a, b := first.GetProgress().GetCacheHits(), second.GetProgress().GetCacheHits(); a != b {
		t.Errorf("cache hits: %d in the first run, %d after the model switch (only in-job repeats may hit)", a, b)
	}
	e.annotator.SetModel("fake-model")
	e.annotator.Reset()
	done(t, e.watch(e.submit(nil), 0))
	if n := len(e.annotator.Calls()); n != 0 {
		t.Errorf("back on the first model, the rerun made %d annotator calls", n)
	}
}

func TestConcurrencyBoundAndWideRepo(t *testing.T) {
	e := newEnv(t)
	e.annotator.Latency = 3 * time.Millisecond
	var funcs []*parserv1.Function
	for i := range 30 {
		funcs = append(funcs, fake.Func(fmt.Sprintf("wide.f%02d", i), int32(i), fmt.Sprintf("def f%02d(): pass", i), nil))
	}
	e.parser.SetRepo("/repos/wide", funcs)
	d := done(t, e.watch(e.submit(&orchestratorv1.JobOptions{Concurrency: 3}, "/repos/wide"), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v %s", d.GetState(), d.GetError())
	}
	if p := e.annotator.Peak(); p > 3 || p < 2 {
		t.Fatalf("peak annotator calls in flight %d, limit 3", p)
	}
	if n := len(e.annotator.Calls()); n != 90 {
		t.Fatalf("%d calls, want 90", n)
	}
}

func TestResumeAfterCloseMidJob(t *testing.T) {
	tests := []struct {
		name  string
		drain time.Duration
		// Calls in flight at an abrupt stop are abandoned, so they may run again; after a drain none may.
		maxCompletions int
	}{
		{"graceful drain", 0, 1},
		{"abrupt stop", time.Nanosecond, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { testResume(t, tc.drain, tc.maxCompletions) })
	}
}

func testResume(t *testing.T, drain time.Duration, maxCompletions int) {
	chain := func() []*parserv1.Function {
		var funcs []*parserv1.Function
		for i := range 24 {
			var callees []string
			if i > 0 {
				callees = []string{fmt.Sprintf("deep.f%02d", i-1)}
			}
			funcs = append(funcs, fake.Func(fmt.Sprintf("deep.f%02d", i), int32(i), fmt.Sprintf("def f%02d(): return %d", i, i), callees))
		}
		return funcs
	}
	// Reference: an uninterrupted run in its own environment.
	ref := newEnv(t)
	ref.parser.SetRepo("/repos/deep", chain())
	refDone := done(t, ref.watch(ref.submit(nil, "/repos/deep"), 0))

	e := newEnv(t)
	e.parser.SetRepo("/repos/deep", chain())
	e.annotator.Latency = 2 * time.Millisecond
	e.drain = drain
	id := e.submit(nil, "/repos/deep")
	// Wait for some pairs, then shut the orchestrator down mid-job.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	stream, err := e.client.WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: id})
	if err != nil {
		t.Fatal(err)
	}
	pairs := 0
	for pairs < 5 {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetEvent().GetPair() != nil {
			pairs++
		}
		if resp.GetEvent().GetDone() != nil {
			t.Fatal("job finished before the shutdown")
		}
	}
	cancel()
	if err := e.server.Close(); err != nil {
		t.Fatal(err)
	}
	e.drain = 0
	e.start() // a new orchestrator on the same store resumes the job
	events := e.watch(id, 0)
	d := done(t, events)
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("resumed job %v: %s", d.GetState(), d.GetError())
	}
	for _, method := range []string{"Summarize", "GenerateQuery", "Validate"} {
		repeated := 0
		for fn, n := range e.annotator.Count(method) {
			if n > maxCompletions {
				t.Fatalf("%s for %s completed %d times across the restart", method, fn, n)
			}
			if n > 1 {
				repeated++
			}
		}
		// Only the few calls in flight at the stop (concurrency 4) can have been lost.
		if repeated > 4 {
			t.Fatalf("%d %s calls repeated after an abrupt stop", repeated, method)
		}
	}
	seen, doneEvents := map[string]bool{}, 0
	for _, ev := range events {
		if ev.GetDone() != nil {
			doneEvents++
		}
		if p := ev.GetPair(); p != nil {
			if seen[p.GetId()] {
				t.Fatalf("pair %s announced twice", p.GetId())
			}
			seen[p.GetId()] = true
		}
	}
	if doneEvents != 1 {
		t.Fatalf("%d done events: the shutdown must not finish the job", doneEvents)
	}
	// The resumed run continues the job's trace: both root spans share one trace id.
	var roots []tracetest.SpanStub
	for deadline := time.Now().Add(10 * time.Second); len(roots) < 2 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		roots = roots[:0]
		for _, s := range e.spans.GetSpans() {
			if s.Name == "job" {
				roots = append(roots, s)
			}
		}
	}
	if len(roots) != 2 || roots[0].SpanContext.TraceID() != roots[1].SpanContext.TraceID() {
		t.Fatalf("want two job spans in one trace, got %d", len(roots))
	}
	if len(seen) != 24 {
		t.Fatalf("%d pairs, want 24", len(seen))
	}
	sameDataset(t, refDone.GetOutputDir(), d.GetOutputDir())
	// Every request of both runs is counted, but for calls the stop cancelled after the annotator
	// answered (at most the concurrency, 4).
	if got, sent := manifestOf(t, d.GetOutputDir()).LLMRequests, int64(len(e.annotator.Calls())); got > sent || got < sent-4 {
		t.Fatalf("resumed job reports %d LLM requests; the annotator answered %d", got, sent)
	}
}

// sameDataset fails unless the datasets in a and b are the same but for the LLM requests each run sent.
func sameDataset(t *testing.T, a, b string) {
	t.Helper()
	for _, name := range []string{dataset.PairsFile, dataset.RejectedFile, dataset.ExcludedFile, dataset.ShardPath(split.Train, 0, 1), dataset.CardFile, dataset.ManifestFile} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if (name == dataset.PairsFile && len(x) == 0) || withoutRequests(x) != withoutRequests(y) {
			t.Fatalf("%s differs between %s and %s", name, a, b)
		}
	}
}

// withoutRequests drops the lines of a card or manifest that count LLM requests.
func withoutRequests(data []byte) string {
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.Contains(line, "llm_requests") && !strings.Contains(line, "LLM requests sent") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

func manifestOf(t *testing.T, dir string) dataset.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, dataset.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m dataset.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCancelIdempotencyAndLateWatcher(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.annotator.Latency = 20 * time.Millisecond
	var funcs []*parserv1.Function
	for i := range 40 {
		funcs = append(funcs, fake.Func(fmt.Sprintf("slow.f%02d", i), int32(i), fmt.Sprintf("def f%02d(): pass", i), nil))
	}
	e.parser.SetRepo("/repos/slow", funcs)
	src := []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: "/repos/slow"}}}
	first, err := e.client.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{Sources: src, IdempotencyKey: "k1", Options: &orchestratorv1.JobOptions{Concurrency: 1}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{Sources: src, IdempotencyKey: "k1"})
	if err != nil || again.GetJobId() != first.GetJobId() || !again.GetExisting() || first.GetExisting() {
		t.Fatalf("idempotency: first %v, again %v, %v", first, again, err)
	}
	resp, err := e.client.CancelJob(ctx, &orchestratorv1.CancelJobRequest{JobId: first.GetJobId()})
	if err != nil || resp.GetJob().GetState() != orchestratorv1.JobState_JOB_STATE_CANCELLED {
		t.Fatalf("cancel: %v %v", resp, err)
	}
	if len(e.annotator.Calls()) >= 120 {
		t.Fatal("cancelled job ran to the end")
	}
	_, err = e.client.CancelJob(ctx, &orchestratorv1.CancelJobRequest{JobId: first.GetJobId()})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("second cancel: %v", err)
	}
	// A late watcher gets every event, ending with the done event; after_sequence skips the first ones.
	all := e.watch(first.GetJobId(), 0)
	if d := done(t, all); d.GetState() != orchestratorv1.JobState_JOB_STATE_CANCELLED {
		t.Fatalf("done state %v", d.GetState())
	}
	for i, ev := range all {
		if ev.GetSequence() != uint64(i+1) {
			t.Fatalf("event %d has sequence %d", i, ev.GetSequence())
		}
	}
	if len(all) >= 2 {
		tail := e.watch(first.GetJobId(), all[len(all)-2].GetSequence())
		if len(tail) != 1 || tail[0].GetDone() == nil {
			t.Fatalf("watch after %d: %v", all[len(all)-2].GetSequence(), tail)
		}
	}
	list, err := e.client.ListJobs(ctx, &orchestratorv1.ListJobsRequest{State: orchestratorv1.JobState_JOB_STATE_CANCELLED})
	if err != nil || len(list.GetJobs()) != 1 || list.GetJobs()[0].GetJobId() != first.GetJobId() {
		t.Fatalf("list cancelled: %v %v", list, err)
	}
}

func TestBudgetStop(t *testing.T) {
	e := newEnv(t)
	e.annotator.CostUSD = 0.01
	d := done(t, e.watch(e.submit(&orchestratorv1.JobOptions{Concurrency: 1, BudgetUsd: 0.115}), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED || !strings.Contains(d.GetError(), "budget") || !d.GetBudgetReached() {
		t.Fatalf("budget stop: %v %q budget_reached=%v", d.GetState(), d.GetError(), d.GetBudgetReached())
	}
	// 8 functions, one a copy of another's code (left out as a duplicate): 7 to annotate, 21 calls; the
	// calls the budget cut off are not done.
	if p := d.GetProgress(); p.GetCallsTotal() != 21 || p.GetCallsDone() >= p.GetCallsTotal() || p.GetCallsDone() < 12 {
		t.Fatalf("calls %d of %d after a budget stop at 12 calls", p.GetCallsDone(), p.GetCallsTotal())
	}
	// Seven distinct summaries come first (critical path), then queries and validations until 12 calls.
	if n := len(e.annotator.Calls()); n != 12 {
		t.Fatalf("%d calls with a budget of 12 calls at concurrency 1", n)
	}
	rows := readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile))
	if len(rows) == 0 || len(rows) >= 8 {
		t.Fatalf("%d pairs written after a budget stop", len(rows))
	}
	for _, r := range rows {
		if r.Query == "" || r.Summary == "" {
			t.Fatalf("half-annotated record %+v", r)
		}
	}
	card, _ := os.ReadFile(filepath.Join(d.GetOutputDir(), dataset.CardFile))
	if !strings.Contains(string(card), "cost budget") {
		t.Fatal("dataset card does not explain the early stop")
	}
}

func TestFailuresAndDocsDown(t *testing.T) {
	e := newEnv(t)
	e.annotator.FailAlways("shop.util.leaf2", codes.Internal)
	e.annotator.Score("shop.core.top", 1)
	e.docs.SetDown(true)
	events := e.watch(e.submit(nil), 0)
	d := done(t, events)
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v %s", d.GetState(), d.GetError())
	}
	var fnErrors, docsWarnings int
	for _, ev := range events {
		if er := ev.GetError(); er != nil {
			if er.GetFatal() {
				t.Fatalf("fatal error event %v", er)
			}
			switch {
			case er.GetFunction() == "shop.util.leaf2":
				fnErrors++
			case strings.Contains(er.GetMessage(), "docs"):
				docsWarnings++
			default:
				t.Fatalf("unexpected error event %v", er)
			}
		}
	}
	if fnErrors != 1 || docsWarnings != 1 {
		t.Fatalf("error events: %d for the failing function, %d docs warnings; want 1 and 1", fnErrors, docsWarnings)
	}
	if p := d.GetProgress(); p.GetFunctionsFailed() != 1 || p.GetPairsKept() != 5 || p.GetPairsRejected() != 1 {
		t.Fatalf("progress %v", p)
	}
	// A failed function's later stages count as done, so a finished job's bar reaches its end.
	// 7 functions to annotate (the eighth is a duplicate), 3 calls each.
	if p := d.GetProgress(); p.GetCallsTotal() != 21 || p.GetCallsDone() != 21 {
		t.Fatalf("calls %d of %d, want 21 of 21", p.GetCallsDone(), p.GetCallsTotal())
	}
	// The failed function's call was sent once, never again, and its request is counted.
	if e.annotator.Failed() != 1 || d.GetProgress().GetLlmCalls() != int64(len(e.annotator.Calls())+1) {
		t.Fatalf("%d failed calls, %d answered; progress counts %d LLM calls", e.annotator.Failed(), len(e.annotator.Calls()), d.GetProgress().GetLlmCalls())
	}
	if got := manifestOf(t, d.GetOutputDir()).LLMRequests; got != d.GetProgress().GetLlmCalls() {
		t.Fatalf("manifest reports %d LLM requests, progress %d", got, d.GetProgress().GetLlmCalls())
	}
	// The caller of the failed function goes on with the context that exists.
	if got := calleeContext(summarizeCall(t, e.annotator, "shop.core.mid")); fmt.Sprint(got) != "map[shop.util.leaf1:summary]" {
		t.Fatalf("mid context %v", got)
	}
	leaf := summarizeCall(t, e.annotator, "shop.util.leaf1")
	if len(leaf.APIDocs) != 0 {
		t.Fatal("docs sent while the docs service was down")
	}
	for _, r := range readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile)) {
		if len(r.DocsUsed) != 0 {
			t.Fatalf("docs_used %v with docs down", r.DocsUsed)
		}
	}
	rejected := readRecords(t, filepath.Join(d.GetOutputDir(), dataset.RejectedFile))
	if len(rejected) != 1 || rejected[0].Function != "shop.core.top" || rejected[0].Kept {
		t.Fatalf("rejected %v", rejected)
	}
}

func TestErrorsAndUnwritableOutput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := os.MkdirAll(e.outRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.outRoot, "blocker"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An output directory that cannot be created is refused at submission, before any call.
	_, err := e.client.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{
		Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repoPath}}}, Options: &orchestratorv1.JobOptions{OutputDir: "blocker/out"},
	})
	if status.Code(err) != codes.FailedPrecondition || reason(err) != "OUTPUT_DIR_UNWRITABLE" || !strings.Contains(err.Error(), "blocker is not a directory") {
		t.Fatalf("unwritable output: %v", err)
	}
	if n := len(e.annotator.Calls()); n != 0 {
		t.Fatalf("%d annotator calls for a refused job", n)
	}
	src := []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repoPath}}}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"output outside root", func() error {
			_, err := e.client.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{Sources: src, Options: &orchestratorv1.JobOptions{OutputDir: "../escape"}})
			return err
		}, codes.InvalidArgument},
		{"absolute output outside root", func() error {
			_, err := e.client.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{Sources: src, Options: &orchestratorv1.JobOptions{OutputDir: "/tmp"}})
			return err
		}, codes.InvalidArgument},
		{"no sources", func() error {
			_, err := e.client.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{})
			return err
		}, codes.InvalidArgument},
		{"get unknown", func() error {
			_, err := e.client.GetJob(ctx, &orchestratorv1.GetJobRequest{JobId: "nope"})
			return err
		}, codes.NotFound},
		{"cancel unknown", func() error {
			_, err := e.client.CancelJob(ctx, &orchestratorv1.CancelJobRequest{JobId: "nope"})
			return err
		}, codes.NotFound},
		{"watch unknown", func() error {
			stream, err := e.client.WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: "nope"})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		}, codes.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := status.Code(tc.call()); got != tc.want {
				t.Fatalf("code %v, want %v", got, tc.want)
			}
		})
	}
	// A parser failure of the only source fails the job.
	e.parser.Fail("/repos/broken", status.Error(codes.NotFound, "no such dir"))
	d := done(t, e.watch(e.submit(nil, "/repos/broken"), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_FAILED {
		t.Fatalf("broken source: %v", d.GetState())
	}
}

// reason is the ErrorInfo reason of a status error, or "".
func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// One job per sources, options and output: the same command continues the unfinished job (even one
// that was cancelled), another command on its output is refused while it runs, and a re-run after
// success is a new job that makes no call and rewrites the same dataset.
func TestOneJobPerIdentity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.annotator.Latency = 5 * time.Millisecond
	var funcs []*parserv1.Function
	for i := range 20 {
		funcs = append(funcs, fake.Func(fmt.Sprintf("slow.f%02d", i), int32(i), fmt.Sprintf("def f%02d(): return %d", i, i), nil))
	}
	e.parser.SetRepo("/repos/slow", funcs)
	submit := func(concurrency, threshold int32) (*orchestratorv1.SubmitJobResponse, error) {
		return e.client.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{
			Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: "/repos/slow"}}},
			Options: &orchestratorv1.JobOptions{OutputDir: "slow", Concurrency: concurrency, KeepThreshold: &threshold},
		})
	}
	first, err := submit(1, 2)
	if err != nil || first.GetExisting() {
		t.Fatalf("first submission: %v %v", first, err)
	}
	// Concurrency is a run-time knob, not part of the job.
	again, err := submit(4, 2)
	if err != nil || !again.GetExisting() || again.GetJobId() != first.GetJobId() {
		t.Fatalf("same command again: %v %v, want job %s", again, err, first.GetJobId())
	}
	_, err = submit(1, 3)
	if status.Code(err) != codes.FailedPrecondition || reason(err) != "OUTPUT_DIR_BUSY" || !strings.Contains(err.Error(), first.GetJobId()) {
		t.Fatalf("another command on a busy output: %v", err)
	}
	if _, err := e.client.CancelJob(ctx, &orchestratorv1.CancelJobRequest{JobId: first.GetJobId()}); err != nil {
		t.Fatal(err)
	}
	resumed, err := submit(1, 2)
	if err != nil || !resumed.GetExisting() || resumed.GetJobId() != first.GetJobId() {
		t.Fatalf("same command after cancelling: %v %v, want job %s", resumed, err, first.GetJobId())
	}
	events := e.watch(first.GetJobId(), 0)
	d := done(t, events)
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED || d.GetProgress().GetPairsKept()+d.GetProgress().GetPairsRejected() != 20 {
		t.Fatalf("continued job: %v %s %v", d.GetState(), d.GetError(), d.GetProgress())
	}
	for _, ev := range events[:len(events)-1] {
		if ev.GetDone() != nil || ev.GetError().GetFatal() {
			t.Fatalf("a watcher of the continued job saw the earlier run's end: %v", ev)
		}
	}
	for _, method := range []string{"Summarize", "GenerateQuery", "Validate"} {
		counts := e.annotator.Count(method)
		for fn, n := range counts {
			if n != 1 {
				t.Fatalf("%s for %s completed %d times", method, fn, n)
			}
		}
		if len(counts) != 20 {
			t.Fatalf("%s completed for %d functions, want 20", method, len(counts))
		}
	}
	pairs, err := os.ReadFile(filepath.Join(d.GetOutputDir(), dataset.PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	e.annotator.Reset()
	rerun, err := submit(1, 2)
	if err != nil || rerun.GetExisting() || rerun.GetJobId() == first.GetJobId() {
		t.Fatalf("re-run after success: %v %v, want a new job", rerun, err)
	}
	d2 := done(t, e.watch(rerun.GetJobId(), 0))
	again2, _ := os.ReadFile(filepath.Join(d2.GetOutputDir(), dataset.PairsFile))
	if d2.GetOutputDir() != d.GetOutputDir() || string(again2) != string(pairs) || len(e.annotator.Calls()) != 0 {
		t.Fatalf("re-run after success: %s, %d calls; the dataset must be rewritten unchanged from the store", d2.GetOutputDir(), len(e.annotator.Calls()))
	}
	// Once nothing runs there, another command may take the output directory.
	if other, err := submit(1, 3); err != nil || other.GetExisting() {
		t.Fatalf("another command on a finished output: %v %v", other, err)
	}
}

func TestBudgetOnUnpricedModelRefused(t *testing.T) {
	e := newEnv(t)
	e.annotator.Unpriced = true
	src := []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repoPath}}}
	_, err := e.client.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{Sources: src, Options: &orchestratorv1.JobOptions{BudgetUsd: 1}})
	if status.Code(err) != codes.FailedPrecondition || reason(err) != "BUDGET_UNPRICED" || !strings.Contains(err.Error(), "--llm-prices fake-model=") {
		t.Fatalf("budget on an unpriced model: %v", err)
	}
	if n := len(e.annotator.Calls()); n != 0 {
		t.Fatalf("%d annotator calls for a refused job", n)
	}
	// Without a budget the price does not matter.
	if d := done(t, e.watch(e.submit(nil), 0)); d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job without a budget: %v %s", d.GetState(), d.GetError())
	}
}

// The in-process CLI's orchestrator leaves an interrupted job alone until the same job is submitted
// again, which continues it instead of starting a second one.
func TestResumeOnSubmit(t *testing.T) {
	e := newEnv(t)
	e.resumeOnSubmit = true
	if err := e.server.Close(); err != nil {
		t.Fatal(err)
	}
	e.start()
	var funcs []*parserv1.Function
	for i := range 30 {
		funcs = append(funcs, fake.Func(fmt.Sprintf("slow.f%02d", i), int32(i), fmt.Sprintf("def f%02d(): return %d", i, i), nil))
	}
	e.parser.SetRepo("/repos/slow", funcs)
	e.annotator.Latency = 5 * time.Millisecond
	opts := &orchestratorv1.JobOptions{OutputDir: "slow", Concurrency: 1}
	id := e.submit(opts, "/repos/slow")
	for deadline := time.Now().Add(10 * time.Second); len(e.annotator.Calls()) < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job made no progress")
		}
	}
	if err := e.server.Close(); err != nil {
		t.Fatal(err)
	}
	e.start()
	before := len(e.annotator.Calls())
	time.Sleep(100 * time.Millisecond)
	if n := len(e.annotator.Calls()); n != before {
		t.Fatalf("the interrupted job resumed before it was submitted again (%d calls after the restart)", n-before)
	}
	if again := e.submit(opts, "/repos/slow"); again != id {
		t.Fatalf("submitting again started job %s, want the interrupted %s", again, id)
	}
	if d := done(t, e.watch(id, 0)); d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED || d.GetProgress().GetPairsKept()+d.GetProgress().GetPairsRejected() != 30 {
		t.Fatalf("continued job: %v %s", d.GetState(), d.GetError())
	}
	list, err := e.client.ListJobs(context.Background(), &orchestratorv1.ListJobsRequest{})
	if err != nil || len(list.GetJobs()) != 1 {
		t.Fatalf("jobs: %v %v, want one", list, err)
	}
}

// A parser whose analysis budget is full refuses with a retry delay; the job parses again after it.
func TestBusyParserIsAskedAgainAfterItsDelay(t *testing.T) {
	e := newEnv(t)
	e.parser.BusyFor(repoPath, 2, 5*time.Millisecond)
	d := done(t, e.watch(e.submit(nil), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	if got := e.parser.Calls(); got != 3 {
		t.Errorf("parser calls = %d, want 3 (two refusals, then the parse)", got)
	}
}

func TestRetryDelay(t *testing.T) {
	busy, err := status.New(codes.ResourceExhausted, "busy").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(3 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		err   error
		delay time.Duration
		retry bool
	}{
		{"ResourceExhausted with RetryInfo", busy.Err(), 3 * time.Second, true},
		{"ResourceExhausted without RetryInfo", status.Error(codes.ResourceExhausted, "quota"), 0, false},
		{"another code", status.Error(codes.NotFound, "no"), 0, false},
		{"not a status", errors.New("plain"), 0, false},
	}
	for _, tt := range tests {
		if delay, retry := RetryDelay(tt.err); delay != tt.delay || retry != tt.retry {
			t.Errorf("%s: RetryDelay = %s, %v; want %s, %v", tt.name, delay, retry, tt.delay, tt.retry)
		}
	}
}

func TestAnnotateRepositoryStream(t *testing.T) {
	e := newEnv(t)
	stream, err := e.client.AnnotateRepository(context.Background(), &orchestratorv1.AnnotateRepositoryRequest{
		Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repoPath}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*orchestratorv1.AnnotateRepositoryResponse
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	if len(msgs) < 3 || msgs[0].GetJobId() == "" || msgs[0].GetEvent() != nil {
		t.Fatalf("first message should carry only the job id: %v", msgs)
	}
	pairs := 0
	for _, m := range msgs[1:] {
		if m.GetJobId() != msgs[0].GetJobId() {
			t.Fatal("job id changed in the stream")
		}
		if m.GetEvent().GetPair() != nil {
			pairs++
		}
	}
	last := msgs[len(msgs)-1].GetEvent().GetDone()
	if last == nil || last.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED || pairs != 7 {
		t.Fatalf("done %v, %d pairs", last, pairs)
	}
}

func TestToStatus(t *testing.T) {
	tests := []struct {
		err    error
		want   codes.Code
		reason string
	}{
		{context.Canceled, codes.Canceled, ""},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded, ""},
		{errors.New("disk on fire"), codes.Internal, ""},
		{status.Error(codes.Aborted, "as is"), codes.Aborted, ""},
		{&jobs.InvalidArgumentError{Field: "options.output_dir", Reason: "outside"}, codes.InvalidArgument, ""},
		{fmt.Errorf("job x: %w", jobs.ErrNotFound), codes.NotFound, "JOB_NOT_FOUND"},
		{fmt.Errorf("sources[0]: %w", jobs.ErrPermissionDenied), codes.PermissionDenied, "SOURCE_NOT_ALLOWED"},
		{fmt.Errorf("job x is done: %w", jobs.ErrFinished), codes.FailedPrecondition, "JOB_FINISHED"},
		{jobs.ErrClosed, codes.Unavailable, "SHUTTING_DOWN"},
		{fmt.Errorf("submit job: %w", &jobs.OutputBusyError{Dir: "/o", JobID: "j"}), codes.FailedPrecondition, "OUTPUT_DIR_BUSY"},
		{fmt.Errorf("%w: x", jobs.ErrOutputUnwritable), codes.FailedPrecondition, "OUTPUT_DIR_UNWRITABLE"},
		{fmt.Errorf("%w: x", jobs.ErrBudgetUnpriced), codes.FailedPrecondition, "BUDGET_UNPRICED"},
	}
	rows := 0
	for _, tc := range tests {
		got := toStatus(tc.err)
		st := status.Convert(got)
		reason := grpcerr.Reason(got, errorDomain)
		if st.Code() != tc.want || reason != tc.reason {
			t.Errorf("%v -> %v %q, want %v %q", tc.err, st.Code(), reason, tc.want, tc.reason)
		}
		if tc.reason != "" {
			rows++
		}
		if tc.want == codes.Internal && strings.Contains(got.Error(), "fire") {
			t.Error("internal error leaks its message")
		}
	}
	if rows != len(errorTable) {
		t.Errorf("%d of the table's %d rows tested", rows, len(errorTable))
	}
	if msg := status.Convert(toStatus(jobs.ErrClosed)).Message(); msg != "orchestrator is shutting down" {
		t.Errorf("closing manager answers %q", msg)
	}
}

// TestClassifyFailure is the orchestrator's side of the retry contract: which annotator statuses are
// outages (pause, leave the function for a later run) and which fail the function.
func TestClassifyFailure(t *testing.T) {
	usage := &annotatorv1.Usage{LlmCalls: 2, PromptTokens: 7}
	info := func(reason string) *errdetails.ErrorInfo {
		return &errdetails.ErrorInfo{Domain: annotatorDomain, Reason: reason}
	}
	retry := &errdetails.RetryInfo{RetryDelay: durationpb.New(3 * time.Second)}
	with := func(code codes.Code, details ...protoadapt.MessageV1) error {
		st, err := status.New(code, "x").WithDetails(details...)
		if err != nil {
			t.Fatal(err)
		}
		return st.Err()
	}
	tests := []struct {
		name       string
		err        error
		outage     bool
		retryAfter time.Duration
		calls      int32
	}{
		{"bad output", with(codes.FailedPrecondition, info("LLM_BAD_OUTPUT"), usage), false, 0, 2},
		{"rejected", with(codes.FailedPrecondition, info("LLM_REJECTED"), usage), false, 0, 2},
		{"older annotator's bad output", with(codes.Unavailable, info("LLM_BAD_OUTPUT"), usage), false, 0, 2},
		{"llm unavailable", with(codes.Aborted, info("LLM_UNAVAILABLE"), usage, retry), true, 3 * time.Second, 2},
		{"rate limited", with(codes.ResourceExhausted, info("LLM_RATE_LIMITED"), usage, retry), true, 3 * time.Second, 2},
		{"timeout", with(codes.DeadlineExceeded, info("LLM_TIMEOUT"), usage, retry), true, 3 * time.Second, 2},
		{"no replica", status.Error(codes.Unavailable, "connection refused"), true, 0, 0},
		{"invalid input", status.Error(codes.InvalidArgument, "code too long"), false, 0, 0},
		{"internal", status.Error(codes.Internal, "internal error"), false, 0, 0},
		{"not a status", errors.New("boom"), false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := ClassifyFailure(tc.err)
			if f.Outage != tc.outage || f.RetryAfter != tc.retryAfter || f.Usage.GetLlmCalls() != tc.calls {
				t.Errorf("got %+v, want outage %v retry after %v and %d calls", f, tc.outage, tc.retryAfter, tc.calls)
			}
		})
	}
}

// An outage fails no function and resends nothing: the function whose call failed and its callers are left
// for a later run, the job fails saying so and writes no dataset, and the next run of the same command
// annotates exactly what was left, from the cache for the rest.
func TestLLMOutageLeavesFunctionsForNextRun(t *testing.T) {
	e := newEnv(t)
	e.annotator.FailOutage("shop.util.leaf1", 1)
	out := filepath.Join(e.outRoot, "outage")
	d := done(t, e.watch(e.submit(&orchestratorv1.JobOptions{OutputDir: out}), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_FAILED || !strings.Contains(d.GetError(), "LLM unavailable") ||
		!strings.Contains(d.GetError(), "run the same command again") {
		t.Fatalf("state %v error %q, want FAILED saying the LLM is unavailable", d.GetState(), d.GetError())
	}
	// leaf1, its callers mid and pong, and top above mid; ping calls only pong, inside its own cycle.
	if !strings.Contains(d.GetError(), "4 functions not annotated") {
		t.Errorf("error %q, want 4 functions not annotated (leaf1, mid, pong and top)", d.GetError())
	}
	if d.GetProgress().GetFunctionsFailed() != 0 {
		t.Errorf("%d functions failed; an outage fails none", d.GetProgress().GetFunctionsFailed())
	}
	if _, err := os.Stat(filepath.Join(out, dataset.ManifestFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dataset was written after an outage: %v", err)
	}
	if got := e.annotator.Count("Summarize")["shop.util.leaf1"]; got != 0 || e.annotator.Failed() != 1 {
		t.Fatalf("leaf1 summarised %d times after its outage, %d failed calls; want 0 and 1 (no resend)", got, e.annotator.Failed())
	}
	firstCalls := d.GetProgress().GetLlmCalls()
	if firstCalls != int64(len(e.annotator.Calls())+1) {
		t.Errorf("progress counts %d LLM calls; %d answered and 1 failed", firstCalls, len(e.annotator.Calls()))
	}

	before := len(e.annotator.Calls())
	d = done(t, e.watch(e.submit(&orchestratorv1.JobOptions{OutputDir: out}), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("second run: %v %s", d.GetState(), d.GetError())
	}
	again := map[string]int{}
	for _, c := range e.annotator.Calls()[before:] {
		again[c.Function]++
	}
	for fn := range again {
		if !slices.Contains([]string{"shop.util.leaf1", "shop.core.mid", "shop.cycle.pong", "shop.cycle.ping", "shop.core.top"}, fn) {
			t.Errorf("second run called the annotator for %s, finished in the first run", fn)
		}
	}
	if again["shop.util.leaf1"] != 3 {
		t.Errorf("second run made %d calls for leaf1, want its three stages", again["shop.util.leaf1"])
	}
}

// A lasting outage stops the job after LLMOutageTrips trips in a row; the half-open breaker lets one probe
// through per trip, so the calls sent stay near the concurrency plus the trips.
func TestLLMOutageStopsJob(t *testing.T) {
	e := newEnv(t)
	e.annotator.FailOutageAll(1000)
	d := done(t, e.watch(e.submit(&orchestratorv1.JobOptions{Concurrency: 4}), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_FAILED || !strings.Contains(d.GetError(), "LLM unavailable: 7 functions not annotated") {
		t.Fatalf("state %v error %q", d.GetState(), d.GetError())
	}
	// Four calls in flight at the first trip, then one probe for each of the 4 further trips.
	if got := e.annotator.Failed(); got > 4+4 {
		t.Errorf("%d calls sent during the outage, want at most 8", got)
	}
	if got := d.GetProgress().GetLlmCalls(); got != int64(e.annotator.Failed()) {
		t.Errorf("progress counts %d LLM calls, the annotator failed %d", got, e.annotator.Failed())
	}
}

// BenchmarkJobAgainstLowerBound runs a whole job over gRPC (bufconn) on a repository with a deep call
// chain and a wide fan-out, with an annotator that answers every call after a fixed latency, and reports
// the wall time as a multiple of the lower bound max(critical path x latency + query and validation
// latency, calls x latency / concurrency).
func BenchmarkJobAgainstLowerBound(b *testing.B) {
	const (
		depth       = 20
		width       = 100
		concurrency = 16
		latency     = 100 * time.Millisecond
	)
	var funcs []*parserv1.Function
	for i := range depth {
		var callees []string
		if i > 0 {
			callees = []string{fmt.Sprintf("bench.chain%02d", i-1)}
		}
		funcs = append(funcs, fake.Func(fmt.Sprintf("bench.chain%02d", i), int32(i), fmt.Sprintf("def chain%02d(): pass", i), callees))
	}
	for i := range width {
		funcs = append(funcs, fake.Func(fmt.Sprintf("bench.wide%03d", i), int32(depth+i), fmt.Sprintf("def wide%03d(): return chain00()", i), []string{"bench.chain00"}))
	}
	calls := 3 * len(funcs)
	bound := max(time.Duration(depth+2)*latency, time.Duration(calls)*latency/concurrency)
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		e := newBenchEnv(b, funcs, latency)
		b.StartTimer()
		start := time.Now()
		resp, err := e.client.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{
			Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: "/repos/bench"}}},
			Options: &orchestratorv1.JobOptions{Concurrency: concurrency},
		})
		if err != nil {
			b.Fatal(err)
		}
		stream, err := e.client.WatchJob(context.Background(), &orchestratorv1.WatchJobRequest{JobId: resp.GetJobId()})
		if err != nil {
			b.Fatal(err)
		}
		for {
			m, err := stream.Recv()
			if err != nil {
				b.Fatal(err)
			}
			if d := m.GetEvent().GetDone(); d != nil {
				if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
					b.Fatalf("job %v: %s", d.GetState(), d.GetError())
				}
				break
			}
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(bound), "x-lower-bound")
	b.ReportMetric(float64(bound)/float64(time.Millisecond), "lower-bound-ms")
}

type benchEnv struct {
	client orchestratorv1.OrchestratorServiceClient
}

func newBenchEnv(b *testing.B, funcs []*parserv1.Function, latency time.Duration) *benchEnv {
	parser, docs, annotator := fake.NewParser(), fake.NewDocs(nil), fake.NewAnnotator()
	parser.SetRepo("/repos/bench", funcs)
	annotator.Latency = latency
	pc := fake.Serve(b, func(s *grpc.Server) { parserv1.RegisterParserServiceServer(s, parser) })
	dc := fake.Serve(b, func(s *grpc.Server) { docsv1.RegisterDocsServiceServer(s, docs) })
	ac := fake.Serve(b, func(s *grpc.Server) { annotatorv1.RegisterAnnotatorServiceServer(s, annotator) })
	dir := b.TempDir()
	srv, err := New(Config{
		Parser: parserv1.NewParserServiceClient(pc), Docs: docsv1.NewDocsServiceClient(dc), Annotator: annotatorv1.NewAnnotatorServiceClient(ac),
		StorePath: filepath.Join(dir, "db"), OutputRoot: filepath.Join(dir, "out"),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	conn := fake.Serve(b, func(s *grpc.Server) { orchestratorv1.RegisterOrchestratorServiceServer(s, srv) })
	return &benchEnv{client: orchestratorv1.NewOrchestratorServiceClient(conn)}
}
