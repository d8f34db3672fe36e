// Package server implements query4code.orchestrator.v1.OrchestratorService on top of the job manager.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/platform/grpcerr"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/jobs"
	"github.com/query4code/query4code/services/orchestrator/internal/metrics"
	"github.com/query4code/query4code/services/orchestrator/internal/pipeline"
	"github.com/query4code/query4code/services/orchestrator/internal/store"
)

const errorDomain = "orchestrator.query4code"

// Config wires the orchestrator to the other services and its storage.
type Config struct {
	Parser    parserv1.ParserServiceClient
	Docs      docsv1.DocsServiceClient
	Annotator annotatorv1.AnnotatorServiceClient
	// StorePath is the bbolt file holding jobs, events and cached stage results.
	StorePath string
	// OutputRoot is where datasets are written; a job's output_dir must lie under it.
	OutputRoot string
	// AllowedRoots, when set, restrict local sources to these directories (the parser checks too).
	AllowedRoots []string
	// ResumeOnSubmit leaves unfinished jobs of an earlier process stopped until the same job is
	// submitted again (the in-process CLI, which runs one job); false resumes them all at start.
	ResumeOnSubmit bool
	// DefaultConcurrency is the annotation calls in flight for a job that asks for 0. 0 means 8.
	DefaultConcurrency int
	// MaxRunningJobs bounds jobs running at once. 0 means 2.
	MaxRunningJobs int
	// LLMPause is a job's first pause after an LLM outage (its circuit breaker), doubled at each outage in
	// a row up to a minute, and never shorter than the annotator's RetryInfo; 0 means 1 s.
	LLMPause time.Duration
	// LLMOutageTrips is how many outages in a row, with no answer between them, stop a job; 0 means 5.
	LLMOutageTrips int
	// ProgressInterval is the most often progress events are sent. 0 means 500 ms.
	ProgressInterval time.Duration
	// ShutdownDrain is how long Close lets annotation calls in flight finish and be stored before
	// cancelling them. 0 means 10 s.
	ShutdownDrain time.Duration
	// ManifestOmitLocalPaths leaves the sources' local paths out of manifest.json, the one output
	// field that otherwise holds a path of this machine.
	ManifestOmitLocalPaths bool
	Logger                 *slog.Logger
	// TracerProvider makes the job spans; nil means the global provider (otel.GetTracerProvider).
	// Spans reach the other services when their client connections carry otelgrpc stats handlers.
	TracerProvider trace.TracerProvider
	// Metrics, when set, receives the operator metrics (jobs by state, functions failed and excluded,
	// cache hits, LLM requests, tokens and cost, annotation calls; docs/operations.md lists them).
	Metrics prometheus.Registerer
}

// Server is the OrchestratorService.
type Server struct {
	orchestratorv1.UnimplementedOrchestratorServiceServer
	store   *store.Store
	manager *jobs.Manager
	log     *slog.Logger
}

// New opens the store and resumes unfinished jobs.
func New(cfg Config) (*Server, error) {
	if cfg.Parser == nil || cfg.Docs == nil || cfg.Annotator == nil {
		return nil, errors.New("orchestrator: parser, docs and annotator clients are required")
	}
	if cfg.StorePath == "" || cfg.OutputRoot == "" {
		return nil, errors.New("orchestrator: StorePath and OutputRoot are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st, err := store.Open(cfg.StorePath)
	if err != nil {
		return nil, err
	}
	var counters *metrics.Jobs
	if cfg.Metrics != nil {
		if counters, err = metrics.New(cfg.Metrics, jobCounter(st)); err != nil {
			return nil, errors.Join(err, st.Close())
		}
	}
	m, err := jobs.New(jobs.Config{
		Store: st,
		Pipeline: pipeline.Config{
			Parser: cfg.Parser, Docs: cfg.Docs, Annotator: counters.CountCalls(cfg.Annotator), Logger: cfg.Logger,
			Classify: ClassifyFailure, BreakerPause: cfg.LLMPause, BreakerTrips: cfg.LLMOutageTrips, ParseRetryDelay: RetryDelay,
			ProgressInterval: cfg.ProgressInterval, OmitLocalPaths: cfg.ManifestOmitLocalPaths,
		},
		OutputRoot: cfg.OutputRoot, ResumeOnSubmit: cfg.ResumeOnSubmit, AllowedRoots: cfg.AllowedRoots, DefaultConcurrency: cfg.DefaultConcurrency,
		MaxRunningJobs: cfg.MaxRunningJobs, DrainTimeout: cfg.ShutdownDrain, Logger: cfg.Logger, TracerProvider: cfg.TracerProvider,
		Metrics: counters,
	})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return &Server{store: st, manager: m, log: cfg.Logger}, nil
}

// jobCounter counts the stored jobs by state.
func jobCounter(st *store.Store) metrics.JobCounter {
	all := []orchestratorv1.JobState{
		orchestratorv1.JobState_JOB_STATE_QUEUED, orchestratorv1.JobState_JOB_STATE_RUNNING, orchestratorv1.JobState_JOB_STATE_SUCCEEDED,
		orchestratorv1.JobState_JOB_STATE_FAILED, orchestratorv1.JobState_JOB_STATE_CANCELLED,
	}
	return func() (map[orchestratorv1.JobState]int, error) {
		list, err := st.JobsInStates(all...)
		if err != nil {
			return nil, err
		}
		counts := map[orchestratorv1.JobState]int{}
		for _, job := range list {
			counts[job.GetState()]++
		}
		return counts, nil
	}
}

// BeginShutdown is for the start of the server's drain (platform/server's OnDrain): no job or call
// starts any more, new submissions and watches are refused, and the WatchJob and AnnotateRepository
// streams still open end with UNAVAILABLE "orchestrator is shutting down", so their clients reconnect
// (to this server's successor) instead of holding the graceful stop until it is forced. Calls in flight
// go on until Shutdown.
func (s *Server) BeginShutdown() { s.manager.BeginShutdown() }

// Shutdown stops running jobs (calls in flight get until ctx ends, at most ShutdownDrain, to finish and
// be stored; the jobs resume on the next start) and closes the store. Call it after the gRPC server
// stopped.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.manager.Close(ctx)
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close is Shutdown without a deadline other than ShutdownDrain.
func (s *Server) Close() error { return s.Shutdown(context.Background()) }

// annotatorDomain is the annotator's ErrorInfo domain.
const annotatorDomain = "annotator.query4code"

// ClassifyFailure reads a failed annotator call by the annotator's retry contract (docs/api.md): an outage
// is ABORTED (LLM_UNAVAILABLE), RESOURCE_EXHAUSTED (LLM_RATE_LIMITED, or a server's own limit),
// DEADLINE_EXCEEDED (LLM_TIMEOUT, or the call's deadline) or UNAVAILABLE left after the channel's transport
// retries (no replica reachable); the job pauses and leaves the function for a later run. Anything else
// (FAILED_PRECONDITION with LLM_BAD_OUTPUT or LLM_REJECTED, INVALID_ARGUMENT, INTERNAL, ...) fails the
// function. The Usage detail, on every LLM failure, is what the call spent; RetryInfo the pause asked for.
func ClassifyFailure(err error) pipeline.CallFailure {
	st := status.Convert(err)
	var f pipeline.CallFailure
	switch st.Code() {
	case codes.Aborted, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Unavailable:
		f.Outage = true
	}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *annotatorv1.Usage:
			f.Usage = d
		case *errdetails.RetryInfo:
			f.RetryAfter = d.GetRetryDelay().AsDuration()
		case *errdetails.ErrorInfo:
			// By reason first: an older annotator answered LLM_BAD_OUTPUT with UNAVAILABLE.
			if d.GetDomain() == annotatorDomain && (d.GetReason() == "LLM_BAD_OUTPUT" || d.GetReason() == "LLM_REJECTED") {
				f.Outage = false
			}
		}
	}
	return f
}

// RetryDelay returns the delay a ResourceExhausted error asks for in its RetryInfo detail (the
// parser's answer when its analysis budget is full).
func RetryDelay(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.ResourceExhausted {
		return 0, false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.RetryInfo); ok && info.GetRetryDelay() != nil {
			return info.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// SubmitJob starts a job, or continues the unfinished job with the same identity (existing=true).
func (s *Server) SubmitJob(ctx context.Context, req *orchestratorv1.SubmitJobRequest) (*orchestratorv1.SubmitJobResponse, error) {
	job, existing, err := s.manager.Submit(ctx, jobs.Spec{Sources: req.GetSources(), Options: req.GetOptions(), IdempotencyKey: req.GetIdempotencyKey(),
		Submitter: trace.SpanContextFromContext(ctx)})
	if err != nil {
		return nil, s.statusOf(err)
	}
	return &orchestratorv1.SubmitJobResponse{JobId: job.GetJobId(), Existing: existing}, nil
}

// WatchJob streams a job's events.
func (s *Server) WatchJob(req *orchestratorv1.WatchJobRequest, stream grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
	if req.GetJobId() == "" {
		return s.statusOf(&jobs.InvalidArgumentError{Field: "job_id", Reason: "required"})
	}
	err := s.manager.Watch(stream.Context(), req.GetJobId(), req.GetAfterSequence(), func(ev *orchestratorv1.JobEvent) error {
		return stream.Send(&orchestratorv1.WatchJobResponse{Event: ev})
	})
	return s.statusOf(err)
}

// GetJob returns a job.
func (s *Server) GetJob(ctx context.Context, req *orchestratorv1.GetJobRequest) (*orchestratorv1.GetJobResponse, error) {
	if req.GetJobId() == "" {
		return nil, s.statusOf(&jobs.InvalidArgumentError{Field: "job_id", Reason: "required"})
	}
	job, err := s.manager.Get(req.GetJobId())
	if err != nil {
		return nil, s.statusOf(err)
	}
	return &orchestratorv1.GetJobResponse{Job: job}, nil
}

// ListJobs pages through jobs, newest first.
func (s *Server) ListJobs(ctx context.Context, req *orchestratorv1.ListJobsRequest) (*orchestratorv1.ListJobsResponse, error) {
	list, next, err := s.manager.List(req.GetState(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, s.statusOf(err)
	}
	return &orchestratorv1.ListJobsResponse{Jobs: list, NextPageToken: next}, nil
}

// CancelJob stops a job.
func (s *Server) CancelJob(ctx context.Context, req *orchestratorv1.CancelJobRequest) (*orchestratorv1.CancelJobResponse, error) {
	if req.GetJobId() == "" {
		return nil, s.statusOf(&jobs.InvalidArgumentError{Field: "job_id", Reason: "required"})
	}
	job, err := s.manager.Cancel(req.GetJobId())
	if err != nil {
		return nil, s.statusOf(err)
	}
	return &orchestratorv1.CancelJobResponse{Job: job}, nil
}

// AnnotateRepository submits a job and streams its events; the first message carries only the job id.
// Closing the stream stops watching, not the job.
func (s *Server) AnnotateRepository(req *orchestratorv1.AnnotateRepositoryRequest, stream grpc.ServerStreamingServer[orchestratorv1.AnnotateRepositoryResponse]) error {
	job, _, err := s.manager.Submit(stream.Context(), jobs.Spec{Sources: req.GetSources(), Options: req.GetOptions(), IdempotencyKey: req.GetIdempotencyKey(),
		Submitter: trace.SpanContextFromContext(stream.Context())})
	if err != nil {
		return s.statusOf(err)
	}
	id := job.GetJobId()
	if err := stream.Send(&orchestratorv1.AnnotateRepositoryResponse{JobId: id}); err != nil {
		return err
	}
	err = s.manager.Watch(stream.Context(), id, 0, func(ev *orchestratorv1.JobEvent) error {
		return stream.Send(&orchestratorv1.AnnotateRepositoryResponse{JobId: id, Event: ev})
	})
	return s.statusOf(err)
}

// statusOf maps err with toStatus and logs what becomes Internal, whose cause the client never sees.
func (s *Server) statusOf(err error) error {
	st := toStatus(err)
	if status.Code(st) == codes.Internal {
		s.log.Error("internal error", "error", err)
	}
	return st
}

// errorTable is the orchestrator's error table: the status code and ErrorInfo reason of each of the job
// manager's errors. A closing manager answers UNAVAILABLE: the client should reconnect (to the next
// server), and the job it watched or submitted goes on there.
var errorTable = grpcerr.Table{
	jobs.ErrNotFound:         {Code: codes.NotFound, Reason: "JOB_NOT_FOUND"},
	jobs.ErrPermissionDenied: {Code: codes.PermissionDenied, Reason: "SOURCE_NOT_ALLOWED"},
	jobs.ErrFinished:         {Code: codes.FailedPrecondition, Reason: "JOB_FINISHED"},
	jobs.ErrClosed:           {Code: codes.Unavailable, Reason: "SHUTTING_DOWN"},
	jobs.ErrOutputBusy:       {Code: codes.FailedPrecondition, Reason: "OUTPUT_DIR_BUSY"},
	jobs.ErrOutputUnwritable: {Code: codes.FailedPrecondition, Reason: "OUTPUT_DIR_UNWRITABLE"},
	jobs.ErrBudgetUnpriced:   {Code: codes.FailedPrecondition, Reason: "BUDGET_UNPRICED"},
}

// toStatus maps the job manager's errors to gRPC status: context errors pass through, the table's
// errors get their code and reason, an invalid argument names its field, unknown errors become Internal
// with a generic message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if st, ok := grpcerr.FromContext(err); ok {
		return st
	}
	if errors.Is(err, jobs.ErrClosed) {
		return grpcerr.New(codes.Unavailable, "orchestrator is shutting down", grpcerr.ErrorInfo(errorDomain, errorTable[jobs.ErrClosed].Reason, nil))
	}
	if st, ok := errorTable.Status(errorDomain, err); ok {
		return st
	}
	var invalid *jobs.InvalidArgumentError
	if errors.As(err, &invalid) {
		return grpcerr.InvalidArgument(err.Error(), grpcerr.FieldViolation(invalid.Field, invalid.Reason))
	}
	return grpcerr.Internal()
}

// String makes the config printable without its clients.
func (c Config) String() string {
	return fmt.Sprintf("store=%s output_root=%s allowed_roots=%v concurrency=%d", c.StorePath, c.OutputRoot, c.AllowedRoots, c.DefaultConcurrency)
}
