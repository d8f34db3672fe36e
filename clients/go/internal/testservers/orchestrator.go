package testservers

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

// FakeOrchestrator is an in-memory OrchestratorService test double. A
// submitted job's events are fixed at once: a parsing progress event, one
// kept pair per source, an annotating progress event and a done event
// (SUCCEEDED). WatchJob replays them like the real service (events after
// after_sequence, ending after done) but can be told to break streams.
type FakeOrchestrator struct {
	orchestratorv1.UnimplementedOrchestratorServiceServer

	// DropAfter, when positive, makes every WatchJob stream fail with
	// UNAVAILABLE after sending this many events, as a restarting server
	// or a dropped connection would.
	DropAfter int
	// Replay, when positive, makes WatchJob resend this many events from
	// before after_sequence, as a server with a coarse resume point might.
	Replay int

	mu      sync.Mutex
	jobs    map[string]*fakeJob
	order   []string
	keys    map[string]string
	watches []uint64
}

type fakeJob struct {
	job    *orchestratorv1.Job
	events []*orchestratorv1.JobEvent
}

// NewFakeOrchestrator returns an empty FakeOrchestrator.
func NewFakeOrchestrator() *FakeOrchestrator {
	return &FakeOrchestrator{jobs: map[string]*fakeJob{}, keys: map[string]string{}}
}

// Register adds the service to a gRPC server.
func (f *FakeOrchestrator) Register(r grpc.ServiceRegistrar) {
	orchestratorv1.RegisterOrchestratorServiceServer(r, f)
}

// WatchCalls returns the after_sequence of every WatchJob call so far.
func (f *FakeOrchestrator) WatchCalls() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.watches)
}

// SubmitJob records a job and its events.
func (f *FakeOrchestrator) SubmitJob(_ context.Context, req *orchestratorv1.SubmitJobRequest) (*orchestratorv1.SubmitJobResponse, error) {
	if len(req.GetSources()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "sources: at least one source is required")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if key := req.GetIdempotencyKey(); key != "" {
		if id, ok := f.keys[key]; ok {
			return &orchestratorv1.SubmitJobResponse{JobId: id, Existing: true}, nil
		}
	}
	id := fmt.Sprintf("job-%d", len(f.order)+1)
	f.order = append(f.order, id)
	if key := req.GetIdempotencyKey(); key != "" {
		f.keys[key] = id
	}
	f.jobs[id] = newFakeJob(id, req)
	return &orchestratorv1.SubmitJobResponse{JobId: id}, nil
}

func newFakeJob(id string, req *orchestratorv1.SubmitJobRequest) *fakeJob {
	created := timestamppb.New(timestamppb.Now().AsTime())
	n := int64(len(req.GetSources()))
	progress := &orchestratorv1.Progress{
		Stage: orchestratorv1.Stage_STAGE_ANNOTATING, RepositoriesTotal: int32(n), RepositoriesParsed: int32(n),
		FunctionsTotal: n, FunctionsDone: n, PairsKept: n,
	}
	var events []*orchestratorv1.JobEvent
	add := func(ev *orchestratorv1.JobEvent) {
		ev.Sequence = uint64(len(events) + 1)
		ev.Time = created
		events = append(events, ev)
	}
	add(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Progress{Progress: &orchestratorv1.Progress{
		Stage: orchestratorv1.Stage_STAGE_PARSING, RepositoriesTotal: int32(n),
	}}})
	for i, src := range req.GetSources() {
		repo := src.GetLocalPath()
		if repo == "" {
			repo = src.GetGit().GetUrl()
		}
		fn := fmt.Sprintf("%s.main", path.Base(repo))
		add(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Pair{Pair: &orchestratorv1.Record{
			Id: fmt.Sprintf("%s:%s", repo, fn), Repo: repo, Path: "main.py", StartLine: 1, EndLine: 2,
			Function: fn, Language: "python", Code: "def main():\n    return " + fmt.Sprint(i) + "\n",
			Summary: "Returns a constant.", Query: "python function returning a constant", Score: 2, Kept: true,
			Model: "offline", PromptVersion: "v1",
		}}})
	}
	add(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Progress{Progress: progress}})
	add(&orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Done{Done: &orchestratorv1.JobDone{
		State: orchestratorv1.JobState_JOB_STATE_SUCCEEDED, OutputDir: "/out/" + id, Progress: progress,
	}}})
	return &fakeJob{
		job: &orchestratorv1.Job{
			JobId: id, State: orchestratorv1.JobState_JOB_STATE_SUCCEEDED, CreatedAt: created, UpdatedAt: created,
			Sources: req.GetSources(), Options: req.GetOptions(), Progress: progress, OutputDir: "/out/" + id,
			IdempotencyKey: req.GetIdempotencyKey(),
		},
		events: events,
	}
}

func (f *FakeOrchestrator) lookup(id string) (*fakeJob, error) {
	j, ok := f.jobs[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "job %q not found", id)
	}
	return j, nil
}

// WatchJob sends the events after after_sequence, breaking the stream as
// DropAfter says.
func (f *FakeOrchestrator) WatchJob(req *orchestratorv1.WatchJobRequest, stream grpc.ServerStreamingServer[orchestratorv1.WatchJobResponse]) error {
	f.mu.Lock()
	f.watches = append(f.watches, req.GetAfterSequence())
	j, err := f.lookup(req.GetJobId())
	var events []*orchestratorv1.JobEvent
	if err == nil {
		events = j.events
	}
	drop, replay := f.DropAfter, f.Replay
	f.mu.Unlock()
	if err != nil {
		return err
	}
	from := max(0, int(req.GetAfterSequence())-replay)
	sent := 0
	for _, ev := range events[min(from, len(events)):] {
		if drop > 0 && sent == drop {
			return status.Error(codes.Unavailable, "test double: connection dropped")
		}
		if err := stream.Send(&orchestratorv1.WatchJobResponse{Event: ev}); err != nil {
			return err
		}
		sent++
	}
	return nil
}

// GetJob returns a job.
func (f *FakeOrchestrator) GetJob(_ context.Context, req *orchestratorv1.GetJobRequest) (*orchestratorv1.GetJobResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.lookup(req.GetJobId())
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.GetJobResponse{Job: proto.CloneOf(j.job)}, nil
}

// CancelJob refuses: every fake job is finished the moment it is submitted.
func (f *FakeOrchestrator) CancelJob(_ context.Context, req *orchestratorv1.CancelJobRequest) (*orchestratorv1.CancelJobResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.lookup(req.GetJobId()); err != nil {
		return nil, err
	}
	return nil, status.Errorf(codes.FailedPrecondition, "job %q already finished", req.GetJobId())
}
