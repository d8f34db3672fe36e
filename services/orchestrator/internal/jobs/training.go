package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	"github.com/query4code/query4code/services/orchestrator/internal/pipeline"
)

// checkTraining refuses at submission the training filters and splits a job could not run with: an
// unknown licence, ratios that do not add up to 1, a threshold out of range, and a decontaminate path
// that is missing or outside the allowed roots. Decontaminate paths are made absolute in opts, so a
// resumed job reads the same files whatever the orchestrator's working directory.
func (m *Manager) checkTraining(opts *orchestratorv1.JobOptions) error {
	if _, _, err := pipeline.TrainingOptions(opts); err != nil {
		var bad *pipeline.OptionError
		if errors.As(err, &bad) {
			return &InvalidArgumentError{Field: "options." + bad.Field, Reason: bad.Err.Error()}
		}
		return err
	}
	paths := opts.GetFilters().GetDecontaminatePaths()
	for i, p := range paths {
		abs, err := m.trainingPath("options.filters.decontaminate_paths", "decontaminate path", p)
		if err != nil {
			return fmt.Errorf("options.filters.decontaminate_paths[%d]: %w", i, err)
		}
		paths[i] = abs
	}
	if p := opts.GetFilters().GetNearDuplicatePlan(); p != "" {
		abs, err := m.trainingPath("options.filters.near_duplicate_plan", "near-duplicate plan", p)
		if err != nil {
			return err
		}
		opts.Filters.NearDuplicatePlan = abs
	}
	return nil
}

// trainingPath checks a file the job reads beside its sources: it exists and is under the allowed
// roots. It returns the path made absolute.
func (m *Manager) trainingPath(field, what, p string) (string, error) {
	if p == "" || strings.ContainsRune(p, 0) {
		return "", &InvalidArgumentError{Field: field, Reason: fmt.Sprintf("%q is not a path", p)}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", &InvalidArgumentError{Field: field, Reason: err.Error()}
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", &InvalidArgumentError{Field: field, Reason: fmt.Sprintf("%s does not exist on the orchestrator's machine", p)}
		}
		return "", &InvalidArgumentError{Field: field, Reason: err.Error()}
	}
	if len(m.cfg.AllowedRoots) == 0 {
		return abs, nil
	}
	for _, root := range m.cfg.AllowedRoots {
		if r, err := filepath.EvalSymlinks(root); err == nil {
			root = r
		}
		if within(root, resolved) {
			return abs, nil
		}
	}
	return "", fmt.Errorf("%w: %s %s is outside the allowed roots", ErrPermissionDenied, what, p)
}
