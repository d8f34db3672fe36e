// Package fakeservices holds small, deterministic in-memory implementations of the parser, docs and
// annotator services for tests: they record the calls they receive and can inject failures and latency.
package fakeservices

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/query4code/query4code/platform/license"
	"github.com/query4code/query4code/platform/servertest"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// Serve serves the registered services over bufconn and returns a client connection; both close at
// test cleanup.
func Serve(t testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	return servertest.Bufconn(t, register)
}

// Func builds a parser function; callees are ids in the same repository.
func Func(id string, scc int32, code string, callees []string, apis ...string) *parserv1.Function {
	fn := &parserv1.Function{
		Id: id, Path: strings.ReplaceAll(id[:strings.LastIndex(id+".", ".")], ".", "/") + ".py", Code: code,
		Signature: "def " + id, SccId: scc, SccSize: 1,
	}
	sum := sha256.Sum256([]byte(code))
	fn.ContentHash = hex.EncodeToString(sum[:])
	for _, c := range callees {
		fn.Callees = append(fn.Callees, &parserv1.Callee{Id: c, Kind: parserv1.EdgeKind_EDGE_KIND_RESOLVED})
	}
	for _, a := range apis {
		fn.ApiCalls = append(fn.ApiCalls, &parserv1.APICall{Api: a, Count: 1})
	}
	return fn
}

// extensions are the file extension of each language's functions Func and InLanguage build.
var extensions = map[string]string{"python": ".py", "javascript": ".js", "typescript": ".ts"}

// InLanguage makes fn a function of lang ("python", "javascript" or "typescript"): its language, the
// extension of its path and the keyword of its signature; another lang sets the language alone, as a
// parser that broke the contract would. It returns fn.
func InLanguage(fn *parserv1.Function, lang string) *parserv1.Function {
	fn.Language = lang
	ext, ok := extensions[lang]
	if !ok {
		return fn
	}
	fn.Path = strings.TrimSuffix(fn.GetPath(), path.Ext(fn.GetPath())) + ext
	if lang != "python" {
		fn.Signature = "function " + fn.GetId()[strings.LastIndex(fn.GetId(), ".")+1:] + "()"
	}
	return fn
}

// Parser serves repositories from memory, keyed by local path (or git URL).
type Parser struct {
	parserv1.UnimplementedParserServiceServer
	mu    sync.Mutex
	repos map[string][]*parserv1.Function
	stats map[string]*parserv1.ParseStats
	fail  map[string]error
	busy  map[string]int // parses left to refuse as busy
	calls int
	// busyDelay is the retry delay busy refusals name.
	busyDelay time.Duration
	// requests holds the options of every ParseRepository call, in order.
	requests []*parserv1.ParseOptions
}

// NewParser returns an empty parser.
func NewParser() *Parser {
	return &Parser{repos: map[string][]*parserv1.Function{}, stats: map[string]*parserv1.ParseStats{}, fail: map[string]error{}, busy: map[string]int{}}
}

// SetStats sets what the final stats message of a repository says beyond what its functions give
// (skipped files, syntax-error functions, files parsed when no function was found).
func (p *Parser) SetStats(path string, stats *parserv1.ParseStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats[path] = stats
}

// Requests returns the parse options of every call received, in order.
func (p *Parser) Requests() []*parserv1.ParseOptions {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*parserv1.ParseOptions(nil), p.requests...)
}

// SetRepo sets the functions of a repository, in callee-first order.
func (p *Parser) SetRepo(path string, funcs []*parserv1.Function) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.repos[path] = funcs
}

// Fail makes parsing path fail with err.
func (p *Parser) Fail(path string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail[path] = err
}

// BusyFor makes the next n parses of path fail as a parser whose analysis budget is full does:
// ResourceExhausted with a RetryInfo of retryDelay.
func (p *Parser) BusyFor(path string, n int, retryDelay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy[path] = n
	p.busyDelay = retryDelay
}

// Calls is how many ParseRepository calls were received.
func (p *Parser) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// ParseRepository streams the stored functions of the languages the options ask for (all when they
// name none; a function without a language is Python), then stats.
func (p *Parser) ParseRepository(req *parserv1.ParseRepositoryRequest, stream grpc.ServerStreamingServer[parserv1.ParseRepositoryResponse]) error {
	key := req.GetSource().GetLocalPath()
	if g := req.GetSource().GetGit(); g != nil {
		key = g.GetUrl()
	}
	p.mu.Lock()
	p.calls++
	p.requests = append(p.requests, req.GetOptions())
	funcs, ok := p.repos[key]
	err := p.fail[key]
	busy := p.busy[key] > 0
	if busy {
		p.busy[key]--
	}
	stats := &parserv1.ParseStats{}
	if s, ok := p.stats[key]; ok {
		stats = proto.Clone(s).(*parserv1.ParseStats)
	}
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if busy {
		st, derr := status.New(codes.ResourceExhausted, "analysis budget full").
			WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(p.busyDelay)})
		if derr != nil {
			return derr
		}
		return st.Err()
	}
	if !ok {
		return status.Errorf(codes.NotFound, "no repository %s", key)
	}
	if langs := req.GetOptions().GetLanguages(); len(langs) > 0 {
		funcs = slices.DeleteFunc(slices.Clone(funcs), func(fn *parserv1.Function) bool {
			return !slices.Contains(langs, cmp.Or(fn.GetLanguage(), "python"))
		})
	}
	for _, fn := range funcs {
		if err := stream.Send(&parserv1.ParseRepositoryResponse{Event: &parserv1.ParseRepositoryResponse_Function{Function: proto.Clone(fn).(*parserv1.Function)}}); err != nil {
			return err
		}
	}
	// Files parsed: one per distinct path, unless the stats set say otherwise.
	paths := map[string]bool{}
	for _, fn := range funcs {
		paths[fn.GetPath()] = true
	}
	if stats.Files == 0 {
		stats.Files = int32(len(paths))
	}
	stats.Functions, stats.Commit = int32(len(funcs)), "commit-"+key
	if stats.License == "" {
		// As the real parser: the licence of the tree, for a directory that exists.
		stats.License = license.Unknown
		if dir := req.GetSource().GetLocalPath(); dir != "" {
			stats.License = license.Detect(dir)
		}
	}
	return stream.Send(&parserv1.ParseRepositoryResponse{Event: &parserv1.ParseRepositoryResponse_Stats{Stats: stats}})
}

// Docs knows a fixed set of unpopular APIs with documentation.
type Docs struct {
	docsv1.UnimplementedDocsServiceServer
	mu        sync.Mutex
	down      bool
	unpopular map[string]string
	// npm documents npm APIs (language javascript or typescript), as the real service does only
	// when the request names a repository; refuseRepository answers such a request PermissionDenied.
	npm              map[string]string
	refuseRepository bool
	usage            map[string]map[string]int64
	log              []string
	lookups          []*docsv1.LookupAPIsRequest
}

// NewDocs returns a docs service where the given APIs are unpopular, with the given documentation.
func NewDocs(unpopular map[string]string) *Docs {
	return &Docs{unpopular: unpopular, usage: map[string]map[string]int64{}}
}

// SetNPM sets the documentation of unpopular npm APIs.
func (d *Docs) SetNPM(docs map[string]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.npm = docs
}

// RefuseRepository makes requests naming a repository_path fail with PermissionDenied, as a docs
// server whose allowed roots do not hold the repository does.
func (d *Docs) RefuseRepository(refuse bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refuseRepository = refuse
}

// Lookups returns the LookupAPIs requests received, in order.
func (d *Docs) Lookups() []*docsv1.LookupAPIsRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*docsv1.LookupAPIsRequest(nil), d.lookups...)
}

// SetDown makes every call fail with Unavailable.
func (d *Docs) SetDown(down bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = down
}

// Usage returns the call counts recorded for a repository.
func (d *Docs) Usage(repo string) map[string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.usage[repo]
}

// Log lists the calls received, in order, as "RecordUsage <repo>" or "LookupAPIs".
func (d *Docs) Log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.log...)
}

// RecordUsage stores counts.
func (d *Docs) RecordUsage(_ context.Context, req *docsv1.RecordUsageRequest) (*docsv1.RecordUsageResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return nil, status.Error(codes.Unavailable, "docs down")
	}
	d.usage[req.GetRepository()] = req.GetCallCounts()
	d.log = append(d.log, "RecordUsage "+req.GetRepository())
	return &docsv1.RecordUsageResponse{Apis: int32(len(req.GetCallCounts())), Repositories: int32(len(d.usage))}, nil
}

// LookupAPIs answers from the unpopular set.
func (d *Docs) LookupAPIs(_ context.Context, req *docsv1.LookupAPIsRequest) (*docsv1.LookupAPIsResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return nil, status.Error(codes.Unavailable, "docs down")
	}
	npm := req.GetLanguage() == "javascript" || req.GetLanguage() == "typescript"
	switch {
	case req.GetRepositoryPath() != "" && !npm:
		return nil, status.Error(codes.InvalidArgument, "repository_path documents npm APIs: it needs language javascript or typescript")
	case req.GetRepositoryPath() != "" && d.refuseRepository:
		return nil, status.Error(codes.PermissionDenied, "repository_path is outside the docs server's allowed roots")
	}
	d.log = append(d.log, "LookupAPIs")
	d.lookups = append(d.lookups, proto.Clone(req).(*docsv1.LookupAPIsRequest))
	resp := &docsv1.LookupAPIsResponse{}
	for _, api := range req.GetApis() {
		info := &docsv1.APIInfo{Api: api, Popularity: &docsv1.Popularity{Popular: true}}
		docs, sig := d.unpopular, "def "+api+"()"
		if npm {
			docs, sig = d.npm, "function "+api+"()"
		}
		if doc, known := docs[api]; known {
			info.Popularity.Popular = false
			// npm documentation is read from the repository's node_modules: none without one.
			if !npm || req.GetRepositoryPath() != "" {
				info.Doc = &docsv1.APIDoc{Signature: sig, Docstring: doc, Source: docsv1.DocSource_DOC_SOURCE_INSTALLED}
			}
		}
		resp.Apis = append(resp.Apis, info)
	}
	return resp, nil
}

// Call is one completed annotator call.
type Call struct {
	Method   string
	Function string
	// Language is the function's language as the request gave it.
	Language string
	Callees  []*annotatorv1.CalleeContext
	APIDocs  []*annotatorv1.APIDocContext
}

// Annotator answers deterministically from the code and context it receives.
type Annotator struct {
	annotatorv1.UnimplementedAnnotatorServiceServer
	// Latency of every call; calls cancelled during it fail and are not recorded.
	Latency time.Duration
	// CostUSD charged per call.
	CostUSD float64
	// Model and PromptVersion answered.
	Model, PromptVersion string
	// Unpriced makes Info say the model has no price (a cost budget cannot be enforced).
	Unpriced bool

	mu        sync.Mutex
	calls     []Call
	inFlight  int
	peak      int
	permanent map[string]codes.Code // function id -> error on every call
	outages   map[string]int        // function id -> LLM outage answers left
	outageAll int                   // outage answers left for any function
	failed    int                   // calls answered with an error
	scores    map[string]int32
}

// NewAnnotator returns an annotator with no latency.
func NewAnnotator() *Annotator {
	return &Annotator{Model: "fake-model", PromptVersion: "v1", permanent: map[string]codes.Code{}, outages: map[string]int{}, scores: map[string]int32{}}
}

// FailAlways makes every call for the function fail with code, carrying the usage of one LLM request as
// the real annotator's failures do.
func (a *Annotator) FailAlways(function string, code codes.Code) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.permanent[function] = code
}

// FailOutage makes the next n calls for the function fail as the real annotator reports an LLM outage:
// ABORTED, reason LLM_UNAVAILABLE, a 1 ms RetryInfo and the usage of one request.
func (a *Annotator) FailOutage(function string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.outages[function] = n
}

// FailOutageAll makes the next n calls, whatever the function, fail as FailOutage does.
func (a *Annotator) FailOutageAll(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.outageAll = n
}

// Failed counts the calls answered with an error (each one LLM request in the usage it reports).
func (a *Annotator) Failed() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failed
}

// Score sets the validation score of a function (default 3).
func (a *Annotator) Score(function string, score int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scores[function] = score
}

// Calls returns the completed calls, in completion order.
func (a *Annotator) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Call(nil), a.calls...)
}

// Reset forgets recorded calls and the peak.
func (a *Annotator) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls, a.peak = nil, 0
}

// Peak is the most calls in flight at once.
func (a *Annotator) Peak() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.peak
}

// Count returns how many completed calls of method were made for each function.
func (a *Annotator) Count(method string) map[string]int {
	out := map[string]int{}
	for _, c := range a.Calls() {
		if c.Method == method {
			out[c.Function]++
		}
	}
	return out
}

func (a *Annotator) enter(ctx context.Context, method string, fn *annotatorv1.CodeFunction) error {
	// The real annotator's protovalidate rule: a language it has no prompts for is a bad request.
	if !slices.Contains([]string{"", "python", "javascript", "typescript"}, fn.GetLanguage()) {
		return status.Errorf(codes.InvalidArgument, "function.language %q is not supported", fn.GetLanguage())
	}
	a.mu.Lock()
	a.inFlight++
	a.peak = max(a.peak, a.inFlight)
	code, permanent := a.permanent[fn.GetId()]
	outage := a.outages[fn.GetId()] > 0 || a.outageAll > 0
	if a.outages[fn.GetId()] > 0 {
		a.outages[fn.GetId()]--
	} else if a.outageAll > 0 {
		a.outageAll--
	}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.inFlight--
		a.mu.Unlock()
	}()
	if a.Latency > 0 {
		t := time.NewTimer(a.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
	if permanent || outage {
		a.mu.Lock()
		a.failed++
		a.mu.Unlock()
	}
	if permanent {
		return withDetails(status.Newf(code, "%s failed for %s", method, fn.GetId()), a.usage())
	}
	if outage {
		return withDetails(status.Newf(codes.Aborted, "%s: llm unavailable", method), a.usage(),
			&errdetails.ErrorInfo{Domain: "annotator.query4code", Reason: "LLM_UNAVAILABLE"},
			&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Millisecond)})
	}
	return ctx.Err()
}

func (a *Annotator) record(c Call) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, c)
}

func withDetails(st *status.Status, details ...protoadapt.MessageV1) error {
	if d, err := st.WithDetails(details...); err == nil {
		st = d
	}
	return st.Err()
}

func (a *Annotator) usage() *annotatorv1.Usage {
	return &annotatorv1.Usage{PromptTokens: 100, CompletionTokens: 10, CostUsd: a.CostUSD, LlmCalls: 1}
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// SetModel changes the model the annotator answers with (and says in Info).
func (a *Annotator) SetModel(model string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Model = model
}

// Info says the model and prompt version the answers carry.
func (a *Annotator) Info(context.Context, *annotatorv1.InfoRequest) (*annotatorv1.InfoResponse, error) {
	model, version := a.identity()
	return &annotatorv1.InfoResponse{Backend: "fake", Model: model, PromptVersion: version, Priced: a.priced()}, nil
}

func (a *Annotator) priced() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.Unpriced
}

func (a *Annotator) identity() (model, promptVersion string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Model, a.PromptVersion
}

// Summarize describes the function by id, code hash and the context it got.
func (a *Annotator) Summarize(ctx context.Context, req *annotatorv1.SummarizeRequest) (*annotatorv1.SummarizeResponse, error) {
	if err := a.enter(ctx, "Summarize", req.GetFunction()); err != nil {
		return nil, err
	}
	var parts, used, docsUsed []string
	for _, c := range req.GetCallees() {
		used = append(used, c.GetId())
		if c.GetSummary() != "" {
			parts = append(parts, "calls "+c.GetId()+" ("+shortHash(c.GetSummary())+")")
		} else {
			parts = append(parts, "cycles with "+c.GetId())
		}
	}
	for _, d := range req.GetApiDocs() {
		docsUsed = append(docsUsed, d.GetApi())
	}
	sort.Strings(parts)
	summary := fmt.Sprintf("%s [%s] %s", req.GetFunction().GetId(), shortHash(req.GetFunction().GetCode()), strings.Join(parts, "; "))
	a.record(Call{Method: "Summarize", Function: req.GetFunction().GetId(), Language: req.GetFunction().GetLanguage(), Callees: req.GetCallees(), APIDocs: req.GetApiDocs()})
	model, version := a.identity()
	return &annotatorv1.SummarizeResponse{Summary: summary, Model: model, PromptVersion: version, Usage: a.usage(),
		Context: &annotatorv1.ContextReport{CalleesUsed: used, ApiDocsUsed: docsUsed}}, nil
}

// GenerateQuery phrases a query from the function id.
func (a *Annotator) GenerateQuery(ctx context.Context, req *annotatorv1.GenerateQueryRequest) (*annotatorv1.GenerateQueryResponse, error) {
	if err := a.enter(ctx, "GenerateQuery", req.GetFunction()); err != nil {
		return nil, err
	}
	a.record(Call{Method: "GenerateQuery", Function: req.GetFunction().GetId(), Language: req.GetFunction().GetLanguage()})
	model, version := a.identity()
	return &annotatorv1.GenerateQueryResponse{Query: "how to " + req.GetFunction().GetId() + " " + shortHash(req.GetSummary()), Model: model, PromptVersion: version, Usage: a.usage()}, nil
}

// Validate scores with the configured score (3 by default).
func (a *Annotator) Validate(ctx context.Context, req *annotatorv1.ValidateRequest) (*annotatorv1.ValidateResponse, error) {
	if err := a.enter(ctx, "Validate", req.GetFunction()); err != nil {
		return nil, err
	}
	a.mu.Lock()
	score, ok := a.scores[req.GetFunction().GetId()]
	a.mu.Unlock()
	if !ok {
		score = 3
	}
	a.record(Call{Method: "Validate", Function: req.GetFunction().GetId(), Language: req.GetFunction().GetLanguage()})
	model, version := a.identity()
	return &annotatorv1.ValidateResponse{Score: score, Explanation: fmt.Sprintf("scored %d", score), Model: model, PromptVersion: version, Usage: a.usage()}, nil
}
