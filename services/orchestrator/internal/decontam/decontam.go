// Package decontam keeps the code of public code-search evaluation sets out
// of a training dataset. A dataset that holds an evaluation set's functions
// makes every evaluation on that set a false claim.
//
// The project carries fingerprints, not code: per evaluation function, the
// upper 32 bits of each distinct token 5-gram hash (package shingle), derived
// from the CoSQA code base and WebQueryTest by cmd/decontamfp into
// fingerprints.bin.gz (go generate). A user's own files are fingerprinted the
// same way at run time (AddPath).
//
// A candidate function matches an evaluation function when enough of one's
// shingles occur in the other (containment, not Jaccard): the share of the
// evaluation function's shingles found in the candidate catches a copy whose
// evaluation text was truncated, the share of the candidate's found in the
// evaluation entry catches a function taken from a larger file of a user's.
// The tokeniser ignores layout, quotes and line breaks, so reformatted code
// and the flattened whitespace of WebQueryTest match as well. Thresholds are
// measured in docs/BENCHMARKS.md ("Decontamination").
package decontam

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/query4code/query4code/services/orchestrator/internal/shingle"
)

//go:generate go run ./cmd/decontamfp -cosqa ../../../../../shared/bench/cosqa/code_idx_map.txt -webquery ../../../../../shared/bench/webquery/test_webquery.json -out fingerprints.bin.gz

//go:embed fingerprints.bin.gz
var builtinFingerprints []byte

// Names of the built-in evaluation sets, as a Match reports them.
const (
	CoSQA        = "CoSQA"
	WebQueryTest = "WebQueryTest"
)

// DefaultContainment is the share of shingles one side must find in the
// other for a match; MinShingles is the least number of shingles that side
// must have, so a three-token getter never matches everything that contains
// it. Both come from the measurement in docs/BENCHMARKS.md.
const (
	DefaultContainment = 0.7
	MinShingles        = 10
)

// Entry is the fingerprint of one evaluation function.
type Entry struct {
	Benchmark string
	ID        string
	// Shingles are distinct and sorted ascending.
	Shingles []uint32
}

// Fingerprint derives the entry of one function's code.
func Fingerprint(benchmark, id, code string) Entry {
	return Entry{Benchmark: benchmark, ID: id, Shingles: shingles32(code)}
}

// shingles32 keeps the upper half of each 64-bit shingle hash: half the
// size on disk, and with some 420,000 distinct values in the built-in set a
// candidate's shingle collides by chance about once in 10,000, far below
// what a containment threshold notices.
func shingles32(code string) []uint32 {
	hashes := shingle.Hashes(code)
	out := make([]uint32, len(hashes))
	for i, h := range hashes {
		out[i] = uint32(h >> 32)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ReadCoSQA fingerprints the CoSQA code base (code_idx_map.txt: a JSON
// object from code to index), one entry per function, ids "cosqa-code-N",
// in index order.
func ReadCoSQA(r io.Reader) ([]Entry, error) {
	var codeToIndex map[string]int
	if err := json.NewDecoder(r).Decode(&codeToIndex); err != nil {
		return nil, fmt.Errorf("decontam: CoSQA code base: %w", err)
	}
	type indexed struct {
		index int
		code  string
	}
	all := make([]indexed, 0, len(codeToIndex))
	for code, index := range codeToIndex {
		all = append(all, indexed{index, code})
	}
	slices.SortFunc(all, func(a, b indexed) int { return a.index - b.index })
	out := make([]Entry, len(all))
	for i, f := range all {
		out[i] = Fingerprint(CoSQA, fmt.Sprintf("cosqa-code-%d", f.index), f.code)
	}
	return out, nil
}

// ReadWebQuery fingerprints WebQueryTest (test_webquery.json: items with
// idx and code); a function paired with several queries is kept once, under
// its first idx.
func ReadWebQuery(r io.Reader) ([]Entry, error) {
	var items []struct {
		Idx  string `json:"idx"`
		Code string `json:"code"`
	}
	if err := json.NewDecoder(r).Decode(&items); err != nil {
		return nil, fmt.Errorf("decontam: WebQueryTest: %w", err)
	}
	seen := map[string]bool{}
	var out []Entry
	for _, it := range items {
		if it.Idx == "" || seen[it.Code] {
			continue
		}
		seen[it.Code] = true
		out = append(out, Fingerprint(WebQueryTest, it.Idx, it.Code))
	}
	if len(out) == 0 {
		return nil, errors.New("decontam: WebQueryTest: no item with idx and code")
	}
	return out, nil
}

// magic opens the fingerprint format; its last byte is the version, which
// changes with the tokeniser or the shingle hash.
const magic = "q4c-decontam\x01"

// Encode writes entries in the carried format: gzip (no name, no time, so
// the bytes depend on the entries alone) of the magic, an entry count, then
// per entry its benchmark, id (uvarint length and bytes), shingle count and
// shingles as little-endian uint32.
func Encode(w io.Writer, entries []Entry) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("decontam: %w", err)
	}
	bw := bufio.NewWriter(zw)
	_, _ = bw.WriteString(magic)
	var buf []byte
	buf = binary.AppendUvarint(buf[:0], uint64(len(entries)))
	_, _ = bw.Write(buf)
	for _, e := range entries {
		buf = buf[:0]
		for _, s := range []string{e.Benchmark, e.ID} {
			buf = binary.AppendUvarint(buf, uint64(len(s)))
			buf = append(buf, s...)
		}
		buf = binary.AppendUvarint(buf, uint64(len(e.Shingles)))
		for _, h := range e.Shingles {
			buf = binary.LittleEndian.AppendUint32(buf, h)
		}
		_, _ = bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("decontam: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("decontam: %w", err)
	}
	return nil
}

// maxStringLen bounds the benchmark and id lengths Decode accepts, so a
// corrupt length cannot ask for gigabytes.
const maxStringLen = 1 << 16

// Decode reads what Encode wrote.
func Decode(r io.Reader) ([]Entry, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("decontam: fingerprints: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decontam: fingerprints: %w", err)
	}
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, errors.New("decontam: fingerprints: not this format or version")
	}
	d := decoder{data: data[len(magic):]}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.data)) {
		return nil, errors.New("decontam: fingerprints: bad entry count")
	}
	out := make([]Entry, 0, n)
	for range n {
		e := Entry{Benchmark: d.str(), ID: d.str()}
		count := d.uvarint()
		if d.err == nil && count > uint64(len(d.data)/4) {
			d.err = errors.New("shingle count past the end")
		}
		if d.err != nil {
			return nil, fmt.Errorf("decontam: fingerprints: entry %d: %w", len(out), d.err)
		}
		e.Shingles = make([]uint32, count)
		for i := range e.Shingles {
			e.Shingles[i] = binary.LittleEndian.Uint32(d.data[4*i:])
		}
		d.data = d.data[4*count:]
		out = append(out, e)
	}
	if len(d.data) != 0 {
		return nil, fmt.Errorf("decontam: fingerprints: %d bytes after the last entry", len(d.data))
	}
	return out, nil
}

type decoder struct {
	data []byte
	err  error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.err = errors.New("truncated or bad length")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err == nil && (n > maxStringLen || n > uint64(len(d.data))) {
		d.err = fmt.Errorf("string of %d bytes past the end", n)
	}
	if d.err != nil {
		return ""
	}
	s := string(d.data[:n])
	d.data = d.data[n:]
	return s
}

// EncodeFiles fingerprints the CoSQA code base and WebQueryTest files and
// writes them in the carried format: what go generate runs, and what the
// test checking the carried file against ../shared runs.
func EncodeFiles(w io.Writer, cosqaPath, webqueryPath string) error {
	var entries []Entry
	for _, src := range []struct {
		path string
		read func(io.Reader) ([]Entry, error)
	}{{cosqaPath, ReadCoSQA}, {webqueryPath, ReadWebQuery}} {
		f, err := os.Open(src.path)
		if err != nil {
			return fmt.Errorf("decontam: %w", err)
		}
		got, err := src.read(f)
		_ = f.Close()
		if err != nil {
			return err
		}
		entries = append(entries, got...)
	}
	return Encode(w, entries)
}
