package q4c_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/query4code/query4code/clients/go/internal/testservers"
	"github.com/query4code/query4code/clients/go/q4c"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// TestRealServices runs a whole job on the real services (parser, docs,
// annotator with the offline back-end, orchestrator) over the example
// repository, through a proxy that cuts every connection twice during the
// watch: the watch must still see every event exactly once.
func TestRealServices(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole annotation job; skipped in -short mode")
	}
	examples, err := filepath.Abs("../../../examples")
	if err != nil {
		t.Fatal(err)
	}
	addr := testservers.StartSuite(t, true, examples)
	proxy := testservers.StartDropProxy(t, addr)
	var watches atomic.Int32
	countWatches := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if method == orchestratorv1.OrchestratorService_WatchJob_FullMethodName {
			watches.Add(1)
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
	client := dial(t, proxy.Addr(), q4c.Options{
		Token: testservers.Token, WatchBackoff: 10 * time.Millisecond,
		DialOptions: []grpc.DialOption{grpc.WithStreamInterceptor(countWatches)},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	res, err := client.Annotate(ctx, q4c.Function{Path: "textutil/lines.py", Code: splitMultiline})
	if err != nil {
		t.Fatal(err)
	}
	if res.Query != "how to split multiline string into list excluding blank in python" {
		t.Errorf("query %q", res.Query)
	}

	sub, err := client.SubmitJob(ctx, q4c.JobSpec{
		Sources: []*parserv1.Source{q4c.LocalSource(filepath.Join(examples, "bookshelf"))},
		Options: &orchestratorv1.JobOptions{Concurrency: 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	var events []*orchestratorv1.JobEvent
	for ev, err := range client.WatchJob(ctx, sub.JobID, 0) {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
		if len(events) == 1 || len(events) == 3 {
			proxy.DropAll()
		}
	}
	if len(events) < 4 {
		t.Fatalf("only %d events", len(events))
	}
	t.Logf("%d events over %d WatchJob calls", len(events), watches.Load())
	if n := watches.Load(); n < 2 {
		t.Errorf("%d WatchJob calls: the cut connections never made the client resume", n)
	}
	pairs := 0
	for i, ev := range events {
		if ev.GetSequence() != uint64(i+1) {
			t.Fatalf("event %d has sequence %d: events lost or repeated", i, ev.GetSequence())
		}
		if p := ev.GetPair(); p != nil {
			pairs++
			if p.GetQuery() == "" || p.GetCode() == "" || p.GetModel() != "offline" {
				t.Errorf("pair %v", p)
			}
		}
	}
	done := events[len(events)-1].GetDone()
	if done.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job ended %v: %s", done.GetState(), done.GetError())
	}
	if pairs == 0 || int64(pairs) != done.GetProgress().GetPairsKept()+done.GetProgress().GetPairsRejected() {
		t.Errorf("%d pair events, progress says %d kept + %d rejected", pairs, done.GetProgress().GetPairsKept(), done.GetProgress().GetPairsRejected())
	}
	if _, err := os.Stat(filepath.Join(done.GetOutputDir(), "pairs.jsonl")); err != nil {
		t.Errorf("dataset: %v", err)
	}

	job, err := client.GetJob(ctx, sub.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if job.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED || job.GetIdempotencyKey() != sub.IdempotencyKey {
		t.Errorf("GetJob = %v", job)
	}
	if _, err := client.CancelJob(ctx, sub.JobID); q4c.Code(err) != codes.FailedPrecondition {
		t.Errorf("CancelJob(finished) = %v, want FailedPrecondition", err)
	}
	again, err := client.SubmitJob(ctx, q4c.JobSpec{Sources: []*parserv1.Source{q4c.LocalSource(filepath.Join(examples, "bookshelf"))}, IdempotencyKey: sub.IdempotencyKey})
	if err != nil || again.JobID != sub.JobID || !again.Existing {
		t.Errorf("resubmission = %+v, %v; want the existing job %s", again, err, sub.JobID)
	}
}
