package eval

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
)

// Annotation is the suite's generated text for one function of a code base.
type Annotation struct {
	CodeHash         string  `json:"code_hash"`
	Summary          string  `json:"summary"`
	Query            string  `json:"query"`
	Score            int32   `json:"score"`
	Model            string  `json:"model"`
	PromptVersion    string  `json:"prompt_version"`
	PromptTokens     int64   `json:"prompt_tokens,omitempty"`
	CompletionTokens int64   `json:"completion_tokens,omitempty"`
	CostUSD          float64 `json:"cost_usd,omitempty"`
}

// CodeHash is the hex SHA-256 of code: the cache key of its annotation.
func CodeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// AnnotationCache is an append-only JSON-lines file of annotations by code
// hash, one file per model and prompt version, so reruns make no calls.
type AnnotationCache struct {
	path string

	mu      sync.Mutex
	entries map[string]Annotation
	file    *os.File
	w       *bufio.Writer
}

// CachePath is the cache file for a model and prompt version under dir.
func CachePath(dir, model, promptVersion string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
				return r
			}
			return '_'
		}, s)
	}
	return filepath.Join(dir, "annotations-"+clean(model)+"-"+clean(promptVersion)+".jsonl")
}

// OpenAnnotationCache loads path (if it exists) and opens it for appending.
// A torn last line (an interrupted run) is skipped.
func OpenAnnotationCache(path string) (*AnnotationCache, error) {
	c := &AnnotationCache{path: path, entries: map[string]Annotation{}}
	if data, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var a Annotation
			if json.Unmarshal([]byte(line), &a) == nil && a.CodeHash != "" {
				c.entries[a.CodeHash] = a
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read annotation cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create cache folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open annotation cache: %w", err)
	}
	c.file, c.w = f, bufio.NewWriter(f)
	return c, nil
}

// Path is the cache file.
func (c *AnnotationCache) Path() string { return c.path }

// Get returns the cached annotation of a code hash.
func (c *AnnotationCache) Get(hash string) (Annotation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.entries[hash]
	return a, ok
}

// Put records an annotation.
func (c *AnnotationCache) Put(a Annotation) error {
	line, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode annotation: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[a.CodeHash] = a
	if _, err := c.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write annotation cache: %w", err)
	}
	return nil
}

// Close flushes and closes the file.
func (c *AnnotationCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.w.Flush(), c.file.Close())
}

// AnnotateStats count what AnnotateCodebase did.
type AnnotateStats struct {
	Functions        int     `json:"functions"`
	FromCache        int     `json:"from_cache"`
	Annotated        int     `json:"annotated"`
	Failed           int     `json:"failed"`
	FirstError       string  `json:"first_error,omitempty"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
}

// AnnotateCodebase returns an annotation for every code of the code base
// (the zero Annotation where the call failed), calling Annotate with at
// most concurrency calls in flight for those not in cache (nil: no cache).
func AnnotateCodebase(ctx context.Context, client annotatorv1.AnnotatorServiceClient, codes []string, concurrency int, cache *AnnotationCache) ([]Annotation, AnnotateStats, error) {
	out := make([]Annotation, len(codes))
	st := AnnotateStats{Functions: len(codes)}
	var todo []int
	for i, code := range codes {
		if cache != nil {
			if a, ok := cache.Get(CodeHash(code)); ok {
				out[i] = a
				st.FromCache++
				continue
			}
		}
		todo = append(todo, i)
	}
	errs := make([]error, len(codes))
	err := forEach(ctx, len(todo), concurrency, func(ctx context.Context, t int) {
		i := todo[t]
		resp, err := client.Annotate(ctx, &annotatorv1.AnnotateRequest{
			Function: &annotatorv1.CodeFunction{
				Id:       fmt.Sprintf("codebase.%d", i),
				Path:     fmt.Sprintf("codebase/f%d.py", i),
				Language: "python",
				Code:     codes[i],
			},
		})
		if err != nil {
			errs[i] = err
			return
		}
		a := Annotation{
			CodeHash:         CodeHash(codes[i]),
			Summary:          resp.GetSummary(),
			Query:            resp.GetQuery(),
			Score:            resp.GetScore(),
			Model:            resp.GetModel(),
			PromptVersion:    resp.GetPromptVersion(),
			PromptTokens:     resp.GetUsage().GetPromptTokens(),
			CompletionTokens: resp.GetUsage().GetCompletionTokens(),
			CostUSD:          resp.GetUsage().GetCostUsd(),
		}
		out[i] = a
		if cache != nil {
			errs[i] = cache.Put(a)
		}
	})
	if err != nil {
		return nil, st, err
	}
	for _, i := range todo {
		if errs[i] != nil {
			st.Failed++
			if st.FirstError == "" {
				st.FirstError = fmt.Sprintf("function %d: %v", i, errs[i])
			}
			continue
		}
		st.Annotated++
		st.PromptTokens += out[i].PromptTokens
		st.CompletionTokens += out[i].CompletionTokens
		st.CostUSD += out[i].CostUSD
	}
	if st.Failed == len(codes) && len(codes) > 0 {
		return nil, st, fmt.Errorf("annotate code base: every call failed: %s", st.FirstError)
	}
	return out, st, nil
}
