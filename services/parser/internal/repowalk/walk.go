// Package repowalk lists the Python, JavaScript and TypeScript files of a
// repository (skipping declaration files, minified code and generated
// bundles, jsfilter.go): include and
// exclude globs, test and vendor directories, symlinks that stay inside the
// root; and reads them with the checks that keep the parser safe (size cap,
// binary content) and the decoding Python applies (a UTF-8 byte order mark,
// a PEP 263 coding declaration, UTF-8 otherwise).
package repowalk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/query4code/query4code/services/parser/internal/jsast"
)

// Options select files.
type Options struct {
	Include []string // doublestar globs on slash paths relative to the root; empty: all
	Exclude []string
	// SkipTests drops test files and directories (IsTestFile).
	SkipTests bool
	// Languages selects "python", "javascript", "typescript"; empty: all.
	Languages []string
}

// ValidatePatterns checks the globs of o.
func (o Options) ValidatePatterns() error {
	for _, p := range append(append([]string(nil), o.Include...), o.Exclude...) {
		if !doublestar.ValidatePattern(p) {
			return fmt.Errorf("invalid glob %q", p)
		}
	}
	return nil
}

// File is a candidate source file.
type File struct {
	Path string // slash-separated, relative to the root
	Abs  string // path to open
	Size int64
}

// Reason says why a file was skipped: a stable code that clients may
// compare (ParseStats.skipped[].reason on the wire).
type Reason string

// Reasons for skipping a file.
const (
	ReasonTooLarge = Reason("too_large") // over the size cap
	ReasonBinary   = Reason("binary")    // NUL bytes
	// ReasonUndecodable: not valid in its declared (PEP 263) encoding, an
	// encoding Go does not know, or not UTF-8 without a declaration.
	ReasonUndecodable = Reason("undecodable")
	// ReasonOutsideRepository: a symlink whose target leaves the root.
	ReasonOutsideRepository = Reason("outside_repository")
	// ReasonUnreadable: the file (or a symlinked directory, which is not
	// followed) could not be read.
	ReasonUnreadable = Reason("unreadable")
	// ReasonDeclaration: a TypeScript declaration file (.d.ts), types only.
	ReasonDeclaration = Reason("declaration")
	// ReasonVendored: a node_modules directory (one entry per directory,
	// not entered), reported when JavaScript or TypeScript is selected.
	ReasonVendored = Reason("vendored")
	// ReasonMinified: *.min.js or lines too long on average (IsMinified).
	ReasonMinified = Reason("minified")
	// ReasonGenerated: a bundle or generated file (IsGenerated).
	ReasonGenerated = Reason("generated")
	// ReasonCompiledOutput: a JavaScript file beside a TypeScript file of
	// the same name (a.js next to a.ts or a.tsx), the compiler's output;
	// both would be the same module, the source is read.
	ReasonCompiledOutput = Reason("compiled_output")
	// ReasonDuplicateModule: a file beside another of the same module and
	// language (a.mjs next to a.js), which import resolution prefers
	// (jsast.Extensions order).
	ReasonDuplicateModule = Reason("duplicate_module")
)

// Skipped is a file that was not parsed.
type Skipped struct {
	Path   string
	Reason Reason
	Detail string
}

// prunedDirs are never entered: version control, caches, vendored
// dependencies and virtual environments.
var prunedDirs = map[string]bool{
	"__pycache__": true, "node_modules": true, "site-packages": true, "dist-packages": true,
}

// Walk lists the source files (of the selected languages) under root (an absolute, symlink-free directory)
// in path order, with the files it refused.
func Walk(ctx context.Context, root string, opts Options) ([]File, []Skipped, error) {
	langs, err := newLanguageSet(opts.Languages)
	if err != nil {
		return nil, nil, err
	}
	var files []File
	var skipped []Skipped
	// node_modules directories are reported in a JavaScript/TypeScript
	// repository only (one with a source file of those languages).
	var vendored []Skipped
	hasJS := false
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			skipped = append(skipped, Skipped{Path: filepath.ToSlash(rel), Reason: ReasonUnreadable, Detail: errDetail(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("relative path of %s: %w", p, err)
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if name == "node_modules" && langs.anyJS() && !matchAny(opts.Exclude, rel) {
				vendored = append(vendored, Skipped{Path: rel, Reason: ReasonVendored, Detail: "dependencies installed by npm"})
			}
			if skipDir(p, name) || matchAny(opts.Exclude, rel) || (opts.SkipTests && IsTestDir(rel)) {
				return fs.SkipDir
			}
			return nil
		}
		if !langs.wants(name) || !selected(opts, rel) {
			return nil
		}
		if jsast.IsDeclaration(name) {
			skipped = append(skipped, Skipped{Path: rel, Reason: ReasonDeclaration, Detail: "TypeScript declaration file"})
			return nil
		}
		if isJS := jsast.DialectOf(name) != jsast.NotJS; isJS {
			hasJS = true
			if isMinifiedName(name) {
				skipped = append(skipped, Skipped{Path: rel, Reason: ReasonMinified, Detail: "minified file name"})
				return nil
			}
		}
		if d.Type()&fs.ModeSymlink != 0 {
			f, skip := resolveSymlink(root, p, rel)
			if skip != nil {
				skipped = append(skipped, *skip)
			} else if f != nil {
				files = append(files, *f)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			// An unreadable file is reported and skipped; the walk goes on.
			skipped = append(skipped, Skipped{Path: rel, Reason: ReasonUnreadable, Detail: errDetail(err)})
			return nil //nolint:nilerr // recorded in skipped
		}
		files = append(files, File{Path: rel, Abs: p, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("walking %s: %w", root, err)
	}
	if hasJS {
		skipped = append(skipped, vendored...)
	}
	sort.Slice(files, func(a, b int) bool { return files[a].Path < files[b].Path })
	files, shadowed := dropShadowed(files)
	return files, append(skipped, shadowed...), nil
}

func skipDir(abs, name string) bool {
	if strings.HasPrefix(name, ".") || prunedDirs[name] {
		return true
	}
	// A virtual environment.
	if _, err := os.Lstat(filepath.Join(abs, "pyvenv.cfg")); err == nil {
		return true
	}
	return false
}

func selected(opts Options, rel string) bool {
	if len(opts.Include) > 0 && !matchAny(opts.Include, rel) {
		return false
	}
	if matchAny(opts.Exclude, rel) {
		return false
	}
	return !opts.SkipTests || !IsTestFile(rel)
}

// testDirs are directory names that hold tests by convention.
var testDirs = map[string]bool{"test": true, "tests": true, "testing": true}

// IsTestDir reports whether the directory at slash path rel (relative to
// the root) holds tests by convention: named test, tests or testing, a name
// starting with test_ or ending with _test or _tests (idle_test,
// integration_tests), or a top-level directory named integration. Never a
// substring match: latest/, contest/ and attestation/ are library code.
func IsTestDir(rel string) bool {
	name := path.Base(rel)
	return testDirs[name] || strings.HasPrefix(name, "test_") || strings.HasSuffix(name, "_test") ||
		strings.HasSuffix(name, "_tests") || rel == "integration"
}

// IsTestFile reports whether the file at slash path rel (relative to the
// root) is a test by convention: test_*.py, *_test.py, tests.py or
// conftest.py, or any file under a test directory (IsTestDir). A module
// named test.py or testapp.py is not a test: werkzeug's test client is
// library code.
func IsTestFile(rel string) bool {
	if jsast.DialectOf(rel) != jsast.NotJS {
		return isJSTestFile(rel)
	}
	name := strings.TrimSuffix(path.Base(rel), ".py")
	if strings.HasPrefix(name, "test_") || strings.HasSuffix(name, "_test") || name == "tests" || name == "conftest" {
		return true
	}
	for dir := path.Dir(rel); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if IsTestDir(dir) {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if ok, _ := doublestar.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// resolveSymlink accepts a symlink to a regular file inside root.
func resolveSymlink(root, p, rel string) (*File, *Skipped) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, &Skipped{Path: rel, Reason: ReasonUnreadable, Detail: errDetail(err)}
	}
	if !Within(root, target) {
		return nil, &Skipped{Path: rel, Reason: ReasonOutsideRepository, Detail: "symlink to a file outside the repository"}
	}
	info, err := os.Stat(target)
	if err != nil {
		return nil, &Skipped{Path: rel, Reason: ReasonUnreadable, Detail: errDetail(err)}
	}
	if info.IsDir() {
		return nil, &Skipped{Path: rel, Reason: ReasonUnreadable, Detail: "symlinked directory not followed"}
	}
	if !info.Mode().IsRegular() {
		return nil, nil
	}
	return &File{Path: rel, Abs: target, Size: info.Size()}, nil
}

// Within reports whether p is root or below it (both cleaned, absolute).
func Within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// ErrSkip wraps the reason a file could not be used.
var ErrSkip = errors.New("file skipped")

// SkipError carries the reason of a skipped file.
type SkipError struct {
	Reason Reason
	Detail string
}

func (e *SkipError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s: %s", e.Reason, e.Detail)
	}
	return string(e.Reason)
}

// Unwrap makes errors.Is(err, ErrSkip) true.
func (e *SkipError) Unwrap() error { return ErrSkip }

// ReadSource reads a file for parsing: at most maxBytes, no NUL bytes,
// decoded to UTF-8 (Decode).
func ReadSource(f File, maxBytes int64) ([]byte, error) {
	if maxBytes > 0 && f.Size > maxBytes {
		return nil, &SkipError{Reason: ReasonTooLarge, Detail: fmt.Sprintf("%d bytes, over the cap of %d", f.Size, maxBytes)}
	}
	fh, err := os.Open(f.Abs)
	if err != nil {
		return nil, &SkipError{Reason: ReasonUnreadable, Detail: errDetail(err)}
	}
	defer func() { _ = fh.Close() }() // read-only: nothing to flush
	limit := maxBytes
	if limit <= 0 {
		limit = 1 << 62
	}
	src, err := readLimited(fh, f.Size, limit)
	if err != nil {
		return nil, &SkipError{Reason: ReasonUnreadable, Detail: errDetail(err)}
	}
	if int64(len(src)) > limit {
		return nil, &SkipError{Reason: ReasonTooLarge, Detail: fmt.Sprintf("grew over the cap of %d bytes while reading", limit)}
	}
	return CheckSource(src)
}

// readLimited reads r to the end or until it has more than limit bytes,
// into a buffer sized from the file's stat size (io.ReadAll would regrow
// from 512 bytes).
func readLimited(r io.Reader, size, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(max(size, 0), limit)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, nil
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// CheckSource applies the content checks of ReadSource to src and returns
// it decoded to UTF-8 (Decode).
func CheckSource(src []byte) ([]byte, error) {
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, &SkipError{Reason: ReasonBinary, Detail: fmt.Sprintf("NUL byte at offset %d", bytes.IndexByte(src, 0))}
	}
	return Decode(src)
}

// errDetail is err without the local path a *fs.PathError carries: skipped
// files are reported to clients, which must not learn the server's paths.
func errDetail(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
