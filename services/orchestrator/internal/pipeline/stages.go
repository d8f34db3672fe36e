package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	"github.com/query4code/query4code/services/orchestrator/internal/store"
)

// summarize is the critical-path stage: the function's summary, with its callees' summaries (code for
// callees in its own SCC) and the documentation of its unpopular APIs as context.
func (r *run) summarize(ctx context.Context, key string) error {
	f := r.nodes[key]
	if r.calleeLeft(f) {
		// A callee is left for a later run: summarising now, without its summary, would pay for a
		// prompt that the next run has to redo with the full context.
		r.leave(f)
		return nil
	}
	fnCtx, span := r.cfg.Tracer.Start(trace.ContextWithSpan(ctx, f.repo.span), "function",
		trace.WithAttributes(attribute.String("q4c.function", f.fn.GetId()), attribute.String("q4c.repository", f.repo.name)))
	f.span = span
	callees, apiDocs, contextHashes := r.summaryContext(f)
	contextHashes = append(contextHashes, store.HashText("subtree", f.subtree))
	in := store.ResultKeyInput{Stage: StageSummarize, CodeHash: codeHash(f.fn), ContextHashes: contextHashes, Options: r.optionsKey()}
	res, err := r.call(fnCtx, StageSummarize, in, func(ctx context.Context) (*store.StageResult, error) {
		resp, err := r.cfg.Annotator.Summarize(ctx, &annotatorv1.SummarizeRequest{
			Function: r.codeFunction(f), Callees: callees, ApiDocs: apiDocs, Options: r.generationOptions(),
		})
		if err != nil {
			return nil, err
		}
		return withUsage(&store.StageResult{
			Stage: StageSummarize, Text: resp.GetSummary(), Model: resp.GetModel(), PromptVersion: resp.GetPromptVersion(),
			CalleesUsed: resp.GetContext().GetCalleesUsed(), DocsUsed: resp.GetContext().GetApiDocsUsed(),
		}, resp.GetUsage()), nil
	})
	if err == nil && res.Text == "" {
		err = errors.New("annotator returned an empty summary")
	}
	if err != nil {
		return r.stageFailed(ctx, f, StageSummarize, err)
	}
	r.mu.Lock()
	f.summary = res
	r.progress.CallsDone++
	r.mu.Unlock()
	if f.summaryOnly {
		r.finishFunction(f, nil) // left out of the dataset: its callers needed the summary, nothing more
	}
	return nil
}

func (r *run) generateQuery(ctx context.Context, key string) error {
	f := r.nodes[key]
	if r.skip(f) {
		return nil
	}
	summary := truncateUTF8(f.summary.Text, maxSummaryBytes)
	in := store.ResultKeyInput{Stage: StageGenerateQuery, CodeHash: codeHash(f.fn), ContextHashes: []string{store.HashText("summary", summary)}, Options: r.optionsKey()}
	res, err := r.call(trace.ContextWithSpan(ctx, f.span), StageGenerateQuery, in, func(ctx context.Context) (*store.StageResult, error) {
		resp, err := r.cfg.Annotator.GenerateQuery(ctx, &annotatorv1.GenerateQueryRequest{
			Function: r.codeFunction(f), Summary: summary, Options: r.generationOptions(),
		})
		if err != nil {
			return nil, err
		}
		return withUsage(&store.StageResult{Stage: StageGenerateQuery, Text: resp.GetQuery(), Model: resp.GetModel(), PromptVersion: resp.GetPromptVersion()}, resp.GetUsage()), nil
	})
	if err == nil && res.Text == "" {
		err = errors.New("annotator returned an empty query")
	}
	if err != nil {
		return r.stageFailed(ctx, f, StageGenerateQuery, err)
	}
	r.mu.Lock()
	f.query = res
	r.progress.CallsDone++
	r.mu.Unlock()
	return nil
}

func (r *run) validate(ctx context.Context, key string) error {
	f := r.nodes[key]
	if r.skip(f) {
		return nil
	}
	query := truncateUTF8(f.query.Text, 4096)
	in := store.ResultKeyInput{Stage: StageValidate, CodeHash: codeHash(f.fn), ContextHashes: []string{store.HashText("query", query)}, Options: r.optionsKey()}
	res, err := r.call(trace.ContextWithSpan(ctx, f.span), StageValidate, in, func(ctx context.Context) (*store.StageResult, error) {
		resp, err := r.cfg.Annotator.Validate(ctx, &annotatorv1.ValidateRequest{
			Function: r.codeFunction(f), Query: query, Options: r.generationOptions(),
		})
		if err != nil {
			return nil, err
		}
		if s := resp.GetScore(); s < 0 || s > 3 {
			return nil, fmt.Errorf("annotator returned score %d outside 0-3", s)
		}
		return withUsage(&store.StageResult{Stage: StageValidate, Score: resp.GetScore(), Explanation: resp.GetExplanation(), Model: resp.GetModel(), PromptVersion: resp.GetPromptVersion()}, resp.GetUsage()), nil
	})
	if err != nil {
		return r.stageFailed(ctx, f, StageValidate, err)
	}
	rec := r.record(f, res)
	if err := r.sink.Record(rec); err != nil {
		return fmt.Errorf("store record %s: %w", rec.GetId(), err)
	}
	r.mu.Lock()
	r.progress.FunctionsDone++
	r.progress.CallsDone++
	if rec.GetKept() {
		r.progress.PairsKept++
	} else {
		r.progress.PairsRejected++
	}
	r.changed = true
	r.mu.Unlock()
	r.finishFunction(f, nil)
	return nil
}

// skip says whether a function's later stages have nothing to do (it failed, the budget stopped it,
// or it is left out of the dataset and was only summarised for its callers).
func (r *run) skip(f *fnState) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f.failed || f.abandoned || f.summaryOnly
}

// calleeLeft says whether a callee of f outside its own cycle was left for a later run.
func (r *run) calleeLeft(f *fnState) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range f.fn.GetCallees() {
		callee, ok := r.nodes[nodeKey(f.repo.index, c.GetId())]
		if ok && callee != f && callee.fn.GetSccId() != f.fn.GetSccId() && callee.abandoned {
			return true
		}
	}
	return false
}

// leave abandons a function that has not started: neither done nor failed, it is left for a later run.
func (r *run) leave(f *fnState) {
	r.mu.Lock()
	f.abandoned = true
	r.mu.Unlock()
	r.finishFunction(f, nil)
}

// stageFailed records a function's failure and lets the job go on; only cancellation stops the run. A
// function whose call failed by an LLM outage, or that a budget stop or shutdown stopped, is abandoned
// instead: not failed, it is left for a later run.
func (r *run) stageFailed(ctx context.Context, f *fnState, stage string, err error) error {
	if ctx.Err() != nil {
		r.finishFunction(f, ctx.Err())
		return ctx.Err()
	}
	if errors.Is(err, errStopping) || errors.Is(err, errOutage) {
		r.mu.Lock()
		f.abandoned = true
		r.mu.Unlock()
		if errors.Is(err, errOutage) {
			r.log.Warn("LLM unavailable; function left for a later run", "repository", f.repo.name, "function", f.fn.GetId(), "stage", stage, "error", err)
		}
		r.finishFunction(f, err)
		return nil
	}
	r.mu.Lock()
	f.failed = true
	if f.summaryOnly {
		// A left-out function is not one of the job's functions to annotate: only its one call, the
		// summary, counts.
		r.progress.CallsDone++
	} else {
		r.progress.FunctionsFailed++
		r.progress.FunctionsDone++
		r.progress.CallsDone += callsFrom(stage) // the function's later stages will not be called
		r.lastFailure = err
	}
	r.changed = true
	r.mu.Unlock()
	r.log.Warn("function failed", "repository", f.repo.name, "function", f.fn.GetId(), "stage", stage, "error", err)
	r.event(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Error{Error: &orchestratorv1.JobError{
		Message: fmt.Sprintf("%s: %v", stage, err), Repository: f.repo.name, Function: f.fn.GetId(),
	}}})
	r.finishFunction(f, err)
	return nil
}

// callsFrom is how many of a function's stage calls remain from stage on, stage included.
func callsFrom(stage string) int64 {
	switch stage {
	case StageSummarize:
		return stagesPerFunction
	case StageGenerateQuery:
		return stagesPerFunction - 1
	default:
		return 1
	}
}

func (r *run) finishFunction(f *fnState, err error) {
	if f.span != nil {
		if err != nil {
			f.span.RecordError(err)
			f.span.SetStatus(codes.Error, "function not annotated")
		}
		f.span.End()
	}
	r.mu.Lock()
	f.repo.left--
	last := f.repo.left == 0
	r.mu.Unlock()
	if last && f.repo.span != nil {
		f.repo.span.End()
		f.repo.span = nil
	}
}

// summaryContext builds the callee and API documentation context of a summary, and the hashes of what is
// sent, in the order sent.
func (r *run) summaryContext(f *fnState) ([]*annotatorv1.CalleeContext, []*annotatorv1.APIDocContext, []string) {
	var (
		callees []*annotatorv1.CalleeContext
		docs    []*annotatorv1.APIDocContext
		hashes  []string
		seen    = map[string]bool{}
	)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range f.fn.GetCallees() {
		id := c.GetId()
		if id == f.fn.GetId() || seen[id] || len(callees) == maxCallees {
			continue
		}
		seen[id] = true
		callee, ok := r.nodes[nodeKey(f.repo.index, id)]
		if !ok {
			continue
		}
		switch {
		case callee.fn.GetSccId() == f.fn.GetSccId():
			// Same cycle: no summary can exist first, so the model sees the code.
			code := truncateUTF8(callee.fn.GetCode(), maxCalleeCode)
			if code == "" {
				continue
			}
			callees = append(callees, &annotatorv1.CalleeContext{Id: id, Code: code})
			hashes = append(hashes, store.HashText("callee-code", id, code))
		case callee.summary != nil:
			summary := truncateUTF8(callee.summary.Text, maxSummaryBytes)
			callees = append(callees, &annotatorv1.CalleeContext{Id: id, Summary: summary})
			hashes = append(hashes, store.HashText("callee-summary", id, summary))
		}
		// A callee that failed leaves no context; the caller goes on with what exists.
	}
	seenAPI := map[string]bool{}
	for _, call := range f.fn.GetApiCalls() {
		api := call.GetApi()
		info, ok := r.docs[docsKey(f.repo, f.fn.GetLanguage(), api)]
		if !ok || seenAPI[api] || len(docs) == maxAPIDocs || info.GetPopularity().GetPopular() || info.GetDoc() == nil {
			continue
		}
		seenAPI[api] = true
		text := strings.TrimSpace(strings.TrimSpace(info.GetDoc().GetSignature()) + "\n" + strings.TrimSpace(info.GetDoc().GetDocstring()))
		text = truncateUTF8(text, maxDocBytes)
		if text == "" {
			continue
		}
		docs = append(docs, &annotatorv1.APIDocContext{Api: api, Doc: text})
		hashes = append(hashes, store.HashText("api-doc", api, text))
	}
	return callees, docs, hashes
}

// call returns a stage's result from this run's memo (identical code and context seen earlier in the job),
// from an identical call in flight, from the store, or from a new call; new results are stored. The memo and the in-flight table are keyed without the annotator's identity, which
// may only become known with the run's first answer.
func (r *run) call(ctx context.Context, stage string, in store.ResultKeyInput, do func(context.Context) (*store.StageResult, error)) (*store.StageResult, error) {
	ctx, span := r.cfg.Tracer.Start(ctx, stage)
	defer span.End()
	runKey := store.ResultKey(in)

	r.mu.Lock()
	if res, ok := r.memo[runKey]; ok {
		r.mu.Unlock()
		r.countHit(span)
		return res, nil
	}
	if fl, ok := r.flights[runKey]; ok {
		r.mu.Unlock()
		select {
		case <-fl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if fl.err != nil {
			return nil, fl.err
		}
		r.countHit(span)
		return fl.res, nil
	}
	fl := &flight{done: make(chan struct{})}
	r.flights[runKey] = fl
	in.Model, in.PromptVersion = r.identity.Model, r.identity.PromptVersion
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		if fl.err == nil {
			r.memo[runKey] = fl.res
		}
		delete(r.flights, runKey)
		r.mu.Unlock()
		close(fl.done)
	}()

	res, hit, err := r.cfg.Store.GetResult(store.ResultKey(in))
	if err != nil {
		fl.err = err
		return nil, err
	}
	if hit {
		fl.res = res
		r.countHit(span)
		return res, nil
	}
	fl.res, fl.err = r.callAnnotator(ctx, span, in, do)
	if fl.err != nil {
		span.RecordError(fl.err)
		span.SetStatus(codes.Error, "call failed")
	}
	return fl.res, fl.err
}

func (r *run) countHit(span trace.Span) {
	span.SetAttributes(attribute.Bool("q4c.cache_hit", true))
	r.mu.Lock()
	r.progress.CacheHits++
	r.changed = true
	r.mu.Unlock()
}

// callAnnotator makes one annotator call once the job's circuit breaker lets it start. A failed call is
// never resent here: the annotator already retried the LLM. Its spend counts all the same; an outage
// trips the breaker and comes back wrapped in errOutage, and a lasting one stops the job.
func (r *run) callAnnotator(ctx context.Context, span trace.Span, in store.ResultKeyInput, do func(context.Context) (*store.StageResult, error)) (*store.StageResult, error) {
	select {
	case <-r.stop:
		return nil, errStopping
	default:
	}
	gen, err := r.breaker.wait(ctx, r.stop)
	if err != nil {
		return nil, err
	}
	res, err := do(ctx)
	if err == nil {
		r.breaker.answered(gen)
		r.spent(res)
		// The answer's own identity keys it, so a changed model or prompt version never serves it for
		// another.
		in.Model, in.PromptVersion = res.Model, res.PromptVersion
		// Durable, with its cost, before the stage counts as finished, so a crash never repeats a paid
		// call that completed nor loses its count. Concurrent stages share one group commit, so this
		// costs about one fsync.
		spend := store.Spend{LLMCalls: int64(res.LLMCalls), PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens, CostUSD: res.CostUSD}
		if err := r.cfg.Store.AddSpend(r.job.ID, spend, store.ResultKey(in), res); err != nil {
			return nil, err
		}
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	failure := r.cfg.Classify(err)
	if u := failure.Usage; u != nil {
		span.SetAttributes(attribute.Int("q4c.llm_calls", int(u.GetLlmCalls())))
		spend := store.Spend{LLMCalls: int64(u.GetLlmCalls()), PromptTokens: u.GetPromptTokens(), CompletionTokens: u.GetCompletionTokens(), CostUSD: u.GetCostUsd()}
		r.addSpend(spend.LLMCalls, spend.PromptTokens, spend.CompletionTokens, spend.CostUSD)
		if err := r.cfg.Store.AddSpend(r.job.ID, spend, "", nil); err != nil {
			return nil, err
		}
	}
	if !failure.Outage {
		// The annotator answered: the LLM is reachable, this function is the problem.
		r.breaker.answered(gen)
		return nil, err
	}
	if r.breaker.outage(gen, failure.RetryAfter) {
		r.mu.Lock()
		first := !r.llmDown
		r.llmDown = true
		r.mu.Unlock()
		if first {
			r.log.Error("LLM unavailable: the circuit breaker tripped too often in a row; stopping the job", "trips", r.cfg.BreakerTrips, "error", err)
		}
		r.stopOnce.Do(func() { close(r.stop) })
	}
	return nil, fmt.Errorf("%w: %w", errOutage, err)
}

// spent adds a new call's usage to the job and records the annotator identity its answer carries.
func (r *run) spent(res *store.StageResult) {
	r.addSpend(int64(res.LLMCalls), res.PromptTokens, res.CompletionTokens, res.CostUSD)
	r.mu.Lock()
	newIdentity := store.AnnotatorIdentity{Model: res.Model, PromptVersion: res.PromptVersion}
	identityChanged := newIdentity != r.identity
	r.identity = newIdentity
	r.mu.Unlock()
	if identityChanged {
		if err := r.cfg.Store.SetIdentity(newIdentity); err != nil {
			r.log.Error("record annotator identity", "error", err)
		}
	}
}

// addSpend adds what a call spent, answered or failed, to the job's progress (llm_calls counts every
// request sent: first tries, the annotator's retries and repairs, failures) and stops the job's
// scheduling once the budget is reached.
func (r *run) addSpend(calls, promptTokens, completionTokens int64, costUSD float64) {
	r.mu.Lock()
	p := r.progress
	p.LlmCalls += calls // 0 for the offline back-end: it calls no model
	p.PromptTokens += promptTokens
	p.CompletionTokens += completionTokens
	p.CostUsd += costUSD
	r.changed = true
	over := r.job.Options.GetBudgetUsd() > 0 && p.CostUsd >= r.job.Options.GetBudgetUsd()
	if over {
		r.budgetReached = true
	}
	r.mu.Unlock()
	if over {
		r.stopOnce.Do(func() { close(r.stop) })
	}
}

func (r *run) record(f *fnState, v *store.StageResult) *orchestratorv1.Record {
	r.mu.Lock()
	s, q := f.summary, f.query
	r.mu.Unlock()
	var callees, apis []string
	seen := map[string]bool{}
	for _, c := range f.fn.GetCallees() {
		if !seen[c.GetId()] {
			seen[c.GetId()] = true
			callees = append(callees, c.GetId())
		}
	}
	for _, a := range f.fn.GetApiCalls() {
		apis = append(apis, a.GetApi())
	}
	return &orchestratorv1.Record{
		Id: f.recordID(), Repo: f.repo.prov.Repo, Commit: f.repo.commit, Path: f.repo.prov.Path(f.fn.GetPath()),
		StartLine: f.fn.GetStartLine(), EndLine: f.fn.GetEndLine(), Function: f.fn.GetId(), Language: language(f.fn),
		Code: f.fn.GetCode(), Docstring: f.fn.GetDocstring(), Summary: s.Text, Query: q.Text, Score: v.Score,
		Explanation: v.Explanation, Kept: v.Score >= r.job.Options.GetKeepThreshold(), Model: v.Model,
		PromptVersion: v.PromptVersion, Callees: callees, Apis: apis, DocsUsed: s.DocsUsed,
		PromptTokens:     s.PromptTokens + q.PromptTokens + v.PromptTokens,
		CompletionTokens: s.CompletionTokens + q.CompletionTokens + v.CompletionTokens,
		CostUsd:          s.CostUSD + q.CostUSD + v.CostUSD,
		Split:            r.splitOf(f.repo), License: f.repo.license,
	}
}

func (r *run) codeFunction(f *fnState) *annotatorv1.CodeFunction {
	return &annotatorv1.CodeFunction{
		Path: f.fn.GetPath(), Code: f.fn.GetCode(), Language: language(f.fn),
		Docstring: truncateUTF8(f.fn.GetDocstring(), 16384), Id: truncateUTF8(f.fn.GetId(), 1024),
	}
}

func (r *run) generationOptions() *annotatorv1.GenerationOptions {
	if n := r.job.Options.GetMaxContextTokens(); n > 0 {
		return &annotatorv1.GenerationOptions{MaxContextTokens: n}
	}
	return nil
}

func (r *run) optionsKey() string {
	return fmt.Sprintf("max_context_tokens=%d", r.job.Options.GetMaxContextTokens())
}

// language is the function's source language; when the parser does not say (one older than the
// language field, which read Python only), the file's extension does.
func language(fn *parserv1.Function) string {
	if l := fn.GetLanguage(); l != "" {
		return l
	}
	return dataset.LanguageOfPath(fn.GetPath())
}

func codeHash(fn interface {
	GetContentHash() string
	GetCode() string
}) string {
	if h := fn.GetContentHash(); h != "" {
		return h
	}
	return store.HashText(fn.GetCode())
}

// withUsage copies a call's usage into its result.
func withUsage(res *store.StageResult, u *annotatorv1.Usage) *store.StageResult {
	res.PromptTokens, res.CompletionTokens = u.GetPromptTokens(), u.GetCompletionTokens()
	res.CostUSD, res.LLMCalls = u.GetCostUsd(), u.GetLlmCalls()
	return res
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
