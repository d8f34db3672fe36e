// Package neardup finds near-duplicate functions the way BigCode deduplicated
// The Stack: MinHash signatures over token 5-gram shingles (package shingle),
// locality-sensitive hashing (LSH) with bands to find candidate pairs, and a
// Jaccard threshold (0.85 by default) that every pair is verified against
// before it counts, so a band collision never merges two functions by itself.
//
// Clusters are stars, not transitive closures: items are visited in key order
// and each joins the most similar representative already chosen whose
// verified Jaccard reaches the threshold, or becomes a representative itself.
// Every non-representative is therefore within the threshold of its own
// representative (a chain a~b~c never removes c for a), and the choice does
// not depend on input order: the representative is the smallest key.
//
// No maintained Go MinHash/LSH module is available from the registries this
// project uses; the scheme is small (one hash mix per permutation, bands
// sized by the false-positive/false-negative integral datasketch uses) and
// its recall is measured in docs/BENCHMARKS.md ("Near-duplicates").
package neardup

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/cespare/xxhash/v2"

	"github.com/query4code/query4code/services/orchestrator/internal/shingle"
)

// DefaultThreshold is the Jaccard similarity at or above which two functions
// are near-duplicates, as in The Stack.
const DefaultThreshold = 0.85

// NumPerm is the number of MinHash permutations in a signature.
const NumPerm = 128

// signatureVersion is the first byte of a serialised signature; it changes
// whenever the tokeniser, shingle hash or permutations do, so signatures of
// different versions are never compared.
const signatureVersion = 1

// Signature is the MinHash of a shingle set: per permutation, the least
// permuted hash. The fraction of equal slots of two signatures estimates the
// Jaccard similarity of their sets.
type Signature struct {
	mins [NumPerm]uint64
	// empty marks a set with no shingle: it is similar to nothing.
	empty bool
}

// seeds are the fixed permutations' keys; part of the serialised format.
var seeds = func() [NumPerm]uint64 {
	var s [NumPerm]uint64
	x := uint64(0x9e3779b97f4a7c15)
	for i := range s {
		x += 0x9e3779b97f4a7c15
		s[i] = mix(x)
	}
	return s
}()

// mix is splitmix64's finaliser: a bijection on uint64 with full avalanche,
// so mix(h ^ seed) behaves as an independent permutation per seed.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Sign computes the signature of a shingle set (shingle.Set or shingle.Hashes;
// repeats do not change it).
func Sign(set []uint64) Signature {
	var s Signature
	if len(set) == 0 {
		s.empty = true
		return s
	}
	for i := range s.mins {
		s.mins[i] = math.MaxUint64
	}
	for _, h := range set {
		for i, seed := range seeds {
			if v := mix(h ^ seed); v < s.mins[i] {
				s.mins[i] = v
			}
		}
	}
	return s
}

// SignCode is Sign(shingle.Set(code)).
func SignCode(code string) Signature { return Sign(shingle.Set(code)) }

// Similarity estimates the Jaccard similarity of the two signed sets.
func (s Signature) Similarity(o Signature) float64 {
	if s.empty || o.empty {
		return 0
	}
	same := 0
	for i := range s.mins {
		if s.mins[i] == o.mins[i] {
			same++
		}
	}
	return float64(same) / NumPerm
}

// MarshalBinary encodes the signature: a version byte, an empty flag, then
// NumPerm little-endian uint64s.
func (s Signature) MarshalBinary() ([]byte, error) {
	out := make([]byte, 2, 2+8*NumPerm)
	out[0] = signatureVersion
	if s.empty {
		out[1] = 1
	}
	for _, m := range s.mins {
		out = binary.LittleEndian.AppendUint64(out, m)
	}
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (s *Signature) UnmarshalBinary(data []byte) error {
	if len(data) != 2+8*NumPerm {
		return fmt.Errorf("neardup: signature of %d bytes, want %d", len(data), 2+8*NumPerm)
	}
	if data[0] != signatureVersion {
		return fmt.Errorf("neardup: signature version %d, this build reads %d", data[0], signatureVersion)
	}
	if data[1] > 1 {
		return fmt.Errorf("neardup: bad signature flag %d", data[1])
	}
	s.empty = data[1] == 1
	for i := range s.mins {
		s.mins[i] = binary.LittleEndian.Uint64(data[2+8*i:])
	}
	return nil
}

// Item is one function to cluster: a unique key (callers make keys whose
// lexicographic order is their preference for the representative, e.g.
// repo, path and zero-padded line) and its code.
type Item struct {
	Key  string
	Code string
}

// SignedItem is an item whose signature was computed earlier, e.g. by a
// corpus-wide first pass.
type SignedItem struct {
	Key       string
	Signature Signature
}

// Assignment says which representative an item's cluster kept. A
// representative names itself, with Jaccard 1.
type Assignment struct {
	Key            string
	Representative string
	// Jaccard is the verified similarity to the representative.
	Jaccard float64
}

// Duplicate reports whether the item is left out for its representative.
func (a Assignment) Duplicate() bool { return a.Key != a.Representative }

// Cluster groups items whose token 5-gram Jaccard similarity reaches
// threshold and returns one assignment per item, in input order. Candidate
// pairs come from LSH on MinHash signatures; each is verified by the exact
// Jaccard of the two shingle sets.
func Cluster(items []Item, threshold float64) ([]Assignment, error) {
	sets := make([][]uint64, len(items))
	signed := make([]SignedItem, len(items))
	for i, it := range items {
		sets[i] = shingle.Set(it.Code)
		signed[i] = SignedItem{Key: it.Key, Signature: Sign(sets[i])}
	}
	return cluster(signed, threshold, func(i, j int) float64 { return shingle.Jaccard(sets[i], sets[j]) })
}

// ClusterSignatures is Cluster for items signed earlier: candidate pairs are
// verified by the signatures' estimated similarity, since the shingle sets
// are gone.
func ClusterSignatures(items []SignedItem, threshold float64) ([]Assignment, error) {
	return cluster(items, threshold, func(i, j int) float64 { return items[i].Signature.Similarity(items[j].Signature) })
}

func cluster(items []SignedItem, threshold float64, similarity func(i, j int) float64) ([]Assignment, error) {
	if !(threshold > 0 && threshold <= 1) {
		return nil, fmt.Errorf("neardup: threshold %v is not in (0, 1]", threshold)
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return items[order[a]].Key < items[order[b]].Key })
	for k := 1; k < len(order); k++ {
		if items[order[k]].Key == items[order[k-1]].Key {
			return nil, fmt.Errorf("neardup: key %q appears twice", items[order[k]].Key)
		}
	}
	bands, rows := lshParams(threshold)
	buckets := make([]map[uint64][]int, bands)
	for b := range buckets {
		buckets[b] = map[uint64][]int{}
	}
	out := make([]Assignment, len(items))
	keys := make([]uint64, bands)
	var candidates []int
	for _, i := range order {
		sig := items[i].Signature
		out[i] = Assignment{Key: items[i].Key, Representative: items[i].Key, Jaccard: 1}
		if sig.empty {
			continue
		}
		candidates = candidates[:0]
		for b := range bands {
			keys[b] = bandKey(sig.mins[b*rows : (b+1)*rows])
			candidates = append(candidates, buckets[b][keys[b]]...)
		}
		slices.Sort(candidates)
		candidates = slices.Compact(candidates)
		best, bestSim := -1, 0.0
		for _, c := range candidates {
			// Ties go to the smaller key: candidates are indices, so compare keys.
			if s := similarity(i, c); s >= threshold && (s > bestSim || (s == bestSim && items[c].Key < items[best].Key)) {
				best, bestSim = c, s
			}
		}
		if best >= 0 {
			out[i].Representative, out[i].Jaccard = items[best].Key, bestSim
			continue
		}
		for b := range bands {
			buckets[b][keys[b]] = append(buckets[b][keys[b]], i)
		}
	}
	return out, nil
}

func bandKey(mins []uint64) uint64 {
	var buf [8]byte
	d := xxhash.New()
	for _, m := range mins {
		binary.LittleEndian.PutUint64(buf[:], m)
		_, _ = d.Write(buf[:])
	}
	return d.Sum64()
}

// minCandidateProbability is how likely LSH must make a pair at exactly the
// threshold a candidate. Every candidate is verified, so a false candidate
// costs one comparison while a missed one costs a duplicate in the dataset:
// unlike datasketch, which weighs both errors equally (8 bands of 16 rows at
// 0.85, finding a pair at 0.85 only 46% of the time), the bands are chosen
// for recall first.
const minCandidateProbability = 0.99

// lshParams picks bands*rows <= NumPerm that make a pair at threshold a
// candidate with probability minCandidateProbability or more (1-(1-t^rows)^bands),
// with the least false-candidate area below threshold; if none reaches it
// (very low thresholds), the most likely.
func lshParams(threshold float64) (bands, rows int) {
	bestFP, bestP := math.Inf(1), -1.0
	for b := 1; b <= NumPerm; b++ {
		for r := 1; b*r <= NumPerm; r++ {
			curve := func(s float64) float64 { return 1 - math.Pow(1-math.Pow(s, float64(r)), float64(b)) }
			p := curve(threshold)
			if p < minCandidateProbability {
				if bestFP == math.Inf(1) && p > bestP {
					bestP, bands, rows = p, b, r
				}
				continue
			}
			if fp := integrate(curve, 0, threshold); fp < bestFP {
				bestFP, bands, rows = fp, b, r
			}
		}
	}
	return bands, rows
}

func integrate(f func(float64) float64, a, b float64) float64 {
	const steps = 200
	h := (b - a) / steps
	sum := (f(a) + f(b)) / 2
	for i := 1; i < steps; i++ {
		sum += f(a + float64(i)*h)
	}
	return sum * h
}
