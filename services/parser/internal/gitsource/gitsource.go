// Package gitsource clones a remote git repository into a temporary
// directory for parsing. Only https URLs to allowlisted hosts are accepted:
// file://, ssh://, scp-like and local paths would let a request read the
// parser's own disk or reach internal hosts.
package gitsource

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

var (
	// ErrURLNotAllowed: the URL's scheme or host is refused.
	ErrURLNotAllowed = errors.New("git URL not allowed")
	// ErrRevisionNotFound: the branch, tag or commit does not exist.
	ErrRevisionNotFound = errors.New("git revision not found")
	// ErrClone: the clone failed for another reason (network, auth, size).
	ErrClone = errors.New("git clone failed")
)

// Cloner clones repositories. The zero value refuses every host.
type Cloner struct {
	// AllowedHosts are host names (no port) that may be cloned from, e.g.
	// "github.com". A leading "*." allows subdomains.
	AllowedHosts []string
	// TempDir is where clones are made (default os.TempDir()).
	TempDir string
	// CABundle, when set, is the PEM bundle trusted for https instead of the
	// system roots (tests use their own certificate authority).
	CABundle []byte
}

// Checkout is a cloned work tree. Remove deletes it.
type Checkout struct {
	Dir    string
	Commit string
}

// Remove deletes the clone.
func (c *Checkout) Remove() error { return os.RemoveAll(c.Dir) }

var hexRevision = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)

// CheckURL reports whether rawURL may be cloned.
func (c *Cloner) CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrURLNotAllowed, rawURL, err)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%w: %q: only https URLs are accepted", ErrURLNotAllowed, rawURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: %q: credentials in the URL are refused", ErrURLNotAllowed, redactUser(u))
	}
	host := strings.ToLower(u.Hostname())
	for _, allowed := range c.AllowedHosts {
		allowed = strings.ToLower(allowed)
		if host == allowed || (strings.HasPrefix(allowed, "*.") && strings.HasSuffix(host, allowed[1:])) {
			return nil
		}
	}
	return fmt.Errorf("%w: host %q is not on the allowlist", ErrURLNotAllowed, host)
}

func redactUser(u *url.URL) string {
	c := *u
	c.User = url.User("redacted")
	return c.String()
}

// Clone fetches revision (a branch, tag or commit; empty: the default
// branch) of rawURL. Branches and tags are cloned with depth 1; a commit id
// needs the history, so it is cloned whole and checked out.
func (c *Cloner) Clone(ctx context.Context, rawURL, revision string) (*Checkout, error) {
	if err := c.CheckURL(rawURL); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(c.TempDir, "q4c-clone-")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClone, err)
	}
	co, err := c.clone(ctx, dir, rawURL, revision)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return co, nil
}

func (c *Cloner) clone(ctx context.Context, dir, rawURL, revision string) (*Checkout, error) {
	opts := func(ref plumbing.ReferenceName, depth int) *git.CloneOptions {
		return &git.CloneOptions{URL: rawURL, ReferenceName: ref, SingleBranch: ref != "", Depth: depth, Tags: git.NoTags}
	}
	attempts := []*git.CloneOptions{opts("", 1)}
	if revision != "" {
		attempts = []*git.CloneOptions{opts(plumbing.NewBranchReferenceName(revision), 1), opts(plumbing.NewTagReferenceName(revision), 1)}
	}
	var lastErr error
	for _, o := range attempts {
		repo, err := c.cloneInto(ctx, dir, o)
		if err == nil {
			return checkoutOf(dir, repo)
		}
		lastErr = err
		if !isRefNotFound(err) {
			return nil, classify(rawURL, err)
		}
		if err := resetDir(dir); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrClone, err)
		}
	}
	if revision != "" && hexRevision.MatchString(revision) {
		repo, err := c.cloneInto(ctx, dir, opts("", 0))
		if err != nil {
			return nil, classify(rawURL, err)
		}
		hash, err := repo.ResolveRevision(plumbing.Revision(revision))
		if err != nil {
			return nil, fmt.Errorf("%w: %q in %s", ErrRevisionNotFound, revision, rawURL)
		}
		wt, err := repo.Worktree()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrClone, err)
		}
		if err := wt.Checkout(&git.CheckoutOptions{Hash: *hash, Force: true}); err != nil {
			return nil, fmt.Errorf("%w: checkout %s: %w", ErrClone, revision, err)
		}
		return &Checkout{Dir: dir, Commit: hash.String()}, nil
	}
	if isRefNotFound(lastErr) {
		return nil, fmt.Errorf("%w: %q in %s", ErrRevisionNotFound, revision, rawURL)
	}
	return nil, classify(rawURL, lastErr)
}

func (c *Cloner) cloneInto(ctx context.Context, dir string, o *git.CloneOptions) (*git.Repository, error) {
	o.CABundle = c.CABundle
	return git.PlainCloneContext(ctx, dir, false, o)
}

func checkoutOf(dir string, repo *git.Repository) (*Checkout, error) {
	head, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("%w: read HEAD: %w", ErrClone, err)
	}
	return &Checkout{Dir: dir, Commit: head.Hash().String()}, nil
}

func isRefNotFound(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, plumbing.ErrReferenceNotFound) || strings.Contains(err.Error(), "couldn't find remote ref")
}

func classify(rawURL string, err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%w: %s: repository not found", ErrClone, rawURL)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%w: %s: authentication required (only public repositories are supported)", ErrClone, rawURL)
	}
	return fmt.Errorf("%w: %s: %w", ErrClone, rawURL, err)
}

func resetDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
