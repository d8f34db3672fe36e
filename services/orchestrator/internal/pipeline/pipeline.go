// Package pipeline runs one annotation job: parse every source, record API usage with the docs service,
// fetch documentation for unpopular APIs, then annotate every function callee-first (summary, query,
// validation) through the dependency-driven scheduler, and write the dataset.
//
// Every annotator result is stored under a content hash of what was sent (stage, code, the context,
// options, prompt version and model) and looked up before any call, so a resumed or repeated job repeats
// no finished call, and identical code with identical context is annotated once.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/query4code/query4code/platform/license"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	"github.com/query4code/query4code/services/orchestrator/internal/schedule"
	"github.com/query4code/query4code/services/orchestrator/internal/store"
	"github.com/query4code/query4code/services/orchestrator/usage"
)

// ErrNoSource is returned when no source of the job could be parsed.
var ErrNoSource = errors.New("no source could be parsed")

// ErrNoSupportedFile is why a source that holds no file in a language the job reads (Python,
// JavaScript, TypeScript, or those of its languages option) fails.
var ErrNoSupportedFile = errors.New("no file in a supported language")

// ErrAllFailed is returned when every function of the job failed to be annotated.
var ErrAllFailed = errors.New("every function failed annotation")

// ErrInterrupted is returned when Job.Shutdown closed before the job finished: the calls in flight were
// allowed to finish and their results stored, and the job is left to be resumed.
var ErrInterrupted = errors.New("job interrupted by shutdown")

// ErrLLMUnavailable is returned when an LLM outage left functions unannotated: their calls failed after
// the annotator's own retries, or the job's circuit breaker tripped Config.BreakerTrips times in a row and
// stopped the job. Nothing of those functions is stored as failed, and no dataset is written: a later run
// of the same job, which serves every finished call from the store, annotates them.
var ErrLLMUnavailable = errors.New("LLM unavailable")

// errStopping stops a stage that would need a new call after the budget was reached or a shutdown began.
var errStopping = errors.New("job stopping")

// errOutage marks a call that failed by an LLM outage: its function is left for a later run.
var errOutage = errors.New("LLM outage")

// Stage names, used in cache keys and span names.
const (
	StageSummarize     = "summarize"
	StageGenerateQuery = "generate_query"
	StageValidate      = "validate"
)

// stagesPerFunction is the annotation calls a function needs: summary, query and validation.
const stagesPerFunction = 3

// Size limits of the annotator API, kept so that oversized context is trimmed, not refused.
const (
	maxCallees        = 256
	maxAPIDocs        = 256
	maxSummaryBytes   = 8192
	maxCalleeCode     = 65536
	maxDocBytes       = 16384
	lookupBatch       = 1000
	parseParallelism  = 4
	defaultProgressIv = 500 * time.Millisecond
	// Circuit breaker defaults: the annotator already waited out its own retries (seconds), so the job
	// pauses on the order of seconds too, and gives up after a few minutes without an answer.
	defaultBreakerPause    = time.Second
	defaultBreakerMaxPause = time.Minute
	defaultBreakerTrips    = 5
)

// CallFailure is what a failed annotator call means for the job, as Config.Classify reads it.
type CallFailure struct {
	// Outage: the LLM, or every annotator replica, is unavailable for now (the annotator's retries did not
	// get through). The call is not resent in this run and its function is not failed: it is left for a
	// later run, and the job's circuit breaker pauses new calls. Otherwise the function fails for good
	// (an unusable answer, a rejected request, invalid input).
	Outage bool
	// RetryAfter is the pause the annotator asked for (its RetryInfo); 0 when it gave none.
	RetryAfter time.Duration
	// Usage is what the failed call spent (the annotator's Usage detail): it counts in the job's requests,
	// tokens, cost and budget. Nil when the failure carried none (the call reached no LLM).
	Usage *annotatorv1.Usage
}

// Config holds what every job of an orchestrator shares.
type Config struct {
	Parser    parserv1.ParserServiceClient
	Docs      docsv1.DocsServiceClient
	Annotator annotatorv1.AnnotatorServiceClient
	Store     *store.Store
	// Tracer makes the job's spans; nil means no tracing.
	Tracer trace.Tracer
	Logger *slog.Logger
	// Classify says what a failed annotator call means. Required: it is how the server package's
	// knowledge of gRPC codes and error details reaches this package. The pipeline never resends a failed
	// call itself: the annotator is the only layer that retries an LLM request.
	Classify func(error) CallFailure
	// BreakerPause is the circuit breaker's first pause after an outage, doubled at each trip in a row up
	// to a minute; 0 means 1 s.
	BreakerPause time.Duration
	// BreakerTrips is how many trips in a row, with no answer between them, stop the job; 0 means 5.
	BreakerTrips int
	// ParseRetryDelay says whether a failed parse asks to be retried after a delay (a parser whose
	// analysis budget is full answers so) and how long; nil means never. Like Classify, it carries
	// the server package's knowledge of gRPC status details.
	ParseRetryDelay func(error) (time.Duration, bool)
	// ProgressInterval is the most often progress events are sent; 0 means 500 ms.
	ProgressInterval time.Duration
	// OmitLocalPaths leaves the sources' local paths out of manifest.json, so no output file holds a
	// path of the machine that ran the job.
	OmitLocalPaths bool
}

// Job is one run of a job.
type Job struct {
	ID      string
	Sources []*parserv1.Source
	// Options with defaults resolved: Concurrency >= 1, KeepThreshold set.
	Options   *orchestratorv1.JobOptions
	OutputDir string
	// Prior is the progress stored by an earlier, interrupted run of the same job: its spend (calls,
	// tokens, cost) carries over so the budget covers the whole job. The spend the store records with
	// each call wins when there is one (it does not lag behind the last progress event).
	Prior *orchestratorv1.Progress
	// Shutdown, when closed, stops the job gracefully: no new call starts, the calls in flight finish and
	// are stored, and Run returns ErrInterrupted. Cancelling ctx instead abandons the calls in flight.
	Shutdown <-chan struct{}
}

// Sink receives a job's events.
type Sink interface {
	// Event records a progress or error event.
	Event(ev *orchestratorv1.JobEvent) error
	// Record stores a finished record and announces it with a pair event, once per record id. It may
	// return before the record is durable: Config.Store.Flush waits for it and reports a failure.
	Record(rec *orchestratorv1.Record) error
}

// Result is how a run ended.
type Result struct {
	// Progress is the final count, also when Run returns an error.
	Progress *orchestratorv1.Progress
	// Note explains an early stop (the cost budget); empty when every function was annotated.
	Note string
	// BudgetReached is true when the cost budget stopped the job early.
	BudgetReached bool
}

type repoState struct {
	index  int
	source *parserv1.Source
	// name keys the source in the docs service's usage counts, logs and events (dataset.RepoName).
	name string
	// prov names the source in the output files, without local paths.
	prov   dataset.Provenance
	local  string
	commit string
	// license is the source's SPDX id, or "unknown" (license.Unknown).
	license string
	funcs   []*parserv1.Function
	// skipped and syntaxErrors are the parser's files not parsed and functions not emitted.
	skipped      []*parserv1.SkippedFile
	syntaxErrors []*parserv1.SyntaxErrorFunction
	parsed       bool
	// parseErr is why the parse failed, when it did.
	parseErr error
	span     trace.Span
	ctx      context.Context
	left     int // functions not yet finished, to end the repository span
}

type fnState struct {
	key  string
	repo *repoState
	fn   *parserv1.Function
	span trace.Span
	// subtree hashes the function's code with everything it calls, transitively (see subtreeHashes).
	subtree string
	// exclusion is why the function is left out of the dataset; nil when it is annotated.
	exclusion *exclusion
	// summaryOnly marks a left-out function whose summary a kept caller needs: it runs the summary
	// stage only and gets no record.
	summaryOnly bool

	// Written by one stage, read by the next ones and by callers' stages; guarded by run.mu.
	summary   *store.StageResult
	query     *store.StageResult
	failed    bool
	abandoned bool
}

type flight struct {
	done chan struct{}
	res  *store.StageResult
	err  error
}

type run struct {
	cfg  Config
	job  Job
	sink Sink
	log  *slog.Logger

	repos []*repoState
	// nodes holds every function of the job, scheduled or left out, by nodeKey.
	nodes map[string]*fnState
	// training are the job's licence, decontamination and near-duplicate filters and its splits.
	training trainingFilters
	// funcs lists the same functions in source order, then the parser's order.
	funcs []*fnState

	mu       sync.Mutex
	progress *orchestratorv1.Progress
	changed  bool
	identity store.AnnotatorIdentity
	docs     map[string]*docsv1.APIInfo
	docsDown bool
	flights  map[string]*flight
	memo     map[string]*store.StageResult
	breaker  *breaker
	// llmDown is set when the breaker found the outage lasting and stopped the job.
	llmDown  bool
	stop     chan struct{} // closed when the budget is reached or a shutdown begins
	stopOnce sync.Once
	shutdown bool
	// budgetReached is set when the cost budget stopped the job.
	budgetReached bool
	lastFailure   error
}

// Run runs a job to the end and writes its dataset. It returns a context error when ctx is cancelled,
// and an error when the job cannot complete (no source parsed, every function failed, the dataset
// could not be written). A budget stop is not an error: the dataset holds what was finished.
func Run(ctx context.Context, cfg Config, job Job, sink Sink) (Result, error) {
	if cfg.Classify == nil {
		return Result{}, errors.New("pipeline: Classify is required")
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.BreakerPause <= 0 {
		cfg.BreakerPause = defaultBreakerPause
	}
	if cfg.BreakerTrips <= 0 {
		cfg.BreakerTrips = defaultBreakerTrips
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = defaultProgressIv
	}
	identity, err := cfg.Store.Identity()
	if err != nil {
		return Result{}, err
	}
	r := &run{
		cfg: cfg, job: job, sink: sink, log: cfg.Logger.With("job", job.ID),
		nodes:    map[string]*fnState{},
		progress: &orchestratorv1.Progress{Stage: orchestratorv1.Stage_STAGE_PARSING, RepositoriesTotal: int32(len(job.Sources))},
		identity: identity,
		docs:     map[string]*docsv1.APIInfo{},
		flights:  map[string]*flight{},
		memo:     map[string]*store.StageResult{},
		stop:     make(chan struct{}),
		breaker:  newBreaker(cfg.BreakerPause, max(cfg.BreakerPause, defaultBreakerMaxPause), cfg.BreakerTrips, realClock{}),
	}
	r.askIdentity(ctx)
	// The spend recorded with each call is exact across crashes; the stored progress (Prior) may lag
	// by the calls since its last event, and is only the fallback.
	if spend, ok, err := cfg.Store.JobSpend(job.ID); err != nil {
		return Result{}, err
	} else if ok {
		r.progress.LlmCalls, r.progress.PromptTokens = spend.LLMCalls, spend.PromptTokens
		r.progress.CompletionTokens, r.progress.CostUsd = spend.CompletionTokens, spend.CostUSD
	} else if p := job.Prior; p != nil {
		r.progress.LlmCalls, r.progress.PromptTokens = p.GetLlmCalls(), p.GetPromptTokens()
		r.progress.CompletionTokens, r.progress.CostUsd = p.GetCompletionTokens(), p.GetCostUsd()
	}
	defer r.endRepoSpans()

	// Preparation (parsing, usage, docs) is cancelled by a shutdown; annotation drains instead.
	prepCtx, cancelPrep := context.WithCancel(ctx)
	defer cancelPrep()
	tickerDone := make(chan struct{})
	tickerStop := make(chan struct{})
	go func() {
		defer close(tickerDone)
		r.tickProgress(tickerStop)
	}()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-job.Shutdown:
			r.mu.Lock()
			r.shutdown = true
			r.mu.Unlock()
			r.stopOnce.Do(func() { close(r.stop) })
			cancelPrep()
		case <-tickerStop:
		}
	}()
	res, err := r.execute(ctx, prepCtx)
	close(tickerStop)
	<-tickerDone
	<-watchDone
	if err != nil {
		// What a failed run spent, for its one-line report; the last progress event may be older.
		res.Progress = r.snapshot()
	}
	return res, err
}

func (r *run) interrupted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.shutdown
}

func (r *run) execute(ctx, prepCtx context.Context) (Result, error) {
	prep := func(err error) error {
		if err != nil && ctx.Err() == nil && r.interrupted() {
			return ErrInterrupted
		}
		return err
	}
	training, err := resolveTrainingFilters(r.job.Options)
	if err != nil {
		return Result{}, err
	}
	r.training = training
	if err := r.parseAll(prepCtx); err != nil {
		return Result{}, prep(err)
	}
	if err := r.recordUsage(prepCtx); err != nil {
		return Result{}, prep(err)
	}
	if err := r.lookupDocs(prepCtx); err != nil {
		return Result{}, prep(err)
	}
	if r.interrupted() {
		return Result{}, ErrInterrupted
	}
	nodes, err := r.buildGraph()
	if err != nil {
		return Result{}, err
	}
	r.setStage(orchestratorv1.Stage_STAGE_ANNOTATING)
	r.flushProgress()

	concurrency := int(r.job.Options.GetConcurrency())
	err = schedule.Run(ctx, nodes, []schedule.Stage{r.summarize, r.generateQuery, r.validate},
		schedule.Options{Concurrency: max(concurrency, 1), Stop: r.stop})
	// The stored progress is what a failed or interrupted run reports and what the next run carries on
	// from: it must hold every request sent.
	r.flushProgress()
	note := ""
	r.mu.Lock()
	budgetReached, llmDown := r.budgetReached, r.llmDown
	notAnnotated := r.progress.GetFunctionsTotal() - r.progress.GetFunctionsDone()
	r.mu.Unlock()
	switch {
	case (err == nil || errors.Is(err, schedule.ErrStopped)) && r.interrupted():
		return Result{}, ErrInterrupted
	case (err == nil || errors.Is(err, schedule.ErrStopped)) && (llmDown || notAnnotated > 0 && !budgetReached):
		// Only an outage leaves functions neither done nor failed without a budget stop.
		noun := "functions"
		if notAnnotated == 1 {
			noun = "function"
		}
		return Result{}, fmt.Errorf("%w: %d %s not annotated; run the same command again to continue", ErrLLMUnavailable, notAnnotated, noun)
	case err == nil && budgetReached, errors.Is(err, schedule.ErrStopped):
		r.mu.Lock()
		done, total := r.progress.GetFunctionsDone(), r.progress.GetFunctionsTotal()
		note = fmt.Sprintf("stopped early: cost budget of $%.4f reached after $%.4f; %d of %d functions annotated",
			r.job.Options.GetBudgetUsd(), r.progress.GetCostUsd(), done, total)
		r.mu.Unlock()
	case err != nil:
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Result{}, ctxErr
		}
		return Result{}, fmt.Errorf("annotate: %w", err)
	}
	r.mu.Lock()
	failed, total, lastFailure := r.progress.GetFunctionsFailed(), r.progress.GetFunctionsTotal(), r.lastFailure
	r.mu.Unlock()
	if total > 0 && failed == total {
		return Result{}, fmt.Errorf("%w (%d functions), last error: %w", ErrAllFailed, total, lastFailure)
	}

	r.setStage(orchestratorv1.Stage_STAGE_WRITING)
	r.flushProgress()
	if err := r.writeDataset(ctx, note); err != nil {
		return Result{}, err
	}
	return Result{Progress: r.snapshot(), Note: note, BudgetReached: note != ""}, nil
}

// identityTimeout bounds the annotator's Info call at the start of a job.
const identityTimeout = 10 * time.Second

// askIdentity asks the annotator which model and prompt version it answers with, so that cache keys
// name them from the job's first call: after a model switch, an unchanged rerun must call the new
// model instead of serving the old one's answers. An annotator that cannot say (down, or an older
// one without Info) leaves the last identity seen in an answer, which the first answer corrects.
func (r *run) askIdentity(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	info, err := r.cfg.Annotator.Info(ctx, &annotatorv1.InfoRequest{})
	if err != nil {
		r.log.Warn("annotator did not say its model; caching under the last model seen", "model", r.identity.Model, "error", err)
		return
	}
	id := store.AnnotatorIdentity{Model: info.GetModel(), PromptVersion: info.GetPromptVersion()}
	if id == r.identity {
		return
	}
	r.log.Info("annotator identity", "model", id.Model, "prompt_version", id.PromptVersion, "previous_model", r.identity.Model)
	r.identity = id
	if err := r.cfg.Store.SetIdentity(id); err != nil {
		r.log.Error("record annotator identity", "error", err)
	}
}

// parseAll parses every source (a few at a time) before any annotation, so popularity covers the corpus.
func (r *run) parseAll(ctx context.Context) error {
	r.repos = make([]*repoState, len(r.job.Sources))
	for i, src := range r.job.Sources {
		repo := &repoState{index: i, source: src}
		repo.name, repo.local, repo.prov = dataset.RepoName(src), src.GetLocalPath(), dataset.SourceProvenance(src)
		r.repos[i] = repo
	}
	provs := make([]dataset.Provenance, len(r.repos))
	for i, repo := range r.repos {
		provs[i] = repo.prov
	}
	dataset.Distinguish(provs)
	for i, repo := range r.repos {
		repo.prov = provs[i]
	}
	sem := make(chan struct{}, parseParallelism)
	var wg sync.WaitGroup
	for _, repo := range r.repos {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			r.parseOne(ctx, repo)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, repo := range r.repos {
		if repo.parsed {
			return nil
		}
	}
	unsupported := 0
	for _, repo := range r.repos {
		if errors.Is(repo.parseErr, ErrNoSupportedFile) {
			unsupported++
		}
	}
	if unsupported == len(r.repos) {
		if len(r.repos) == 1 {
			return fmt.Errorf("%w: %w", ErrNoSource, r.repos[0].parseErr)
		}
		return fmt.Errorf("%w: none of the %d sources holds a file in a supported language (%s)", ErrNoSource, len(r.repos), r.languagesRead())
	}
	// Say why: with one source (the usual case) this is the whole story.
	return fmt.Errorf("%w: %d sources; %q: %w", ErrNoSource, len(r.repos), r.repos[0].name, r.repos[0].parseErr)
}

// parseAttempts bounds the parses of one repository (the first included) when the parser asks for
// a retry later; maxParseRetryDelay bounds each wait, whatever the parser suggests.
const (
	parseAttempts      = 4
	maxParseRetryDelay = 2 * time.Minute
)

// parseOne parses one repository; a parser too busy to take it is asked again after the delay it
// names, a bounded number of times.
func (r *run) parseOne(ctx context.Context, repo *repoState) {
	repoCtx, span := r.cfg.Tracer.Start(ctx, "repository", trace.WithAttributes(attribute.String("q4c.repository", repo.name)))
	repo.span, repo.ctx = span, repoCtx
	pctx, pspan := r.cfg.Tracer.Start(repoCtx, "parse")
	defer pspan.End()
	parse := func() error {
		repo.funcs = nil
		stream, err := r.cfg.Parser.ParseRepository(pctx, &parserv1.ParseRepositoryRequest{Source: repo.source, Options: parserOptions(r.job.Options)})
		if err != nil {
			return err
		}
		for {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return errors.New("stream ended without stats")
			}
			if err != nil {
				return err
			}
			switch ev := msg.GetEvent().(type) {
			case *parserv1.ParseRepositoryResponse_Function:
				repo.funcs = append(repo.funcs, ev.Function)
			case *parserv1.ParseRepositoryResponse_Stats:
				repo.commit = cmp.Or(ev.Stats.GetCommit(), repo.prov.Commit)
				// The parser names the licence of the tree it parsed, git checkouts included.
				repo.license = cmp.Or(ev.Stats.GetLicense(), license.Unknown)
				repo.skipped, repo.syntaxErrors = ev.Stats.GetSkipped(), ev.Stats.GetSyntaxErrorFunctions()
				if ev.Stats.GetFiles() == 0 && len(repo.funcs) == 0 {
					return r.noSupportedFileError(repo)
				}
				return nil
			}
		}
	}
	err := parse()
	for attempt := 1; err != nil && attempt < parseAttempts && r.cfg.ParseRetryDelay != nil; attempt++ {
		delay, retry := r.cfg.ParseRetryDelay(err)
		if !retry {
			break
		}
		r.log.Info("parser busy; retrying the parse", "repository", repo.name, "delay", delay, "attempt", attempt+1, "error", err)
		timer := time.NewTimer(min(delay, maxParseRetryDelay))
		select {
		case <-timer.C:
			err = parse()
		case <-pctx.Done():
			timer.Stop()
			err = pctx.Err()
		}
	}
	if err != nil {
		repo.funcs, repo.syntaxErrors, repo.parseErr = nil, nil, err
		pspan.RecordError(err)
		pspan.SetStatus(codes.Error, "parse failed")
		if ctx.Err() == nil {
			r.event(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Error{Error: &orchestratorv1.JobError{
				Message: fmt.Sprintf("parse: %v", err), Repository: repo.name,
			}}})
		}
		return
	}
	pspan.SetAttributes(attribute.Int("q4c.functions", len(repo.funcs)))
	repo.parsed = true
	r.mu.Lock()
	r.progress.RepositoriesParsed++
	r.changed = true
	r.mu.Unlock()
}

// noSupportedFileError says that a source holds no file the parser could read in the languages the
// job reads, naming the source portably and counting the files skipped (named in manifest.json).
func (r *run) noSupportedFileError(repo *repoState) error {
	if n := len(repo.skipped); n > 0 {
		return fmt.Errorf("%w (%s) in %s: %d files skipped, none parsed (see manifest.json)", ErrNoSupportedFile, r.languagesRead(), repo.prov.Name(), n)
	}
	return fmt.Errorf("%w (%s) in %s", ErrNoSupportedFile, r.languagesRead(), repo.prov.Name())
}

// languagesRead names the languages the job reads: its parse option's, else every one.
func (r *run) languagesRead() string {
	if langs := r.job.Options.GetParse().GetLanguages(); len(langs) > 0 {
		return strings.Join(langs, ", ")
	}
	return strings.Join(dataset.Languages, ", ")
}

func (r *run) warnDocsDown(err error) {
	r.mu.Lock()
	first := !r.docsDown
	r.docsDown = true
	r.mu.Unlock()
	if first {
		r.log.Warn("docs service failed; continuing without API documentation", "error", err)
		r.event(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Error{Error: &orchestratorv1.JobError{
			Message: fmt.Sprintf("docs service failed, continuing without API documentation: %v", err),
		}}})
	}
}

// recordUsage sends each parsed repository's third-party call counts to the docs service.
func (r *run) recordUsage(ctx context.Context) error {
	ctx, span := r.cfg.Tracer.Start(ctx, "record_usage")
	defer span.End()
	for _, repo := range r.repos {
		counts := map[string]int64{}
		for _, fn := range repo.funcs {
			usage.Add(counts, fn)
		}
		if len(counts) == 0 || r.isDocsDown() {
			continue
		}
		if _, err := r.cfg.Docs.RecordUsage(ctx, &docsv1.RecordUsageRequest{Repository: repo.name, CallCounts: counts}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.warnDocsDown(err)
		}
	}
	return nil
}

// lookupDocs asks once, after the whole corpus is recorded, about every API the job's functions call:
// Python APIs in one set for the corpus, npm APIs (JavaScript, TypeScript) per repository, with the
// repository's local directory, whose node_modules documents them (git sources: popularity only).
func (r *run) lookupDocs(ctx context.Context) error {
	ctx, span := r.cfg.Tracer.Start(ctx, "lookup_apis")
	defer span.End()
	var groups []*apiGroup
	byKey := map[string]*apiGroup{}
	total := 0
	for _, repo := range r.repos {
		for _, fn := range repo.funcs {
			for _, call := range fn.GetApiCalls() {
				api := call.GetApi()
				// An npm name the docs service would refuse would fail its whole batch: leave it out.
				if api == "" || len(api) > 512 || (isNPMLanguage(fn.GetLanguage()) && !usage.ValidAPIName(api)) {
					continue
				}
				key := docsKey(repo, fn.GetLanguage(), "") // the group's prefix of r.docs keys
				g := byKey[key]
				if g == nil {
					g = &apiGroup{key: key, seen: map[string]bool{}}
					if isNPMLanguage(fn.GetLanguage()) {
						g.language, g.repositoryPath = fn.GetLanguage(), repo.local
					}
					byKey[key] = g
					groups = append(groups, g)
				}
				if !g.seen[api] {
					g.seen[api] = true
					g.apis = append(g.apis, api)
					total++
				}
			}
		}
	}
	for _, g := range groups {
		if err := r.lookupGroup(ctx, g); err != nil {
			return err
		}
	}
	span.SetAttributes(attribute.Int("q4c.apis", total), attribute.Int("q4c.documented", len(r.docs)))
	return nil
}

// apiGroup is the APIs one kind of LookupAPIs request asks about.
type apiGroup struct {
	key            string
	language       string
	repositoryPath string
	apis           []string
	seen           map[string]bool
}

func isNPMLanguage(lang string) bool { return lang == "javascript" || lang == "typescript" }

// docsKey keys r.docs: a Python API is one answer for the corpus; an npm API is documented from
// its repository's node_modules, so it is answered per repository (and a Python and an npm API of one
// name stay apart).
func docsKey(repo *repoState, language, api string) string {
	if isNPMLanguage(language) {
		return fmt.Sprintf("npm\x00%d\x00%s", repo.index, api)
	}
	return "python\x00" + api
}

func (r *run) lookupGroup(ctx context.Context, g *apiGroup) error {
	for start := 0; start < len(g.apis) && !r.isDocsDown(); start += lookupBatch {
		req := &docsv1.LookupAPIsRequest{
			Apis: g.apis[start:min(start+lookupBatch, len(g.apis))], Language: g.language, RepositoryPath: g.repositoryPath,
		}
		resp, err := r.cfg.Docs.LookupAPIs(ctx, req)
		if code := status.Code(err); req.RepositoryPath != "" && (code == grpccodes.PermissionDenied || code == grpccodes.InvalidArgument) {
			// A docs server that may not read this repository still knows popularity.
			r.log.Warn("docs service refused the repository; npm APIs get popularity only", "repository", g.repositoryPath, "error", err)
			g.repositoryPath, req.RepositoryPath = "", ""
			resp, err = r.cfg.Docs.LookupAPIs(ctx, req)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.warnDocsDown(err)
			break
		}
		r.mu.Lock()
		for _, info := range resp.GetApis() {
			r.docs[g.key+info.GetApi()] = info
		}
		r.mu.Unlock()
	}
	return nil
}

func (r *run) isDocsDown() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.docsDown
}

func nodeKey(repo int, fn string) string { return fmt.Sprintf("%d\x00%s", repo, fn) }

// buildGraph makes a state for every function of every repository, decides which are left out of the
// dataset, and makes one scheduler node per function to annotate or to summarise for a kept caller.
// A function depends on the callees outside its own SCC that the parser sent before it (callee-first
// order), so the graph is acyclic by construction even if the parser's order were wrong.
func (r *run) buildGraph() ([]schedule.Node, error) {
	position := map[string]int{}
	for _, repo := range r.repos {
		subtree := subtreeHashes(repo.funcs)
		for i, fn := range repo.funcs {
			key := nodeKey(repo.index, fn.GetId())
			if _, dup := r.nodes[key]; dup {
				continue
			}
			position[key] = i
			f := &fnState{key: key, repo: repo, fn: fn, subtree: subtree[fn.GetId()]}
			r.nodes[key] = f
			r.funcs = append(r.funcs, f)
		}
	}
	if p := r.training.plan; p != nil {
		if err := p.check(r.repos, r.funcs); err != nil {
			return nil, err
		}
	}
	if err := decideExclusions(r.funcs, filtersOf(r.job.Options), r.training); err != nil {
		return nil, err
	}
	markSummaryOnly(r.funcs, func(repo *repoState, id string) *fnState { return r.nodes[nodeKey(repo.index, id)] })

	var nodes []schedule.Node
	annotated, excluded := 0, 0
	for _, repo := range r.repos {
		excluded += len(repo.syntaxErrors)
	}
	for _, f := range r.funcs {
		if f.exclusion != nil {
			excluded++
			if !f.summaryOnly {
				continue
			}
		} else {
			annotated++
		}
		node := schedule.Node{ID: f.key}
		i := position[f.key]
		for _, c := range f.fn.GetCallees() {
			ckey := nodeKey(f.repo.index, c.GetId())
			callee, ok := r.nodes[ckey]
			if !ok || position[ckey] >= i || callee.fn.GetSccId() == f.fn.GetSccId() {
				continue
			}
			node.Deps = append(node.Deps, ckey)
		}
		nodes = append(nodes, node)
		f.repo.left++
	}
	r.mu.Lock()
	r.progress.FunctionsTotal = int64(annotated)
	r.progress.FunctionsExcluded = int64(excluded)
	// Three calls for a function to annotate; one, its summary, for a left-out one a kept caller needs.
	r.progress.CallsTotal = stagesPerFunction*int64(annotated) + int64(len(nodes)-annotated)
	r.changed = true
	r.mu.Unlock()
	return nodes, nil
}

// subtreeHashes gives every function a hash of its own code and of all the code it calls,
// transitively (a cycle is hashed as one unit). A summary's store key includes it, so editing a
// function re-annotates exactly it and its transitive callers, even where the edit leaves a
// callee's summary text unchanged: the callers' prompts were written from the old code's meaning.
func subtreeHashes(funcs []*parserv1.Function) map[string]string {
	byID := make(map[string]*parserv1.Function, len(funcs))
	members := map[int32][]*parserv1.Function{}
	for _, f := range funcs {
		if _, dup := byID[f.GetId()]; dup {
			continue
		}
		byID[f.GetId()] = f
		members[f.GetSccId()] = append(members[f.GetSccId()], f)
	}
	sccHash := map[int32]string{}
	visiting := map[int32]bool{}
	var hashSCC func(scc int32) string
	hashSCC = func(scc int32) string {
		if h, ok := sccHash[scc]; ok {
			return h
		}
		if visiting[scc] {
			return "" // SCC ids form a DAG; this only guards against a malformed parser answer
		}
		visiting[scc] = true
		var parts []string
		for _, m := range members[scc] {
			parts = append(parts, "code:"+codeHash(m))
			for _, c := range m.GetCallees() {
				if callee, ok := byID[c.GetId()]; ok && callee.GetSccId() != scc {
					parts = append(parts, "callee:"+hashSCC(callee.GetSccId()))
				}
			}
		}
		sort.Strings(parts)
		h := store.HashText(parts...)
		sccHash[scc] = h
		return h
	}
	out := make(map[string]string, len(byID))
	for id, f := range byID {
		out[id] = store.HashText(codeHash(f), hashSCC(f.GetSccId()))
	}
	return out
}

func (r *run) endRepoSpans() {
	for _, repo := range r.repos {
		if repo != nil && repo.span != nil {
			repo.span.End()
		}
	}
}

func (r *run) setStage(stage orchestratorv1.Stage) {
	r.mu.Lock()
	r.progress.Stage = stage
	r.changed = true
	r.mu.Unlock()
}

func (r *run) snapshot() *orchestratorv1.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return cloneProgress(r.progress)
}

func cloneProgress(p *orchestratorv1.Progress) *orchestratorv1.Progress {
	return proto.Clone(p).(*orchestratorv1.Progress)
}

// tickProgress sends a progress event every interval while something changed.
func (r *run) tickProgress(stop <-chan struct{}) {
	t := time.NewTicker(r.cfg.ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.flushProgress()
		}
	}
}

func (r *run) flushProgress() {
	r.mu.Lock()
	if !r.changed {
		r.mu.Unlock()
		return
	}
	r.changed = false
	p := cloneProgress(r.progress)
	r.mu.Unlock()
	r.event(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Progress{Progress: p}})
}

func (r *run) event(ev *orchestratorv1.JobEvent) {
	if err := r.sink.Event(ev); err != nil {
		r.log.Error("record event", "error", err)
	}
}

// writeDataset writes the output directory from every record the job stored.
func (r *run) writeDataset(ctx context.Context, note string) error {
	_, span := r.cfg.Tracer.Start(ctx, "write_dataset")
	defer span.End()
	if err := r.cfg.Store.Flush(); err != nil {
		return fmt.Errorf("store annotation results: %w", err)
	}
	records, err := r.cfg.Store.Records(r.job.ID)
	if err != nil {
		return err
	}
	r.mu.Lock()
	failed, requests := r.progress.GetFunctionsFailed(), r.progress.GetLlmCalls()
	identity := r.identity
	r.mu.Unlock()
	man := dataset.Manifest{
		KeepThreshold: r.job.Options.GetKeepThreshold(), Concurrency: r.job.Options.GetConcurrency(),
		BudgetUSD: r.job.Options.GetBudgetUsd(), MaxContextTokens: r.job.Options.GetMaxContextTokens(),
		Model: identity.Model, PromptVersion: identity.PromptVersion, FunctionsFailed: failed, LLMRequests: requests, Note: note,
		Filters: manifestFilters(r.job.Options), Parse: manifestParse(r.job.Options),
		Training: r.training.manifest(r.job.Options),
	}
	for _, repo := range r.repos {
		ms := dataset.ManifestSource{Repo: repo.prov.Repo, Subdir: repo.prov.Subdir, Commit: repo.commit, License: cmp.Or(repo.license, license.Unknown),
			Parsed: repo.parsed, Functions: len(repo.funcs) + len(repo.syntaxErrors), Skipped: []dataset.SkippedFile{}}
		for _, sk := range repo.skipped {
			ms.Skipped = append(ms.Skipped, dataset.SkippedFile{Path: repo.prov.Path(sk.GetPath()), Reason: sk.GetReason(), Detail: sk.GetDetail()})
		}
		switch k := repo.source.GetKind().(type) {
		case *parserv1.Source_LocalPath:
			if !r.cfg.OmitLocalPaths {
				ms.LocalPath = k.LocalPath
			}
		case *parserv1.Source_Git:
			ms.GitURL, ms.GitRevision = k.Git.GetUrl(), k.Git.GetRevision()
		}
		man.Sources = append(man.Sources, ms)
	}
	excluded := r.excludedEntries()
	// A record stored by an earlier run of the job for a function now left out does not enter the dataset.
	left := make(map[string]bool, len(excluded))
	for _, e := range excluded {
		left[e.ID] = true
	}
	records = slices.DeleteFunc(records, func(rec *orchestratorv1.Record) bool { return left[rec.GetId()] })
	man.Redactions = scrubOutput(records, excluded)
	if err := dataset.Write(r.job.OutputDir, records, excluded, man.Card(), &man); err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "write failed")
		return fmt.Errorf("write dataset to %s: %w", r.job.OutputDir, err)
	}
	return nil
}
