package llm

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// cosqaItem is one human-labelled (query, code) pair of CoSQA.
type cosqaItem struct {
	Idx   string `json:"idx"`
	Query string `json:"doc"`
	Code  string `json:"code"`
	Label int    `json:"label"`
}

// cosqaDevPath finds ../shared/bench/cosqa/cosqa-dev.json from the module,
// or $Q4C_SHARED/bench/cosqa/cosqa-dev.json.
func cosqaDevPath() string {
	if dir := os.Getenv("Q4C_SHARED"); dir != "" {
		return filepath.Join(dir, "bench", "cosqa", "cosqa-dev.json")
	}
	return filepath.Join("..", "..", "..", "..", "..", "shared", "bench", "cosqa", "cosqa-dev.json")
}

func loadCoSQA(tb testing.TB) []cosqaItem {
	tb.Helper()
	raw, err := os.ReadFile(cosqaDevPath())
	if err != nil {
		tb.Skipf("CoSQA dev set not available: %v", err)
	}
	var items []cosqaItem
	if err := json.Unmarshal(raw, &items); err != nil {
		tb.Fatalf("parse CoSQA: %v", err)
	}
	return items
}

// judgeReport is how well a judge agrees with the human labels.
type judgeReport struct {
	N         int
	AUC       float64 // ROC AUC of the 0..3 score against the label
	AUCFine   float64 // ROC AUC of the finer relevance grade
	Accuracy  float64 // accuracy of score >= keep threshold as a prediction of label 1
	KeptRate  float64
	Histogram [MaxScore + 1]int
}

func evaluateJudge(tb testing.TB, g Generator, items []cosqaItem, keepThreshold int) judgeReport {
	tb.Helper()
	rep := judgeReport{N: len(items)}
	scores := make([]float64, len(items))
	fine := make([]float64, len(items))
	labels := make([]int, len(items))
	correct, kept := 0, 0
	for i, it := range items {
		j, err := g.Validate(context.Background(), prompt.Input{Function: prompt.Function{Path: it.Idx + ".py", Code: it.Code}}, it.Query)
		if err != nil {
			tb.Fatalf("%s: %v", it.Idx, err)
		}
		scores[i], fine[i], labels[i] = float64(j.Score), j.Relevance, it.Label
		rep.Histogram[j.Score]++
		keep := j.Score >= keepThreshold
		if keep {
			kept++
		}
		if keep == (it.Label == 1) {
			correct++
		}
	}
	rep.AUC = rocAUC(scores, labels)
	rep.AUCFine = rocAUC(fine, labels)
	rep.Accuracy = float64(correct) / float64(len(items))
	rep.KeptRate = float64(kept) / float64(len(items))
	return rep
}

// rocAUC is the probability that a random positive outranks a random
// negative, ties counting one half (the Mann-Whitney U statistic).
func rocAUC(scores []float64, labels []int) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg, rankSumPos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avgRank := float64(i+j+1) / 2 // ranks are 1-based
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
		return math.NaN()
	}
	return (rankSumPos - pos*(pos+1)/2) / (pos * neg)
}

func TestROCAUC(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels []int
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []int{0, 0, 1, 1}, 1},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []int{0, 0, 1, 1}, 0},
		{"all tied", []float64{1, 1, 1, 1}, []int{0, 1, 0, 1}, 0.5},
		{"one swap", []float64{0.1, 0.6, 0.5, 0.9}, []int{0, 0, 1, 1}, 0.75},
		{"ties across labels", []float64{0, 1, 1, 2}, []int{0, 0, 1, 1}, 0.875},
	}
	for _, tt := range tests {
		if got := rocAUC(tt.scores, tt.labels); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: AUC = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestOfflineJudgeCoSQA logs how the offline judge agrees with people on the
// CoSQA dev split and fails if it sinks to chance.
func TestOfflineJudgeCoSQA(t *testing.T) {
	items := loadCoSQA(t)
	rep := evaluateJudge(t, NewOffline(), items, 2)
	t.Logf("CoSQA dev n=%d: ROC AUC %.3f (fine %.3f), accuracy at score>=2 %.3f, kept %.1f%%, histogram %v",
		rep.N, rep.AUC, rep.AUCFine, rep.Accuracy, 100*rep.KeptRate, rep.Histogram)
	if rep.AUC < 0.6 || rep.Accuracy < 0.55 {
		t.Fatalf("offline judge near chance: AUC %.3f accuracy %.3f", rep.AUC, rep.Accuracy)
	}
}

// BenchmarkOfflineJudgeCoSQA reports the agreement numbers as metrics (auc,
// auc-fine, acc@2) next to the judge's speed.
func BenchmarkOfflineJudgeCoSQA(b *testing.B) {
	items := loadCoSQA(b)
	g := NewOffline()
	var rep judgeReport
	for b.Loop() {
		rep = evaluateJudge(b, g, items, 2)
	}
	b.ReportMetric(rep.AUC, "auc")
	b.ReportMetric(rep.AUCFine, "auc-fine")
	b.ReportMetric(rep.Accuracy, "acc@2")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/pair")
}
