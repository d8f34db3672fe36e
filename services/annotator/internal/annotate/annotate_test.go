package annotate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/query4code/query4code/services/annotator/internal/llm"
	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// recordingGenerator records what reaches the back-end and answers fixed
// values, or fails with err.
type recordingGenerator struct {
	mu      sync.Mutex
	inputs  []prompt.Input
	texts   []string // summary / query given to later stages
	score   int
	err     error
	errFrom prompt.Stage
}

func (g *recordingGenerator) record(in prompt.Input, text string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inputs = append(g.inputs, in)
	g.texts = append(g.texts, text)
}

func (g *recordingGenerator) fail(stage prompt.Stage) error {
	if g.err != nil && g.errFrom == stage {
		return g.err
	}
	return nil
}

func (g *recordingGenerator) Summarize(_ context.Context, in prompt.Input) (llm.Summary, error) {
	g.record(in, "")
	if err := g.fail(prompt.StageSummary); err != nil {
		return llm.Summary{}, err
	}
	return llm.Summary{Text: "Connects with token ghp_0123456789abcdefghijABCDEFGHIJ012345.", Model: "m", Usage: llm.Usage{PromptTokens: 10, CompletionTokens: 5, CostUSD: 0.01, Calls: 1, Priced: true}}, nil
}

func (g *recordingGenerator) GenerateQuery(_ context.Context, in prompt.Input, summary string) (llm.Query, error) {
	g.record(in, summary)
	if err := g.fail(prompt.StageQuery); err != nil {
		return llm.Query{}, err
	}
	return llm.Query{Text: "connect to server", Model: "m", Usage: llm.Usage{PromptTokens: 7, CompletionTokens: 3, CostUSD: 0.02, Calls: 2, Priced: true}}, nil
}

func (g *recordingGenerator) Validate(_ context.Context, in prompt.Input, query string) (llm.Judgement, error) {
	g.record(in, query)
	if err := g.fail(prompt.StageValidate); err != nil {
		return llm.Judgement{}, err
	}
	return llm.Judgement{Score: g.score, Explanation: "ok", Model: "m", Usage: llm.Usage{PromptTokens: 1, CompletionTokens: 1, CostUSD: 0.03, Calls: 1, Priced: true}}, nil
}

func (g *recordingGenerator) Model() string { return "m" }

func newService(t *testing.T, g llm.Generator) *Service {
	t.Helper()
	s, err := New(Config{Generator: g, DefaultContextTokens: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var secretRequest = Request{
	Function: prompt.Function{Path: "net/client.py", Code: "def connect():\n    return Client(password=\"hunter2!x\")\n", Docstring: "Uses Bearer abcdefghijklmnop0123456789."},
	Callees:  []prompt.Callee{{ID: "net.auth.login", Summary: "Logs in with key AKIAIOSFODNN7EXAMPLE."}},
	APIDocs:  []prompt.APIDoc{{API: "lib.connect", Doc: "connect(url) e.g. postgres://u:pa55word@h/db"}},
}

func TestAnnotateRedactsSumsAndKeeps(t *testing.T) {
	g := &recordingGenerator{score: 2}
	s := newService(t, g)
	got, err := s.Annotate(context.Background(), secretRequest, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Four secrets in the request, one echoed in the summary.
	if got.Context.Redactions != 5 {
		t.Errorf("redactions %d, want 5", got.Context.Redactions)
	}
	for i, in := range g.inputs {
		all := in.Function.Code + in.Function.Docstring + g.texts[i]
		for _, c := range in.Context.Callees {
			all += c.Summary
		}
		for _, d := range in.Context.APIDocs {
			all += d.Doc
		}
		for _, secret := range []string{"hunter2!x", "abcdefghijklmnop0123456789", "AKIAIOSFODNN7EXAMPLE", "pa55word", "ghp_0123"} {
			if strings.Contains(all, secret) {
				t.Errorf("stage %d received secret %q", i, secret)
			}
		}
	}
	if strings.Contains(got.Summary, "ghp_") {
		t.Errorf("summary kept the secret: %q", got.Summary)
	}
	if !got.Kept || got.Score != 2 || got.PromptVersion != prompt.Version {
		t.Errorf("annotation %+v", got)
	}
	want := llm.Usage{PromptTokens: 18, CompletionTokens: 9, CostUSD: 0.06, Calls: 4, Priced: true}
	if got.Usage.PromptTokens != want.PromptTokens || got.Usage.CompletionTokens != want.CompletionTokens ||
		got.Usage.Calls != want.Calls || !got.Usage.Priced || got.Usage.CostUSD < 0.0599 || got.Usage.CostUSD > 0.0601 {
		t.Errorf("usage %+v, want %+v", got.Usage, want)
	}
	// Query and validation see the function only, not the context.
	if len(g.inputs[1].Context.Callees)+len(g.inputs[2].Context.APIDocs) != 0 {
		t.Errorf("later stages got context: %+v", g.inputs[1:])
	}
}

func TestAnnotateKeepThreshold(t *testing.T) {
	tests := []struct {
		score     int
		threshold *int
		want      bool
	}{
		{2, nil, true},
		{1, nil, false},
		{2, ptr(3), false},
		{0, ptr(0), true},
	}
	for _, tt := range tests {
		s := newService(t, &recordingGenerator{score: tt.score})
		got, err := s.Annotate(context.Background(), Request{Function: prompt.Function{Path: "a.py", Code: "def f(): pass"}}, tt.threshold)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kept != tt.want {
			t.Errorf("score %d threshold %v: kept %v", tt.score, tt.threshold, got.Kept)
		}
	}
}

func ptr(i int) *int { return &i }

func TestAnnotateStopsAtFailedStage(t *testing.T) {
	boom := &llm.CallError{Stage: prompt.StageQuery, Kind: llm.ErrUnavailable, Attempts: 3}
	g := &recordingGenerator{err: boom, errFrom: prompt.StageQuery}
	s := newService(t, g)
	_, err := s.Annotate(context.Background(), secretRequest, nil)
	if !errors.Is(err, llm.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if len(g.inputs) != 2 {
		t.Fatalf("%d stages ran, want 2 (summary, query)", len(g.inputs))
	}
}

func TestSummarizeFitsBudget(t *testing.T) {
	g := &recordingGenerator{}
	s := newService(t, g)
	req := secretRequest
	req.MaxContextTokens = 1
	got, err := s.Summarize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Context.Dropped) != 2 || got.Context.Dropped[0].Kind != prompt.DroppedAPIDoc || got.Context.Dropped[1].Kind != prompt.DroppedCallee {
		t.Fatalf("dropped %+v", got.Context.Dropped)
	}
	if len(g.inputs[0].Context.Callees)+len(g.inputs[0].Context.APIDocs) != 0 {
		t.Fatalf("generator got dropped context: %+v", g.inputs[0].Context)
	}
	if len(got.Context.CalleesUsed)+len(got.Context.APIDocsUsed) != 0 {
		t.Fatalf("report says used: %+v", got.Context)
	}
}

func TestLimits(t *testing.T) {
	fn := prompt.Function{Path: "a.py", Code: "def f(): pass"}
	tests := []struct {
		name      string
		req       Request
		wantField string
	}{
		{"ok", Request{Function: fn}, ""},
		{"javascript", Request{Function: prompt.Function{Path: "a.js", Code: "function f() {}", Language: "javascript"}}, ""},
		{"typescript in capitals", Request{Function: prompt.Function{Path: "a.ts", Code: "function f() {}", Language: "TypeScript"}}, ""},
		{"empty code", Request{Function: prompt.Function{Path: "a.py", Code: "  \n"}}, "function.code"},
		{"empty path", Request{Function: prompt.Function{Code: "x"}}, "function.path"},
		{"code cap", Request{Function: prompt.Function{Path: "a.py", Code: strings.Repeat("x", 64<<10+1)}}, "function.code"},
		{"docstring cap", Request{Function: prompt.Function{Path: "a.py", Code: "x", Docstring: strings.Repeat("d", 16<<10+1)}}, "function.docstring"},
		{"language", Request{Function: prompt.Function{Path: "a.go", Code: "x", Language: "go"}}, "function.language"},
		{"too many callees", Request{Function: fn, Callees: make([]prompt.Callee, 257)}, "callees"},
		{"callee id", Request{Function: fn, Callees: []prompt.Callee{{Summary: "s"}}}, "callees[0].id"},
		{"callee summary cap", Request{Function: fn, Callees: []prompt.Callee{{ID: "a", Summary: strings.Repeat("s", 8<<10+1)}}}, "callees[0].summary"},
		{"api name", Request{Function: fn, APIDocs: []prompt.APIDoc{{Doc: "d"}}}, "api_docs[0].api"},
		{"api doc empty", Request{Function: fn, APIDocs: []prompt.APIDoc{{API: "a"}}}, "api_docs[0].doc"},
		{"budget", Request{Function: fn, MaxContextTokens: 200001}, "options.max_context_tokens"},
	}
	limits := Limits{}.withDefaults()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := limits.checkRequest(tt.req)
			if tt.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tt.wantField || !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want field %s", err, tt.wantField)
			}
		})
	}
}

func TestNewNeedsGenerator(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("want an error without a generator")
	}
}
