package cli

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

// progressView shows a job's progress: a bar on a terminal, log lines otherwise.
type progressView interface {
	update(p *orchestratorv1.Progress)
	warn(e *orchestratorv1.JobError)
	// finish ends the view; complete says the job finished its work, the only time a bar may be full.
	finish(complete bool)
}

func newProgressView(w io.Writer) progressView {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// A terminal that reports no width (some CI consoles, a pty nobody sized) draws a bar as "||".
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			return &barView{w: w}
		}
	}
	return &lineView{w: w, every: 2 * time.Second}
}

// summaryLine is the counts both views show.
func summaryLine(p *orchestratorv1.Progress) string {
	return fmt.Sprintf("kept %d, rejected %d, failed %d, cache hits %d, tokens %d, $%.4f",
		p.GetPairsKept(), p.GetPairsRejected(), p.GetFunctionsFailed(), p.GetCacheHits(),
		p.GetPromptTokens()+p.GetCompletionTokens(), p.GetCostUsd())
}

// work is what a progress display counts: annotation calls (summary, query and validation, cache
// hits included), or functions from an orchestrator that does not count calls.
func work(p *orchestratorv1.Progress) (done, total int64, unit string) {
	if p.GetCallsTotal() > 0 {
		return p.GetCallsDone(), p.GetCallsTotal(), "calls"
	}
	return p.GetFunctionsDone(), p.GetFunctionsTotal(), "functions"
}

type barView struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (v *barView) update(p *orchestratorv1.Progress) {
	done, total, unit := work(p)
	if p.GetStage() == orchestratorv1.Stage_STAGE_PARSING || total == 0 {
		fmt.Fprintf(v.w, "\rparsing: %d of %d repositories", p.GetRepositoriesParsed(), p.GetRepositoriesTotal())
		return
	}
	if v.bar == nil {
		fmt.Fprintln(v.w)
		v.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(v.w),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			// A fixed width: full width leaves no room for the bar (drawn "||") once the counts
			// beside it fill a narrow terminal.
			progressbar.OptionSetWidth(30),
		)
	}
	v.bar.ChangeMax64(total)
	v.bar.Describe(summaryLine(p))
	_ = v.bar.Set64(done)
}

func (v *barView) warn(e *orchestratorv1.JobError) {
	fmt.Fprintf(v.w, "\nwarning: %s\n", describeError(e))
}

func (v *barView) finish(complete bool) {
	if v.bar != nil && complete {
		_ = v.bar.Finish()
	}
	fmt.Fprintln(v.w)
}

type lineView struct {
	w     io.Writer
	every time.Duration
	last  time.Time
	start time.Time
}

func (v *lineView) update(p *orchestratorv1.Progress) {
	now := time.Now()
	if v.start.IsZero() {
		v.start = now
	}
	done, total, unit := work(p)
	if now.Sub(v.last) < v.every && done < total {
		return
	}
	v.last = now
	if p.GetStage() == orchestratorv1.Stage_STAGE_PARSING || total == 0 {
		fmt.Fprintf(v.w, "parsing: %d of %d repositories\n", p.GetRepositoriesParsed(), p.GetRepositoriesTotal())
		return
	}
	rate := 0.0
	if elapsed := now.Sub(v.start).Seconds(); elapsed > 0 {
		rate = float64(done) / elapsed
	}
	eta := "-"
	if rate > 0 {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(v.w, "annotating: %d/%d %s (%.0f%%), %.1f/s, ETA %s; %s\n",
		done, total, unit, 100*float64(done)/float64(total), rate, eta, summaryLine(p))
}

func (v *lineView) warn(e *orchestratorv1.JobError) {
	fmt.Fprintf(v.w, "warning: %s\n", describeError(e))
}
func (v *lineView) finish(bool) {}

func describeError(e *orchestratorv1.JobError) string {
	where := e.GetRepository()
	if e.GetFunction() != "" {
		where += " " + e.GetFunction()
	}
	if where != "" {
		return where + ": " + e.GetMessage()
	}
	return e.GetMessage()
}

// watchEvents shows a job's events until its done event and returns it. A fatal error is not shown:
// the done event carries the same reason, which the caller reports once.
func watchEvents(events iter.Seq2[*orchestratorv1.JobEvent, error], view progressView) (done *orchestratorv1.JobDone, err error) {
	defer func() {
		view.finish(done != nil && done.GetState() == orchestratorv1.JobState_JOB_STATE_SUCCEEDED && !done.GetBudgetReached())
	}()
	for ev, err := range events {
		if err != nil {
			return nil, err
		}
		switch k := ev.GetKind().(type) {
		case *orchestratorv1.JobEvent_Progress:
			view.update(k.Progress)
		case *orchestratorv1.JobEvent_Error:
			if !k.Error.GetFatal() {
				view.warn(k.Error)
			}
		case *orchestratorv1.JobEvent_Done:
			if p := k.Done.GetProgress(); p != nil {
				view.update(p)
			}
			return k.Done, nil
		}
	}
	return nil, errors.New("the orchestrator closed the stream before the job finished")
}

// Exit codes of q4c annotate and q4c watch (README.md, "Exit codes").
const (
	exitJobFailed   = 2   // the job failed or was cancelled; no dataset was written
	exitBudget      = 3   // the cost budget stopped the job; the dataset holds what was finished
	exitInterrupted = 130 // Ctrl-C or SIGTERM; the same command continues the job
)

// reportDone prints where the dataset is and what it holds. A job that wrote no dataset is one error
// line (its reason and what it spent), and a budget stop is an error too: both exit non-zero.
func reportDone(w io.Writer, done *orchestratorv1.JobDone) error {
	p := done.GetProgress()
	spent := fmt.Sprintf("%d LLM requests, $%.4f", p.GetLlmCalls(), p.GetCostUsd())
	switch done.GetState() {
	case orchestratorv1.JobState_JOB_STATE_SUCCEEDED:
	case orchestratorv1.JobState_JOB_STATE_CANCELLED:
		return &exitError{code: exitJobFailed, err: fmt.Errorf("job cancelled (%s); run the same command again to continue it", spent)}
	default:
		msg := done.GetError()
		if msg == "" {
			msg = "no reason given"
		}
		return &exitError{code: exitJobFailed, err: fmt.Errorf("job failed: %s (%s)", msg, spent)}
	}
	total := p.GetPairsKept() + p.GetPairsRejected()
	rate := 0.0
	if total > 0 {
		rate = 100 * float64(p.GetPairsKept()) / float64(total)
	}
	fmt.Fprintf(w, "dataset: %s\n", done.GetOutputDir())
	fmt.Fprintf(w, "  %d pairs kept, %d rejected (%.1f%% kept), %d functions failed, %d left out (excluded.jsonl)\n",
		p.GetPairsKept(), p.GetPairsRejected(), rate, p.GetFunctionsFailed(), p.GetFunctionsExcluded())
	fmt.Fprintf(w, "  %d LLM requests, %d prompt + %d completion tokens, $%.4f, %d stage results from the cache\n",
		p.GetLlmCalls(), p.GetPromptTokens(), p.GetCompletionTokens(), p.GetCostUsd(), p.GetCacheHits())
	fmt.Fprintf(w, "  card: %s/README.md\n", done.GetOutputDir())
	if done.GetBudgetReached() {
		return &exitError{code: exitBudget, err: fmt.Errorf("stopped by the cost budget: %s", done.GetError())}
	}
	return nil
}
