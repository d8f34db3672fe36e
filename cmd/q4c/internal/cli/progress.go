package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	finish()
}

func newProgressView(w io.Writer) progressView {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barView{w: w}
	}
	return &lineView{w: w, every: 2 * time.Second}
}

// summaryLine is the counts both views show.
func summaryLine(p *orchestratorv1.Progress) string {
	return fmt.Sprintf("kept %d, rejected %d, failed %d, cache hits %d, tokens %d, $%.4f",
		p.GetPairsKept(), p.GetPairsRejected(), p.GetFunctionsFailed(), p.GetCacheHits(),
		p.GetPromptTokens()+p.GetCompletionTokens(), p.GetCostUsd())
}

type barView struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (v *barView) update(p *orchestratorv1.Progress) {
	if p.GetStage() == orchestratorv1.Stage_STAGE_PARSING || p.GetFunctionsTotal() == 0 {
		fmt.Fprintf(v.w, "\rparsing: %d of %d repositories", p.GetRepositoriesParsed(), p.GetRepositoriesTotal())
		return
	}
	if v.bar == nil {
		fmt.Fprintln(v.w)
		v.bar = progressbar.NewOptions64(p.GetFunctionsTotal(),
			progressbar.OptionSetWriter(v.w),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("functions"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionFullWidth(),
		)
	}
	v.bar.ChangeMax64(p.GetFunctionsTotal())
	v.bar.Describe(summaryLine(p))
	_ = v.bar.Set64(p.GetFunctionsDone())
}

func (v *barView) warn(e *orchestratorv1.JobError) {
	fmt.Fprintf(v.w, "\nwarning: %s\n", describeError(e))
}

func (v *barView) finish() {
	if v.bar != nil {
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
	if now.Sub(v.last) < v.every && p.GetFunctionsDone() < p.GetFunctionsTotal() {
		return
	}
	v.last = now
	if p.GetStage() == orchestratorv1.Stage_STAGE_PARSING || p.GetFunctionsTotal() == 0 {
		fmt.Fprintf(v.w, "parsing: %d of %d repositories\n", p.GetRepositoriesParsed(), p.GetRepositoriesTotal())
		return
	}
	rate := 0.0
	if elapsed := now.Sub(v.start).Seconds(); elapsed > 0 {
		rate = float64(p.GetFunctionsDone()) / elapsed
	}
	eta := "-"
	if rate > 0 {
		eta = (time.Duration(float64(p.GetFunctionsTotal()-p.GetFunctionsDone())/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(v.w, "annotating: %d/%d functions (%.0f%%), %.1f/s, ETA %s; %s\n",
		p.GetFunctionsDone(), p.GetFunctionsTotal(), 100*float64(p.GetFunctionsDone())/float64(p.GetFunctionsTotal()),
		rate, eta, summaryLine(p))
}

func (v *lineView) warn(e *orchestratorv1.JobError) {
	fmt.Fprintf(v.w, "warning: %s\n", describeError(e))
}
func (v *lineView) finish() {}

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

// eventStream is what AnnotateRepository and WatchJob streams have in common.
type eventStream[T any] interface {
	Recv() (T, error)
}

type hasEvent interface {
	GetEvent() *orchestratorv1.JobEvent
}

// watchEvents shows a job's events until its done event and returns it.
func watchEvents[T hasEvent](ctx context.Context, stream eventStream[T], view progressView) (*orchestratorv1.JobDone, error) {
	defer view.finish()
	for {
		msg, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("the orchestrator closed the stream before the job finished")
			}
			return nil, err
		}
		ev := msg.GetEvent()
		switch k := ev.GetKind().(type) {
		case *orchestratorv1.JobEvent_Progress:
			view.update(k.Progress)
		case *orchestratorv1.JobEvent_Error:
			view.warn(k.Error)
		case *orchestratorv1.JobEvent_Done:
			if p := k.Done.GetProgress(); p != nil {
				view.update(p)
			}
			return k.Done, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// reportDone prints where the dataset is and what it holds; a job that did
// not succeed is an error (non-zero exit).
func reportDone(w io.Writer, done *orchestratorv1.JobDone) error {
	p := done.GetProgress()
	total := p.GetPairsKept() + p.GetPairsRejected()
	rate := 0.0
	if total > 0 {
		rate = 100 * float64(p.GetPairsKept()) / float64(total)
	}
	fmt.Fprintf(w, "dataset: %s\n", done.GetOutputDir())
	fmt.Fprintf(w, "  %d pairs kept, %d rejected (%.1f%% kept), %d functions failed\n",
		p.GetPairsKept(), p.GetPairsRejected(), rate, p.GetFunctionsFailed())
	fmt.Fprintf(w, "  %d LLM calls, %d prompt + %d completion tokens, $%.4f, %d stage results from the cache\n",
		p.GetLlmCalls(), p.GetPromptTokens(), p.GetCompletionTokens(), p.GetCostUsd(), p.GetCacheHits())
	if done.GetOutputDir() != "" {
		fmt.Fprintf(w, "  card: %s/README.md\n", done.GetOutputDir())
	}
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		msg := done.GetError()
		if msg == "" {
			msg = "no reason given"
		}
		return &exitError{code: 2, err: fmt.Errorf("job %s: %s", done.GetState(), msg)}
	}
	return nil
}
