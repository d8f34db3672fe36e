// Package store keeps the orchestrator's durable state in one bbolt file: jobs, an append-only event log
// per job, the records a job produced, and every annotation stage's result keyed by a content hash.
//
// Every mutation is one bbolt transaction, so a crash (even SIGKILL) leaves either all of it or none of
// it on disk, and bbolt serialises writers, so the store is safe to use from many goroutines.
package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

// ErrNotFound is returned when a job does not exist.
var ErrNotFound = errors.New("not found")

var (
	bucketJobs    = []byte("jobs")
	bucketIdem    = []byte("idempotency")
	bucketEvents  = []byte("events")
	bucketRecords = []byte("records")
	bucketResults = []byte("results")
	bucketMeta    = []byte("meta")
	bucketTraces  = []byte("traces")
	// bucketIdentities maps a job identity (see jobs.Identity) to the latest job with it.
	bucketIdentities = []byte("identities")
	// bucketOutputs maps an output directory to the latest job writing it.
	bucketOutputs = []byte("outputs")
	// bucketReopened holds, per job run again after it failed or was cancelled, the last sequence of
	// its earlier runs: their done and fatal error events no longer end it.
	bucketReopened = []byte("reopened")
	bucketSpend    = []byte("spend")

	keyIdentity = []byte("annotator_identity")
)

// Store is the orchestrator's embedded database.
//
// Writes go through one committer goroutine that applies every write queued meanwhile in a single
// transaction (group commit): one fsync serves many concurrent writers, where bbolt alone would fsync
// once per writer, one after another.
type Store struct {
	db      *bolt.DB
	writes  chan *write
	stopped chan struct{}

	// closeMu guards closed; enqueuers hold it shared while they send, so Close waits for them and the
	// committer, which never takes it, keeps draining.
	closeMu sync.RWMutex
	closed  bool

	errMu    sync.Mutex
	asyncErr error
}

type write struct {
	fn    func(*bolt.Tx) error
	done  chan error  // nil for writes nobody waits for
	after func(error) // called after the commit of a write nobody waits for; may be nil
}

// maxGroup bounds the writes applied in one transaction.
const maxGroup = 512

// Open opens (or creates) the store file at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketJobs, bucketIdem, bucketEvents, bucketRecords, bucketResults, bucketMeta, bucketTraces, bucketIdentities, bucketOutputs, bucketReopened, bucketSpend} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("initialise store %s: %w", path, err)
	}
	s := &Store{db: db, writes: make(chan *write, maxGroup), stopped: make(chan struct{})}
	go s.commitLoop()
	return s, nil
}

// Close applies the queued writes and closes the file.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.writes)
	s.closeMu.Unlock()
	<-s.stopped
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// ErrClosed is returned for writes after Close.
var ErrClosed = errors.New("store closed")

// update applies fn in a write transaction and waits for it to be committed.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	w := &write{fn: fn, done: make(chan error, 1)}
	if err := s.enqueue(w); err != nil {
		return err
	}
	return <-w.done
}

// updateAsync queues fn without waiting; after (if not nil) runs once it is committed or failed, and a
// failure is kept for Flush to report.
func (s *Store) updateAsync(fn func(*bolt.Tx) error, after func(error)) error {
	return s.enqueue(&write{fn: fn, after: after})
}

func (s *Store) enqueue(w *write) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.writes <- w
	return nil
}

// Flush waits until every write queued before it is committed and returns the first error of a write
// nobody waited for, if any.
func (s *Store) Flush() error {
	if err := s.update(func(*bolt.Tx) error { return nil }); err != nil {
		return err
	}
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.asyncErr
}

func (s *Store) commitLoop() {
	defer close(s.stopped)
	for first := range s.writes {
		group := []*write{first}
	drain:
		for len(group) < maxGroup {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break drain
				}
				group = append(group, w)
			default:
				break drain
			}
		}
		s.commit(group)
	}
}

// commit applies a group in one transaction. If any write fails, the transaction is rolled back and
// every write is applied in a transaction of its own, so one bad write fails alone.
func (s *Store) commit(group []*write) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, w := range group {
			if err := w.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(group) == 1 {
		for _, w := range group {
			s.finish(w, err)
		}
		return
	}
	for _, w := range group {
		s.finish(w, s.db.Update(w.fn))
	}
}

func (s *Store) finish(w *write, err error) {
	if w.done != nil {
		w.done <- err
		return
	}
	if err != nil {
		s.errMu.Lock()
		if s.asyncErr == nil {
			s.asyncErr = err
		}
		s.errMu.Unlock()
	}
	if w.after != nil {
		w.after(err)
	}
}

// NewJobID returns a new job id: 12 hex digits of milliseconds since the epoch, then 8 random hex
// digits, so ids sort by creation time and listing newest first is a reverse key scan.
func NewJobID(now time.Time) (string, error) {
	var random [4]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return fmt.Sprintf("%012x%s", now.UnixMilli(), hex.EncodeToString(random[:])), nil
}

// CreateJob stores job unless job.IdempotencyKey names an earlier job, which is returned with
// existing=true instead. The check and the insert are one transaction.
func (s *Store) CreateJob(job *orchestratorv1.Job) (stored *orchestratorv1.Job, existing bool, err error) {
	sub, err := s.SubmitJob(job, "")
	if err != nil {
		return nil, false, err
	}
	return sub.Job, sub.Existing, nil
}

// Submission is what SubmitJob did.
type Submission struct {
	// Job is the new job, or the earlier one that was returned instead.
	Job *orchestratorv1.Job
	// Existing is true when an earlier job was returned: the idempotency key named it, or it has the
	// same identity and had not written its dataset.
	Existing bool
	// Reopened is true when that earlier job had failed or was cancelled and is queued again.
	Reopened bool
}

// OutputBusyError refuses a job whose output directory an unfinished job of another identity holds.
type OutputBusyError struct {
	Dir   string
	JobID string
	State orchestratorv1.JobState
}

// ErrOutputBusy is what every OutputBusyError is (errors.Is), for error tables.
var ErrOutputBusy = errors.New("output directory busy")

// Unwrap makes errors.Is(err, ErrOutputBusy) true.
func (e *OutputBusyError) Unwrap() error { return ErrOutputBusy }

func (e *OutputBusyError) Error() string {
	return fmt.Sprintf("output directory %s is held by job %s (%s), which has other sources or options; "+
		"run that job's command again to finish it, cancel it, or choose another output directory", e.Dir, e.JobID, e.State)
}

// SubmitJob stores job, or returns the earlier job it stands for, in one transaction:
//   - the job its idempotency key names, when there is one;
//   - the job with the same identity (when identity is not empty) unless that one succeeded: a
//     failed or cancelled one is queued again (Reopened), so re-running a command continues its job;
//   - an OutputBusyError when a queued or running job of another identity writes job.OutputDir.
//
// A job that succeeded is not continued: the same command again makes a new job, whose stage
// results all come from the store.
func (s *Store) SubmitJob(job *orchestratorv1.Job, identity string) (Submission, error) {
	var sub Submission
	err := s.update(func(tx *bolt.Tx) error {
		sub = Submission{}
		idem := tx.Bucket(bucketIdem)
		key := job.GetIdempotencyKey()
		if key != "" {
			if id := idem.Get([]byte(key)); id != nil {
				earlier, err := getJob(tx, string(id))
				if err != nil {
					return err
				}
				sub.Job, sub.Existing = earlier, true
				return nil
			}
		}
		if identity != "" {
			if id := tx.Bucket(bucketIdentities).Get([]byte(identity)); id != nil {
				earlier, err := getJob(tx, string(id))
				if err != nil {
					return err
				}
				if earlier.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
					if sub.Reopened, err = reopen(tx, earlier); err != nil {
						return err
					}
					if key != "" {
						if err := idem.Put([]byte(key), []byte(earlier.GetJobId())); err != nil {
							return fmt.Errorf("put idempotency key: %w", err)
						}
					}
					sub.Job, sub.Existing = earlier, true
					return nil
				}
			}
		}
		if dir := job.GetOutputDir(); dir != "" {
			if id := tx.Bucket(bucketOutputs).Get([]byte(dir)); id != nil {
				holder, err := getJob(tx, string(id))
				if err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				if st := holder.GetState(); err == nil && (st == orchestratorv1.JobState_JOB_STATE_QUEUED || st == orchestratorv1.JobState_JOB_STATE_RUNNING) {
					return &OutputBusyError{Dir: dir, JobID: holder.GetJobId(), State: st}
				}
			}
		}
		if tx.Bucket(bucketJobs).Get([]byte(job.GetJobId())) != nil {
			return fmt.Errorf("job %s already exists", job.GetJobId())
		}
		if err := putJob(tx, job); err != nil {
			return err
		}
		for _, kv := range []struct {
			bucket     []byte
			key, value string
		}{{bucketIdem, key, job.GetJobId()}, {bucketIdentities, identity, job.GetJobId()}, {bucketOutputs, job.GetOutputDir(), job.GetJobId()}} {
			if kv.key == "" {
				continue
			}
			if err := tx.Bucket(kv.bucket).Put([]byte(kv.key), []byte(kv.value)); err != nil {
				return fmt.Errorf("put %s: %w", kv.bucket, err)
			}
		}
		sub.Job = proto.Clone(job).(*orchestratorv1.Job)
		return nil
	})
	if err != nil {
		return Submission{}, fmt.Errorf("submit job: %w", err)
	}
	return sub, nil
}

// reopen queues a failed or cancelled job again and marks its event log so far as an earlier run's;
// a queued or running job is left as it is.
func reopen(tx *bolt.Tx, job *orchestratorv1.Job) (bool, error) {
	if st := job.GetState(); st != orchestratorv1.JobState_JOB_STATE_FAILED && st != orchestratorv1.JobState_JOB_STATE_CANCELLED {
		return false, nil
	}
	if events := tx.Bucket(bucketEvents).Bucket([]byte(job.GetJobId())); events != nil {
		if err := tx.Bucket(bucketReopened).Put([]byte(job.GetJobId()), seqKey(events.Sequence())); err != nil {
			return false, fmt.Errorf("put reopened mark: %w", err)
		}
	}
	job.State = orchestratorv1.JobState_JOB_STATE_QUEUED
	job.Error = ""
	job.UpdatedAt = timestamppb.Now()
	return true, putJob(tx, job)
}

// EarlierRunsEnd returns the last event sequence of a job's earlier runs (0 when it never ran again
// after failing or being cancelled): their done and fatal error events do not end the job.
func (s *Store) EarlierRunsEnd(jobID string) (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketReopened).Get([]byte(jobID)); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("earlier runs of job %s: %w", jobID, err)
	}
	return seq, nil
}

// GetJob returns a job or ErrNotFound.
func (s *Store) GetJob(id string) (*orchestratorv1.Job, error) {
	var job *orchestratorv1.Job
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		job, err = getJob(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

// UpdateJob applies change to a job in one transaction and returns the result. updated_at is set.
func (s *Store) UpdateJob(id string, change func(*orchestratorv1.Job) error) (*orchestratorv1.Job, error) {
	var job *orchestratorv1.Job
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		job, err = getJob(tx, id)
		if err != nil {
			return err
		}
		if err := change(job); err != nil {
			return err
		}
		job.UpdatedAt = timestamppb.Now()
		return putJob(tx, job)
	})
	if err != nil {
		return nil, fmt.Errorf("update job %s: %w", id, err)
	}
	return job, nil
}

// ListJobs returns up to pageSize jobs, newest first, starting after pageToken (a job id), keeping only
// jobs in state unless state is unspecified. next is empty on the last page.
func (s *Store) ListJobs(state orchestratorv1.JobState, pageSize int, pageToken string) (jobs []*orchestratorv1.Job, next string, err error) {
	if pageSize <= 0 {
		return nil, "", fmt.Errorf("list jobs: page size %d must be positive", pageSize)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJobs).Cursor()
		var k, v []byte
		if pageToken == "" {
			k, v = c.Last()
		} else {
			k, v = c.Seek([]byte(pageToken))
			if k == nil {
				k, v = c.Last()
			}
			// Seek lands on the token itself or the first key after it; step back past both.
			for k != nil && bytes.Compare(k, []byte(pageToken)) >= 0 {
				k, v = c.Prev()
			}
		}
		for ; k != nil; k, v = c.Prev() {
			job := &orchestratorv1.Job{}
			if err := proto.Unmarshal(v, job); err != nil {
				return fmt.Errorf("decode job %s: %w", k, err)
			}
			if state != orchestratorv1.JobState_JOB_STATE_UNSPECIFIED && job.GetState() != state {
				continue
			}
			if len(jobs) == pageSize {
				next = jobs[len(jobs)-1].GetJobId()
				return nil
			}
			jobs = append(jobs, job)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	return jobs, next, nil
}

// JobsInStates returns every job whose state is one of states, oldest first.
func (s *Store) JobsInStates(states ...orchestratorv1.JobState) ([]*orchestratorv1.Job, error) {
	var jobs []*orchestratorv1.Job
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			job := &orchestratorv1.Job{}
			if err := proto.Unmarshal(v, job); err != nil {
				return fmt.Errorf("decode job %s: %w", k, err)
			}
			for _, st := range states {
				if job.GetState() == st {
					jobs = append(jobs, job)
					break
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("jobs by state: %w", err)
	}
	return jobs, nil
}

// AppendEvent appends ev to the job's log, setting its sequence (from 1) and, when unset, its time.
func (s *Store) AppendEvent(jobID string, ev *orchestratorv1.JobEvent) (*orchestratorv1.JobEvent, error) {
	var out *orchestratorv1.JobEvent
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		out, err = appendEvent(tx, jobID, ev)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("append event to job %s: %w", jobID, err)
	}
	return out, nil
}

// AppendProgress appends a progress event and stores its progress on the job, in one transaction.
func (s *Store) AppendProgress(jobID string, progress *orchestratorv1.Progress) (*orchestratorv1.JobEvent, error) {
	var out *orchestratorv1.JobEvent
	err := s.update(func(tx *bolt.Tx) error {
		job, err := getJob(tx, jobID)
		if err != nil {
			return err
		}
		job.Progress = progress
		job.UpdatedAt = timestamppb.Now()
		if err := putJob(tx, job); err != nil {
			return err
		}
		out, err = appendEvent(tx, jobID, &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Progress{Progress: progress}})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("append progress to job %s: %w", jobID, err)
	}
	return out, nil
}

// FinishJob applies change to the job and appends its done event in one transaction, so a job is never
// seen finished without its done event or the other way round.
func (s *Store) FinishJob(jobID string, change func(*orchestratorv1.Job) error, done *orchestratorv1.JobEvent) (*orchestratorv1.Job, *orchestratorv1.JobEvent, error) {
	var (
		job *orchestratorv1.Job
		ev  *orchestratorv1.JobEvent
	)
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		if job, err = getJob(tx, jobID); err != nil {
			return err
		}
		if err := change(job); err != nil {
			return err
		}
		job.UpdatedAt = timestamppb.Now()
		if err := putJob(tx, job); err != nil {
			return err
		}
		ev, err = appendEvent(tx, jobID, done)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("finish job %s: %w", jobID, err)
	}
	return job, ev, nil
}

// AppendRecord stores rec under the job (keyed by rec.Id) and appends a pair event carrying it, in one
// transaction. A record the job already holds is left alone and appended=false: a resumed job never
// writes or announces a pair twice.
func (s *Store) AppendRecord(jobID string, rec *orchestratorv1.Record) (ev *orchestratorv1.JobEvent, appended bool, err error) {
	fn, result := appendRecord(jobID, rec)
	if err := s.update(fn); err != nil {
		return nil, false, fmt.Errorf("append record %s to job %s: %w", rec.GetId(), jobID, err)
	}
	ev, appended = result()
	return ev, appended, nil
}

// AppendRecordAsync is AppendRecord without waiting for the commit; after (if not nil) is called from the
// committer once the write is committed or failed, and must be quick.
func (s *Store) AppendRecordAsync(jobID string, rec *orchestratorv1.Record, after func(appended bool, err error)) error {
	fn, result := appendRecord(jobID, rec)
	err := s.updateAsync(fn, func(err error) {
		if after == nil {
			return
		}
		if err != nil {
			after(false, fmt.Errorf("append record %s to job %s: %w", rec.GetId(), jobID, err))
			return
		}
		_, appended := result()
		after(appended, nil)
	})
	if err != nil {
		return fmt.Errorf("append record %s to job %s: %w", rec.GetId(), jobID, err)
	}
	return nil
}

func appendRecord(jobID string, rec *orchestratorv1.Record) (func(*bolt.Tx) error, func() (*orchestratorv1.JobEvent, bool)) {
	var (
		ev       *orchestratorv1.JobEvent
		appended bool
	)
	fn := func(tx *bolt.Tx) error {
		ev, appended = nil, false
		records, err := tx.Bucket(bucketRecords).CreateBucketIfNotExists([]byte(jobID))
		if err != nil {
			return fmt.Errorf("records bucket: %w", err)
		}
		if records.Get([]byte(rec.GetId())) != nil {
			return nil
		}
		data, err := proto.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		if err := records.Put([]byte(rec.GetId()), data); err != nil {
			return fmt.Errorf("put record: %w", err)
		}
		ev, err = appendEvent(tx, jobID, &orchestratorv1.JobEvent{Kind: &orchestratorv1.JobEvent_Pair{Pair: rec}})
		appended = err == nil
		return err
	}
	return fn, func() (*orchestratorv1.JobEvent, bool) { return ev, appended }
}

// Records returns every record of a job, in record id order.
func (s *Store) Records(jobID string) ([]*orchestratorv1.Record, error) {
	var out []*orchestratorv1.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		records := tx.Bucket(bucketRecords).Bucket([]byte(jobID))
		if records == nil {
			return nil
		}
		return records.ForEach(func(k, v []byte) error {
			rec := &orchestratorv1.Record{}
			if err := proto.Unmarshal(v, rec); err != nil {
				return fmt.Errorf("decode record %s: %w", k, err)
			}
			out = append(out, rec)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("records of job %s: %w", jobID, err)
	}
	return out, nil
}

// Events returns up to limit events of a job with a sequence greater than after, in order.
func (s *Store) Events(jobID string, after uint64, limit int) ([]*orchestratorv1.JobEvent, error) {
	var out []*orchestratorv1.JobEvent
	err := s.db.View(func(tx *bolt.Tx) error {
		events := tx.Bucket(bucketEvents).Bucket([]byte(jobID))
		if events == nil {
			return nil
		}
		c := events.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			ev := &orchestratorv1.JobEvent{}
			if err := proto.Unmarshal(v, ev); err != nil {
				return fmt.Errorf("decode event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events of job %s: %w", jobID, err)
	}
	return out, nil
}

// StageResult is the stored outcome of one annotator call.
type StageResult struct {
	Stage            string   `json:"stage"`
	Text             string   `json:"text,omitempty"` // the summary or the query
	Score            int32    `json:"score,omitempty"`
	Explanation      string   `json:"explanation,omitempty"`
	Model            string   `json:"model"`
	PromptVersion    string   `json:"prompt_version"`
	PromptTokens     int64    `json:"prompt_tokens,omitempty"`
	CompletionTokens int64    `json:"completion_tokens,omitempty"`
	CostUSD          float64  `json:"cost_usd,omitempty"`
	LLMCalls         int32    `json:"llm_calls,omitempty"`
	CalleesUsed      []string `json:"callees_used,omitempty"`
	DocsUsed         []string `json:"docs_used,omitempty"`
}

// ResultKeyInput is everything that decides an annotator call's answer.
type ResultKeyInput struct {
	Stage    string
	CodeHash string
	// ContextHashes are the hashes of the context actually sent (callee summaries or code, API docs,
	// the summary or the query), in the order sent.
	ContextHashes []string
	// Options are the call options that change the prompt, e.g. the context token budget.
	Options       string
	PromptVersion string
	Model         string
}

// ResultKey is the hex SHA-256 over a stage's inputs; equal keys mean the call would be repeated.
func ResultKey(in ResultKeyInput) string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field("q4c-stage-result/v1")
	field(in.Stage)
	field(in.CodeHash)
	field(fmt.Sprint(len(in.ContextHashes)))
	for _, c := range in.ContextHashes {
		field(c)
	}
	field(in.Options)
	field(in.PromptVersion)
	field(in.Model)
	return hex.EncodeToString(h.Sum(nil))
}

// HashText is the hex SHA-256 of parts, each length-prefixed so that boundaries matter.
func HashText(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// GetResult returns the stored result for key.
func (s *Store) GetResult(key string) (*StageResult, bool, error) {
	var data []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketResults).Get([]byte(key)); v != nil {
			data = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("get result %s: %w", key, err)
	}
	if data == nil {
		return nil, false, nil
	}
	res := &StageResult{}
	if err := json.Unmarshal(data, res); err != nil {
		return nil, false, fmt.Errorf("decode result %s: %w", key, err)
	}
	return res, true, nil
}

func putResult(key string, data []byte) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		return tx.Bucket(bucketResults).Put([]byte(key), data)
	}
}

// AnnotatorIdentity is the model and prompt version the annotator last answered with. Cache keys need
// them before a call is made, so the last observed pair is kept.
type AnnotatorIdentity struct {
	Model         string
	PromptVersion string
}

// Identity returns the last recorded annotator identity (zero when none was recorded).
func (s *Store) Identity() (AnnotatorIdentity, error) {
	var id AnnotatorIdentity
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyIdentity); v != nil {
			model, pv, _ := strings.Cut(string(v), "\x00")
			id = AnnotatorIdentity{Model: model, PromptVersion: pv}
		}
		return nil
	})
	if err != nil {
		return id, fmt.Errorf("annotator identity: %w", err)
	}
	return id, nil
}

// SetIdentity records the annotator identity.
func (s *Store) SetIdentity(id AnnotatorIdentity) error {
	err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyIdentity, []byte(id.Model+"\x00"+id.PromptVersion))
	})
	if err != nil {
		return fmt.Errorf("set annotator identity: %w", err)
	}
	return nil
}

// TraceParent returns the W3C traceparent stored for a job's root span, or "".
func (s *Store) TraceParent(jobID string) (string, error) {
	var tp string
	err := s.db.View(func(tx *bolt.Tx) error {
		tp = string(tx.Bucket(bucketTraces).Get([]byte(jobID)))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("trace of job %s: %w", jobID, err)
	}
	return tp, nil
}

// SetTraceParent stores the W3C traceparent of a job's root span.
func (s *Store) SetTraceParent(jobID, traceParent string) error {
	err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTraces).Put([]byte(jobID), []byte(traceParent))
	})
	if err != nil {
		return fmt.Errorf("set trace of job %s: %w", jobID, err)
	}
	return nil
}

func getJob(tx *bolt.Tx, id string) (*orchestratorv1.Job, error) {
	v := tx.Bucket(bucketJobs).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	job := &orchestratorv1.Job{}
	if err := proto.Unmarshal(v, job); err != nil {
		return nil, fmt.Errorf("decode job %s: %w", id, err)
	}
	return job, nil
}

func putJob(tx *bolt.Tx, job *orchestratorv1.Job) error {
	data, err := proto.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	if err := tx.Bucket(bucketJobs).Put([]byte(job.GetJobId()), data); err != nil {
		return fmt.Errorf("put job: %w", err)
	}
	return nil
}

func appendEvent(tx *bolt.Tx, jobID string, ev *orchestratorv1.JobEvent) (*orchestratorv1.JobEvent, error) {
	if tx.Bucket(bucketJobs).Get([]byte(jobID)) == nil {
		return nil, fmt.Errorf("job %s: %w", jobID, ErrNotFound)
	}
	events, err := tx.Bucket(bucketEvents).CreateBucketIfNotExists([]byte(jobID))
	if err != nil {
		return nil, fmt.Errorf("events bucket: %w", err)
	}
	seq, err := events.NextSequence()
	if err != nil {
		return nil, fmt.Errorf("next sequence: %w", err)
	}
	out := proto.Clone(ev).(*orchestratorv1.JobEvent)
	out.Sequence = seq
	if out.Time == nil {
		out.Time = timestamppb.Now()
	}
	data, err := proto.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	if err := events.Put(seqKey(seq), data); err != nil {
		return nil, fmt.Errorf("put event: %w", err)
	}
	return out, nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// Spend is what a job's LLM requests cost, across all its runs.
type Spend struct {
	LLMCalls         int64   `json:"llm_calls"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
}

// AddSpend adds what one call spent to the job's spend and, when res is not nil, stores the call's
// result under key in the same transaction: a result is never durable without its cost, so a job
// resumed after a crash serves it from the store and still counts what it cost.
func (s *Store) AddSpend(jobID string, spent Spend, key string, res *StageResult) error {
	var data []byte
	if res != nil {
		var err error
		if data, err = json.Marshal(res); err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
	}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSpend)
		var total Spend
		if v := b.Get([]byte(jobID)); v != nil {
			if err := json.Unmarshal(v, &total); err != nil {
				return fmt.Errorf("decode spend: %w", err)
			}
		}
		total.LLMCalls += spent.LLMCalls
		total.PromptTokens += spent.PromptTokens
		total.CompletionTokens += spent.CompletionTokens
		total.CostUSD += spent.CostUSD
		v, err := json.Marshal(total)
		if err != nil {
			return fmt.Errorf("encode spend: %w", err)
		}
		if err := b.Put([]byte(jobID), v); err != nil {
			return err
		}
		if res != nil {
			return putResult(key, data)(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record spend of job %s: %w", jobID, err)
	}
	return nil
}

// JobSpend returns a job's spend; ok is false when none was recorded (a job from before spend was
// recorded, or one that sent nothing).
func (s *Store) JobSpend(jobID string) (spend Spend, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSpend).Get([]byte(jobID))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &spend)
	})
	if err != nil {
		return Spend{}, false, fmt.Errorf("spend of job %s: %w", jobID, err)
	}
	return spend, ok, nil
}
