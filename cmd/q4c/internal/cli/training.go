package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

// trainingFlags are q4c annotate's licence, decontamination and near-duplicate filters and its splits.
type trainingFlags struct {
	nearDupThreshold   float64
	keepNearDuplicates bool
	decontaminate      []string
	keepContaminated   bool
	licenses           []string
	splits             string
	// plan is the near-duplicate plan a shard applies (annotate only).
	plan string
}

func (f *trainingFlags) register(fl *pflag.FlagSet) {
	f.registerFilters(fl)
	fl.StringVar(&f.splits, "splits", "", "train, validation and test shares of the repositories, e.g. 0.8,0.1,0.1 (default: all train)")
	fl.StringVar(&f.plan, "near-duplicate-plan", "", "near-duplicate plan of the whole corpus from q4c popularity --near-duplicate-plan: leave out the near-duplicates one run over the corpus would (for --shard runs)")
}

// registerFilters registers the flags that decide which functions are left out, which q4c
// popularity needs to plan the corpus's near-duplicates as annotate would.
func (f *trainingFlags) registerFilters(fl *pflag.FlagSet) {
	fl.Float64Var(&f.nearDupThreshold, "near-dup-threshold", 0, "token 5-gram Jaccard similarity at or above which two functions are near-duplicates, one annotated (0: 0.85)")
	fl.BoolVar(&f.keepNearDuplicates, "keep-near-duplicates", false, "keep near-duplicate functions instead of one representative per cluster")
	fl.StringArrayVar(&f.decontaminate, "decontaminate", nil, "file or directory of evaluation code whose functions are left out as contaminated, beside CoSQA and WebQueryTest (repeatable)")
	fl.BoolVar(&f.keepContaminated, "keep-contaminated", false, "keep functions that match an evaluation set's code")
	fl.StringSliceVar(&f.licenses, "licenses", nil, "keep only sources under these licences: SPDX ids, or permissive (unknown licences are left out)")
}

// apply sets the flags' options on a job. Decontaminate paths are made absolute: the orchestrator
// reads them, from another working directory.
func (f *trainingFlags) apply(o *orchestratorv1.JobOptions) error {
	if o.Filters == nil {
		o.Filters = &orchestratorv1.DatasetFilters{}
	}
	o.Filters.NearDuplicateThreshold = f.nearDupThreshold
	o.Filters.KeepNearDuplicates = f.keepNearDuplicates
	o.Filters.KeepContaminated = f.keepContaminated
	o.Filters.Licenses = f.licenses
	o.Filters.DecontaminatePaths = nil
	for _, p := range f.decontaminate {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("--decontaminate %s: %w", p, err)
		}
		o.Filters.DecontaminatePaths = append(o.Filters.DecontaminatePaths, abs)
	}
	o.Filters.NearDuplicatePlan = ""
	if f.plan != "" {
		if f.keepNearDuplicates {
			return errors.New("--near-duplicate-plan leaves out near-duplicates: it cannot go with --keep-near-duplicates")
		}
		abs, err := filepath.Abs(f.plan)
		if err != nil {
			return fmt.Errorf("--near-duplicate-plan %s: %w", f.plan, err)
		}
		o.Filters.NearDuplicatePlan = abs
	}
	splits, err := parseSplits(f.splits)
	if err != nil {
		return err
	}
	o.Splits = splits
	return nil
}

// parseSplits reads --splits: up to three comma-separated shares; the orchestrator checks that they
// add up to 1.
func parseSplits(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > 3 {
		return nil, fmt.Errorf("--splits %q: at most three shares (train, validation, test)", s)
	}
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("--splits %q: %q is not a number", s, p)
		}
		out[i] = v
	}
	return out, nil
}
