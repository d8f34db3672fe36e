package q4c_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/query4code/query4code/clients/go/internal/testservers"
	"github.com/query4code/query4code/clients/go/q4c"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

func threeSources() []*parserv1.Source {
	return []*parserv1.Source{q4c.LocalSource("/repos/a"), q4c.LocalSource("/repos/b"), q4c.GitSource("https://example.com/c.git", "")}
}

func TestWatchJobResumes(t *testing.T) {
	tests := []struct {
		name      string
		dropAfter int
		replay    int
		after     uint64
		wantSeqs  []uint64
		wantCalls []uint64 // after_sequence of each WatchJob call
	}{
		{name: "unbroken stream", wantSeqs: []uint64{1, 2, 3, 4, 5, 6}, wantCalls: []uint64{0}},
		{name: "stream dropped after every event", dropAfter: 1, wantSeqs: []uint64{1, 2, 3, 4, 5, 6}, wantCalls: []uint64{0, 1, 2, 3, 4, 5}},
		{name: "dropped every 4 events", dropAfter: 4, wantSeqs: []uint64{1, 2, 3, 4, 5, 6}, wantCalls: []uint64{0, 4}},
		{name: "server replays seen events", dropAfter: 3, replay: 2, wantSeqs: []uint64{1, 2, 3, 4, 5, 6}, wantCalls: []uint64{0, 3, 4, 5}},
		{name: "start after sequence 4", dropAfter: 1, after: 4, wantSeqs: []uint64{5, 6}, wantCalls: []uint64{4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orch := testservers.NewFakeOrchestrator()
			orch.DropAfter, orch.Replay = tt.dropAfter, tt.replay
			client := dial(t, testservers.StartOrchestrator(t, false, orch), q4c.Options{WatchBackoff: time.Millisecond})
			ctx := context.Background()
			sub, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: threeSources()})
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint64
			var last *orchestratorv1.JobEvent
			for ev, err := range client.WatchJob(ctx, sub.JobID, tt.after) {
				if err != nil {
					t.Fatal(err)
				}
				seqs = append(seqs, ev.GetSequence())
				last = ev
			}
			if !equalSeqs(seqs, tt.wantSeqs) {
				t.Errorf("sequences %v, want %v", seqs, tt.wantSeqs)
			}
			if last.GetDone().GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
				t.Errorf("last event %v, want done SUCCEEDED", last)
			}
			if calls := orch.WatchCalls(); !equalSeqs(calls, tt.wantCalls) {
				t.Errorf("WatchJob calls from %v, want %v", calls, tt.wantCalls)
			}
		})
	}
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWatchJobGivesUp(t *testing.T) {
	tests := []struct {
		name       string
		reconnects int
		jobID      string
		wantCode   codes.Code
		wantSeqs   int
		wantCalls  int
	}{
		{name: "no reconnects allowed", reconnects: -1, wantCode: codes.Unavailable, wantSeqs: 1, wantCalls: 1},
		{name: "unknown job is not retried", reconnects: 5, jobID: "job-404", wantCode: codes.NotFound, wantSeqs: 0, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orch := testservers.NewFakeOrchestrator()
			orch.DropAfter = 1
			client := dial(t, testservers.StartOrchestrator(t, false, orch), q4c.Options{WatchReconnects: tt.reconnects, WatchBackoff: time.Millisecond})
			ctx := context.Background()
			sub, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: threeSources()})
			if err != nil {
				t.Fatal(err)
			}
			id := sub.JobID
			if tt.jobID != "" {
				id = tt.jobID
			}
			var seqs int
			var lastErr error
			for ev, err := range client.WatchJob(ctx, id, 0) {
				if err != nil {
					if ev != nil {
						t.Errorf("event %v yielded with error", ev)
					}
					lastErr = err
					continue
				}
				seqs++
			}
			if q4c.Code(lastErr) != tt.wantCode {
				t.Errorf("error %v, want code %v", lastErr, tt.wantCode)
			}
			if seqs != tt.wantSeqs || len(orch.WatchCalls()) != tt.wantCalls {
				t.Errorf("%d events over %d calls, want %d over %d", seqs, len(orch.WatchCalls()), tt.wantSeqs, tt.wantCalls)
			}
		})
	}
}

func TestWatchJobStopsWhenCallerBreaks(t *testing.T) {
	orch := testservers.NewFakeOrchestrator()
	client := dial(t, testservers.StartOrchestrator(t, false, orch), q4c.Options{})
	ctx := context.Background()
	sub, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: threeSources()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range client.WatchJob(ctx, sub.JobID, 0) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 || len(orch.WatchCalls()) != 1 {
		t.Errorf("read %d events over %d calls, want 2 over 1", n, len(orch.WatchCalls()))
	}
}

func TestWatchJobCancelledWhileWaitingToReconnect(t *testing.T) {
	orch := testservers.NewFakeOrchestrator()
	orch.DropAfter = 1
	client := dial(t, testservers.StartOrchestrator(t, false, orch), q4c.Options{WatchBackoff: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: threeSources()})
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for _, err := range client.WatchJob(ctx, sub.JobID, 0) {
		if err != nil {
			lastErr = err
			continue
		}
		cancel() // the stream breaks next; the reconnect wait must end with ctx
	}
	if q4c.Code(lastErr) != codes.Canceled {
		t.Errorf("error %v, want Canceled", lastErr)
	}
}

func TestSubmitJobIdempotency(t *testing.T) {
	orch := testservers.NewFakeOrchestrator()
	client := dial(t, testservers.StartOrchestrator(t, false, orch), q4c.Options{})
	ctx := context.Background()

	first, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: threeSources()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.IdempotencyKey, "q4c-go-") || len(first.IdempotencyKey) > 128 || first.Existing {
		t.Errorf("first submission %+v: want a fresh job with a generated key", first)
	}
	again, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: threeSources(), IdempotencyKey: first.IdempotencyKey})
	if err != nil {
		t.Fatal(err)
	}
	if again.JobID != first.JobID || !again.Existing {
		t.Errorf("resubmission %+v, want existing job %s", again, first.JobID)
	}
	other, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: threeSources()})
	if err != nil {
		t.Fatal(err)
	}
	if other.JobID == first.JobID || other.IdempotencyKey == first.IdempotencyKey {
		t.Errorf("second job %+v shares id or key with %+v", other, first)
	}
	if _, err := client.SubmitJob(ctx, q4c.JobSpec{}); err == nil {
		t.Error("job without sources accepted")
	}

	job, err := client.GetJob(ctx, first.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if job.GetJobId() != first.JobID || job.GetIdempotencyKey() != first.IdempotencyKey || len(job.GetSources()) != 3 {
		t.Errorf("GetJob = %v", job)
	}
	if _, err := client.GetJob(ctx, "job-404"); q4c.Code(err) != codes.NotFound {
		t.Errorf("GetJob(unknown) = %v, want NotFound", err)
	}
	if _, err := client.CancelJob(ctx, first.JobID); q4c.Code(err) != codes.FailedPrecondition {
		t.Errorf("CancelJob(finished) = %v, want FailedPrecondition", err)
	}
}
