package dataset

import (
	"fmt"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/neardup"
)

// Reasons a function is left out of a training-ready dataset, beside the default filters'.
const (
	// ReasonLicense: the source's licence (unknown included) is not in the job's allow-list.
	ReasonLicense = "license"
	// ReasonContaminated: the code matches a function of an evaluation set (CoSQA, WebQueryTest, or a
	// decontaminate path); detail names the benchmark and the function.
	ReasonContaminated = "contaminated"
	// ReasonNearDuplicate: the code's token 5-gram Jaccard similarity to another function of the job
	// (or of another shard) reaches the threshold; detail names the representative kept and the Jaccard.
	ReasonNearDuplicate = "near_duplicate"
)

// NearDuplicateKey orders near-duplicate candidates: the representative of a cluster is the one with
// the smallest key, the first by source (its position in the job's, or the corpus's, list of
// sources), path, start line and function id. A job and q4c merge use the same key, so shards
// merged in corpus order choose the representative one run would have chosen.
func NearDuplicateKey(source int, path string, startLine int32, function string) string {
	return fmt.Sprintf("%010d\x00%s\x00%010d\x00%s", source, path, startLine, function)
}

// NearDuplicateDetail is the detail of a near_duplicate entry.
func NearDuplicateDetail(representativeID string, jaccard float64) string {
	return fmt.Sprintf("near-duplicate of %s (Jaccard %.2f)", representativeID, jaccard)
}

// crossShardNearDuplicates checks the records of every shard against each other as one job checks
// its functions: every record whose code reaches threshold Jaccard similarity with a record that
// sorts before it (NearDuplicateKey, sources in the merged order) is left out as a near_duplicate of
// it. Within a shard the job left such copies out already, so what remains are copies in two shards.
// threshold 0 (a run that kept near-duplicates) checks nothing.
func crossShardNearDuplicates(records []*orchestratorv1.Record, sources []ManifestSource, threshold float64) ([]*orchestratorv1.Record, []Excluded, error) {
	if threshold == 0 || len(records) < 2 {
		return records, nil, nil
	}
	position := make(map[string]int, len(sources))
	for i, s := range sources {
		position[s.Name()] = i
	}
	items := make([]neardup.Item, len(records))
	idOf := make(map[string]string, len(records))
	for i, r := range records {
		source, ok := position[sourceOfID(r.GetId())]
		if !ok {
			source = len(sources) // a record of no listed source sorts last
		}
		key := NearDuplicateKey(source, r.GetPath(), r.GetStartLine(), r.GetFunction())
		items[i] = neardup.Item{Key: key, Code: r.GetCode()}
		idOf[key] = r.GetId()
	}
	assignments, err := neardup.Cluster(items, threshold)
	if err != nil {
		return nil, nil, fmt.Errorf("near-duplicates across shards: %w", err)
	}
	var kept []*orchestratorv1.Record
	var excluded []Excluded
	for i, a := range assignments {
		r := records[i]
		if !a.Duplicate() {
			kept = append(kept, r)
			continue
		}
		excluded = append(excluded, Excluded{ID: r.GetId(), Repo: r.GetRepo(), Path: r.GetPath(), Function: r.GetFunction(), Language: r.GetLanguage(),
			Reason: ReasonNearDuplicate, Detail: NearDuplicateDetail(idOf[a.Representative], a.Jaccard)})
	}
	return kept, excluded, nil
}
