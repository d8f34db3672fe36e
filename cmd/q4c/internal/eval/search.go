package eval

import (
	"fmt"
	"io"
	"strings"
)

// Document variants of the search evaluation.
const (
	VariantCode                   = "code"
	VariantCodeDocstring          = "code+docstring"
	VariantCodeGenerated          = "code+generated"
	VariantCodeDocstringGenerated = "code+docstring+generated"
)

// Variants lists the document variants in report order.
var Variants = []string{VariantCode, VariantCodeDocstring, VariantCodeGenerated, VariantCodeDocstringGenerated}

// SearchDocuments builds the text of each document of a variant. "code" is
// the function without its docstring (what a code-only index sees);
// "code+docstring" is the function as written; the generated variants add
// the suite's summary and query. ann may be nil for the non-generated
// variants.
func SearchDocuments(variant string, codes []string, ann []Annotation) ([]string, error) {
	docs := make([]string, len(codes))
	for i, code := range codes {
		body, doc := SplitDocstring(code)
		var generated string
		if strings.HasSuffix(variant, "+generated") {
			if len(ann) != len(codes) {
				return nil, fmt.Errorf("variant %s needs an annotation per function", variant)
			}
			generated = ann[i].Summary + "\n" + ann[i].Query
		}
		switch variant {
		case VariantCode:
			docs[i] = body
		case VariantCodeDocstring:
			docs[i] = body + "\n" + doc
		case VariantCodeGenerated:
			docs[i] = body + "\n" + generated
		case VariantCodeDocstringGenerated:
			docs[i] = body + "\n" + doc + "\n" + generated
		default:
			return nil, fmt.Errorf("unknown document variant %q", variant)
		}
	}
	return docs, nil
}

// SearchResult is the retrieval quality of one document variant.
type SearchResult struct {
	Variant string `json:"variant"`
	RetrievalMetrics
}

// EvaluateSearch indexes docs with BM25 and ranks each query's answer.
func EvaluateSearch(docs []string, queries []RetrievalQuery, k1, b float64) (RetrievalMetrics, []int, error) {
	tokenized := make([][]string, len(docs))
	for i, d := range docs {
		tokenized[i] = Tokenize(d)
	}
	ix, err := NewBM25(tokenized, k1, b)
	if err != nil {
		return RetrievalMetrics{}, nil, err
	}
	ranks := make([]int, len(queries))
	for qi, q := range queries {
		if q.Answer < 0 || q.Answer >= len(docs) {
			return RetrievalMetrics{}, nil, fmt.Errorf("query %s: answer %d outside the code base", q.Idx, q.Answer)
		}
		ranks[qi] = RankOf(ix.Scores(Tokenize(q.Query)), q.Answer)
	}
	return Retrieval(ranks), ranks, nil
}

// SearchReport is the outcome of q4c eval search.
type SearchReport struct {
	Functions     int            `json:"functions"`
	Queries       int            `json:"queries"`
	Model         string         `json:"model"`
	PromptVersion string         `json:"prompt_version"`
	Annotate      AnnotateStats  `json:"annotate"`
	CachePath     string         `json:"cache_path,omitempty"`
	Results       []SearchResult `json:"results"`
}

// WriteText prints the report as a table.
func (r *SearchReport) WriteText(w io.Writer) error {
	var b strings.Builder
	a := r.Annotate
	fmt.Fprintf(&b, "search: BM25 (k1=%.2f, b=%.2f), %d queries over %d functions\n", DefaultK1, DefaultB, r.Queries, r.Functions)
	fmt.Fprintf(&b, "generated text: model %s, prompt %s; %d annotated, %d from cache, %d failed",
		r.Model, r.PromptVersion, a.Annotated, a.FromCache, a.Failed)
	if a.FirstError != "" {
		fmt.Fprintf(&b, " (first: %s)", a.FirstError)
	}
	if a.PromptTokens+a.CompletionTokens > 0 {
		fmt.Fprintf(&b, "; %d prompt + %d completion tokens, $%.4f", a.PromptTokens, a.CompletionTokens, a.CostUSD)
	}
	fmt.Fprintf(&b, "\n%-26s %6s %6s %6s %6s\n", "documents", "MRR", "R@1", "R@5", "R@10")
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%-26s %6.3f %6.3f %6.3f %6.3f\n", res.Variant, res.MRR, res.RecallAt1, res.RecallAt5, res.RecallAt10)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
