package eval

import (
	"errors"
	"math"
	"sort"
)

// RetrievalMetrics summarise the ranks of the right answers.
type RetrievalMetrics struct {
	Queries    int     `json:"queries"`
	MRR        float64 `json:"mrr"`
	RecallAt1  float64 `json:"recall_at_1"`
	RecallAt5  float64 `json:"recall_at_5"`
	RecallAt10 float64 `json:"recall_at_10"`
}

// MRR is the mean reciprocal rank of 1-based ranks (0 for no ranks).
func MRR(ranks []int) float64 {
	if len(ranks) == 0 {
		return 0
	}
	var sum float64
	for _, r := range ranks {
		if r > 0 {
			sum += 1 / float64(r)
		}
	}
	return sum / float64(len(ranks))
}

// RecallAt is the share of ranks within the top k (one right answer per query).
func RecallAt(ranks []int, k int) float64 {
	if len(ranks) == 0 {
		return 0
	}
	hit := 0
	for _, r := range ranks {
		if r > 0 && r <= k {
			hit++
		}
	}
	return float64(hit) / float64(len(ranks))
}

// Retrieval computes MRR and recall@1/5/10 from ranks.
func Retrieval(ranks []int) RetrievalMetrics {
	return RetrievalMetrics{
		Queries:    len(ranks),
		MRR:        MRR(ranks),
		RecallAt1:  RecallAt(ranks, 1),
		RecallAt5:  RecallAt(ranks, 5),
		RecallAt10: RecallAt(ranks, 10),
	}
}

// ErrOneClass: ROC AUC needs both positive and negative labels.
var ErrOneClass = errors.New("ROC AUC needs at least one positive and one negative label")

// ROCAUC is the probability that a random positive scores above a random
// negative, a tie counting one half: the Mann-Whitney U statistic from
// average ranks. Labels are 1 (positive) or anything else (negative).
func ROCAUC(scores []float64, labels []int) (float64, error) {
	if len(scores) != len(labels) {
		return 0, errors.New("ROC AUC: scores and labels differ in length")
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
		if math.IsNaN(scores[i]) {
			return 0, errors.New("ROC AUC: NaN score")
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg, rankSumPos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avgRank := float64(i+j+1) / 2 // 1-based ranks i+1..j
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				pos++
				rankSumPos += avgRank
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0, ErrOneClass
	}
	return (rankSumPos - pos*(pos+1)/2) / (pos * neg), nil
}

// Confusion is a 2x2 confusion matrix of a keep/reject decision against a
// human label.
type Confusion struct {
	TruePositive  int `json:"true_positive"`  // kept, label 1
	FalsePositive int `json:"false_positive"` // kept, label 0
	FalseNegative int `json:"false_negative"` // rejected, label 1
	TrueNegative  int `json:"true_negative"`  // rejected, label 0
}

// Add records one decision.
func (c *Confusion) Add(kept bool, label int) {
	switch {
	case kept && label == 1:
		c.TruePositive++
	case kept:
		c.FalsePositive++
	case label == 1:
		c.FalseNegative++
	default:
		c.TrueNegative++
	}
}

// Total is the number of decisions.
func (c Confusion) Total() int {
	return c.TruePositive + c.FalsePositive + c.FalseNegative + c.TrueNegative
}

// Accuracy is the share of decisions that agree with the label.
func (c Confusion) Accuracy() float64 {
	if c.Total() == 0 {
		return 0
	}
	return float64(c.TruePositive+c.TrueNegative) / float64(c.Total())
}

// Precision is the share of kept pairs labelled 1.
func (c Confusion) Precision() float64 {
	if c.TruePositive+c.FalsePositive == 0 {
		return 0
	}
	return float64(c.TruePositive) / float64(c.TruePositive+c.FalsePositive)
}

// Recall is the share of pairs labelled 1 that were kept.
func (c Confusion) Recall() float64 {
	if c.TruePositive+c.FalseNegative == 0 {
		return 0
	}
	return float64(c.TruePositive) / float64(c.TruePositive+c.FalseNegative)
}
