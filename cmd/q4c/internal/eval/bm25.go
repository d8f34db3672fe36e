package eval

import (
	"errors"
	"math"
)

// BM25 parameters used by q4c eval search (the usual Lucene/Anserini values).
const (
	DefaultK1 = 1.2
	DefaultB  = 0.75
)

// BM25 is an Okapi BM25 index over tokenized documents.
type BM25 struct {
	k1, b    float64
	docLen   []float64
	avgLen   float64
	postings map[string][]posting
}

type posting struct {
	doc  int
	freq float64
}

// NewBM25 indexes docs (each a list of terms). k1 must be >= 0 and b in [0, 1].
func NewBM25(docs [][]string, k1, b float64) (*BM25, error) {
	if k1 < 0 || b < 0 || b > 1 || math.IsNaN(k1) || math.IsNaN(b) {
		return nil, errors.New("bm25: want k1 >= 0 and 0 <= b <= 1")
	}
	ix := &BM25{k1: k1, b: b, docLen: make([]float64, len(docs)), postings: map[string][]posting{}}
	var total float64
	for d, terms := range docs {
		ix.docLen[d] = float64(len(terms))
		total += float64(len(terms))
		counts := map[string]float64{}
		for _, t := range terms {
			counts[t]++
		}
		for t, n := range counts {
			ix.postings[t] = append(ix.postings[t], posting{doc: d, freq: n})
		}
	}
	if len(docs) > 0 {
		ix.avgLen = total / float64(len(docs))
	}
	return ix, nil
}

// Len is the number of documents.
func (ix *BM25) Len() int { return len(ix.docLen) }

// IDF is ln(1 + (N - df + 0.5) / (df + 0.5)): Lucene's form, never negative,
// so a term in most documents still counts a little instead of hurting.
func (ix *BM25) IDF(term string) float64 {
	n := float64(len(ix.docLen))
	df := float64(len(ix.postings[term]))
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Scores returns the BM25 score of every document for the query terms.
// A term repeated in the query counts once per occurrence.
func (ix *BM25) Scores(query []string) []float64 {
	scores := make([]float64, len(ix.docLen))
	for _, t := range query {
		plist := ix.postings[t]
		if len(plist) == 0 {
			continue
		}
		idf := ix.IDF(t)
		for _, p := range plist {
			norm := 1 - ix.b
			if ix.avgLen > 0 {
				norm += ix.b * ix.docLen[p.doc] / ix.avgLen
			}
			scores[p.doc] += idf * p.freq * (ix.k1 + 1) / (p.freq + ix.k1*norm)
		}
	}
	return scores
}

// RankOf is the 1-based rank of document target under scores. Ties are
// broken against the target (every other document scoring at least as high
// ranks above it), so a query sharing no term with any document ranks its
// answer last, not first.
func RankOf(scores []float64, target int) int {
	rank := 1
	for d, s := range scores {
		if d != target && s >= scores[target] {
			rank++
		}
	}
	return rank
}
