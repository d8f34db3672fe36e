// Package server implements query4code.orchestrator.v1.OrchestratorService on top of the job manager.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	"github.com/query4code/query4code/services/orchestrator/internal/jobs"
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
	Logger        *slog.Logger
	// TracerProvider makes the job spans; nil means the global provider (otel.GetTracerProvider).
	// Spans reach the other services when their client connections carry otelgrpc stats handlers.
	TracerProvider trace.TracerProvider
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
	m, err := jobs.New(jobs.Config{
		Store: st,
		Pipeline: pipeline.Config{
			Parser: cfg.Parser, Docs: cfg.Docs, Annotator: cfg.Annotator, Logger: cfg.Logger,
			Classify: ClassifyFailure, BreakerPause: cfg.LLMPause, BreakerTrips: cfg.LLMOutageTrips, ParseRetryDelay: RetryDelay,
			ProgressInterval: cfg.ProgressInterval, DetectLicense: dataset.DetectLicense,
		},
		OutputRoot: cfg.OutputRoot, ResumeOnSubmit: cfg.ResumeOnSubmit, AllowedRoots: cfg.AllowedRoots, DefaultConcurrency: cfg.DefaultConcurrency,
		MaxRunningJobs: cfg.MaxRunningJobs, DrainTimeout: cfg.ShutdownDrain, Logger: cfg.Logger, TracerProvider: cfg.TracerProvider,
	})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return &Server{store: st, manager: m, log: cfg.Logger}, nil
}

// Close stops running jobs (calls in flight get ShutdownDrain to finish; the jobs resume on the next
// start) and closes the store. Call it after the gRPC server stopped.
func (s *Server) Close() error {
	err := s.manager.Close()
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	return err
}

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
	job, existing, err := s.manager.Submit(ctx, jobs.Spec{Sources: req.GetSources(), Options: req.GetOptions(), IdempotencyKey: req.GetIdempotencyKey()})
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
	job, _, err := s.manager.Submit(stream.Context(), jobs.Spec{Sources: req.GetSources(), Options: req.GetOptions(), IdempotencyKey: req.GetIdempotencyKey()})
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

// toStatus maps the job manager's errors to gRPC status: context errors pass through, unknown errors
// become Internal with a generic message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var (
		invalid *jobs.InvalidArgumentError
		busy    *jobs.OutputBusyError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.As(err, &invalid):
		st := status.New(codes.InvalidArgument, err.Error())
		if d, derr := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: invalid.Field, Description: invalid.Reason}}}); derr == nil {
			st = d
		}
		return st.Err()
	case errors.Is(err, jobs.ErrNotFound):
		return withInfo(codes.NotFound, err.Error(), "JOB_NOT_FOUND")
	case errors.Is(err, jobs.ErrPermissionDenied):
		return withInfo(codes.PermissionDenied, err.Error(), "SOURCE_NOT_ALLOWED")
	case errors.Is(err, jobs.ErrFinished):
		return withInfo(codes.FailedPrecondition, err.Error(), "JOB_FINISHED")
	case errors.As(err, &busy):
		return withInfo(codes.FailedPrecondition, busy.Error(), "OUTPUT_DIR_BUSY")
	case errors.Is(err, jobs.ErrOutputUnwritable):
		return withInfo(codes.FailedPrecondition, err.Error(), "OUTPUT_DIR_UNWRITABLE")
	case errors.Is(err, jobs.ErrBudgetUnpriced):
		return withInfo(codes.FailedPrecondition, err.Error(), "BUDGET_UNPRICED")
	case errors.Is(err, jobs.ErrClosed):
		return status.Error(codes.Unavailable, "orchestrator is shutting down")
	default:
		return status.Error(codes.Internal, "internal error")
	}
}

func withInfo(code codes.Code, msg, reason string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}); err == nil {
		st = d
	}
	return st.Err()
}

// String makes the config printable without its clients.
func (c Config) String() string {
	return fmt.Sprintf("store=%s output_root=%s allowed_roots=%v concurrency=%d", c.StorePath, c.OutputRoot, c.AllowedRoots, c.DefaultConcurrency)
}
