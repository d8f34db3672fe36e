// Package metrics holds the orchestrator's operator metrics: jobs by state, and the work jobs do
// (functions failed and excluded, cache hits, LLM requests, tokens and cost, annotation calls). The
// per-job figures are counted from the same progress the job reports and writes into manifest.json
// and the dataset card, so a dashboard and the datasets agree. docs/operations.md lists the names.
package metrics

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

// Jobs counts the work of jobs. A nil *Jobs counts nothing, so code without metrics needs no checks.
type Jobs struct {
	functionsFailed   prometheus.Counter
	functionsExcluded prometheus.Counter
	cacheHits         prometheus.Counter
	llmRequests       prometheus.Counter
	tokens            *prometheus.CounterVec
	costUSD           prometheus.Counter
	annotationCalls   *prometheus.CounterVec
}

// JobCounter says how many jobs are in each state, read at every scrape (the store is the truth, and a
// gauge kept beside it would drift from it across restarts).
type JobCounter func() (map[orchestratorv1.JobState]int, error)

// New registers the metrics in reg. count backs q4c_orchestrator_jobs.
func New(reg prometheus.Registerer, count JobCounter) (*Jobs, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Jobs{
		functionsFailed:   counter("q4c_orchestrator_functions_failed_total", "Functions whose annotation failed for good."),
		functionsExcluded: counter("q4c_orchestrator_functions_excluded_total", "Functions left out of datasets by the filters (tests, dunder, trivial, duplicates, ...)."),
		cacheHits:         counter("q4c_orchestrator_cache_hits_total", "Annotation stages answered from the store instead of the annotator."),
		llmRequests:       counter("q4c_orchestrator_llm_requests_total", "LLM requests the annotator reported sending for jobs (retries, repairs and failures included)."),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "q4c_orchestrator_llm_tokens_total", Help: "LLM tokens spent by jobs, by kind (prompt or completion).",
		}, []string{"kind"}),
		costUSD: counter("q4c_orchestrator_llm_cost_usd_total", "LLM cost of jobs in US dollars, from the annotator's price table."),
		annotationCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "q4c_orchestrator_annotation_calls_total", Help: "Calls to the annotator service, by method and gRPC code.",
		}, []string{"method", "code"}),
	}
	for _, c := range []prometheus.Collector{m.functionsFailed, m.functionsExcluded, m.cacheHits, m.llmRequests, m.tokens, m.costUSD,
		m.annotationCalls, &jobsCollector{count: count}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register orchestrator metrics: %w", err)
		}
	}
	return m, nil
}

// Progress adds what a job did between two of its progress reports; from is nil for the first report
// of a run that starts from nothing, or the progress the run resumed from.
func (m *Jobs) Progress(from, to *orchestratorv1.Progress) {
	if m == nil || to == nil {
		return
	}
	add := func(c prometheus.Counter, before, after int64) {
		if after > before {
			c.Add(float64(after - before))
		}
	}
	add(m.functionsFailed, from.GetFunctionsFailed(), to.GetFunctionsFailed())
	add(m.functionsExcluded, from.GetFunctionsExcluded(), to.GetFunctionsExcluded())
	add(m.cacheHits, from.GetCacheHits(), to.GetCacheHits())
	add(m.llmRequests, from.GetLlmCalls(), to.GetLlmCalls())
	add(m.tokens.WithLabelValues("prompt"), from.GetPromptTokens(), to.GetPromptTokens())
	add(m.tokens.WithLabelValues("completion"), from.GetCompletionTokens(), to.GetCompletionTokens())
	if d := to.GetCostUsd() - from.GetCostUsd(); d > 0 {
		m.costUSD.Add(d)
	}
}

// CountCalls returns c counting the annotation calls made through it (Summarize, GenerateQuery,
// Validate and Annotate) by method and gRPC code, retries included.
func (m *Jobs) CountCalls(c annotatorv1.AnnotatorServiceClient) annotatorv1.AnnotatorServiceClient {
	if m == nil {
		return c
	}
	return &countingAnnotator{AnnotatorServiceClient: c, calls: m.annotationCalls}
}

type countingAnnotator struct {
	annotatorv1.AnnotatorServiceClient
	calls *prometheus.CounterVec
}

// counted makes one call through call and counts its outcome under method.
func counted[Req, Resp any](a *countingAnnotator, method string, call func(context.Context, Req, ...grpc.CallOption) (Resp, error),
	ctx context.Context, in Req, opts []grpc.CallOption) (Resp, error) {
	out, err := call(ctx, in, opts...)
	a.calls.WithLabelValues(method, status.Code(err).String()).Inc()
	return out, err
}

func (a *countingAnnotator) Summarize(ctx context.Context, in *annotatorv1.SummarizeRequest, opts ...grpc.CallOption) (*annotatorv1.SummarizeResponse, error) {
	return counted(a, "Summarize", a.AnnotatorServiceClient.Summarize, ctx, in, opts)
}

func (a *countingAnnotator) GenerateQuery(ctx context.Context, in *annotatorv1.GenerateQueryRequest, opts ...grpc.CallOption) (*annotatorv1.GenerateQueryResponse, error) {
	return counted(a, "GenerateQuery", a.AnnotatorServiceClient.GenerateQuery, ctx, in, opts)
}

func (a *countingAnnotator) Validate(ctx context.Context, in *annotatorv1.ValidateRequest, opts ...grpc.CallOption) (*annotatorv1.ValidateResponse, error) {
	return counted(a, "Validate", a.AnnotatorServiceClient.Validate, ctx, in, opts)
}

func (a *countingAnnotator) Annotate(ctx context.Context, in *annotatorv1.AnnotateRequest, opts ...grpc.CallOption) (*annotatorv1.AnnotateResponse, error) {
	return counted(a, "Annotate", a.AnnotatorServiceClient.Annotate, ctx, in, opts)
}

var jobsDesc = prometheus.NewDesc("q4c_orchestrator_jobs", "Jobs in the store, by state.", []string{"state"}, nil)

type jobsCollector struct{ count JobCounter }

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	counts, err := c.count()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	for v, name := range orchestratorv1.JobState_name {
		state := orchestratorv1.JobState(v)
		if state == orchestratorv1.JobState_JOB_STATE_UNSPECIFIED {
			continue
		}
		label := strings.ToLower(strings.TrimPrefix(name, "JOB_STATE_"))
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(counts[state]), label)
	}
}
