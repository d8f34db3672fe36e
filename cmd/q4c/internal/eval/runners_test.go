package eval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
)

// fakeAnnotator answers Validate from a table and Annotate from the code,
// counting calls and the most calls in flight at once.
type fakeAnnotator struct {
	annotatorv1.AnnotatorServiceClient // nil: other methods are not called

	scores   map[string]int32 // by query
	failCode string           // Annotate/Validate fail on code containing it

	calls, inFlight, maxInFlight atomic.Int64
	gate                         chan struct{} // when set, each call waits for a token
}

func (f *fakeAnnotator) enter() func() {
	f.calls.Add(1)
	n := f.inFlight.Add(1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if f.gate != nil {
		<-f.gate
	}
	return func() { f.inFlight.Add(-1) }
}

func (f *fakeAnnotator) Validate(_ context.Context, req *annotatorv1.ValidateRequest, _ ...grpc.CallOption) (*annotatorv1.ValidateResponse, error) {
	defer f.enter()()
	if f.failCode != "" && strings.Contains(req.GetFunction().GetCode(), f.failCode) {
		return nil, errors.New("boom")
	}
	return &annotatorv1.ValidateResponse{Score: f.scores[req.GetQuery()], Model: "fake", PromptVersion: "t1",
		Usage: &annotatorv1.Usage{PromptTokens: 10, CompletionTokens: 2, CostUsd: 0.001}}, nil
}

func (f *fakeAnnotator) Annotate(_ context.Context, req *annotatorv1.AnnotateRequest, _ ...grpc.CallOption) (*annotatorv1.AnnotateResponse, error) {
	defer f.enter()()
	code := req.GetFunction().GetCode()
	if f.failCode != "" && strings.Contains(code, f.failCode) {
		return nil, errors.New("boom")
	}
	name := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(code, "(", 2)[0], "def "))
	return &annotatorv1.AnnotateResponse{
		Summary: "summary of " + name, Query: "how to " + name, Score: 2, Model: "fake", PromptVersion: "t1",
		Usage: &annotatorv1.Usage{PromptTokens: 100, CompletionTokens: 20},
	}, nil
}

func TestRunJudge(t *testing.T) {
	items := []LabelledPair{
		{Idx: "p1", Query: "q1", Code: "def a(): pass", Label: 1},
		{Idx: "p2", Query: "q2", Code: "def b(): pass", Label: 1},
		{Idx: "p3", Query: "q3", Code: "def c(): pass", Label: 0},
		{Idx: "p4", Query: "q4", Code: "def d(): pass", Label: 0},
		{Idx: "p5", Query: "q5", Code: "def broken(): pass", Label: 1},
	}
	fake := &fakeAnnotator{scores: map[string]int32{"q1": 3, "q2": 1, "q3": 2, "q4": 0}, failCode: "broken"}
	rep, err := RunJudge(context.Background(), JudgeConfig{Annotator: fake, Concurrency: 3, KeepThreshold: 2}, items)
	if err != nil {
		t.Fatal(err)
	}
	// Scored: pos {3,1}, neg {2,0}: pairs 3>2, 3>0, 1<2, 1>0 -> AUC 3/4.
	// Kept at >=2: p1 (1) TP, p3 (0) FP; rejected p2 (1) FN, p4 (0) TN.
	if rep.Scored != 4 || len(rep.Failures) != 1 || rep.Failures[0].Idx != "p5" {
		t.Errorf("scored %d failures %+v", rep.Scored, rep.Failures)
	}
	if !near(rep.AUC, 0.75) || !near(rep.Accuracy, 0.5) {
		t.Errorf("AUC %v accuracy %v, want 0.75 and 0.5", rep.AUC, rep.Accuracy)
	}
	if rep.Confusion != (Confusion{TruePositive: 1, FalsePositive: 1, FalseNegative: 1, TrueNegative: 1}) {
		t.Errorf("confusion %+v", rep.Confusion)
	}
	if rep.Histogram != [4]int{1, 1, 1, 1} || rep.HistogramByLabel[1] != [4]int{0, 1, 0, 1} {
		t.Errorf("histograms %v %v", rep.Histogram, rep.HistogramByLabel)
	}
	if rep.PromptTokens != 40 || rep.Model != "fake" {
		t.Errorf("tokens %d model %q", rep.PromptTokens, rep.Model)
	}
	var sb strings.Builder
	if err := rep.WriteText(&sb); err != nil || !strings.Contains(sb.String(), "ROC AUC             0.750") {
		t.Errorf("text: %v\n%s", err, sb.String())
	}

	if _, err := RunJudge(context.Background(), JudgeConfig{Annotator: fake, Concurrency: 1, KeepThreshold: 4}, items); err == nil {
		t.Error("threshold 4 accepted")
	}
	all := &fakeAnnotator{failCode: "def"}
	if _, err := RunJudge(context.Background(), JudgeConfig{Annotator: all, Concurrency: 2, KeepThreshold: 2}, items); err == nil {
		t.Error("every call failed, no error")
	}
}

func TestRunJudgeBoundsConcurrency(t *testing.T) {
	items := make([]LabelledPair, 40)
	for i := range items {
		items[i] = LabelledPair{Idx: "x", Query: "q", Code: "def f(): pass", Label: i % 2}
	}
	fake := &fakeAnnotator{gate: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range items {
			fake.gate <- struct{}{}
		}
	}()
	if _, err := RunJudge(context.Background(), JudgeConfig{Annotator: fake, Concurrency: 4, KeepThreshold: 2}, items); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := fake.maxInFlight.Load(); got > 4 || got < 1 {
		t.Errorf("max in flight %d, want 1..4", got)
	}
	if fake.calls.Load() != int64(len(items)) {
		t.Errorf("calls %d", fake.calls.Load())
	}
}

func TestRunJudgeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	items := []LabelledPair{{Idx: "a", Query: "q", Code: "def f(): pass", Label: 1}, {Idx: "b", Query: "q", Code: "def g(): pass"}}
	if _, err := RunJudge(ctx, JudgeConfig{Annotator: &fakeAnnotator{}, Concurrency: 1, KeepThreshold: 2}, items); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestAnnotateCodebaseCaches(t *testing.T) {
	codes := []string{"def load_config(path):\n    return 1", "def parse_args():\n    pass", "def broken():\n    pass"}
	path := CachePath(t.TempDir(), "fake/model", "t1")
	if filepath.Base(path) != "annotations-fake_model-t1.jsonl" {
		t.Errorf("cache file %s", path)
	}
	run := func(fake *fakeAnnotator) ([]Annotation, AnnotateStats) {
		t.Helper()
		cache, err := OpenAnnotationCache(path)
		if err != nil {
			t.Fatal(err)
		}
		ann, st, err := AnnotateCodebase(context.Background(), fake, codes, 2, cache)
		if err != nil {
			t.Fatal(err)
		}
		if err := cache.Close(); err != nil {
			t.Fatal(err)
		}
		return ann, st
	}
	first := &fakeAnnotator{failCode: "broken"}
	ann, st := run(first)
	if st.Annotated != 2 || st.Failed != 1 || st.FromCache != 0 || st.PromptTokens != 200 {
		t.Errorf("first run stats %+v", st)
	}
	if ann[0].Summary != "summary of load_config" || ann[2].Summary != "" {
		t.Errorf("annotations %+v", ann)
	}
	// A torn line from an interrupted run is skipped.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"code_hash": "abc", "summ`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	second := &fakeAnnotator{}
	ann, st = run(second)
	if st.FromCache != 2 || st.Annotated != 1 || second.calls.Load() != 1 {
		t.Errorf("second run stats %+v, calls %d; want 2 from cache and 1 call", st, second.calls.Load())
	}
	if ann[1].Query != "how to parse_args" || ann[2].Summary != "summary of broken" {
		t.Errorf("annotations %+v", ann)
	}
}

func TestSearchDocumentsAndEvaluate(t *testing.T) {
	codes := []string{
		"def read_csv_rows(path):\n    \"\"\"Load a spreadsheet file.\"\"\"\n    return open(path).readlines()",
		"def send_mail(to, body):\n    smtp.send(to, body)",
		"def flatten_list(xs):\n    return [y for x in xs for y in x]",
	}
	ann := []Annotation{
		{Summary: "Reads rows of a CSV file.", Query: "python read csv file lines"},
		{Summary: "Sends an email.", Query: "python send email smtp"},
		{Summary: "Flattens a nested list.", Query: "flatten nested list python"},
	}
	docs, err := SearchDocuments(VariantCode, codes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(docs[0], "spreadsheet") {
		t.Errorf("code variant kept the docstring: %q", docs[0])
	}
	docs, _ = SearchDocuments(VariantCodeDocstring, codes, nil)
	if !strings.Contains(docs[0], "spreadsheet") {
		t.Errorf("code+docstring lost the docstring: %q", docs[0])
	}
	if _, err := SearchDocuments(VariantCodeGenerated, codes, nil); err == nil {
		t.Error("generated variant without annotations accepted")
	}
	queries := []RetrievalQuery{{Idx: "a", Query: "spreadsheet", Answer: 0}, {Idx: "b", Query: "nested list", Answer: 2}, {Idx: "c", Query: "email", Answer: 1}}
	want := map[string][]int{
		// "spreadsheet" only in a docstring, "email" only in generated text; "nested" is generated, "list" is in code.
		VariantCode:                   {3, 1, 3},
		VariantCodeDocstring:          {1, 1, 3},
		VariantCodeGenerated:          {3, 1, 1},
		VariantCodeDocstringGenerated: {1, 1, 1},
	}
	for _, v := range Variants {
		docs, err := SearchDocuments(v, codes, ann)
		if err != nil {
			t.Fatal(err)
		}
		m, ranks, err := EvaluateSearch(docs, queries, DefaultK1, DefaultB)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ranks {
			if ranks[i] != want[v][i] {
				t.Errorf("%s: ranks %v, want %v", v, ranks, want[v])
				break
			}
		}
		if !near(m.MRR, MRR(want[v])) {
			t.Errorf("%s: MRR %v", v, m.MRR)
		}
	}
	if _, _, err := EvaluateSearch(codes, []RetrievalQuery{{Answer: 7}}, DefaultK1, DefaultB); err == nil {
		t.Error("answer outside the code base accepted")
	}
}

func TestReaders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cb := write("cb.json", `{"def a(): pass": 1, "def b(): pass": 0}`)
	codes, err := ReadCodebase(cb)
	if err != nil || len(codes) != 2 || codes[0] != "def b(): pass" {
		t.Fatalf("codes %q, err %v", codes, err)
	}
	for name, content := range map[string]string{"gap.json": `{"x": 0, "y": 2}`, "dup.json": `{"x": 0, "y": 0}`, "empty.json": `{}`, "bad.json": `[1]`} {
		if _, err := ReadCodebase(write(name, content)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	q := write("q.json", `[{"idx": "q1", "doc": "find b", "code": "def b(): pass", "label": 1, "retrieval_idx": 0, "code_tokens": "x"}]`)
	qs, err := ReadRetrievalQueries(q, len(codes))
	if err != nil || len(qs) != 1 || qs[0] != (RetrievalQuery{Idx: "q1", Query: "find b", Answer: 0}) {
		t.Fatalf("queries %+v, err %v", qs, err)
	}
	if _, err := ReadRetrievalQueries(q, 0); err == nil {
		t.Error("retrieval_idx outside the code base accepted")
	}
	if _, err := ReadRetrievalQueries(write("noidx.json", `[{"idx": "q", "doc": "d", "code": "c", "label": 1}]`), 2); err == nil {
		t.Error("missing retrieval_idx accepted")
	}
	if _, err := ReadLabelledPairs(write("label.json", `[{"idx": "q", "doc": "d", "code": "c", "label": 5}]`)); err == nil {
		t.Error("label 5 accepted")
	}
}
