// Package server implements query4code.annotator.v1.AnnotatorService.
package server

import (
	"context"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	"github.com/query4code/query4code/services/annotator/internal/annotate"
	"github.com/query4code/query4code/services/annotator/internal/llm"
	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// Server is the AnnotatorService.
type Server struct {
	annotatorv1.UnimplementedAnnotatorServiceServer

	svc     *annotate.Service
	backend string
	// priced: costs are known (offline is free; an openai model has a price).
	priced bool
	logger *slog.Logger
	close  func()
}

// New builds the service and its back-end from cfg.
func New(cfg Config) (*Server, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	renderer, err := prompt.New(prompt.Version)
	if err != nil {
		return nil, err
	}
	metrics := newLLMMetrics()
	if err := metrics.register(cfg.Metrics); err != nil {
		return nil, err
	}
	var gen llm.Generator
	closeFn := func() {}
	backend := cfg.LLM
	// priced says whether cost_usd is known: the offline back-end costs nothing; a model outside
	// the price table reports 0, so a cost budget on it could never stop a job.
	priced := true
	switch cfg.LLM {
	case "", BackendOffline:
		gen, backend = llm.NewOffline(), BackendOffline
	case BackendOpenAI:
		prices, err := llm.ParsePrices(cfg.Prices, llm.DefaultPrices())
		if err != nil {
			return nil, fmt.Errorf("--llm-prices: %w", err)
		}
		retries := cfg.MaxRetries
		if retries == 0 {
			retries = -1 // llm treats 0 as "default"
		}
		client, err := llm.NewOpenAI(llm.OpenAIConfig{
			BaseURL:             cfg.BaseURL,
			APIKey:              cfg.apiKey(),
			Organization:        cfg.Organization,
			Model:               cfg.Model,
			ResponseFormat:      llm.ResponseFormat(cfg.ResponseFormat),
			Temperature:         float32(cfg.Temperature),
			MaxCompletionTokens: cfg.MaxCompletionTokens,
			CallTimeout:         cfg.CallTimeout,
			MaxRetries:          retries,
			BackoffBase:         cfg.RetryBackoff,
			RequestsPerMinute:   cfg.RequestsPerMinute,
			TokensPerMinute:     cfg.TokensPerMinute,
			Prices:              prices,
			HTTPClient:          cfg.HTTPClient,
			Logger:              logger,
			Renderer:            renderer,
			Observer:            metrics,
		})
		if err != nil {
			return nil, fmt.Errorf("openai back-end: %w", err)
		}
		if _, priced = prices.Lookup(cfg.Model); !priced {
			logger.Warn("model has no price in the price table; cost is reported as 0 (set --llm-prices)", "model", cfg.Model)
		}
		gen = client
		closeFn = client.Close
	default:
		return nil, fmt.Errorf("unknown LLM back-end %q (want %s or %s)", cfg.LLM, BackendOffline, BackendOpenAI)
	}
	svc, err := annotate.New(annotate.Config{
		Generator:            gen,
		PromptVersion:        renderer.Version(),
		DefaultContextTokens: cfg.MaxContextTokens,
	})
	if err != nil {
		return nil, err
	}
	return &Server{svc: svc, backend: backend, priced: priced, logger: logger, close: closeFn}, nil
}

// Register adds the service to a gRPC server.
func (s *Server) Register(r grpc.ServiceRegistrar) {
	annotatorv1.RegisterAnnotatorServiceServer(r, s)
}

// Model is the model name responses carry ("offline" for the built-in
// back-end).
func (s *Server) Model() string { return s.svc.Model() }

// Info says which back-end, model and prompt version answers carry, and
// whether their cost is known (so a caller can refuse a budget it could not
// enforce).
func (s *Server) Info(context.Context, *annotatorv1.InfoRequest) (*annotatorv1.InfoResponse, error) {
	return &annotatorv1.InfoResponse{Backend: s.backend, Model: s.svc.Model(), PromptVersion: s.svc.PromptVersion(), Priced: s.priced}, nil
}

// Close releases the back-end's idle connections.
func (s *Server) Close() { s.close() }

// Summarize writes a concise summary of the function.
func (s *Server) Summarize(ctx context.Context, req *annotatorv1.SummarizeRequest) (*annotatorv1.SummarizeResponse, error) {
	r := annotateRequest(req.GetFunction(), req.GetCallees(), req.GetApiDocs(), req.GetOptions().GetMaxContextTokens())
	res, err := s.svc.Summarize(ctx, r)
	if err != nil {
		return nil, s.toStatus(ctx, "Summarize", err)
	}
	return &annotatorv1.SummarizeResponse{
		Summary:       res.Summary,
		Model:         res.Model,
		PromptVersion: res.PromptVersion,
		Usage:         usageProto(res.Usage),
		Context:       contextProto(res.Context),
	}, nil
}

// GenerateQuery writes one search query for the function.
func (s *Server) GenerateQuery(ctx context.Context, req *annotatorv1.GenerateQueryRequest) (*annotatorv1.GenerateQueryResponse, error) {
	res, err := s.svc.GenerateQuery(ctx, function(req.GetFunction()), req.GetSummary())
	if err != nil {
		return nil, s.toStatus(ctx, "GenerateQuery", err)
	}
	return &annotatorv1.GenerateQueryResponse{
		Query:         res.Query,
		Model:         res.Model,
		PromptVersion: res.PromptVersion,
		Usage:         usageProto(res.Usage),
		Redactions:    int32(res.Redactions),
	}, nil
}

// Validate scores how well the function answers the query.
func (s *Server) Validate(ctx context.Context, req *annotatorv1.ValidateRequest) (*annotatorv1.ValidateResponse, error) {
	res, err := s.svc.Validate(ctx, function(req.GetFunction()), req.GetQuery())
	if err != nil {
		return nil, s.toStatus(ctx, "Validate", err)
	}
	return &annotatorv1.ValidateResponse{
		Score:         int32(res.Score),
		Explanation:   res.Explanation,
		Model:         res.Model,
		PromptVersion: res.PromptVersion,
		Usage:         usageProto(res.Usage),
		Redactions:    int32(res.Redactions),
	}, nil
}

// Annotate runs the three stages.
func (s *Server) Annotate(ctx context.Context, req *annotatorv1.AnnotateRequest) (*annotatorv1.AnnotateResponse, error) {
	r := annotateRequest(req.GetFunction(), req.GetCallees(), req.GetApiDocs(), req.GetOptions().GetMaxContextTokens())
	var threshold *int
	if opts := req.GetOptions(); opts != nil && opts.KeepThreshold != nil {
		t := int(opts.GetKeepThreshold())
		threshold = &t
	}
	res, err := s.svc.Annotate(ctx, r, threshold)
	if err != nil {
		return nil, s.toStatus(ctx, "Annotate", err)
	}
	return &annotatorv1.AnnotateResponse{
		Summary:       res.Summary,
		Query:         res.Query,
		Score:         int32(res.Score),
		Explanation:   res.Explanation,
		Kept:          res.Kept,
		Model:         res.Model,
		PromptVersion: res.PromptVersion,
		Usage:         usageProto(res.Usage),
		Context:       contextProto(res.Context),
	}, nil
}

func function(f *annotatorv1.CodeFunction) prompt.Function {
	return prompt.Function{
		Path:      f.GetPath(),
		Language:  f.GetLanguage(),
		Code:      f.GetCode(),
		Docstring: f.GetDocstring(),
	}
}

func annotateRequest(f *annotatorv1.CodeFunction, callees []*annotatorv1.CalleeContext, docs []*annotatorv1.APIDocContext, maxTokens int32) annotate.Request {
	r := annotate.Request{
		FunctionID:       f.GetId(),
		Function:         function(f),
		MaxContextTokens: int(maxTokens),
	}
	for _, c := range callees {
		r.Callees = append(r.Callees, prompt.Callee{ID: c.GetId(), Summary: c.GetSummary(), Code: c.GetCode()})
	}
	for _, d := range docs {
		r.APIDocs = append(r.APIDocs, prompt.APIDoc{API: d.GetApi(), Doc: d.GetDoc()})
	}
	return r
}

func usageProto(u llm.Usage) *annotatorv1.Usage {
	return &annotatorv1.Usage{
		PromptTokens:     u.PromptTokens,
		CompletionTokens: u.CompletionTokens,
		CostUsd:          u.CostUSD,
		LlmCalls:         int32(u.Calls),
	}
}

func contextProto(c annotate.ContextReport) *annotatorv1.ContextReport {
	out := &annotatorv1.ContextReport{
		CalleesUsed: c.CalleesUsed,
		ApiDocsUsed: c.APIDocsUsed,
		Redactions:  int32(c.Redactions),
	}
	for _, d := range c.Dropped {
		out.Dropped = append(out.Dropped, d.Name)
	}
	return out
}
