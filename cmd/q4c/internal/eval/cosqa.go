package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// LabelledPair is one item of a CoSQA-format file: a web query, a Python
// function and whether people judged that the code answers the query.
type LabelledPair struct {
	Idx   string `json:"idx"`
	Query string `json:"doc"`
	Code  string `json:"code"`
	Label int    `json:"label"`
	// RetrievalIdx is the index of the answer in the code base
	// (cosqa-retrieval-*.json); nil in files without it.
	RetrievalIdx *int `json:"retrieval_idx,omitempty"`
}

// ReadLabelledPairs reads a JSON list of CoSQA items ({idx, doc, code,
// label, ...}); extra fields are ignored.
func ReadLabelledPairs(path string) ([]LabelledPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var items []LabelledPair
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("parse %s (want a JSON list of {idx, doc, code, label}): %w", path, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s holds no items", path)
	}
	for i, it := range items {
		if it.Label != 0 && it.Label != 1 {
			return nil, fmt.Errorf("%s item %d (%s): label %d, want 0 or 1", path, i, it.Idx, it.Label)
		}
	}
	return items, nil
}

// ReadCodebase reads a CoSQA code_idx_map.txt: a JSON object mapping each
// code string to its index. It returns the code by index; the indexes must
// be 0..n-1 without gaps or repeats.
func ReadCodebase(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var byCode map[string]int
	if err := json.Unmarshal(data, &byCode); err != nil {
		return nil, fmt.Errorf("parse %s (want a JSON object code -> index): %w", path, err)
	}
	if len(byCode) == 0 {
		return nil, fmt.Errorf("%s holds no code", path)
	}
	codes := make([]string, len(byCode))
	seen := make([]bool, len(byCode))
	for code, idx := range byCode {
		if idx < 0 || idx >= len(codes) {
			return nil, fmt.Errorf("%s: index %d outside 0..%d", path, idx, len(codes)-1)
		}
		if seen[idx] {
			return nil, fmt.Errorf("%s: index %d used twice", path, idx)
		}
		seen[idx] = true
		codes[idx] = code
	}
	return codes, nil
}

// RetrievalQuery is a query with the index of its answer in a code base.
type RetrievalQuery struct {
	Idx    string
	Query  string
	Answer int
}

// ReadRetrievalQueries reads a cosqa-retrieval-*.json file: CoSQA items
// with retrieval_idx, the index of the answer in the code base of size
// codebaseSize.
func ReadRetrievalQueries(path string, codebaseSize int) ([]RetrievalQuery, error) {
	items, err := ReadLabelledPairs(path)
	if err != nil {
		return nil, err
	}
	out := make([]RetrievalQuery, 0, len(items))
	var errs []error
	for _, it := range items {
		switch {
		case it.RetrievalIdx == nil:
			errs = append(errs, fmt.Errorf("item %s has no retrieval_idx", it.Idx))
		case *it.RetrievalIdx < 0 || *it.RetrievalIdx >= codebaseSize:
			errs = append(errs, fmt.Errorf("item %s: retrieval_idx %d outside the code base (%d functions)", it.Idx, *it.RetrievalIdx, codebaseSize))
		default:
			out = append(out, RetrievalQuery{Idx: it.Idx, Query: it.Query, Answer: *it.RetrievalIdx})
		}
		if len(errs) >= 5 {
			break
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", path, errors.Join(errs...))
	}
	return out, nil
}
