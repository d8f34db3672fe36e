package q4c

import (
	"context"
	"errors"
	"fmt"
	"sync"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
)

// Function is the function to annotate. Path and Code are required.
type Function struct {
	// Path of the file, shown to the model as "# file_path: ...".
	Path string
	// Code is the function's source (at most 64 KiB).
	Code string
	// Language is "" or "python".
	Language string
	// Docstring, when the caller has it apart from the code. Optional.
	Docstring string
	// ID such as "pkg.mod.Class.method", for logs and traces. Optional.
	ID string
}

// Callee is a function the annotated function calls: its summary, or its
// code when it is in the same call cycle and has no summary yet.
type Callee struct {
	ID      string
	Summary string
	Code    string
}

// APIDoc is the documentation of a third-party API the function calls.
type APIDoc struct {
	// API is the full import path, e.g. "requests.get".
	API string
	// Doc is the signature and docstring as plain text.
	Doc string
}

// Request is one Annotate call: the function and its context.
type Request struct {
	Function Function
	// Callees, nearest first.
	Callees []Callee
	// APIDocs of the unpopular third-party APIs the function calls.
	APIDocs []APIDoc
	// KeepThreshold is the minimum score for Kept; nil means the server's
	// default (2).
	KeepThreshold *int
	// MaxContextTokens is the token budget for callees and API docs; 0 means
	// the server's default.
	MaxContextTokens int
}

// AnnotateOption adds to an Annotate request.
type AnnotateOption func(*Request)

// WithCallees adds callee summaries (or code, for members of the function's
// own call cycle), nearest first.
func WithCallees(callees ...Callee) AnnotateOption {
	return func(r *Request) { r.Callees = append(r.Callees, callees...) }
}

// WithAPIDocs adds documentation of third-party APIs the function calls.
func WithAPIDocs(docs ...APIDoc) AnnotateOption {
	return func(r *Request) { r.APIDocs = append(r.APIDocs, docs...) }
}

// WithKeepThreshold sets the minimum score (0-3) for Kept.
func WithKeepThreshold(score int) AnnotateOption {
	return func(r *Request) { r.KeepThreshold = &score }
}

// WithMaxContextTokens sets the token budget for callees and API docs.
func WithMaxContextTokens(tokens int) AnnotateOption {
	return func(r *Request) { r.MaxContextTokens = tokens }
}

// Usage is what a call cost, summed over its stages.
type Usage struct {
	PromptTokens     int64
	CompletionTokens int64
	CostUSD          float64
	LLMCalls         int
}

// ContextReport says what context the prompts carried.
type ContextReport struct {
	CalleesUsed []string
	APIDocsUsed []string
	// Dropped lists callees and APIs left out to fit the token budget.
	Dropped []string
	// Redactions counts secrets replaced before anything left the server.
	Redactions int
}

// AnnotateResult is what Annotate produced for one function.
type AnnotateResult struct {
	Summary string
	Query   string
	// Score is 0-3: 3 answers and exceeds the need, 2 satisfies a category
	// of the need, 1 meets less than half of it, 0 barely related.
	Score       int
	Explanation string
	// Kept is true when Score reached the keep threshold.
	Kept          bool
	Model         string
	PromptVersion string
	Usage         Usage
	Context       ContextReport
}

// Annotate writes a summary and a search query for fn and scores how well
// the code answers the query. Errors are gRPC status errors: see
// docs/api.md for the codes and when a retry helps.
func (c *Client) Annotate(ctx context.Context, fn Function, opts ...AnnotateOption) (*AnnotateResult, error) {
	req := Request{Function: fn}
	for _, opt := range opts {
		opt(&req)
	}
	return c.AnnotateRequest(ctx, req)
}

// AnnotateRequest is Annotate with the request spelled out.
func (c *Client) AnnotateRequest(ctx context.Context, req Request) (*AnnotateResult, error) {
	pb, err := req.proto()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.annotator.Annotate(ctx, pb)
	if err != nil {
		return nil, fmt.Errorf("q4c: annotate %s: %w", req.Function.label(), err)
	}
	return resultFromProto(resp), nil
}

// BatchResult is one item of AnnotateBatch: a result or the item's error.
type BatchResult struct {
	Result *AnnotateResult
	Err    error
}

// AnnotateBatch annotates every request with at most concurrency calls in
// flight (0 means DefaultBatchConcurrency) and returns one BatchResult per
// request, in input order. One item failing does not stop the others. The
// error is non-nil only when ctx ended before every item finished; items
// not started then carry ctx's error.
func (c *Client) AnnotateBatch(ctx context.Context, reqs []Request, concurrency int) ([]BatchResult, error) {
	if concurrency < 0 {
		return nil, fmt.Errorf("q4c: annotate batch: concurrency %d is negative", concurrency)
	}
	if concurrency == 0 {
		concurrency = DefaultBatchConcurrency
	}
	results := make([]BatchResult, len(reqs))
	slots := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := range reqs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(reqs); j++ {
				results[j].Err = fmt.Errorf("q4c: annotate %s: not started: %w", reqs[j].Function.label(), ctx.Err())
			}
			wg.Wait()
			return results, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-slots }()
			res, err := c.AnnotateRequest(ctx, reqs[i])
			results[i] = BatchResult{Result: res, Err: err}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		for _, r := range results {
			if r.Err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

func (f Function) label() string {
	switch {
	case f.ID != "":
		return f.ID
	case f.Path != "":
		return f.Path
	default:
		return "function"
	}
}

// proto builds the wire request, refusing what the server would reject
// for certain before a round trip.
func (r Request) proto() (*annotatorv1.AnnotateRequest, error) {
	var problems []error
	if r.Function.Path == "" {
		problems = append(problems, errors.New("function path is empty"))
	}
	if r.Function.Code == "" {
		problems = append(problems, errors.New("function code is empty"))
	}
	if r.KeepThreshold != nil && (*r.KeepThreshold < 0 || *r.KeepThreshold > 3) {
		problems = append(problems, fmt.Errorf("keep threshold %d is outside 0..3", *r.KeepThreshold))
	}
	if r.MaxContextTokens < 0 {
		problems = append(problems, fmt.Errorf("max context tokens %d is negative", r.MaxContextTokens))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("q4c: annotate %s: %w", r.Function.label(), err)
	}
	pb := &annotatorv1.AnnotateRequest{
		Function: &annotatorv1.CodeFunction{
			Path:      r.Function.Path,
			Code:      r.Function.Code,
			Language:  r.Function.Language,
			Docstring: r.Function.Docstring,
			Id:        r.Function.ID,
		},
		Options: &annotatorv1.AnnotateOptions{MaxContextTokens: int32(r.MaxContextTokens)},
	}
	if r.KeepThreshold != nil {
		t := int32(*r.KeepThreshold)
		pb.Options.KeepThreshold = &t
	}
	for _, c := range r.Callees {
		pb.Callees = append(pb.Callees, &annotatorv1.CalleeContext{Id: c.ID, Summary: c.Summary, Code: c.Code})
	}
	for _, d := range r.APIDocs {
		pb.ApiDocs = append(pb.ApiDocs, &annotatorv1.APIDocContext{Api: d.API, Doc: d.Doc})
	}
	return pb, nil
}

func resultFromProto(resp *annotatorv1.AnnotateResponse) *AnnotateResult {
	u, ctx := resp.GetUsage(), resp.GetContext()
	return &AnnotateResult{
		Summary:       resp.GetSummary(),
		Query:         resp.GetQuery(),
		Score:         int(resp.GetScore()),
		Explanation:   resp.GetExplanation(),
		Kept:          resp.GetKept(),
		Model:         resp.GetModel(),
		PromptVersion: resp.GetPromptVersion(),
		Usage: Usage{
			PromptTokens:     u.GetPromptTokens(),
			CompletionTokens: u.GetCompletionTokens(),
			CostUSD:          u.GetCostUsd(),
			LLMCalls:         int(u.GetLlmCalls()),
		},
		Context: ContextReport{
			CalleesUsed: ctx.GetCalleesUsed(),
			APIDocsUsed: ctx.GetApiDocsUsed(),
			Dropped:     ctx.GetDropped(),
			Redactions:  int(ctx.GetRedactions()),
		},
	}
}
