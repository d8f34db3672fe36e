package cli

import (
	"github.com/spf13/pflag"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
)

// filterFlags turn off q4c annotate's default dataset filters (JobOptions.filters).
type filterFlags struct {
	keepTests, keepDunder, keepTrivial, keepDuplicates bool
}

func (f *filterFlags) register(fl *pflag.FlagSet) {
	fl.BoolVar(&f.keepTests, "keep-tests", false, "keep tests (test files and directories by convention, test_* functions, TestCase methods)")
	fl.BoolVar(&f.keepDunder, "keep-dunder", false, "keep __dunder__ methods")
	fl.BoolVar(&f.keepTrivial, "keep-trivial", false, "keep trivial functions (under 3 lines, or a body that only passes, returns a constant or a parameter, or raises)")
	fl.BoolVar(&f.keepDuplicates, "keep-duplicates", false, "keep every copy of identical code (whitespace aside) instead of one record per code")
}

func (f *filterFlags) options() *orchestratorv1.DatasetFilters {
	return &orchestratorv1.DatasetFilters{KeepTests: f.keepTests, KeepDunder: f.keepDunder, KeepTrivial: f.keepTrivial, KeepDuplicates: f.keepDuplicates}
}

// manifest is how the orchestrator writes the filters into manifest.json.
func (f *filterFlags) manifest() dataset.ManifestFilters {
	return dataset.ManifestFilters{KeepTests: f.keepTests, KeepDunder: f.keepDunder, KeepTrivial: f.keepTrivial, KeepDuplicates: f.keepDuplicates}
}
