package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func newJob(t *testing.T, id, key string, state orchestratorv1.JobState) *orchestratorv1.Job {
	t.Helper()
	return &orchestratorv1.Job{JobId: id, IdempotencyKey: key, State: state}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCreateJobIdempotency(t *testing.T) {
	s, _ := openTemp(t)
	tests := []struct {
		name         string
		job          *orchestratorv1.Job
		wantID       string
		wantExisting bool
	}{
		{"first with key", newJob(t, "a1", "k", orchestratorv1.JobState_JOB_STATE_QUEUED), "a1", false},
		{"same key returns first", newJob(t, "a2", "k", orchestratorv1.JobState_JOB_STATE_QUEUED), "a1", true},
		{"no key", newJob(t, "a3", "", orchestratorv1.JobState_JOB_STATE_QUEUED), "a3", false},
		{"other key", newJob(t, "a4", "other", orchestratorv1.JobState_JOB_STATE_QUEUED), "a4", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, existing, err := s.CreateJob(tc.job)
			if err != nil {
				t.Fatal(err)
			}
			if got.GetJobId() != tc.wantID || existing != tc.wantExisting {
				t.Fatalf("got (%s, %v), want (%s, %v)", got.GetJobId(), existing, tc.wantID, tc.wantExisting)
			}
		})
	}
	if _, err := s.GetJob("a2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("job a2 should not exist, err=%v", err)
	}
	if _, _, err := s.CreateJob(newJob(t, "a3", "", 0)); err == nil {
		t.Fatal("duplicate job id accepted")
	}
}

func TestListJobsPaging(t *testing.T) {
	s, _ := openTemp(t)
	for i := range 7 {
		state := orchestratorv1.JobState_JOB_STATE_SUCCEEDED
		if i%2 == 1 {
			state = orchestratorv1.JobState_JOB_STATE_FAILED
		}
		if _, _, err := s.CreateJob(newJob(t, fmt.Sprintf("j%02d", i), "", state)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		state orchestratorv1.JobState
		size  int
		want  [][]string
	}{
		{"all by 3", 0, 3, [][]string{{"j06", "j05", "j04"}, {"j03", "j02", "j01"}, {"j00"}}},
		{"all by 7", 0, 7, [][]string{{"j06", "j05", "j04", "j03", "j02", "j01", "j00"}}},
		{"failed by 2", orchestratorv1.JobState_JOB_STATE_FAILED, 2, [][]string{{"j05", "j03"}, {"j01"}}},
		{"cancelled", orchestratorv1.JobState_JOB_STATE_CANCELLED, 2, [][]string{nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := ""
			for page, want := range tc.want {
				jobs, next, err := s.ListJobs(tc.state, tc.size, token)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, j := range jobs {
					ids = append(ids, j.GetJobId())
				}
				if fmt.Sprint(ids) != fmt.Sprint(want) {
					t.Fatalf("page %d: got %v, want %v", page, ids, want)
				}
				last := page == len(tc.want)-1
				if (next == "") != last {
					t.Fatalf("page %d: next token %q, last page %v", page, next, last)
				}
				token = next
			}
		})
	}
}

func TestEventsSequenceAndConcurrency(t *testing.T) {
	s, _ := openTemp(t)
	if _, _, err := s.CreateJob(newJob(t, "j", "", 0)); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				ev := &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Error{Error: &orchestratorv1.JobError{Message: fmt.Sprintf("%d-%d", w, i)}}}
				if _, err := s.AppendEvent("j", ev); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	all, err := s.Events("j", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*each {
		t.Fatalf("got %d events, want %d", len(all), writers*each)
	}
	seen := map[string]bool{}
	for i, ev := range all {
		if ev.GetSequence() != uint64(i+1) {
			t.Fatalf("event %d has sequence %d", i, ev.GetSequence())
		}
		seen[ev.GetError().GetMessage()] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("lost events: %d distinct", len(seen))
	}
	tail, err := s.Events("j", 195, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(tail) != 3 || tail[0].GetSequence() != 196 {
		t.Fatalf("tail after 195: %v", tail)
	}
	if _, err := s.AppendEvent("missing", &orchestratorv1.JobEvent{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("append to missing job: %v", err)
	}
}

func TestAppendProgress(t *testing.T) {
	s, _ := openTemp(t)
	if _, _, err := s.CreateJob(newJob(t, "j", "", 0)); err != nil {
		t.Fatal(err)
	}
	ev, err := s.AppendProgress("j", &orchestratorv1.Progress{FunctionsDone: 7})
	if err != nil || ev.GetProgress().GetFunctionsDone() != 7 || ev.GetSequence() != 1 {
		t.Fatalf("%v %v", ev, err)
	}
	job, _ := s.GetJob("j")
	if job.GetProgress().GetFunctionsDone() != 7 || job.GetUpdatedAt() == nil {
		t.Fatalf("job progress not stored: %v", job)
	}
}

func TestAppendRecordOnce(t *testing.T) {
	s, _ := openTemp(t)
	if _, _, err := s.CreateJob(newJob(t, "j", "", 0)); err != nil {
		t.Fatal(err)
	}
	rec := &orchestratorv1.Record{Id: "repo:f", Query: "q"}
	ev, appended, err := s.AppendRecord("j", rec)
	if err != nil || !appended || ev.GetPair().GetId() != "repo:f" || ev.GetSequence() != 1 {
		t.Fatalf("first append: %v %v %v", ev, appended, err)
	}
	_, appended, err = s.AppendRecord("j", &orchestratorv1.Record{Id: "repo:f", Query: "other"})
	if err != nil || appended {
		t.Fatalf("second append: appended=%v err=%v", appended, err)
	}
	recs, err := s.Records("j")
	if err != nil || len(recs) != 1 || recs[0].GetQuery() != "q" {
		t.Fatalf("records: %v %v", recs, err)
	}
	results := make(chan bool, 2)
	for _, id := range []string{"repo:f", "repo:g"} {
		if err := s.AppendRecordAsync("j", &orchestratorv1.Record{Id: id}, func(appended bool, err error) {
			if err != nil {
				t.Error(err)
			}
			results <- appended
		}); err != nil {
			t.Fatal(err)
		}
	}
	if first, second := <-results, <-results; first || !second {
		t.Fatalf("async appends: existing record appended=%v, new record appended=%v", first, second)
	}
	evs, _ := s.Events("j", 0, 10)
	if len(evs) != 2 || evs[1].GetPair().GetId() != "repo:g" {
		t.Fatalf("want two pair events, got %v", evs)
	}
}

func TestResultKey(t *testing.T) {
	base := ResultKeyInput{Stage: "summarize", CodeHash: "c", ContextHashes: []string{"a", "b"}, PromptVersion: "v1", Model: "m"}
	tests := []struct {
		name   string
		change func(*ResultKeyInput)
		same   bool
	}{
		{"identical", func(*ResultKeyInput) {}, true},
		{"stage", func(in *ResultKeyInput) { in.Stage = "query" }, false},
		{"code", func(in *ResultKeyInput) { in.CodeHash = "d" }, false},
		{"context order", func(in *ResultKeyInput) { in.ContextHashes = []string{"b", "a"} }, false},
		{"context boundary", func(in *ResultKeyInput) { in.ContextHashes = []string{"ab"} }, false},
		{"prompt version", func(in *ResultKeyInput) { in.PromptVersion = "v2" }, false},
		{"model", func(in *ResultKeyInput) { in.Model = "m2" }, false},
		{"options", func(in *ResultKeyInput) { in.Options = "max=10" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			in.ContextHashes = append([]string(nil), base.ContextHashes...)
			tc.change(&in)
			if got := ResultKey(in) == ResultKey(base); got != tc.same {
				t.Fatalf("same key = %v, want %v", got, tc.same)
			}
		})
	}
}

func TestResultsIdentityTrace(t *testing.T) {
	s, path := openTemp(t)
	res := &StageResult{Stage: "summarize", Text: "adds", Model: "m", PromptVersion: "v", CostUSD: 0.5, DocsUsed: []string{"x.y"}}
	if err := s.AddSpend("job", Spend{}, "k", res); err != nil {
		t.Fatal(err)
	}
	if err := s.SetIdentity(AnnotatorIdentity{Model: "m", PromptVersion: "v"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTraceParent("j", "00-abc-def-01"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	got, ok, err := s2.GetResult("k")
	if err != nil || !ok || got.Text != "adds" || got.CostUSD != 0.5 || len(got.DocsUsed) != 1 {
		t.Fatalf("result after reopen: %+v %v %v", got, ok, err)
	}
	if _, ok, _ := s2.GetResult("missing"); ok {
		t.Fatal("missing result found")
	}
	id, _ := s2.Identity()
	if id.Model != "m" || id.PromptVersion != "v" {
		t.Fatalf("identity %+v", id)
	}
	if tp, _ := s2.TraceParent("j"); tp != "00-abc-def-01" {
		t.Fatalf("traceparent %q", tp)
	}
}

// TestCrashKeepsCommitted kills a child process that appends events as fast as it can and checks that,
// on reopen, every event it reported committed is there, with gapless sequences.
func TestCrashKeepsCommitted(t *testing.T) {
	if path := os.Getenv("Q4C_STORE_CRASH_CHILD"); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateJob(newJob(t, "j", "", 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsCommitted$")
	cmd.Env = append(os.Environ(), "Q4C_STORE_CRASH_CHILD="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read committed sequence numbers until enough have been reported, then SIGKILL mid-write.
	var committed uint64
	buf := make([]byte, 0, 64)
	one := make([]byte, 1)
	for committed < 40 {
		if _, err := stdout.Read(one); err != nil {
			t.Fatalf("child stopped early: %v", err)
		}
		if one[0] == '\n' {
			n, err := strconv.ParseUint(string(buf), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			committed = n
			buf = buf[:0]
			continue
		}
		buf = append(buf, one[0])
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer func() { _ = s.Close() }()
	evs, err := s.Events("j", 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) < committed {
		t.Fatalf("%d events after crash, %d were committed", len(evs), committed)
	}
	for i, ev := range evs {
		if ev.GetSequence() != uint64(i+1) {
			t.Fatalf("gap at %d: sequence %d", i, ev.GetSequence())
		}
		if !proto.Equal(ev.GetError(), &orchestratorv1.JobError{Message: strconv.Itoa(i + 1)}) {
			t.Fatalf("event %d corrupt: %v", i+1, ev)
		}
	}
	for i := uint64(1); i <= committed; i++ {
		if _, ok, err := s.GetResult(strconv.FormatUint(i, 10)); err != nil || !ok {
			t.Fatalf("result %d lost after crash: %v", i, err)
		}
	}
	job, err := s.GetJob("j")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.ParseUint(job.GetError(), 10, 64); n < committed {
		t.Fatalf("job update %d lost, committed %d", n, committed)
	}
}

func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 1; ; i++ {
		if _, err := s.AppendEvent("j", &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Error{Error: &orchestratorv1.JobError{Message: strconv.Itoa(i)}}}); err != nil {
			os.Exit(3)
		}
		if err := s.AddSpend("job", Spend{}, strconv.Itoa(i), &StageResult{Stage: "x"}); err != nil {
			os.Exit(3)
		}
		if _, err := s.UpdateJob("j", func(j *orchestratorv1.Job) error { j.Error = strconv.Itoa(i); return nil }); err != nil {
			os.Exit(3)
		}
		fmt.Println(i)
	}
}

func TestGroupCommit(t *testing.T) {
	s, _ := openTemp(t)
	if _, _, err := s.CreateJob(newJob(t, "j", "", 0)); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			if w%4 == 0 {
				// A write that fails (unknown job) must fail alone, not its whole group.
				_, errs[w] = s.AppendEvent("missing", &orchestratorv1.JobEvent{})
				return
			}
			if err := s.AddSpend("job", Spend{}, fmt.Sprint("result", w), &StageResult{Stage: "x"}); err != nil {
				errs[w] = err
				return
			}
			_, errs[w] = s.AppendEvent("j", &orchestratorv1.JobEvent{})
		})
	}
	wg.Wait()
	for w, err := range errs {
		if (w%4 == 0) != errors.Is(err, ErrNotFound) {
			t.Fatalf("writer %d: %v", w, err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for w := range writers {
		if _, ok, _ := s.GetResult(fmt.Sprint("result", w)); ok != (w%4 != 0) {
			t.Fatalf("result %d present=%v", w, ok)
		}
	}
	evs, _ := s.Events("j", 0, 100)
	if len(evs) != writers-writers/4 {
		t.Fatalf("%d events", len(evs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSpend("job", Spend{}, "late", &StageResult{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

// TestFlushReportsAsyncFailure queues more failing writes than the queue holds, so enqueuers block while
// the committer records failures, and checks Flush reports them.
func TestFlushReportsAsyncFailure(t *testing.T) {
	s, _ := openTemp(t)
	var failed sync.WaitGroup
	for i := range 3 * maxGroup {
		failed.Add(1)
		err := s.AppendRecordAsync("missing", &orchestratorv1.Record{Id: strconv.Itoa(i)}, func(appended bool, err error) {
			defer failed.Done()
			if appended || !errors.Is(err, ErrNotFound) {
				t.Errorf("record %d: appended=%v err=%v", i, appended, err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	failed.Wait()
	if err := s.Flush(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("flush: %v", err)
	}
}

func TestSubmitJobByIdentity(t *testing.T) {
	s, _ := openTemp(t)
	job := func(id, out string) *orchestratorv1.Job {
		return &orchestratorv1.Job{JobId: id, OutputDir: out, State: orchestratorv1.JobState_JOB_STATE_QUEUED}
	}
	first, err := s.SubmitJob(job("a", "/out"), "identity-1")
	if err != nil || first.Existing {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := s.SubmitJob(job("b", "/out"), "identity-1")
	if err != nil || !again.Existing || again.Reopened || again.Job.GetJobId() != "a" {
		t.Fatalf("same identity while queued: %+v %v", again, err)
	}
	var busy *OutputBusyError
	if _, err := s.SubmitJob(job("c", "/out"), "identity-2"); !errors.As(err, &busy) || busy.JobID != "a" {
		t.Fatalf("another identity on a queued job's output: %v", err)
	}
	// A failed job is queued again; its log so far is an earlier run's.
	if _, err := s.AppendEvent("a", &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Progress{Progress: &orchestratorv1.Progress{}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FinishJob("a", func(j *orchestratorv1.Job) error {
		j.State = orchestratorv1.JobState_JOB_STATE_FAILED
		return nil
	}, &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Done{Done: &orchestratorv1.JobDone{}}}); err != nil {
		t.Fatal(err)
	}
	reopened, err := s.SubmitJob(job("d", "/out"), "identity-1")
	if err != nil || !reopened.Existing || !reopened.Reopened || reopened.Job.GetState() != orchestratorv1.JobState_JOB_STATE_QUEUED {
		t.Fatalf("same identity after a failure: %+v %v", reopened, err)
	}
	if end, err := s.EarlierRunsEnd("a"); err != nil || end != 2 {
		t.Fatalf("earlier runs end at %d (%v), want 2", end, err)
	}
	// After success the same identity makes a new job.
	if _, _, err := s.FinishJob("a", func(j *orchestratorv1.Job) error {
		j.State = orchestratorv1.JobState_JOB_STATE_SUCCEEDED
		return nil
	}, &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Done{Done: &orchestratorv1.JobDone{}}}); err != nil {
		t.Fatal(err)
	}
	if rerun, err := s.SubmitJob(job("e", "/out"), "identity-1"); err != nil || rerun.Existing || rerun.Job.GetJobId() != "e" {
		t.Fatalf("same identity after success: %+v %v", rerun, err)
	}
}

// A job's spend adds up call by call, results stored with it, and survives reopening the store.
func TestJobSpend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spend.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.JobSpend("j1"); ok || err != nil {
		t.Fatalf("spend of a new job: ok %v err %v", ok, err)
	}
	if err := s.AddSpend("j1", Spend{LLMCalls: 2, PromptTokens: 10, CompletionTokens: 3, CostUSD: 0.5}, "k1", &StageResult{Stage: "summarize", Text: "s"}); err != nil {
		t.Fatal(err)
	}
	// A failed call: spend without a result.
	if err := s.AddSpend("j1", Spend{LLMCalls: 3, CostUSD: 0.25}, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSpend("j2", Spend{LLMCalls: 1}, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	got, ok, err := s.JobSpend("j1")
	if err != nil || !ok || got != (Spend{LLMCalls: 5, PromptTokens: 10, CompletionTokens: 3, CostUSD: 0.75}) {
		t.Fatalf("spend %+v ok %v err %v", got, ok, err)
	}
	if res, hit, err := s.GetResult("k1"); err != nil || !hit || res.Text != "s" {
		t.Fatalf("result stored with the spend: %+v hit %v err %v", res, hit, err)
	}
}
