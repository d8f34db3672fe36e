package dataset

import (
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

// Manifest is manifest.json: the run's parameters and what each source gave, nothing time-dependent.
// It holds everything the dataset card says beyond the records, so a card can be rebuilt from the
// manifest and the records alone (Merge relies on it).
type Manifest struct {
	Sources          []ManifestSource `json:"sources"`
	KeepThreshold    int32            `json:"keep_threshold"`
	Concurrency      int32            `json:"concurrency"`
	BudgetUSD        float64          `json:"budget_usd"`
	MaxContextTokens int32            `json:"max_context_tokens"`
	Parse            *ManifestParse   `json:"parse,omitempty"`
	Filters          ManifestFilters  `json:"filters"`
	Model            string           `json:"model"`
	PromptVersion    string           `json:"prompt_version"`
	// FunctionsFailed counts functions whose annotation failed for good.
	FunctionsFailed int64 `json:"functions_failed"`
	// LLMRequests counts every request sent to the LLM for this dataset, across all runs of the job:
	// first tries, the annotator's retries and repairs, and failed calls. Results served from the cache
	// cost none. The records' tokens and cost cover only the answers they hold; this is the bill.
	LLMRequests int64 `json:"llm_requests"`
	// Note explains an early stop (a cost budget reached); empty for a complete run.
	Note string `json:"note,omitempty"`
	// Training are the filters and splits that make the dataset fit to train on.
	Training ManifestTraining `json:"training"`
	// Redactions counts what was replaced in the files written, by kind (secret kinds, email,
	// ip_address).
	Redactions map[string]int `json:"redactions,omitempty"`
}

// ManifestTraining are the run's licence, decontamination and near-duplicate filters and its splits.
type ManifestTraining struct {
	// Licenses is the allow-list (SPDX ids); empty keeps every licence.
	Licenses []string `json:"licenses"`
	// KeepContaminated turns decontamination off; DecontaminatePaths are the user's evaluation code
	// checked beside the built-in CoSQA and WebQueryTest fingerprints.
	KeepContaminated   bool     `json:"keep_contaminated"`
	DecontaminatePaths []string `json:"decontaminate_paths"`
	// NearDuplicateThreshold is the Jaccard threshold applied; 0 when near-duplicates are kept.
	NearDuplicateThreshold float64 `json:"near_duplicate_threshold"`
	// Splits are the train, validation and test ratios, as --splits takes them.
	Splits string `json:"splits"`
}

// ManifestSource is one repository of the run.
type ManifestSource struct {
	// Repo is the portable repository name records carry (see Provenance).
	Repo string `json:"repo"`
	// Subdir is the source's directory inside the repository; empty for its root.
	Subdir string `json:"subdir,omitempty"`
	// LocalPath is the directory as given to the job, on the machine that ran it: the only local path
	// the output holds, left out when the orchestrator runs with --manifest-omit-local-paths.
	LocalPath   string `json:"local_path,omitempty"`
	GitURL      string `json:"git_url,omitempty"`
	GitRevision string `json:"git_revision,omitempty"`
	Commit      string `json:"commit"`
	License     string `json:"license"`
	Parsed      bool   `json:"parsed"`
	// Functions found in it, those with a syntax error included.
	Functions int `json:"functions"`
	// Skipped lists its files that were not parsed, with the reason.
	Skipped []SkippedFile `json:"skipped"`
}

// Name is the source's name on the card and in record ids (Provenance.Name).
func (s ManifestSource) Name() string {
	return Provenance{Repo: s.Repo, Subdir: s.Subdir}.Name()
}

// SkippedFile is a file of a source that was not parsed.
type SkippedFile struct {
	// Path relative to the repository root.
	Path string `json:"path"`
	// Reason is the parser's: too_large, binary, undecodable, outside_repository or unreadable.
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// ManifestFilters are the dataset filters of the run: each true turns one default filter off.
type ManifestFilters struct {
	KeepTests      bool `json:"keep_tests"`
	KeepDunder     bool `json:"keep_dunder"`
	KeepTrivial    bool `json:"keep_trivial"`
	KeepDuplicates bool `json:"keep_duplicates"`
}

// ManifestParse are the parse options of the run.
type ManifestParse struct {
	Include      []string `json:"include,omitempty"`
	Exclude      []string `json:"exclude,omitempty"`
	SkipTests    bool     `json:"skip_tests"`
	SkipDunder   bool     `json:"skip_dunder"`
	SkipTrivial  bool     `json:"skip_trivial"`
	MaxFileBytes int64    `json:"max_file_bytes"`
	// Languages the parser read; empty for all of them.
	Languages []string `json:"languages,omitempty"`
}

// ParseManifest is how parse options are written into manifest.json and the near-duplicate plan
// (nil for none); q4c compares its popularity file and plan against it.
func ParseManifest(p *parserv1.ParseOptions) *ManifestParse {
	if p == nil {
		return nil
	}
	return &ManifestParse{Include: p.GetInclude(), Exclude: p.GetExclude(), SkipTests: p.GetSkipTests(),
		SkipDunder: p.GetSkipDunder(), SkipTrivial: p.GetSkipTrivial(), MaxFileBytes: p.GetMaxFileBytes(), Languages: p.GetLanguages()}
}

// Card returns what the dataset card says beyond the records.
func (m *Manifest) Card() Card {
	ratios, err := split.Parse(m.Training.Splits)
	if err != nil {
		ratios = split.AllTrain // Read refuses such a manifest; a Manifest built in code has valid ratios
	}
	card := Card{KeepThreshold: m.KeepThreshold, FunctionsFailed: m.FunctionsFailed, LLMRequests: m.LLMRequests, Note: m.Note,
		Splits: ratios, Redactions: m.Redactions}
	for _, s := range m.Sources {
		card.Sources = append(card.Sources, Source{Repo: s.Name(), Commit: s.Commit, License: s.License, Functions: s.Functions, SkippedFiles: len(s.Skipped)})
	}
	return card
}

// RepoName is the key a source goes by in the docs service's popularity counts, in q4c popularity
// files and in the corpus order of q4c merge: the local path as given, or the git URL with
// "@revision" when a revision is set. Records, the card and the manifest name a source by its
// Provenance instead, which holds no local path.
func RepoName(src *parserv1.Source) string {
	switch k := src.GetKind().(type) {
	case *parserv1.Source_LocalPath:
		return k.LocalPath
	case *parserv1.Source_Git:
		name := k.Git.GetUrl()
		if rev := k.Git.GetRevision(); rev != "" {
			name += "@" + rev
		}
		return name
	}
	return ""
}
