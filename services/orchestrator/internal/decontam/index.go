package decontam

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/query4code/query4code/services/orchestrator/internal/pyblock"
)

// Index finds which evaluation function, if any, a candidate's code matches.
// Build it once per job (Builtin, then AddPath for each --decontaminate);
// Match is safe for concurrent use once no more paths are added.
type Index struct {
	entries []indexEntry
	// postings holds one (shingle, entry) pair per shingle of every entry,
	// sorted: a flat array takes a third of the memory of a map of lists.
	postings    []posting
	containment float64
}

type indexEntry struct {
	benchmark, id string
	size          int
}

type posting struct {
	shingle uint32
	entry   int32
}

// Match names the evaluation function a candidate matched.
type Match struct {
	Benchmark string
	ID        string
	// Containment is the larger of the two shares that matched: the
	// evaluation function's shingles found in the candidate, or the
	// candidate's found in the evaluation function.
	Containment float64
}

// NewIndex indexes entries; a candidate matches at containment or more
// (DefaultContainment when containment is 0).
func NewIndex(entries []Entry, containment float64) (*Index, error) {
	if containment == 0 {
		containment = DefaultContainment
	}
	if !(containment > 0 && containment <= 1) {
		return nil, fmt.Errorf("decontam: containment %v is not in (0, 1]", containment)
	}
	ix := &Index{containment: containment}
	ix.add(entries)
	return ix, nil
}

// Builtin indexes the fingerprints the binary carries (CoSQA and
// WebQueryTest) at DefaultContainment.
func Builtin() (*Index, error) {
	entries, err := Decode(bytes.NewReader(builtinFingerprints))
	if err != nil {
		return nil, fmt.Errorf("built-in fingerprints: %w", err)
	}
	return NewIndex(entries, DefaultContainment)
}

// Len is the number of evaluation functions indexed.
func (ix *Index) Len() int { return len(ix.entries) }

func (ix *Index) add(entries []Entry) {
	total := 0
	for _, e := range entries {
		total += len(e.Shingles)
	}
	ix.postings = slices.Grow(ix.postings, total)
	for _, e := range entries {
		id := int32(len(ix.entries))
		ix.entries = append(ix.entries, indexEntry{benchmark: e.Benchmark, id: e.ID, size: len(e.Shingles)})
		for _, s := range e.Shingles {
			ix.postings = append(ix.postings, posting{s, id})
		}
	}
	slices.SortFunc(ix.postings, func(a, b posting) int {
		return cmp.Or(cmp.Compare(a.shingle, b.shingle), cmp.Compare(a.entry, b.entry))
	})
}

// maxUserFile bounds one file of a user's list; larger files are data, not code.
const maxUserFile = 8 << 20

// AddPath fingerprints a user's file, or every file under a directory, as
// the evaluation set named benchmark: each def block of a .py file is an
// entry ("path:line name"), and a file without one is an entry of its own
// ("path"), so a list of snippets in any language works too. Binary files
// and files over 8 MiB are skipped.
func (ix *Index) AddPath(benchmark, path string) error {
	var entries []Entry
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxUserFile {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.IndexByte(src, 0) >= 0 {
			return nil
		}
		var blocks []pyblock.Block
		if filepath.Ext(p) == ".py" {
			blocks = pyblock.Functions(string(src))
		}
		if len(blocks) == 0 {
			entries = append(entries, Fingerprint(benchmark, p, string(src)))
		}
		for _, b := range blocks {
			entries = append(entries, Fingerprint(benchmark, fmt.Sprintf("%s:%d %s", p, b.Line, b.Name), b.Code))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("decontam: %w", err)
	}
	ix.add(entries)
	return nil
}

// Match reports the evaluation function the code matches best, if any.
// Either side must have MinShingles shingles for its share to count; ties go
// to the entry indexed first.
func (ix *Index) Match(code string) (Match, bool) {
	cand := shingles32(code)
	shared := map[int32]int{}
	for _, s := range cand {
		i, _ := slices.BinarySearchFunc(ix.postings, s, func(p posting, s uint32) int { return cmp.Compare(p.shingle, s) })
		for ; i < len(ix.postings) && ix.postings[i].shingle == s; i++ {
			shared[ix.postings[i].entry]++
		}
	}
	best, bestScore := int32(-1), 0.0
	for entry, n := range shared {
		e := ix.entries[entry]
		score := 0.0
		if e.size >= MinShingles {
			score = float64(n) / float64(e.size)
		}
		if len(cand) >= MinShingles {
			score = max(score, float64(n)/float64(len(cand)))
		}
		if score >= ix.containment && (score > bestScore || (score == bestScore && entry < best)) {
			best, bestScore = entry, score
		}
	}
	if best < 0 {
		return Match{}, false
	}
	e := ix.entries[best]
	return Match{Benchmark: e.benchmark, ID: e.id, Containment: bestScore}, true
}
