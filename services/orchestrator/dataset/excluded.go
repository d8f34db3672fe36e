package dataset

import (
	"slices"
	"strings"
)

// Reasons a function is left out of the dataset, as written in excluded.jsonl.
const (
	// ReasonTest: a test by convention (test file or directory, test_* function, TestCase method).
	ReasonTest = "test"
	// ReasonDunder: a __dunder__ method.
	ReasonDunder = "dunder"
	// ReasonTrivial: under 3 lines, or a body that only passes, returns a constant or a parameter, or raises.
	ReasonTrivial = "trivial"
	// ReasonSyntaxError: the function's own span holds a syntax error, so the parser did not emit it.
	ReasonSyntaxError = "syntax_error"
	// ReasonDuplicate: another function of the job has the same code (whitespace aside); detail names it.
	ReasonDuplicate = "duplicate"
)

// duplicateOf starts the detail of a duplicate, followed by the id of the copy kept.
const duplicateOf = "duplicate of "

// DuplicateDetail is the detail of a function left out as a copy of the function with id kept.
func DuplicateDetail(kept string) string { return duplicateOf + kept }

// NormalizeCode makes every run of whitespace in code one space, so that reindented or rewrapped
// copies of a function compare equal: the duplicate filter's notion of identical code.
func NormalizeCode(code string) string { return strings.Join(strings.Fields(code), " ") }

// Reasons lists the reasons in the order the dataset card shows them.
var Reasons = []string{ReasonTest, ReasonDunder, ReasonTrivial, ReasonSyntaxError, ReasonLicense, ReasonContaminated, ReasonDuplicate, ReasonNearDuplicate}

// Excluded is one line of excluded.jsonl: a function left out of the dataset, and why.
type Excluded struct {
	// ID is the id the function's record would have had.
	ID       string `json:"id"`
	Repo     string `json:"repo"`
	Path     string `json:"path"`
	Function string `json:"function"`
	// Language is the function's source language: python, javascript or typescript.
	Language string `json:"language"`
	// Reason is one of the Reason* constants.
	Reason string `json:"reason"`
	// Detail says more, e.g. "duplicate of <id>".
	Detail string `json:"detail"`
}

// SortExcluded orders excluded functions by repository, path, function and reason.
func SortExcluded(excluded []Excluded) {
	slices.SortStableFunc(excluded, func(a, b Excluded) int {
		if c := strings.Compare(a.Repo, b.Repo); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Reason, b.Reason)
	})
}
