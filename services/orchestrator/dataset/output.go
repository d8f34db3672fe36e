package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// CheckOutputDir says whether a dataset can be written to dir before any work is paid for: dir is
// a directory or can be created, and both dir and its parent (where Write stages the dataset) can
// be written. It creates nothing that outlives the check.
func CheckOutputDir(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	info, err := os.Stat(dir)
	switch {
	case err == nil && !info.IsDir():
		return fmt.Errorf("output directory %s exists and is not a directory", dir)
	case err == nil:
		if err := probeWrite(dir); err != nil {
			return fmt.Errorf("output directory %s is not writable: %w", dir, err)
		}
		if mountPoint(dir) {
			return nil // staged inside it (see Write)
		}
		if err := probeWrite(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("cannot write beside output directory %s, where the dataset is staged: %w", dir, err)
		}
		return nil
	case !missing(err):
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	// dir is missing: its nearest existing ancestor must be a directory we can create it in.
	ancestor := filepath.Dir(dir)
	for {
		info, err := os.Stat(ancestor)
		if err == nil {
			if !info.IsDir() {
				return fmt.Errorf("cannot create output directory %s: %s is not a directory", dir, ancestor)
			}
			break
		}
		if !missing(err) {
			return fmt.Errorf("cannot create output directory %s: %w", dir, err)
		}
		parent := filepath.Dir(ancestor)
		if parent == ancestor {
			return fmt.Errorf("cannot create output directory %s: no existing parent", dir)
		}
		ancestor = parent
	}
	if err := probeWrite(ancestor); err != nil {
		return fmt.Errorf("cannot create output directory %s: %w", dir, err)
	}
	return nil
}

// mountPoint says dir is the root of a filesystem (a volume mounted as the output directory):
// nothing can be renamed across its boundary, so the dataset is staged inside it instead.
func mountPoint(dir string) bool {
	a, errA := os.Stat(dir)
	b, errB := os.Stat(filepath.Dir(dir))
	if errA != nil || errB != nil {
		return false
	}
	sa, okA := a.Sys().(*syscall.Stat_t)
	sb, okB := b.Sys().(*syscall.Stat_t)
	return okA && okB && sa.Dev != sb.Dev
}

// moveInto renames each staged file into dir: the way in when dir is a mount point, which cannot
// be swapped whole. Every file is written before the first rename, so only a failing rename (not
// a full disk or a write error) can leave a mix of old and new files.
func moveInto(staging, dir string) error {
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dst := filepath.Join(dir, e.Name())
		if e.IsDir() {
			// A directory is not renamed over a non-empty one: the earlier data/ goes first.
			if err := os.RemoveAll(dst); err != nil {
				return err
			}
		}
		if err := os.Rename(filepath.Join(staging, e.Name()), dst); err != nil {
			return err
		}
	}
	return nil
}

// missing says a stat failed because the path, or a file standing for one of its directories,
// is not there as a directory.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// probeWrite creates and removes a directory in dir: permission bits alone do not tell (root, ACLs,
// read-only mounts).
func probeWrite(dir string) error {
	probe, err := os.MkdirTemp(dir, ".q4c-write-check-*")
	if err != nil {
		return err
	}
	return os.Remove(probe)
}

// swapIn replaces dir with the fully written staging directory (a sibling, so the renames stay on
// one filesystem). Entries of the old dir that the new dataset does not have (a .git of a Hub
// clone, the user's notes) are moved over first, so only the dataset's own files are replaced. The
// old directory is renamed aside, the staging directory takes its name, and the old one is removed;
// if the second rename fails the old one is put back, so dir holds the previous dataset or the new
// one, never a mix.
func swapIn(staging, dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.Rename(staging, dir)
	}
	if err != nil {
		return err
	}
	var carried []string
	for _, e := range entries {
		dst := filepath.Join(staging, e.Name())
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.Rename(filepath.Join(dir, e.Name()), dst); err != nil {
			return errors.Join(fmt.Errorf("keep %s: %w", e.Name(), err), putBack(carried, staging, dir))
		}
		carried = append(carried, e.Name())
	}
	old, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".old-*")
	if err != nil {
		return errors.Join(err, putBack(carried, staging, dir))
	}
	if err := os.Remove(old); err != nil { // only the unique name is wanted
		return errors.Join(err, putBack(carried, staging, dir))
	}
	if err := os.Rename(dir, old); err != nil {
		return errors.Join(err, putBack(carried, staging, dir))
	}
	if err := os.Rename(staging, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w; the previous dataset is in %s: %w", err, old, rerr)
		}
		return errors.Join(err, putBack(carried, staging, dir))
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("remove the previous dataset %s: %w", old, err)
	}
	return nil
}

// putBack returns carried entries from staging to dir after a failed swap.
func putBack(carried []string, staging, dir string) error {
	var errs []error
	for _, name := range carried {
		errs = append(errs, os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)))
	}
	return errors.Join(errs...)
}
