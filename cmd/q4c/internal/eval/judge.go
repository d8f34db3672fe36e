package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
)

// MaxScore is the top of the reverse-validation scale (0-3).
const MaxScore = 3

// JudgeConfig configures RunJudge.
type JudgeConfig struct {
	// Annotator answers Validate: in process or remote, any back-end.
	Annotator annotatorv1.AnnotatorServiceClient
	// Concurrency is the number of Validate calls in flight (>= 1).
	Concurrency int
	// KeepThreshold: a pair is kept when its score is at least this.
	KeepThreshold int
}

// JudgeFailure is an item whose Validate call failed.
type JudgeFailure struct {
	Idx   string `json:"idx"`
	Error string `json:"error"`
}

// JudgeReport says how well the validation score agrees with human labels.
type JudgeReport struct {
	Items         int    `json:"items"`
	Scored        int    `json:"scored"`
	Model         string `json:"model"`
	PromptVersion string `json:"prompt_version"`
	KeepThreshold int    `json:"keep_threshold"`
	// AUC is the ROC AUC of the score (0-3, ties averaged) against the label.
	AUC float64 `json:"roc_auc"`
	// Accuracy of "score >= KeepThreshold" as a prediction of label 1.
	Accuracy  float64           `json:"accuracy"`
	Confusion Confusion         `json:"confusion"`
	Histogram [MaxScore + 1]int `json:"score_histogram"`
	// HistogramByLabel[label][score].
	HistogramByLabel [2][MaxScore + 1]int `json:"score_histogram_by_label"`
	PromptTokens     int64                `json:"prompt_tokens"`
	CompletionTokens int64                `json:"completion_tokens"`
	CostUSD          float64              `json:"cost_usd"`
	Failures         []JudgeFailure       `json:"failures,omitempty"`
}

// RunJudge validates every pair and compares the scores with the labels.
// Items whose call fails are left out of the metrics and listed in
// Failures; it is an error when none could be scored.
func RunJudge(ctx context.Context, cfg JudgeConfig, items []LabelledPair) (*JudgeReport, error) {
	if cfg.Annotator == nil {
		return nil, errors.New("judge: no annotator")
	}
	if cfg.KeepThreshold < 0 || cfg.KeepThreshold > MaxScore {
		return nil, fmt.Errorf("judge: keep threshold %d outside 0-%d", cfg.KeepThreshold, MaxScore)
	}
	resps := make([]*annotatorv1.ValidateResponse, len(items))
	errs := make([]error, len(items))
	err := forEach(ctx, len(items), cfg.Concurrency, func(ctx context.Context, i int) {
		resps[i], errs[i] = cfg.Annotator.Validate(ctx, &annotatorv1.ValidateRequest{
			Function: &annotatorv1.CodeFunction{
				Id:       items[i].Idx,
				Path:     pairPath(items[i].Idx),
				Language: "python",
				Code:     items[i].Code,
			},
			Query: items[i].Query,
		})
	})
	if err != nil {
		return nil, err
	}
	rep := &JudgeReport{Items: len(items), KeepThreshold: cfg.KeepThreshold}
	var scores []float64
	var labels []int
	for i, it := range items {
		if errs[i] != nil {
			rep.Failures = append(rep.Failures, JudgeFailure{Idx: it.Idx, Error: errs[i].Error()})
			continue
		}
		r := resps[i]
		score := int(r.GetScore())
		if score < 0 || score > MaxScore {
			rep.Failures = append(rep.Failures, JudgeFailure{Idx: it.Idx, Error: fmt.Sprintf("score %d outside 0-%d", score, MaxScore)})
			continue
		}
		rep.Model, rep.PromptVersion = r.GetModel(), r.GetPromptVersion()
		rep.PromptTokens += r.GetUsage().GetPromptTokens()
		rep.CompletionTokens += r.GetUsage().GetCompletionTokens()
		rep.CostUSD += r.GetUsage().GetCostUsd()
		rep.Histogram[score]++
		rep.HistogramByLabel[it.Label][score]++
		rep.Confusion.Add(score >= cfg.KeepThreshold, it.Label)
		scores = append(scores, float64(score))
		labels = append(labels, it.Label)
	}
	rep.Scored = len(scores)
	if rep.Scored == 0 {
		first := ""
		if len(rep.Failures) > 0 {
			first = ": " + rep.Failures[0].Error
		}
		return nil, fmt.Errorf("judge: every Validate call failed (%d)%s", len(items), first)
	}
	rep.Accuracy = rep.Confusion.Accuracy()
	auc, err := ROCAUC(scores, labels)
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	rep.AUC = auc
	return rep, nil
}

// pairPath is the file path shown to the model for a pair without one.
func pairPath(idx string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, idx)
	if name == "" {
		name = "snippet"
	}
	return "cosqa/" + name + ".py"
}

// WriteText prints the report for people.
func (r *JudgeReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "judge: model %s, prompt %s, %d of %d pairs scored", r.Model, r.PromptVersion, r.Scored, r.Items)
	if len(r.Failures) > 0 {
		fmt.Fprintf(&b, " (%d failed, first: %s: %s)", len(r.Failures), r.Failures[0].Idx, r.Failures[0].Error)
	}
	fmt.Fprintf(&b, "\nROC AUC             %.3f\n", r.AUC)
	fmt.Fprintf(&b, "accuracy (score>=%d) %.3f\n", r.KeepThreshold, r.Accuracy)
	fmt.Fprintf(&b, "precision / recall  %.3f / %.3f (of label 1, kept)\n", r.Confusion.Precision(), r.Confusion.Recall())
	fmt.Fprintf(&b, "confusion           kept  rejected\n")
	fmt.Fprintf(&b, "  label 1       %8d  %8d\n", r.Confusion.TruePositive, r.Confusion.FalseNegative)
	fmt.Fprintf(&b, "  label 0       %8d  %8d\n", r.Confusion.FalsePositive, r.Confusion.TrueNegative)
	fmt.Fprintf(&b, "scores            0     1     2     3\n")
	for label := 1; label >= 0; label-- {
		h := r.HistogramByLabel[label]
		fmt.Fprintf(&b, "  label %d     %5d %5d %5d %5d\n", label, h[0], h[1], h[2], h[3])
	}
	if r.PromptTokens+r.CompletionTokens > 0 {
		fmt.Fprintf(&b, "tokens              %d prompt + %d completion, $%.4f\n", r.PromptTokens, r.CompletionTokens, r.CostUSD)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
