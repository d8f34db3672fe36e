// Package dataset writes a job's output directory in the layout the Hugging Face Hub reads:
// data/<split>-NNNNN-of-NNNNN.parquet (kept pairs of each split), README.md (the dataset card, with
// the Hub's YAML front matter), and beside them pairs.jsonl (kept pairs), rejected.jsonl,
// excluded.jsonl (functions left out of the dataset, with why) and manifest.json (the run's parameters).
//
// Records are sorted by repository, path and start line, and nothing time-dependent is written, so the
// same records give byte-identical files. The files are written and fsynced into a staging directory
// beside the output directory (same filesystem), which then takes the output directory's place whole
// (see swapIn): a failed write (a full disk, a read-only directory) leaves the previous dataset, or
// nothing, and no half-written set. An output directory that is a mount point cannot be swapped:
// the dataset is staged inside it and its files renamed into place one by one.
package dataset

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

// File names in the output directory.
const (
	PairsFile    = "pairs.jsonl"
	RejectedFile = "rejected.jsonl"
	ExcludedFile = "excluded.jsonl"
	CardFile     = "README.md"
	ManifestFile = "manifest.json"
)

// Row is one record as written to the JSON Lines and Parquet files; the field names are the columns.
type Row struct {
	ID               string   `json:"id" parquet:"id"`
	Repo             string   `json:"repo" parquet:"repo"`
	Commit           string   `json:"commit" parquet:"commit"`
	Path             string   `json:"path" parquet:"path"`
	StartLine        int32    `json:"start_line" parquet:"start_line"`
	EndLine          int32    `json:"end_line" parquet:"end_line"`
	Function         string   `json:"function" parquet:"function"`
	Language         string   `json:"language" parquet:"language"`
	Code             string   `json:"code" parquet:"code"`
	Docstring        string   `json:"docstring" parquet:"docstring"`
	Summary          string   `json:"summary" parquet:"summary"`
	Query            string   `json:"query" parquet:"query"`
	Score            int32    `json:"score" parquet:"score"`
	Explanation      string   `json:"explanation" parquet:"explanation"`
	Kept             bool     `json:"kept" parquet:"kept"`
	Model            string   `json:"model" parquet:"model"`
	PromptVersion    string   `json:"prompt_version" parquet:"prompt_version"`
	Callees          []string `json:"callees" parquet:"callees,list"`
	APIs             []string `json:"apis" parquet:"apis,list"`
	DocsUsed         []string `json:"docs_used" parquet:"docs_used,list"`
	PromptTokens     int64    `json:"prompt_tokens" parquet:"prompt_tokens"`
	CompletionTokens int64    `json:"completion_tokens" parquet:"completion_tokens"`
	CostUSD          float64  `json:"cost_usd" parquet:"cost_usd"`
	Split            string   `json:"split" parquet:"split"`
	License          string   `json:"license" parquet:"license"`
}

// RowOf converts a record; nil lists become empty so every record has every field.
func RowOf(r *orchestratorv1.Record) Row {
	list := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return slices.Clone(s)
	}
	return Row{
		ID: r.GetId(), Repo: r.GetRepo(), Commit: r.GetCommit(), Path: r.GetPath(),
		StartLine: r.GetStartLine(), EndLine: r.GetEndLine(), Function: r.GetFunction(),
		Language: r.GetLanguage(), Code: r.GetCode(), Docstring: r.GetDocstring(), Summary: r.GetSummary(),
		Query: r.GetQuery(), Score: r.GetScore(), Explanation: r.GetExplanation(), Kept: r.GetKept(),
		Model: r.GetModel(), PromptVersion: r.GetPromptVersion(), Callees: list(r.GetCallees()),
		APIs: list(r.GetApis()), DocsUsed: list(r.GetDocsUsed()), PromptTokens: r.GetPromptTokens(),
		CompletionTokens: r.GetCompletionTokens(), CostUSD: r.GetCostUsd(), Split: r.GetSplit(), License: r.GetLicense(),
	}
}

// Source describes one repository of the job for the dataset card.
type Source struct {
	Repo    string
	Commit  string
	License string
	// Functions found in it (those with a syntax error included).
	Functions int
	// Files of it that were not parsed (too large, binary, undecodable, ...).
	SkippedFiles int
}

// Card is what the dataset card says beyond what the records show.
type Card struct {
	KeepThreshold   int32
	Sources         []Source
	FunctionsFailed int64
	// LLMRequests is every request sent to the LLM for the dataset (see Manifest.LLMRequests).
	LLMRequests int64
	// Note explains an early stop (a cost budget reached); empty for a complete run.
	Note string
	// Splits are the ratios repositories were assigned to splits by.
	Splits split.Ratios
	// Redactions counts the secrets, email and IP addresses replaced in the files, by kind.
	Redactions map[string]int
}

// SortRecords orders records by repository, path, start line and id.
func SortRecords(records []*orchestratorv1.Record) {
	slices.SortStableFunc(records, func(a, b *orchestratorv1.Record) int {
		if c := strings.Compare(a.GetRepo(), b.GetRepo()); c != 0 {
			return c
		}
		if c := strings.Compare(a.GetPath(), b.GetPath()); c != 0 {
			return c
		}
		if a.GetStartLine() != b.GetStartLine() {
			return int(a.GetStartLine()) - int(b.GetStartLine())
		}
		return strings.Compare(a.GetId(), b.GetId())
	})
}

// Write writes the dataset as dir (created if missing, replaced whole if present, see swapIn).
// records and excluded are sorted in place.
func Write(dir string, records []*orchestratorv1.Record, excluded []Excluded, card Card, manifest any) error {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create the output directory's parent: %w", err)
	}
	SortRecords(records)
	SortExcluded(excluded)
	var kept, rejected []Row
	for _, r := range records {
		if r.GetKept() {
			kept = append(kept, RowOf(r))
		} else {
			rejected = append(rejected, RowOf(r))
		}
	}
	if excluded == nil {
		excluded = []Excluded{}
	}
	shards := dataFiles(kept, card.Splits)
	type file struct {
		name  string
		write func(io.Writer) error
	}
	files := []file{
		{PairsFile, func(w io.Writer) error { return writeJSONL(w, kept, rowID) }},
		{RejectedFile, func(w io.Writer) error { return writeJSONL(w, rejected, rowID) }},
		{ExcludedFile, func(w io.Writer) error { return writeJSONL(w, excluded, excludedID) }},
		{CardFile, func(w io.Writer) error { return writeCardFile(w, records, excluded, kept, shards, card) }},
		{ManifestFile, func(w io.Writer) error { return writeManifest(w, manifest) }},
	}
	for _, shard := range shards {
		files = append(files, file{filepath.FromSlash(shard.path), func(w io.Writer) error { return writeParquet(w, shard.rows) }})
	}
	parent := filepath.Dir(dir)
	stagingParent, place := parent, swapIn
	if mountPoint(dir) {
		stagingParent, place = dir, moveInto
	}
	staging, err := os.MkdirTemp(stagingParent, "."+filepath.Base(dir)+".staging-*")
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(staging) }() // gone already after a successful swap
	if err := os.Chmod(staging, 0o755); err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	for _, f := range files {
		if err := stage(staging, f.name, f.write); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	for _, d := range []string{filepath.Join(staging, DataDir), staging} {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("sync staging directory: %w", err)
		}
	}
	if err := place(staging, dir); err != nil {
		return fmt.Errorf("move the dataset into %s: %w", dir, err)
	}
	if err := removeLegacyParquet(dir); err != nil {
		return err
	}
	if err := syncDir(parent); err != nil {
		return fmt.Errorf("sync output directory: %w", err)
	}
	return nil
}

// stage writes one file into the staging directory and fsyncs it.
func stage(dir, name string, write func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	w := bufio.NewWriterSize(f, 1<<16)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

func writeJSONL[T any](w io.Writer, rows []T, id func(*T) string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return fmt.Errorf("encode record %s: %w", id(&rows[i]), err)
		}
	}
	return nil
}

func rowID(r *Row) string           { return r.ID }
func excludedID(e *Excluded) string { return e.ID }

func writeParquet(w io.Writer, rows []Row) error {
	pw := parquet.NewGenericWriter[Row](w, parquet.Compression(&parquet.Zstd))
	if len(rows) > 0 {
		if _, err := pw.Write(rows); err != nil {
			return fmt.Errorf("write rows: %w", err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

func writeManifest(w io.Writer, manifest any) error {
	data, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return err
	}
	return nil
}
