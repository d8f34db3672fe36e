package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/query4code/query4code/platform/license"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	"github.com/query4code/query4code/services/orchestrator/internal/decontam"
	"github.com/query4code/query4code/services/orchestrator/internal/neardup"
	"github.com/query4code/query4code/services/orchestrator/internal/scrub"
	"github.com/query4code/query4code/services/orchestrator/internal/split"
)

// trainingFilters are the filters that make a dataset fit to train on: licences, decontamination
// against evaluation sets and near-duplicates. They are resolved once per job, before any LLM call.
type trainingFilters struct {
	licenses license.AllowList
	// contamination is nil when the job keeps contaminated functions.
	contamination *decontam.Index
	// nearDuplicate is the Jaccard threshold; 0 when the job keeps near-duplicates.
	nearDuplicate float64
	splits        split.Ratios
	// plan, when the job has one, decides the near-duplicates from the whole corpus's clusters.
	plan *nearDuplicatePlan
}

// OptionError is a job option the pipeline cannot run with; Field is its path in JobOptions.
type OptionError struct {
	Field string
	Err   error
}

func (e *OptionError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

// TrainingOptions reads a job's licence allow-list and split ratios and checks its near-duplicate
// threshold; a bad one is an *OptionError. The orchestrator checks them at submission.
func TrainingOptions(o *orchestratorv1.JobOptions) (licenses license.AllowList, ratios split.Ratios, err error) {
	f := o.GetFilters()
	licenses, err = license.ParseAllowList(strings.Join(f.GetLicenses(), ","))
	if err != nil {
		return license.AllowList{}, split.Ratios{}, &OptionError{Field: "filters.licenses", Err: err}
	}
	ratios, err = SplitRatios(o.GetSplits())
	if err != nil {
		return license.AllowList{}, split.Ratios{}, &OptionError{Field: "splits", Err: err}
	}
	if t := f.GetNearDuplicateThreshold(); t < 0 || t > 1 {
		return license.AllowList{}, split.Ratios{}, &OptionError{Field: "filters.near_duplicate_threshold",
			Err: fmt.Errorf("%v: must be 0 (the default, %v) to 1", t, neardup.DefaultThreshold)}
	}
	return licenses, ratios, nil
}

// SplitRatios reads the splits option: empty means every repository in train; otherwise one to three
// shares (train, validation, test; missing ones are 0) that add up to 1.
func SplitRatios(shares []float64) (split.Ratios, error) {
	if len(shares) == 0 {
		return split.AllTrain, nil
	}
	if len(shares) > 3 {
		return split.Ratios{}, fmt.Errorf("%d shares: at most three (train, validation, test)", len(shares))
	}
	parts := make([]string, 3)
	for i := range parts {
		parts[i] = "0"
		if i < len(shares) {
			parts[i] = fmt.Sprint(shares[i])
		}
	}
	return split.Parse(strings.Join(parts, ","))
}

// ContaminationIndex builds the index a job's functions are checked against: the built-in CoSQA and
// WebQueryTest fingerprints and the code under every path given (each path is its own benchmark,
// named by the path).
func ContaminationIndex(paths []string) (*decontam.Index, error) {
	ix, err := decontam.Builtin()
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		if err := ix.AddPath(p, p); err != nil {
			return nil, fmt.Errorf("decontaminate %s: %w", p, err)
		}
	}
	return ix, nil
}

// resolveTrainingFilters reads a job's training filters, and its near-duplicate plan when it has one.
func resolveTrainingFilters(o *orchestratorv1.JobOptions) (trainingFilters, error) {
	licenses, ratios, err := TrainingOptions(o)
	if err != nil {
		return trainingFilters{}, err
	}
	f := o.GetFilters()
	tf := trainingFilters{licenses: licenses, splits: ratios}
	if !f.GetKeepContaminated() {
		if tf.contamination, err = ContaminationIndex(f.GetDecontaminatePaths()); err != nil {
			return trainingFilters{}, err
		}
	}
	if !f.GetKeepNearDuplicates() {
		tf.nearDuplicate = cmp.Or(f.GetNearDuplicateThreshold(), neardup.DefaultThreshold)
		if path := f.GetNearDuplicatePlan(); path != "" {
			if tf.plan, err = loadPlan(path, planOptions(o, tf)); err != nil {
				return trainingFilters{}, err
			}
		}
	}
	return tf, nil
}

// licenseExclusions leaves out every function of a source whose licence the allow-list does not
// allow, and returns the functions still in.
func (tf trainingFilters) licenseExclusions(candidates []*fnState) []*fnState {
	if tf.licenses.Empty() {
		return candidates
	}
	return slices.DeleteFunc(candidates, func(f *fnState) bool {
		if tf.licenses.Allows(f.repo.license) {
			return false
		}
		f.exclusion = &exclusion{reason: dataset.ReasonLicense,
			detail: fmt.Sprintf("licence %s is not in the allow-list %s", f.repo.license, strings.Join(tf.licenses.IDs(), ","))}
		return true
	})
}

// contaminationExclusions leaves out every function whose code matches an evaluation set's, and
// returns the functions still in.
func (tf trainingFilters) contaminationExclusions(candidates []*fnState) []*fnState {
	if tf.contamination == nil {
		return candidates
	}
	return slices.DeleteFunc(candidates, func(f *fnState) bool {
		m, ok := tf.contamination.Match(f.fn.GetCode())
		if !ok {
			return false
		}
		f.exclusion = &exclusion{reason: dataset.ReasonContaminated,
			detail: fmt.Sprintf("matches %s %s (containment %.2f)", m.Benchmark, m.ID, m.Containment)}
		return true
	})
}

// nearDuplicateExclusions clusters the functions still in across the whole job and leaves out every
// one but its cluster's representative: the first by source order, path, start line and function id,
// the order q4c merge applies across shards too.
func (tf trainingFilters) nearDuplicateExclusions(candidates []*fnState) error {
	if tf.plan != nil {
		tf.plan.apply(candidates)
		return nil
	}
	if tf.nearDuplicate == 0 || len(candidates) < 2 {
		return nil
	}
	items := make([]neardup.Item, len(candidates))
	byKey := make(map[string]*fnState, len(candidates))
	for i, f := range candidates {
		key := dataset.NearDuplicateKey(f.repo.index, f.fn.GetPath(), f.fn.GetStartLine(), f.fn.GetId())
		items[i] = neardup.Item{Key: key, Code: f.fn.GetCode()}
		byKey[key] = f
	}
	assignments, err := neardup.Cluster(items, tf.nearDuplicate)
	if err != nil {
		return fmt.Errorf("near-duplicates: %w", err)
	}
	for i, a := range assignments {
		if !a.Duplicate() {
			continue
		}
		rep := byKey[a.Representative].recordID()
		candidates[i].exclusion = &exclusion{reason: dataset.ReasonNearDuplicate,
			detail: dataset.NearDuplicateDetail(rep, a.Jaccard), representative: rep, jaccard: a.Jaccard}
	}
	return nil
}

// manifest records the job's training filters and splits in the manifest.
func (tf trainingFilters) manifest(o *orchestratorv1.JobOptions) dataset.ManifestTraining {
	f := o.GetFilters()
	return dataset.ManifestTraining{
		Licenses: tf.licenses.IDs(), KeepContaminated: f.GetKeepContaminated(),
		DecontaminatePaths: slices.Clone(f.GetDecontaminatePaths()), NearDuplicateThreshold: tf.nearDuplicate,
		Splits: tf.splits.String(),
	}
}

// manifestFilters records the job's default filters in the manifest.
func manifestFilters(o *orchestratorv1.JobOptions) dataset.ManifestFilters {
	f := o.GetFilters()
	return dataset.ManifestFilters{KeepTests: f.GetKeepTests(), KeepDunder: f.GetKeepDunder(),
		KeepTrivial: f.GetKeepTrivial(), KeepDuplicates: f.GetKeepDuplicates()}
}

// manifestParse records the job's parse options in the manifest; nil without any.
func manifestParse(o *orchestratorv1.JobOptions) *dataset.ManifestParse {
	return dataset.ParseManifest(o.GetParse())
}

// scrubOutput replaces secrets, email addresses and public IP addresses in every text field the
// dataset writes, and counts what it replaced for the card and the manifest.
func scrubOutput(records []*orchestratorv1.Record, excluded []dataset.Excluded) map[string]int {
	counts := scrub.Counts{}
	for _, rec := range records {
		scrub.Record(rec, counts)
	}
	dataset.ScrubExcluded(excluded, counts)
	if len(counts) == 0 {
		return nil
	}
	return counts
}

// splitOf names the split of a source's records: by a stable hash of the repository name records
// carry, so every shard and re-run agrees.
func (r *run) splitOf(repo *repoState) string { return r.training.splits.Assign(repo.prov.Repo) }
