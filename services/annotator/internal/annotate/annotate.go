// Package annotate is the annotator's pipeline around a generation
// back-end: it checks input sizes, redacts secrets, fits the context to the
// token budget, runs the stages and reports what the prompt carried.
package annotate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/query4code/query4code/platform/redact"
	"github.com/query4code/query4code/services/annotator/internal/llm"
	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// DefaultKeepThreshold is the paper's filter: keep pairs scored 2 or more.
const DefaultKeepThreshold = 2

// Config configures a Service.
type Config struct {
	Generator llm.Generator
	// PromptVersion recorded in results; default prompt.Version.
	PromptVersion string
	// DefaultContextTokens is the context budget when a request sets none;
	// default 2048.
	DefaultContextTokens int
	Limits               Limits
}

// Service runs the annotation stages.
type Service struct {
	gen           llm.Generator
	promptVersion string
	contextTokens int
	limits        Limits
	tracer        trace.Tracer
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Generator == nil {
		return nil, errors.New("annotate: a generator is required")
	}
	if cfg.PromptVersion == "" {
		cfg.PromptVersion = prompt.Version
	}
	if cfg.DefaultContextTokens <= 0 {
		cfg.DefaultContextTokens = 2048
	}
	return &Service{
		gen:           cfg.Generator,
		promptVersion: cfg.PromptVersion,
		contextTokens: cfg.DefaultContextTokens,
		limits:        cfg.Limits.withDefaults(),
		tracer:        otel.Tracer("github.com/query4code/query4code/services/annotator"),
	}, nil
}

// Model is the model name results carry.
func (s *Service) Model() string { return s.gen.Model() }

// PromptVersion is the prompt version results carry.
func (s *Service) PromptVersion() string { return s.promptVersion }

// Request is a function with its context.
type Request struct {
	FunctionID string
	Function   prompt.Function
	Callees    []prompt.Callee
	APIDocs    []prompt.APIDoc
	// MaxContextTokens overrides the default budget when > 0.
	MaxContextTokens int
}

// ContextReport says what context went into the prompt.
type ContextReport struct {
	CalleesUsed []string
	APIDocsUsed []string
	Dropped     []prompt.Dropped
	Redactions  int
}

// SummaryResult is the summary stage's output.
type SummaryResult struct {
	Summary       string
	Model         string
	PromptVersion string
	Usage         llm.Usage
	Context       ContextReport
}

// QueryResult is the query stage's output.
type QueryResult struct {
	Query         string
	Model         string
	PromptVersion string
	Usage         llm.Usage
	Redactions    int
}

// ValidationResult is the validation stage's output.
type ValidationResult struct {
	Score         int
	Explanation   string
	Model         string
	PromptVersion string
	Usage         llm.Usage
	Redactions    int
}

// Annotation is all three stages' output.
type Annotation struct {
	Summary       string
	Query         string
	Score         int
	Explanation   string
	Kept          bool
	Model         string
	PromptVersion string
	Usage         llm.Usage
	Context       ContextReport
}

// Summarize writes the function's summary from its code and context.
func (s *Service) Summarize(ctx context.Context, req Request) (SummaryResult, error) {
	if err := s.limits.checkRequest(req); err != nil {
		return SummaryResult{}, err
	}
	in, report := s.prepare(req)
	ctx, span := s.startStage(ctx, prompt.StageSummary, req)
	defer span.End()
	sum, err := s.gen.Summarize(ctx, in)
	if err != nil {
		return SummaryResult{}, stageFailed(span, err)
	}
	return SummaryResult{
		Summary:       sum.Text,
		Model:         sum.Model,
		PromptVersion: s.promptVersion,
		Usage:         sum.Usage,
		Context:       report,
	}, nil
}

// GenerateQuery writes a search query from the function and its summary.
func (s *Service) GenerateQuery(ctx context.Context, fn prompt.Function, summary string) (QueryResult, error) {
	if err := s.limits.checkFunction(fn); err != nil {
		return QueryResult{}, err
	}
	if err := checkText("summary", summary, s.limits.MaxSummaryBytes); err != nil {
		return QueryResult{}, err
	}
	fn, n := redactFunction(fn)
	summary, m := redact.String(summary)
	ctx, span := s.startStage(ctx, prompt.StageQuery, Request{Function: fn})
	defer span.End()
	q, err := s.gen.GenerateQuery(ctx, prompt.Input{Function: fn}, summary)
	if err != nil {
		return QueryResult{}, stageFailed(span, err)
	}
	return QueryResult{Query: q.Text, Model: q.Model, PromptVersion: s.promptVersion, Usage: q.Usage, Redactions: n + m}, nil
}

// Validate scores how well the function answers the query.
func (s *Service) Validate(ctx context.Context, fn prompt.Function, query string) (ValidationResult, error) {
	if err := s.limits.checkFunction(fn); err != nil {
		return ValidationResult{}, err
	}
	if err := checkText("query", query, s.limits.MaxQueryBytes); err != nil {
		return ValidationResult{}, err
	}
	fn, n := redactFunction(fn)
	query, m := redact.String(query)
	ctx, span := s.startStage(ctx, prompt.StageValidate, Request{Function: fn})
	defer span.End()
	j, err := s.gen.Validate(ctx, prompt.Input{Function: fn}, query)
	if err != nil {
		return ValidationResult{}, stageFailed(span, err)
	}
	span.SetAttributes(attribute.Int("q4c.score", j.Score))
	return ValidationResult{
		Score: j.Score, Explanation: j.Explanation, Model: j.Model,
		PromptVersion: s.promptVersion, Usage: j.Usage, Redactions: n + m,
	}, nil
}

// Annotate runs summary, query and validation in turn. keepThreshold nil
// means DefaultKeepThreshold.
func (s *Service) Annotate(ctx context.Context, req Request, keepThreshold *int) (Annotation, error) {
	threshold := DefaultKeepThreshold
	if keepThreshold != nil {
		threshold = *keepThreshold
	}
	if threshold < 0 || threshold > llm.MaxScore {
		return Annotation{}, &InputError{Field: "options.keep_threshold", Reason: fmt.Sprintf("must be 0..%d", llm.MaxScore)}
	}
	if err := s.limits.checkRequest(req); err != nil {
		return Annotation{}, err
	}
	in, report := s.prepare(req)
	ctx, span := s.tracer.Start(ctx, "annotate", trace.WithAttributes(functionAttributes(req)...))
	defer span.End()

	sctx, sspan := s.startStage(ctx, prompt.StageSummary, req)
	sum, err := s.gen.Summarize(sctx, in)
	sspan.End()
	if err != nil {
		return Annotation{}, stageFailed(span, stageFailed(sspan, err))
	}
	// The summary and the query come from the model: they could echo a
	// secret only if one got through, but redacting them is cheap.
	summary, n := redact.String(sum.Text)
	report.Redactions += n

	qctx, qspan := s.startStage(ctx, prompt.StageQuery, req)
	q, err := s.gen.GenerateQuery(qctx, prompt.Input{Function: in.Function}, summary)
	qspan.End()
	if err != nil {
		// A failure reports what the whole request spent, earlier stages included.
		return Annotation{}, stageFailed(span, stageFailed(qspan, llm.AddUsage(err, sum.Usage)))
	}
	query, n := redact.String(q.Text)
	report.Redactions += n

	vctx, vspan := s.startStage(ctx, prompt.StageValidate, req)
	j, err := s.gen.Validate(vctx, prompt.Input{Function: in.Function}, query)
	vspan.End()
	if err != nil {
		return Annotation{}, stageFailed(span, stageFailed(vspan, llm.AddUsage(err, sum.Usage.Add(q.Usage))))
	}
	span.SetAttributes(attribute.Int("q4c.score", j.Score))
	return Annotation{
		Summary:       summary,
		Query:         query,
		Score:         j.Score,
		Explanation:   j.Explanation,
		Kept:          j.Score >= threshold,
		Model:         j.Model,
		PromptVersion: s.promptVersion,
		Usage:         sum.Usage.Add(q.Usage).Add(j.Usage),
		Context:       report,
	}, nil
}

// prepare redacts the request and fits its context to the budget.
func (s *Service) prepare(req Request) (prompt.Input, ContextReport) {
	fn, redactions := redactFunction(req.Function)
	c := prompt.Context{
		Callees: make([]prompt.Callee, len(req.Callees)),
		APIDocs: make([]prompt.APIDoc, len(req.APIDocs)),
	}
	for i, callee := range req.Callees {
		summary, n := redact.String(callee.Summary)
		code, m := redact.String(callee.Code)
		redactions += n + m
		c.Callees[i] = prompt.Callee{ID: callee.ID, Summary: summary, Code: code}
	}
	for i, d := range req.APIDocs {
		doc, n := redact.String(d.Doc)
		redactions += n
		c.APIDocs[i] = prompt.APIDoc{API: d.API, Doc: doc}
	}
	budget := s.contextTokens
	if req.MaxContextTokens > 0 {
		budget = req.MaxContextTokens
	}
	fitted, dropped := prompt.Fit(c, budget)
	report := ContextReport{Dropped: dropped, Redactions: redactions}
	for _, callee := range fitted.Callees {
		report.CalleesUsed = append(report.CalleesUsed, callee.ID)
	}
	for _, d := range fitted.APIDocs {
		report.APIDocsUsed = append(report.APIDocsUsed, d.API)
	}
	return prompt.Input{Function: fn, Context: fitted}, report
}

func redactFunction(fn prompt.Function) (prompt.Function, int) {
	code, a := redact.String(fn.Code)
	doc, b := redact.String(fn.Docstring)
	path, c := redact.String(fn.Path)
	fn.Code, fn.Docstring, fn.Path = code, doc, path
	return fn, a + b + c
}

func (s *Service) startStage(ctx context.Context, stage prompt.Stage, req Request) (context.Context, trace.Span) {
	attrs := append(functionAttributes(req), attribute.String("q4c.stage", string(stage)), attribute.String("q4c.model", s.gen.Model()))
	return s.tracer.Start(ctx, "stage "+string(stage), trace.WithAttributes(attrs...))
}

func functionAttributes(req Request) []attribute.KeyValue {
	attrs := []attribute.KeyValue{attribute.String("code.filepath", req.Function.Path)}
	if req.FunctionID != "" {
		attrs = append(attrs, attribute.String("code.function", req.FunctionID))
	}
	return attrs
}

func stageFailed(span trace.Span, err error) error {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	return err
}

// ErrInvalidInput is matched by every *InputError.
var ErrInvalidInput = errors.New("invalid input")

// InputError is a request field over its cap or malformed. Field is the
// proto path of the field, e.g. "callees[3].summary".
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalidInput) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

// Limits caps every input. Zero fields take the defaults, which match the
// proto's validation rules.
type Limits struct {
	MaxPathBytes          int
	MaxCodeBytes          int
	MaxDocstringBytes     int
	MaxCallees            int
	MaxCalleeIDBytes      int
	MaxCalleeSummaryBytes int
	MaxCalleeCodeBytes    int
	MaxAPIDocs            int
	MaxAPINameBytes       int
	MaxAPIDocBytes        int
	MaxSummaryBytes       int
	MaxQueryBytes         int
	MaxContextTokens      int
	// MaxRequestContextBytes bounds callees and API docs together.
	MaxRequestContextBytes int
}

func (l Limits) withDefaults() Limits {
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxPathBytes, 1024)
	set(&l.MaxCodeBytes, 64<<10)
	set(&l.MaxDocstringBytes, 16<<10)
	set(&l.MaxCallees, 256)
	set(&l.MaxCalleeIDBytes, 1024)
	set(&l.MaxCalleeSummaryBytes, 8<<10)
	set(&l.MaxCalleeCodeBytes, 64<<10)
	set(&l.MaxAPIDocs, 256)
	set(&l.MaxAPINameBytes, 512)
	set(&l.MaxAPIDocBytes, 16<<10)
	set(&l.MaxSummaryBytes, 8<<10)
	set(&l.MaxQueryBytes, 4<<10)
	set(&l.MaxContextTokens, 200000)
	set(&l.MaxRequestContextBytes, 4<<20)
	return l
}

func (l Limits) checkFunction(fn prompt.Function) error {
	if !prompt.Supported(fn.Language) {
		return &InputError{Field: "function.language", Reason: fmt.Sprintf("%q is not supported (python, javascript or typescript)", fn.Language)}
	}
	if strings.TrimSpace(fn.Code) == "" {
		return &InputError{Field: "function.code", Reason: "must not be empty"}
	}
	if fn.Path == "" {
		return &InputError{Field: "function.path", Reason: "must not be empty"}
	}
	for _, c := range []struct {
		field, value string
		max          int
	}{
		{"function.path", fn.Path, l.MaxPathBytes},
		{"function.code", fn.Code, l.MaxCodeBytes},
		{"function.docstring", fn.Docstring, l.MaxDocstringBytes},
	} {
		if len(c.value) > c.max {
			return tooLarge(c.field, len(c.value), c.max)
		}
	}
	return nil
}

func (l Limits) checkRequest(req Request) error {
	if err := l.checkFunction(req.Function); err != nil {
		return err
	}
	if req.MaxContextTokens < 0 || req.MaxContextTokens > l.MaxContextTokens {
		return &InputError{Field: "options.max_context_tokens", Reason: fmt.Sprintf("must be 0..%d", l.MaxContextTokens)}
	}
	if len(req.Callees) > l.MaxCallees {
		return &InputError{Field: "callees", Reason: fmt.Sprintf("%d callees, at most %d", len(req.Callees), l.MaxCallees)}
	}
	if len(req.APIDocs) > l.MaxAPIDocs {
		return &InputError{Field: "api_docs", Reason: fmt.Sprintf("%d API docs, at most %d", len(req.APIDocs), l.MaxAPIDocs)}
	}
	total := 0
	for i, c := range req.Callees {
		field := fmt.Sprintf("callees[%d]", i)
		switch {
		case c.ID == "":
			return &InputError{Field: field + ".id", Reason: "must not be empty"}
		case len(c.ID) > l.MaxCalleeIDBytes:
			return tooLarge(field+".id", len(c.ID), l.MaxCalleeIDBytes)
		case c.Summary == "" && c.Code == "":
			return &InputError{Field: field, Reason: "a callee needs a summary or code"}
		case len(c.Summary) > l.MaxCalleeSummaryBytes:
			return tooLarge(field+".summary", len(c.Summary), l.MaxCalleeSummaryBytes)
		case len(c.Code) > l.MaxCalleeCodeBytes:
			return tooLarge(field+".code", len(c.Code), l.MaxCalleeCodeBytes)
		}
		total += len(c.Summary) + len(c.Code)
	}
	for i, d := range req.APIDocs {
		field := fmt.Sprintf("api_docs[%d]", i)
		switch {
		case d.API == "":
			return &InputError{Field: field + ".api", Reason: "must not be empty"}
		case len(d.API) > l.MaxAPINameBytes:
			return tooLarge(field+".api", len(d.API), l.MaxAPINameBytes)
		case d.Doc == "":
			return &InputError{Field: field + ".doc", Reason: "must not be empty"}
		case len(d.Doc) > l.MaxAPIDocBytes:
			return tooLarge(field+".doc", len(d.Doc), l.MaxAPIDocBytes)
		}
		total += len(d.Doc)
	}
	if total > l.MaxRequestContextBytes {
		return &InputError{Field: "callees", Reason: fmt.Sprintf("callees and API docs hold %d bytes, at most %d", total, l.MaxRequestContextBytes)}
	}
	return nil
}

func checkText(field, value string, max int) error {
	if strings.TrimSpace(value) == "" {
		return &InputError{Field: field, Reason: "must not be empty"}
	}
	if len(value) > max {
		return tooLarge(field, len(value), max)
	}
	return nil
}

func tooLarge(field string, size, max int) error {
	return &InputError{Field: field, Reason: fmt.Sprintf("%d bytes, at most %d", size, max)}
}
