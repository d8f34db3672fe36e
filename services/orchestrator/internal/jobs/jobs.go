// Package jobs manages annotation jobs: submission with idempotency keys and job identities (one job
// per sources, options and output), running them through the pipeline, the event log that watchers
// follow, cancellation, and resuming jobs an earlier process left queued or running.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	"github.com/query4code/query4code/services/orchestrator/internal/metrics"
	"github.com/query4code/query4code/services/orchestrator/internal/pipeline"
	"github.com/query4code/query4code/services/orchestrator/internal/store"
)

// Errors the server maps to status codes.
var (
	ErrNotFound = store.ErrNotFound
	// ErrInvalidArgument wraps a request that can never succeed as sent (see InvalidArgumentError).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrPermissionDenied is returned for a local source outside the allowed roots.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrFinished is returned when cancelling a job that already ended.
	ErrFinished = errors.New("job already finished")
	// ErrClosed is returned once the manager is closing.
	ErrClosed = errors.New("job manager closed")
	// ErrOutputUnwritable refuses a job whose output directory cannot be created or written.
	ErrOutputUnwritable = errors.New("cannot write the dataset")
	// ErrBudgetUnpriced refuses a cost budget on a model whose price the annotator does not know: its
	// cost reads 0, so the budget would never stop the job.
	ErrBudgetUnpriced = errors.New("cost budget refused")
)

// OutputBusyError refuses a job whose output directory an unfinished job of another identity holds;
// errors.Is(err, ErrOutputBusy) is true of it.
type OutputBusyError = store.OutputBusyError

// ErrOutputBusy is what every OutputBusyError is.
var ErrOutputBusy = store.ErrOutputBusy

// InvalidArgumentError names the request field that is wrong.
type InvalidArgumentError struct {
	Field  string
	Reason string
}

func (e *InvalidArgumentError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalidArgument) true.
func (e *InvalidArgumentError) Unwrap() error { return ErrInvalidArgument }

const defaultPageSize = 50

// Config configures a Manager.
type Config struct {
	Store    *store.Store
	Pipeline pipeline.Config
	// OutputRoot is where output directories must lie; a job's default is <OutputRoot>/<job id>.
	OutputRoot string
	// AllowedRoots, when set, restrict local sources to these directories.
	AllowedRoots []string
	// ResumeOnSubmit leaves the jobs an earlier process left unfinished alone until the same job is
	// submitted again (the in-process CLI, which runs only the job it was asked for); false resumes
	// them all at start.
	ResumeOnSubmit bool
	// DefaultConcurrency is used when a job asks for 0; at least 1.
	DefaultConcurrency int
	// MaxRunningJobs bounds jobs running at once; others wait QUEUED. 0 means 2.
	MaxRunningJobs int
	// DrainTimeout is how long Close lets annotation calls in flight finish (so their results are stored
	// and not paid for twice) before it cancels them. 0 means 10 s.
	DrainTimeout time.Duration
	Logger       *slog.Logger
	// TracerProvider makes the job spans; nil means the global one (otel.GetTracerProvider).
	TracerProvider trace.TracerProvider
	// Metrics counts the jobs' work from their progress; nil counts nothing.
	Metrics *metrics.Jobs
}

// Manager runs jobs.
type Manager struct {
	cfg    Config
	store  *store.Store
	log    *slog.Logger
	tracer trace.Tracer
	slots  chan struct{}

	ctx      context.Context // cancelled by Close once the drain is over
	cancel   context.CancelFunc
	shutdown chan struct{} // closed when Close begins: jobs drain
	wg       sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	running map[string]*runningJob
	notify  map[string]chan struct{} // closed and replaced on every new event of a job
}

type runningJob struct {
	cancel    context.CancelCauseFunc
	cancelled bool
}

// errUserCancelled is the cause of a CancelJob cancellation, told apart from a shutdown.
var errUserCancelled = errors.New("cancelled by request")

// New opens a manager and resumes the jobs an earlier process left queued or running.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("jobs: a store is required")
	}
	if cfg.OutputRoot == "" {
		return nil, errors.New("jobs: an output root is required")
	}
	root, err := filepath.Abs(cfg.OutputRoot)
	if err != nil {
		return nil, fmt.Errorf("jobs: output root: %w", err)
	}
	cfg.OutputRoot = root
	if cfg.DefaultConcurrency < 1 {
		cfg.DefaultConcurrency = 8
	}
	if cfg.MaxRunningJobs < 1 {
		cfg.MaxRunningJobs = 2
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
	}
	m := &Manager{
		cfg: cfg, store: cfg.Store, log: cfg.Logger,
		tracer:   cfg.TracerProvider.Tracer("github.com/query4code/query4code/services/orchestrator"),
		slots:    make(chan struct{}, cfg.MaxRunningJobs),
		running:  map[string]*runningJob{},
		notify:   map[string]chan struct{}{},
		shutdown: make(chan struct{}),
	}
	m.cfg.Pipeline.Store = cfg.Store
	m.cfg.Pipeline.Tracer = m.tracer
	if m.cfg.Pipeline.Logger == nil {
		m.cfg.Pipeline.Logger = cfg.Logger
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if cfg.ResumeOnSubmit {
		return m, nil
	}
	pending, err := m.store.JobsInStates(orchestratorv1.JobState_JOB_STATE_QUEUED, orchestratorv1.JobState_JOB_STATE_RUNNING)
	if err != nil {
		m.cancel()
		return nil, err
	}
	for _, job := range pending {
		m.log.Info("resuming job", "job", job.GetJobId(), "state", job.GetState().String())
		m.start(job.GetJobId(), trace.SpanContext{})
	}
	return m, nil
}

// BeginShutdown is the start of Close, for the moment the server begins to drain: no job or call starts
// any more, Submit and Watch answer ErrClosed and the watchers still open return it, so the clients
// reconnect to the next server. Calls in flight go on until Close. It may be called more than once.
func (m *Manager) BeginShutdown() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	for _, ch := range m.notify {
		close(ch)
	}
	m.notify = map[string]chan struct{}{}
	close(m.shutdown)
}

// Close stops running jobs without marking them finished, so the next manager on the same store resumes
// them: no new call starts, calls in flight get until ctx ends, at most DrainTimeout, to finish and be
// stored, then the rest is cancelled. It returns when every job goroutine has stopped.
func (m *Manager) Close(ctx context.Context) error {
	m.BeginShutdown()
	drained := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(drained)
	}()
	timer := time.NewTimer(m.cfg.DrainTimeout)
	defer timer.Stop()
	select {
	case <-drained:
	case <-timer.C:
		m.log.Warn("drain timed out; cancelling calls in flight", "timeout", m.cfg.DrainTimeout)
	case <-ctx.Done():
		m.log.Warn("shutdown deadline reached; cancelling calls in flight", "cause", context.Cause(ctx))
	}
	m.cancel()
	<-drained
	return nil
}

// Spec is what SubmitJob asks for.
type Spec struct {
	Sources        []*parserv1.Source
	Options        *orchestratorv1.JobOptions
	IdempotencyKey string
	// Submitter is the span of the call that submitted the job, if traced: the job is a trace of its
	// own (it outlives the call, and a resumed run continues it), whose root span links to this one.
	Submitter trace.SpanContext
}

// Submit creates and starts a job, or returns an earlier one (existing=true): the job an earlier
// submission with the same idempotency key created, or the unfinished job with the same identity (see
// Identity), which continues from its stored stage results. A job is refused before it starts when
// its output directory cannot be written (ErrOutputUnwritable), another unfinished job holds that
// directory (OutputBusyError), or it has a cost budget the annotator cannot price (ErrBudgetUnpriced).
func (m *Manager) Submit(ctx context.Context, spec Spec) (*orchestratorv1.Job, bool, error) {
	if len(spec.Sources) == 0 {
		return nil, false, &InvalidArgumentError{Field: "sources", Reason: "at least one source is required"}
	}
	for i, src := range spec.Sources {
		if err := m.checkSource(src); err != nil {
			return nil, false, fmt.Errorf("sources[%d]: %w", i, err)
		}
	}
	now := time.Now()
	id, err := store.NewJobID(now)
	if err != nil {
		return nil, false, err
	}
	opts := proto.Clone(orDefault(spec.Options)).(*orchestratorv1.JobOptions)
	if opts.KeepThreshold == nil {
		opts.KeepThreshold = proto.Int32(2)
	}
	if t := opts.GetKeepThreshold(); t < 0 || t > 3 {
		return nil, false, &InvalidArgumentError{Field: "options.keep_threshold", Reason: "must be 0 to 3"}
	}
	if opts.GetConcurrency() < 0 || opts.GetBudgetUsd() < 0 || opts.GetMaxContextTokens() < 0 {
		return nil, false, &InvalidArgumentError{Field: "options", Reason: "concurrency, budget_usd and max_context_tokens must not be negative"}
	}
	if err := checkLanguages(opts.GetParse().GetLanguages()); err != nil {
		return nil, false, err
	}
	if err := m.checkTraining(opts); err != nil {
		return nil, false, err
	}
	if opts.GetConcurrency() == 0 {
		opts.Concurrency = int32(m.cfg.DefaultConcurrency)
	}
	outDir, err := m.outputDir(opts.GetOutputDir(), id)
	if err != nil {
		return nil, false, err
	}
	if err := dataset.CheckOutputDir(outDir); err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrOutputUnwritable, err)
	}
	annotator, err := m.annotatorIdentity(ctx, opts.GetBudgetUsd())
	if err != nil {
		return nil, false, err
	}
	requestedOut := ""
	if opts.GetOutputDir() != "" {
		requestedOut = outDir
	}
	identity := Identity(spec.Sources, opts, requestedOut, annotator)
	job := &orchestratorv1.Job{
		JobId: id, State: orchestratorv1.JobState_JOB_STATE_QUEUED, CreatedAt: timestamppb.New(now), UpdatedAt: timestamppb.New(now),
		Sources: spec.Sources, Options: opts, OutputDir: outDir, IdempotencyKey: spec.IdempotencyKey,
		Progress: &orchestratorv1.Progress{RepositoriesTotal: int32(len(spec.Sources))},
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, false, ErrClosed
	}
	// A Close between here and start leaves the job queued; the next manager runs it.
	sub, err := m.store.SubmitJob(job, identity)
	if err != nil {
		return nil, false, err
	}
	if !terminal(sub.Job.GetState()) {
		// New, reopened after a failure or cancellation, or left unfinished by an earlier process:
		// start is a no-op for a job already running here.
		if sub.Existing {
			m.log.Info("continuing job", "job", sub.Job.GetJobId(), "state", sub.Job.GetState().String(), "reopened", sub.Reopened)
		}
		m.start(sub.Job.GetJobId(), spec.Submitter)
	}
	return sub.Job, sub.Existing, nil
}

// infoTimeout bounds the annotator's Info call at submission.
const infoTimeout = 5 * time.Second

// annotatorIdentity asks the annotator which model and prompt version it answers with (part of a
// job's identity) and, for a job with a cost budget, refuses a model it cannot price. An annotator
// that does not answer leaves the last identity seen; the budget is then enforced as well as the
// answers' costs allow.
func (m *Manager) annotatorIdentity(ctx context.Context, budget float64) (store.AnnotatorIdentity, error) {
	if m.cfg.Pipeline.Annotator == nil {
		return m.store.Identity()
	}
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	info, err := m.cfg.Pipeline.Annotator.Info(ctx, &annotatorv1.InfoRequest{})
	if err != nil {
		m.log.Warn("annotator did not say its model at submission", "error", err)
		return m.store.Identity()
	}
	if budget > 0 && !info.GetPriced() {
		return store.AnnotatorIdentity{}, fmt.Errorf("%w: the annotator has no price for model %q, so its cost reads $0 and a $%g budget "+
			"would never stop the job; give the price with the annotator's --llm-prices %s=PROMPT/COMPLETION "+
			"(USD per 1M tokens; Q4C_ANNOTATOR_LLM_PRICES), or drop the budget", ErrBudgetUnpriced, info.GetModel(), budget, info.GetModel())
	}
	return store.AnnotatorIdentity{Model: info.GetModel(), PromptVersion: info.GetPromptVersion()}, nil
}

// Identity names what a job produces: its sources (normalised and in a canonical order), the options
// that change the dataset (all but concurrency, a run-time knob), the output directory ("" for the
// default, which is named after the job) and the annotator's model and prompt version. Submitting the
// same identity again continues the job unless it succeeded.
func Identity(sources []*parserv1.Source, opts *orchestratorv1.JobOptions, outputDir string, annotator store.AnnotatorIdentity) string {
	marshal := proto.MarshalOptions{Deterministic: true}
	var srcs []string
	for _, src := range sources {
		n := proto.Clone(src).(*parserv1.Source)
		switch k := n.GetKind().(type) {
		case *parserv1.Source_LocalPath:
			k.LocalPath = filepath.Clean(k.LocalPath)
		case *parserv1.Source_Git:
			k.Git.Url = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(k.Git.GetUrl()), "/"), ".git")
		}
		b, _ := marshal.Marshal(n) // a message that came off the wire always marshals
		srcs = append(srcs, string(b))
	}
	slices.Sort(srcs)
	o := proto.Clone(orDefault(opts)).(*orchestratorv1.JobOptions)
	o.Concurrency, o.OutputDir = 0, ""
	if p := o.GetParse(); p != nil {
		// The languages read are a set: their order changes nothing.
		slices.Sort(p.Languages)
	}
	ob, _ := marshal.Marshal(o)
	parts := append([]string{"q4c-job/v1", string(ob), outputDir, annotator.Model, annotator.PromptVersion}, srcs...)
	return store.HashText(parts...)
}

// checkLanguages refuses a language the parser does not read, or one named twice (the proto's rule,
// checked here too for callers that skip the validating interceptor, such as the in-process CLI).
func checkLanguages(langs []string) error {
	for i, l := range langs {
		if !slices.Contains(dataset.Languages, l) {
			return &InvalidArgumentError{Field: "options.parse.languages", Reason: fmt.Sprintf("%q is not a language the parser reads (%s)", l, strings.Join(dataset.Languages, ", "))}
		}
		if slices.Contains(langs[:i], l) {
			return &InvalidArgumentError{Field: "options.parse.languages", Reason: fmt.Sprintf("%q is named twice", l)}
		}
	}
	return nil
}

func orDefault(o *orchestratorv1.JobOptions) *orchestratorv1.JobOptions {
	if o == nil {
		return &orchestratorv1.JobOptions{}
	}
	return o
}

// outputDir resolves a requested output directory against the output root and refuses one outside it.
func (m *Manager) outputDir(requested, jobID string) (string, error) {
	if requested == "" {
		return filepath.Join(m.cfg.OutputRoot, jobID), nil
	}
	dir := requested
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(m.cfg.OutputRoot, dir)
	}
	dir = filepath.Clean(dir)
	if !within(m.cfg.OutputRoot, dir) {
		return "", &InvalidArgumentError{Field: "options.output_dir", Reason: fmt.Sprintf("%q is outside the output root %s", requested, m.cfg.OutputRoot)}
	}
	// A symlink inside the root could still lead out of it.
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		root, rerr := filepath.EvalSymlinks(m.cfg.OutputRoot)
		if rerr == nil && !within(root, resolved) {
			return "", &InvalidArgumentError{Field: "options.output_dir", Reason: fmt.Sprintf("%q leads outside the output root through a symlink", requested)}
		}
	}
	return dir, nil
}

func (m *Manager) checkSource(src *parserv1.Source) error {
	switch k := src.GetKind().(type) {
	case *parserv1.Source_LocalPath:
		if k.LocalPath == "" {
			return &InvalidArgumentError{Field: "local_path", Reason: "empty"}
		}
		if strings.ContainsRune(k.LocalPath, 0) {
			return &InvalidArgumentError{Field: "local_path", Reason: "contains a NUL byte"}
		}
		if len(m.cfg.AllowedRoots) == 0 {
			return nil
		}
		path, err := filepath.Abs(k.LocalPath)
		if err != nil {
			return &InvalidArgumentError{Field: "local_path", Reason: err.Error()}
		}
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			path = resolved
		}
		for _, root := range m.cfg.AllowedRoots {
			if r, err := filepath.EvalSymlinks(root); err == nil {
				root = r
			}
			if within(root, path) {
				return nil
			}
		}
		return fmt.Errorf("%w: %s is outside the allowed roots", ErrPermissionDenied, k.LocalPath)
	case *parserv1.Source_Git:
		return checkGitURL(k.Git.GetUrl())
	default:
		return &InvalidArgumentError{Field: "kind", Reason: "a local path or a git source is required"}
	}
}

// checkGitURL refuses at submission the git URLs no parser clones (the
// parser only takes https without credentials; see its gitsource
// package), so that such a job fails at once instead of after it started.
// Which hosts are allowed is the parser's configuration: a URL to a host it
// refuses still fails the job when it runs.
func checkGitURL(raw string) error {
	if raw == "" {
		return &InvalidArgumentError{Field: "git.url", Reason: "empty"}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return &InvalidArgumentError{Field: "git.url", Reason: "not a URL: " + err.Error()}
	case u.Scheme != "https":
		return &InvalidArgumentError{Field: "git.url", Reason: fmt.Sprintf("only https URLs are cloned, not %q", raw)}
	case u.User != nil:
		return &InvalidArgumentError{Field: "git.url", Reason: "credentials in the URL are refused"}
	case u.Host == "":
		return &InvalidArgumentError{Field: "git.url", Reason: fmt.Sprintf("no host in %q", raw)}
	}
	return nil
}

func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Get returns a job.
func (m *Manager) Get(id string) (*orchestratorv1.Job, error) { return m.store.GetJob(id) }

// List pages through jobs, newest first.
func (m *Manager) List(state orchestratorv1.JobState, pageSize int, pageToken string) ([]*orchestratorv1.Job, string, error) {
	if pageSize <= 0 {
		pageSize = defaultPageSize
	}
	return m.store.ListJobs(state, pageSize, pageToken)
}

// Cancel stops a queued or running job. Finished work stays in the store.
func (m *Manager) Cancel(id string) (*orchestratorv1.Job, error) {
	job, err := m.store.GetJob(id)
	if err != nil {
		return nil, err
	}
	if terminal(job.GetState()) {
		return nil, fmt.Errorf("job %s is %s: %w", id, job.GetState(), ErrFinished)
	}
	m.mu.Lock()
	rj, ok := m.running[id]
	if ok {
		rj.cancelled = true
	}
	m.mu.Unlock()
	if ok {
		rj.cancel(errUserCancelled)
		return m.waitTerminal(id)
	}
	// Not running in this process (e.g. closing): finish it here.
	return m.finish(id, orchestratorv1.JobState_JOB_STATE_CANCELLED, "cancelled", nil, false)
}

// waitTerminal waits briefly for the run to record its end, so CancelJob returns the cancelled job.
func (m *Manager) waitTerminal(id string) (*orchestratorv1.Job, error) {
	for {
		m.mu.Lock()
		ch := m.notifyLocked(id)
		m.mu.Unlock()
		job, err := m.store.GetJob(id)
		if err != nil || terminal(job.GetState()) {
			return job, err
		}
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			return job, nil
		}
	}
}

func terminal(s orchestratorv1.JobState) bool {
	return s == orchestratorv1.JobState_JOB_STATE_SUCCEEDED || s == orchestratorv1.JobState_JOB_STATE_FAILED || s == orchestratorv1.JobState_JOB_STATE_CANCELLED
}

// Watch calls send for every event of the job after afterSequence, the stored ones first and then the
// live ones, and returns after the done event, on a send error, or when ctx ends.
func (m *Manager) Watch(ctx context.Context, id string, afterSequence uint64, send func(*orchestratorv1.JobEvent) error) error {
	if _, err := m.store.GetJob(id); err != nil {
		return err
	}
	after := afterSequence
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return ErrClosed
		}
		ch := m.notifyLocked(id) // taken before reading, so no event slips between read and wait
		m.mu.Unlock()
		// A job run again after it failed or was cancelled keeps its earlier runs' events; their done
		// and fatal error events no longer end it.
		earlierEnd, err := m.store.EarlierRunsEnd(id)
		if err != nil {
			return err
		}
		for {
			events, err := m.store.Events(id, after, 256)
			if err != nil {
				return err
			}
			for _, ev := range events {
				if ev.GetSequence() <= earlierEnd && (ev.GetDone() != nil || ev.GetError().GetFatal()) {
					after = ev.GetSequence()
					continue
				}
				if err := send(ev); err != nil {
					return err
				}
				after = ev.GetSequence()
				if ev.GetDone() != nil {
					return nil
				}
			}
			if len(events) < 256 {
				break
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (m *Manager) notifyLocked(id string) chan struct{} {
	ch, ok := m.notify[id]
	if !ok {
		ch = make(chan struct{})
		if m.closed {
			close(ch)
			return ch
		}
		m.notify[id] = ch
	}
	return ch
}

func (m *Manager) wake(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch, ok := m.notify[id]; ok {
		close(ch)
		delete(m.notify, id)
	}
}

// start runs a job in its own goroutine once a slot is free, unless it already runs here. A closing
// manager starts nothing: the job stays queued for the next one. submitter is the span the job's trace
// links to, if any.
func (m *Manager) start(id string, submitter trace.SpanContext) {
	ctx, cancel := context.WithCancelCause(m.ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, running := m.running[id]; m.closed || running {
		cancel(nil)
		return
	}
	m.running[id] = &runningJob{cancel: cancel}
	m.wg.Go(func() {
		defer cancel(nil)
		defer func() {
			m.mu.Lock()
			delete(m.running, id)
			m.mu.Unlock()
		}()
		select {
		case m.slots <- struct{}{}:
		case <-ctx.Done():
			m.ended(ctx, id, ctx.Err())
			return
		case <-m.shutdown:
			return
		}
		defer func() { <-m.slots }()
		m.run(ctx, id, submitter)
	})
}

// ended records how a job that stopped with err ended: a shutdown leaves it to be resumed, a user
// cancellation marks it cancelled.
func (m *Manager) ended(ctx context.Context, id string, err error) {
	if errors.Is(context.Cause(ctx), errUserCancelled) {
		if _, ferr := m.finish(id, orchestratorv1.JobState_JOB_STATE_CANCELLED, "cancelled", nil, false); ferr != nil {
			m.log.Error("record cancellation", "job", id, "error", ferr)
		}
		return
	}
	m.log.Info("job interrupted by shutdown; it resumes on restart", "job", id, "error", err)
}

func (m *Manager) run(ctx context.Context, id string, submitter trace.SpanContext) {
	job, err := m.store.UpdateJob(id, func(j *orchestratorv1.Job) error {
		if terminal(j.GetState()) {
			return fmt.Errorf("job %s is %s: %w", id, j.GetState(), ErrFinished)
		}
		j.State = orchestratorv1.JobState_JOB_STATE_RUNNING
		return nil
	})
	if err != nil {
		m.log.Error("start job", "job", id, "error", err)
		return
	}
	ctx, span := m.rootSpan(ctx, job, submitter)
	defer span.End()
	log := m.log.With("job", id, "trace_id", span.SpanContext().TraceID().String())
	log.Info("job running", "sources", len(job.GetSources()))

	// The run goes on from the stored progress: only what it adds to it is counted.
	sink := &jobSink{m: m, id: id, counted: job.GetProgress()}
	res, err := pipeline.Run(ctx, m.cfg.Pipeline, pipeline.Job{
		ID: id, Sources: job.GetSources(), Options: job.GetOptions(), OutputDir: job.GetOutputDir(), Prior: job.GetProgress(),
		Shutdown: m.shutdown,
	}, sink)
	switch {
	case err == nil:
		sink.count(res.Progress)
		if _, ferr := m.finish(id, orchestratorv1.JobState_JOB_STATE_SUCCEEDED, res.Note, res.Progress, res.BudgetReached); ferr != nil {
			log.Error("record success", "error", ferr)
		}
		log.Info("job succeeded", "note", res.Note)
	case ctx.Err() != nil || errors.Is(err, pipeline.ErrInterrupted):
		span.SetStatus(codes.Error, "interrupted")
		m.ended(ctx, id, err)
	default:
		span.RecordError(err)
		span.SetStatus(codes.Error, "job failed")
		log.Error("job failed", "error", err)
		if _, emitErr := m.store.AppendEvent(id, &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Error{Error: &orchestratorv1.JobError{Message: err.Error(), Fatal: true}}}); emitErr != nil {
			log.Error("record fatal error", "error", emitErr)
		}
		if _, ferr := m.finish(id, orchestratorv1.JobState_JOB_STATE_FAILED, err.Error(), res.Progress, false); ferr != nil {
			log.Error("record failure", "error", ferr)
		}
	}
}

// rootSpan starts the job's root span, linked to the submitting call's span when there is one. The first
// run stores its trace context; a resumed run starts its root span as a child of that one, so the whole
// job stays one trace.
func (m *Manager) rootSpan(ctx context.Context, job *orchestratorv1.Job, submitter trace.SpanContext) (context.Context, trace.Span) {
	prop := propagation.TraceContext{}
	tp, err := m.store.TraceParent(job.GetJobId())
	if err != nil {
		m.log.Warn("read job trace", "job", job.GetJobId(), "error", err)
	}
	resumed := false
	if tp != "" {
		parent := prop.Extract(ctx, propagation.MapCarrier{"traceparent": tp})
		if trace.SpanContextFromContext(parent).IsValid() {
			ctx, resumed = parent, true
		}
	}
	opts := []trace.SpanStartOption{trace.WithAttributes(attribute.String("q4c.job_id", job.GetJobId()), attribute.Bool("q4c.resumed", resumed))}
	if submitter.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: submitter}))
	}
	ctx, span := m.tracer.Start(ctx, "job", opts...)
	if !resumed && span.SpanContext().IsValid() {
		carrier := propagation.MapCarrier{}
		prop.Inject(ctx, carrier)
		if err := m.store.SetTraceParent(job.GetJobId(), carrier["traceparent"]); err != nil {
			m.log.Warn("store job trace", "job", job.GetJobId(), "error", err)
		}
	}
	return ctx, span
}

// finish sets a terminal state and appends the done event in one transaction.
func (m *Manager) finish(id string, state orchestratorv1.JobState, note string, progress *orchestratorv1.Progress, budgetReached bool) (*orchestratorv1.Job, error) {
	doneEvent := &orchestratorv1.JobEvent{}
	job, _, err := m.store.FinishJob(id, func(j *orchestratorv1.Job) error {
		if terminal(j.GetState()) {
			return fmt.Errorf("job %s is %s: %w", id, j.GetState(), ErrFinished)
		}
		j.State = state
		j.Error = note
		if progress != nil {
			j.Progress = progress
		}
		// The done event carries the job's final values; FinishJob appends it after this change.
		doneEvent.Kind = &orchestratorv1.JobEvent_Done{Done: &orchestratorv1.JobDone{
			State: state, OutputDir: j.GetOutputDir(), Progress: j.GetProgress(), Error: note, BudgetReached: budgetReached,
		}}
		return nil
	}, doneEvent)
	if err != nil {
		return nil, err
	}
	m.wake(id)
	return job, nil
}

// jobSink stores a running job's events and wakes its watchers.
type jobSink struct {
	m  *Manager
	id string

	mu      sync.Mutex
	counted *orchestratorv1.Progress // the progress the metrics hold for this run
}

// count adds to the metrics what the job did since the last progress counted.
func (s *jobSink) count(p *orchestratorv1.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.cfg.Metrics.Progress(s.counted, p)
	s.counted = p
}

func (s *jobSink) Event(ev *orchestratorv1.JobEvent) error {
	var err error
	if p := ev.GetProgress(); p != nil {
		_, err = s.m.store.AppendProgress(s.id, p)
		if err == nil {
			s.count(p)
		}
	} else {
		_, err = s.m.store.AppendEvent(s.id, ev)
	}
	if err != nil {
		return err
	}
	s.m.wake(s.id)
	return nil
}

// Record queues the record without waiting for the disk, so the annotation worker moves on at once; the
// pipeline flushes the store before it writes the dataset, which reports a failed write.
func (s *jobSink) Record(rec *orchestratorv1.Record) error {
	return s.m.store.AppendRecordAsync(s.id, rec, func(appended bool, err error) {
		if err != nil {
			s.m.log.Error("store record", "job", s.id, "error", err)
			return
		}
		if appended {
			s.m.wake(s.id)
		}
	})
}
