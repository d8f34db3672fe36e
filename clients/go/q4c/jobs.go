package q4c

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// LocalSource is a directory on the orchestrator's machine, under its
// allowed roots.
func LocalSource(path string) *parserv1.Source {
	return &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: path}}
}

// GitSource is an https git repository at a branch, tag or commit (empty:
// the default branch).
func GitSource(url, revision string) *parserv1.Source {
	return &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: url, Revision: revision}}}
}

// JobSpec describes a job to submit.
type JobSpec struct {
	// Sources are the repositories to annotate; see LocalSource and GitSource.
	Sources []*parserv1.Source
	// Options tune the job; nil means the server's defaults.
	Options *orchestratorv1.JobOptions
	// IdempotencyKey makes a resubmission return the first job. Empty means
	// a random key is made, so the client's own retries (on UNAVAILABLE)
	// never start a second job; Submission.IdempotencyKey reports it.
	IdempotencyKey string
}

// Submission is the job SubmitJob started or found.
type Submission struct {
	JobID string
	// Existing is true when the key matched an earlier job.
	Existing bool
	// IdempotencyKey is the key sent: reuse it to resubmit safely.
	IdempotencyKey string
}

// SubmitJob starts a job and returns its id at once; follow it with
// WatchJob.
func (c *Client) SubmitJob(ctx context.Context, spec JobSpec) (Submission, error) {
	if len(spec.Sources) == 0 {
		return Submission{}, errors.New("q4c: submit job: no sources")
	}
	key := spec.IdempotencyKey
	if key == "" {
		var err error
		if key, err = newIdempotencyKey(); err != nil {
			return Submission{}, fmt.Errorf("q4c: submit job: %w", err)
		}
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.orchestrator.SubmitJob(ctx, &orchestratorv1.SubmitJobRequest{
		Sources:        spec.Sources,
		Options:        spec.Options,
		IdempotencyKey: key,
	})
	if err != nil {
		return Submission{}, fmt.Errorf("q4c: submit job: %w", err)
	}
	return Submission{JobID: resp.GetJobId(), Existing: resp.GetExisting(), IdempotencyKey: key}, nil
}

func newIdempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make an idempotency key: %w", err)
	}
	return "q4c-go-" + hex.EncodeToString(b[:]), nil
}

// GetJob returns a job's state and progress.
func (c *Client) GetJob(ctx context.Context, jobID string) (*orchestratorv1.Job, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.orchestrator.GetJob(ctx, &orchestratorv1.GetJobRequest{JobId: jobID})
	if err != nil {
		return nil, fmt.Errorf("q4c: get job %s: %w", jobID, err)
	}
	return resp.GetJob(), nil
}

// CancelJob stops a job; its finished work stays in the orchestrator's
// store, so resubmitting it resumes.
func (c *Client) CancelJob(ctx context.Context, jobID string) (*orchestratorv1.Job, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.orchestrator.CancelJob(ctx, &orchestratorv1.CancelJobRequest{JobId: jobID})
	if err != nil {
		return nil, fmt.Errorf("q4c: cancel job %s: %w", jobID, err)
	}
	return resp.GetJob(), nil
}

// errStreamEnded is a watch stream that closed before the done event.
var errStreamEnded = errors.New("watch stream ended before the job's done event")

// WatchJob yields the job's events with a sequence above afterSequence (0:
// every event), ending after the done event. When the stream breaks with
// UNAVAILABLE (a restart, a dropped connection) or closes early, it
// reconnects with after_sequence set to the last event it yielded, so no
// event is lost or yielded twice. It gives up after Options.WatchReconnects
// reconnects in a row without an event, and then, or on any other error,
// yields (nil, err) once and stops. Breaking out of the loop ends the
// stream.
//
//	for ev, err := range client.WatchJob(ctx, id, 0) {
//		if err != nil { return err }
//		...
//	}
func (c *Client) WatchJob(ctx context.Context, jobID string, afterSequence uint64) iter.Seq2[*orchestratorv1.JobEvent, error] {
	return func(yield func(*orchestratorv1.JobEvent, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		maxReconnects := c.opts.WatchReconnects
		if maxReconnects == 0 {
			maxReconnects = DefaultWatchReconnects
		}
		firstBackoff := c.opts.WatchBackoff
		if firstBackoff <= 0 {
			firstBackoff = DefaultWatchBackoff
		}
		last := afterSequence
		failures, backoff := 0, firstBackoff
		for {
			err := c.watchOnce(ctx, jobID, &last, func(ev *orchestratorv1.JobEvent) bool {
				failures, backoff = 0, firstBackoff
				return yield(ev, nil)
			})
			switch {
			case err == nil:
				return // done event yielded, or the caller stopped
			case !reconnectable(err) || failures >= maxReconnects:
				yield(nil, fmt.Errorf("q4c: watch job %s after sequence %d: %w", jobID, last, err))
				return
			}
			failures++
			timer := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				timer.Stop()
				yield(nil, fmt.Errorf("q4c: watch job %s after sequence %d: %w", jobID, last, status.FromContextError(ctx.Err()).Err()))
				return
			case <-timer.C:
			}
			backoff = min(2*backoff, maxWatchBackoff)
		}
	}
}

// watchOnce reads one WatchJob stream from *last on, advancing *last. It
// returns nil after the done event or when emit returns false, and the
// stream's error otherwise (errStreamEnded for an early clean close).
func (c *Client) watchOnce(ctx context.Context, jobID string, last *uint64, emit func(*orchestratorv1.JobEvent) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.orchestrator.WatchJob(ctx, &orchestratorv1.WatchJobRequest{JobId: jobID, AfterSequence: *last})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return errStreamEnded
		}
		if err != nil {
			return err
		}
		ev := resp.GetEvent()
		// A server replaying from an older point must not make us repeat events.
		if ev == nil || ev.GetSequence() <= *last {
			continue
		}
		*last = ev.GetSequence()
		if !emit(ev) || ev.GetDone() != nil {
			return nil
		}
	}
}

func reconnectable(err error) bool {
	return errors.Is(err, errStreamEnded) || status.Code(err) == codes.Unavailable
}
