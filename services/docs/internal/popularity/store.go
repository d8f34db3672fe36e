package popularity

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

var (
	bucketCallSites    = []byte("call_sites")
	bucketRepositories = []byte("repositories")
)

// ErrBadCount reports a negative call-site count.
var ErrBadCount = errors.New("negative call-site count")

// Store holds the corpus call-site count of every API seen so far. Counts
// live in memory for fast reads; with a path they are also written through
// to a bbolt file and survive a restart. It is safe for concurrent use.
type Store struct {
	db *bolt.DB // nil: in memory only

	mu     sync.RWMutex
	counts map[string]int64
	total  int64
	// repositoryCount is the number of distinct named repositories recorded.
	repositoryCount int
	// repositories holds each repository's last recorded counts when there is
	// no file (with a file they live in bucketRepositories).
	repositories map[string]map[string]int64
}

// OpenStore opens (creating if needed) the count file at path; an empty path
// keeps the counts in memory.
func OpenStore(path string) (*Store, error) {
	s := &Store{counts: map[string]int64{}, repositories: map[string]map[string]int64{}}
	if path == "" {
		return s, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open popularity store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketCallSites, bucketRepositories} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		s.repositoryCount = tx.Bucket(bucketRepositories).Stats().KeyN
		return tx.Bucket(bucketCallSites).ForEach(func(k, v []byte) error {
			n, err := decodeCount(v)
			if err != nil {
				return fmt.Errorf("call sites of %q: %w", k, err)
			}
			s.counts[string(k)] = n
			s.total += n
			return nil
		})
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("load popularity store %s: %w", path, err)
	}
	s.db = db
	return s, nil
}

// Close releases the file.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close popularity store: %w", err)
	}
	return nil
}

// RecordResult summarises one Record call.
type RecordResult struct {
	// APIs and CallSites count what this call recorded.
	APIs      int
	CallSites int64
	// Replaced is true when the repository had been recorded before and its
	// earlier counts were replaced rather than added to.
	Replaced bool
	// CorpusAPIs, CorpusCallSites and CorpusRepositories are the totals
	// after the call.
	CorpusAPIs         int
	CorpusCallSites    int64
	CorpusRepositories int
}

// Record adds a repository's call-site counts (API -> call sites). Recording
// the same non-empty repository again replaces its earlier counts, so a
// re-run of a job does not inflate popularity; an empty repository name
// always adds. Every name must be well formed (a Python or an npm API path:
// RecordUsage carries no language, and the two share one count per name)
// and every count >= 0.
func (s *Store) Record(repository string, counts map[string]int64) (RecordResult, error) {
	recorded := make(map[string]int64, len(counts))
	var res RecordResult
	for api, n := range counts {
		if err := apidoc.ValidateName(api); err != nil && apidoc.ValidateNPMName(api) != nil {
			return RecordResult{}, err
		}
		if n < 0 {
			return RecordResult{}, fmt.Errorf("%w: %s has %d", ErrBadCount, api, n)
		}
		if n > 0 {
			recorded[api] = n
			res.CallSites += n
		}
	}
	res.APIs = len(recorded)

	s.mu.Lock()
	defer s.mu.Unlock()
	var merged map[string]int64
	if s.db == nil {
		var previous map[string]int64
		if repository != "" {
			previous, res.Replaced = s.repositories[repository]
			s.repositories[repository] = recorded
		}
		merged = mergedCounts(s.counts, previous, recorded)
	} else {
		err := s.db.Update(func(tx *bolt.Tx) error {
			var previous map[string]int64
			var err error
			if repository != "" {
				previous, res.Replaced, err = swapRepository(tx.Bucket(bucketRepositories), repository, recorded)
				if err != nil {
					return err
				}
			}
			merged = mergedCounts(s.counts, previous, recorded)
			b := tx.Bucket(bucketCallSites)
			for api, n := range merged {
				if n <= 0 {
					err = b.Delete([]byte(api))
				} else {
					err = b.Put([]byte(api), encodeCount(n))
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return RecordResult{}, fmt.Errorf("record usage of %q: %w", repository, err)
		}
	}
	for api, n := range merged {
		s.total += n - s.counts[api]
		if n <= 0 {
			delete(s.counts, api)
		} else {
			s.counts[api] = n
		}
	}
	if repository != "" && !res.Replaced {
		s.repositoryCount++
	}
	res.CorpusAPIs, res.CorpusCallSites, res.CorpusRepositories = len(s.counts), s.total, s.repositoryCount
	return res, nil
}

// mergedCounts returns the new count of every API that previous or
// recorded touches.
func mergedCounts(current, previous, recorded map[string]int64) map[string]int64 {
	merged := make(map[string]int64, len(previous)+len(recorded))
	for api, n := range previous {
		merged[api] = current[api] - n
	}
	for api, n := range recorded {
		if _, ok := merged[api]; !ok {
			merged[api] = current[api]
		}
		merged[api] += n
	}
	return merged
}

func swapRepository(b *bolt.Bucket, repository string, recorded map[string]int64) (map[string]int64, bool, error) {
	var previous map[string]int64
	old := b.Get([]byte(repository))
	if old != nil {
		if err := json.Unmarshal(old, &previous); err != nil {
			return nil, false, fmt.Errorf("decode earlier counts of %q: %w", repository, err)
		}
	}
	data, err := json.Marshal(recorded)
	if err != nil {
		return nil, false, fmt.Errorf("encode counts of %q: %w", repository, err)
	}
	if err := b.Put([]byte(repository), data); err != nil {
		return nil, false, err
	}
	return previous, old != nil, nil
}

// CallSites returns the corpus call-site count of api (0 when unseen).
func (s *Store) CallSites(api string) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counts[api]
}

// Snapshot copies every count; meant for tests and small corpora.
func (s *Store) Snapshot() map[string]int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.counts)
}

func encodeCount(n int64) []byte { return binary.AppendUvarint(nil, uint64(n)) }

func decodeCount(b []byte) (int64, error) {
	n, size := binary.Uvarint(b)
	if size <= 0 || size != len(b) || n > 1<<62 {
		return 0, errors.New("corrupt count")
	}
	return int64(n), nil
}
