package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

// PlanFormat names the version of the near-duplicate plan file.
const PlanFormat = "q4c-near-duplicate-plan/v1"

// NearDuplicatePlan is the near-duplicate clusters of a whole corpus, computed by its first pass (q4c
// popularity --near-duplicate-plan) exactly as one job over the corpus computes them, so every shard
// leaves out the functions that one job would leave out, whichever shard holds their representative.
type NearDuplicatePlan struct {
	Format string `json:"format"`
	// Options are the parse options and filters the plan was made with; a job applies the plan only
	// with the same ones, since they decide which functions are clustered.
	Options PlanOptions  `json:"options"`
	Sources []PlanSource `json:"sources"`
}

// PlanOptions are what decides a corpus's clusters besides its code.
type PlanOptions struct {
	Parse    *ManifestParse   `json:"parse"`
	Filters  ManifestFilters  `json:"filters"`
	Training ManifestTraining `json:"training"`
}

// PlanSource is one parsed source of the corpus.
type PlanSource struct {
	// Repo is the source's full name (RepoName: absolute path, or URL#revision).
	Repo   string `json:"repo"`
	Commit string `json:"commit,omitempty"`
	// Functions are every function the parser emitted, in its order.
	Functions []PlanFunction `json:"functions"`
}

// PlanFunction is one function of a source.
type PlanFunction struct {
	// ID is the parser's function id; Hash is PlanCodeHash of its code.
	ID   string `json:"id"`
	Hash string `json:"hash"`
	// Representative is the record id of the function it is a near-duplicate of; empty when it is a
	// representative or was not clustered (left out by an earlier filter).
	Representative string  `json:"representative,omitempty"`
	Jaccard        float64 `json:"jaccard,omitempty"`
}

// PlanCodeHash fingerprints a function's code, so a plan made from other code is noticed.
func PlanCodeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:12])
}

// ReadNearDuplicatePlan reads and checks a plan file.
func ReadNearDuplicatePlan(path string) (*NearDuplicatePlan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("near-duplicate plan: %w", err)
	}
	var p NearDuplicatePlan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("near-duplicate plan %s: %w", path, err)
	}
	if p.Format != PlanFormat {
		return nil, fmt.Errorf("near-duplicate plan %s: format %q, want %q", path, p.Format, PlanFormat)
	}
	seen := make(map[string]bool, len(p.Sources))
	for _, s := range p.Sources {
		if seen[s.Repo] {
			return nil, fmt.Errorf("near-duplicate plan %s: source %s is listed twice", path, s.Repo)
		}
		seen[s.Repo] = true
	}
	return &p, nil
}
