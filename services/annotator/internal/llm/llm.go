// Package llm generates the three Query4Code stages (summary, query,
// validation score) with one of two back-ends behind Generator: an
// OpenAI-compatible chat server reached with go-openai, or a deterministic
// offline method that needs no network.
package llm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// Generator runs the stages for one function. Inputs are already trimmed to
// the context budget and redacted; implementations must be safe for
// concurrent use.
type Generator interface {
	Summarize(ctx context.Context, in prompt.Input) (Summary, error)
	GenerateQuery(ctx context.Context, in prompt.Input, summary string) (Query, error)
	Validate(ctx context.Context, in prompt.Input, query string) (Judgement, error)
	// Model is the model name records carry.
	Model() string
}

// Usage is what one stage cost.
type Usage struct {
	PromptTokens     int64
	CompletionTokens int64
	CostUSD          float64
	// Calls counts LLM requests made, retries and repairs included.
	Calls int
	// Priced is false when the model has no entry in the price table, so
	// CostUSD is 0 for want of a price rather than because it was free.
	Priced bool
}

// Add returns the sum of u and o. The sum is priced only if both are.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		PromptTokens:     u.PromptTokens + o.PromptTokens,
		CompletionTokens: u.CompletionTokens + o.CompletionTokens,
		CostUSD:          u.CostUSD + o.CostUSD,
		Calls:            u.Calls + o.Calls,
		Priced:           u.Priced && o.Priced,
	}
}

// Summary is the result of the summary stage.
type Summary struct {
	Text  string
	Model string
	Usage Usage
}

// Query is the result of the query stage.
type Query struct {
	Text  string
	Model string
	Usage Usage
}

// Judgement is the result of the validation stage.
type Judgement struct {
	Score       int // 0..3
	Explanation string
	// Relevance is a finer 0..1 grade where the back-end has one (the
	// offline lexical similarity); otherwise Score/3.
	Relevance float64
	Model     string
	Usage     Usage
}

// MaxScore is the top of the validation rubric.
const MaxScore = 3

// Failure kinds. A *CallError wraps exactly one of them, so callers can
// map failures with errors.Is.
var (
	// ErrRateLimited: the server kept answering 429 (or asked to wait
	// longer than allowed), or the request cannot fit the local
	// tokens-per-minute limit.
	ErrRateLimited = errors.New("llm rate limited")
	// ErrUnavailable: 5xx answers, network errors or broken response bodies
	// outlasted the retries.
	ErrUnavailable = errors.New("llm unavailable")
	// ErrTimeout: every attempt ran past the per-call timeout.
	ErrTimeout = errors.New("llm call timed out")
	// ErrBadOutput: the answer could not be parsed, even after a repair.
	ErrBadOutput = errors.New("llm answer unusable")
	// ErrRejected: the server refused the request (4xx other than 429):
	// a bad key, an unknown model, a prompt over the context window.
	ErrRejected = errors.New("llm rejected the request")
)

// CallError describes a failed stage.
type CallError struct {
	Stage      prompt.Stage
	Kind       error // one of the Err* kinds above
	Attempts   int
	StatusCode int // last HTTP status, 0 if none
	// Usage is what the failed work spent: every request sent (retries and
	// the repair included) and the tokens of those that were answered, so a
	// caller's count and budget include failures.
	Usage Usage
	// RetryAfter is how long the LLM should be left alone before the next
	// request: the server's Retry-After when it sent one, else the next step
	// of the client's own back-off. 0 for kinds that waiting does not cure
	// (ErrBadOutput, ErrRejected).
	RetryAfter time.Duration
	Err        error
}

// AddUsage adds spent, the usage of work done before a failure (earlier
// stages of one request), to err's CallError, so the failure reports all
// it cost. Other errors are returned unchanged.
func AddUsage(err error, spent Usage) error {
	var callErr *CallError
	if !errors.As(err, &callErr) {
		return err
	}
	copied := *callErr
	copied.Usage = spent.Add(callErr.Usage)
	return &copied
}

// Outcome is how one request to the LLM ended, as metrics count it.
type Outcome string

// Request outcomes. Their counts sum to the requests sent.
const (
	OutcomeOK          Outcome = "ok"           // answered, and the answer was usable
	OutcomeBadOutput   Outcome = "bad_output"   // answered, but the answer could not be parsed
	OutcomeRateLimited Outcome = "rate_limited" // 429
	OutcomeUnavailable Outcome = "unavailable"  // 5xx, a network error or a broken body
	OutcomeTimeout     Outcome = "timeout"      // no answer within the per-request timeout
	OutcomeRejected    Outcome = "rejected"     // another 4xx (including a refused response format)
)

// Observer is told about every request the client sends, so a service can
// count them (Prometheus in the annotator). Implementations must be safe
// for concurrent use.
type Observer interface {
	// Request is one request sent; u holds its tokens and cost (zero when
	// it got no answer).
	Request(stage prompt.Stage, outcome Outcome, u Usage)
	// Retry is a request about to be resent after a transient failure.
	Retry(stage prompt.Stage, after Outcome)
	// Repair is a repair request about to be sent after a bad answer.
	Repair(stage prompt.Stage)
}

// NopObserver counts nothing.
type NopObserver struct{}

// Request does nothing.
func (NopObserver) Request(prompt.Stage, Outcome, Usage) {}

// Retry does nothing.
func (NopObserver) Retry(prompt.Stage, Outcome) {}

// Repair does nothing.
func (NopObserver) Repair(prompt.Stage) {}

func (e *CallError) Error() string {
	msg := fmt.Sprintf("%s stage: %v after %d attempt(s)", e.Stage, e.Kind, e.Attempts)
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(" (last HTTP status %d)", e.StatusCode)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *CallError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
