// Package server implements query4code.docs.v1.DocsService: API popularity
// from corpus call counts and a download prior, and documentation of the
// unpopular APIs from installed Python environments, a repository's
// node_modules (npm APIs), the web and a cache.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"

	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	"github.com/query4code/query4code/services/docs/internal/apidoc"
	"github.com/query4code/query4code/services/docs/internal/cache"
	"github.com/query4code/query4code/services/docs/internal/installed"
	"github.com/query4code/query4code/services/docs/internal/lookup"
	"github.com/query4code/query4code/services/docs/internal/npm"
	"github.com/query4code/query4code/services/docs/internal/popularity"
	"github.com/query4code/query4code/services/docs/internal/web"
)

// Config configures the service. DefaultConfig gives the values that run
// on one machine.
type Config struct {
	// PopularityPath is the bbolt file of corpus call-site counts; empty
	// keeps them in memory.
	PopularityPath string
	// MinCallSites and MinDownloads are the popularity thresholds (see
	// popularity.Thresholds; 0 switches a rule off).
	MinCallSites int64
	MinDownloads int64

	// CachePath is the bbolt documentation cache; empty disables caching.
	CachePath string
	// CacheTTL bounds the life of a found document (0: until the package
	// version changes); NegativeCacheTTL that of a miss (0: 24h).
	CacheTTL         time.Duration
	NegativeCacheTTL time.Duration

	// DisableInstalled switches the installed-environment provider off.
	DisableInstalled bool
	// PythonPaths are environment directories searched in order:
	// site-packages, dist-packages, a repository's vendored code.
	PythonPaths []string
	// Virtualenvs are virtualenv roots; their site-packages follow PythonPaths.
	Virtualenvs []string
	// Python is the interpreter whose sys.path is used when PythonPaths and
	// Virtualenvs are both empty (default "python3").
	Python string

	// WebEnabled switches the web provider on (off by default).
	WebEnabled bool
	// WebSearchURL, WebAllowedDomains, WebTimeout and WebPerHostInterval
	// tune it; zero values take web's defaults.
	WebSearchURL       string
	WebAllowedDomains  []string
	WebTimeout         time.Duration
	WebPerHostInterval time.Duration

	// AllowedRoots are the directories a request's repository_path (whose
	// node_modules documents npm APIs) must lie in. Empty refuses every
	// repository_path; DefaultConfig allows the working directory, as the
	// parser does.
	AllowedRoots []string

	// DocBudget is the default character budget per API (signature plus
	// docstring); requests may ask for another.
	DocBudget int
	// Concurrency bounds the provider lookups one batch runs at once.
	Concurrency int

	// Logger receives internal errors and start-up notes (default slog.Default()).
	Logger *slog.Logger
}

// DefaultConfig: counts in memory, no cache file, the installed provider on
// the sys.path of python3, the web off, default thresholds and budget.
func DefaultConfig() Config {
	th := popularity.DefaultThresholds()
	cfg := Config{
		MinCallSites: th.MinCallSites,
		MinDownloads: th.MinDownloads,
		Python:       "python3",
		DocBudget:    lookup.DefaultDocBudget,
		Concurrency:  lookup.DefaultConcurrency,
	}
	if wd, err := os.Getwd(); err == nil {
		cfg.AllowedRoots = []string{wd}
	}
	return cfg
}

// Server implements docsv1.DocsServiceServer.
type Server struct {
	docsv1.UnimplementedDocsServiceServer

	store  *popularity.Store
	cache  *cache.Cache
	web    *web.Provider
	engine *lookup.Engine
	log    *slog.Logger
	// roots are the allowed roots, absolute with symlinks resolved.
	roots []string
}

// New opens the stores and providers cfg names. Close releases them.
func New(cfg Config) (_ *Server, err error) {
	s := &Server{log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()

	for _, r := range cfg.AllowedRoots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("allowed root %q: %w", r, err)
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		s.roots = append(s.roots, abs)
	}
	if s.store, err = popularity.OpenStore(cfg.PopularityPath); err != nil {
		return nil, err
	}
	prior, err := popularity.EmbeddedPrior()
	if err != nil {
		return nil, err
	}
	var inst *installed.Provider
	if !cfg.DisableInstalled {
		if inst, err = s.installedProvider(cfg); err != nil {
			return nil, err
		}
	}
	if inst != nil {
		mapped := 0
		for _, d := range inst.Distributions() {
			if prior.MapInstalled(d.Name, d.ImportNames) {
				mapped++
			}
		}
		s.log.Info("docs: installed python environments", "roots", inst.Roots(), "distributions_in_prior", mapped)
	}
	if cfg.CachePath != "" {
		s.cache, err = cache.Open(cfg.CachePath, cache.Options{TTL: cfg.CacheTTL, NegativeTTL: cfg.NegativeCacheTTL})
		if err != nil {
			return nil, err
		}
	}
	if cfg.WebEnabled {
		s.web, err = web.New(web.Config{
			SearchURL:       cfg.WebSearchURL,
			AllowedDomains:  cfg.WebAllowedDomains,
			Timeout:         cfg.WebTimeout,
			PerHostInterval: cfg.WebPerHostInterval,
		})
		if err != nil {
			return nil, err
		}
	}
	thresholds := popularity.Thresholds{MinCallSites: cfg.MinCallSites, MinDownloads: cfg.MinDownloads}
	s.engine, err = lookup.New(lookup.Config{
		Tracker:     popularity.NewTracker(s.store, prior, thresholds),
		Installed:   inst,
		NPM:         npm.New(npm.Options{}),
		Web:         s.web,
		Cache:       s.cache,
		DocBudget:   cfg.DocBudget,
		Concurrency: cfg.Concurrency,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// installedProvider builds the installed provider from explicit paths, or
// else from the interpreter's sys.path. Without explicit paths, a missing
// interpreter leaves the provider off rather than failing the service.
func (s *Server) installedProvider(cfg Config) (*installed.Provider, error) {
	roots := append([]string(nil), cfg.PythonPaths...)
	for _, venv := range cfg.Virtualenvs {
		paths, err := installed.VirtualenvPaths(venv)
		if err != nil {
			return nil, err
		}
		roots = append(roots, paths...)
	}
	if len(roots) == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		paths, err := installed.DefaultPaths(ctx, cfg.Python)
		if err != nil {
			s.log.Warn("docs: installed provider off: no python environment", "error", err)
			return nil, nil
		}
		roots = paths
	}
	return installed.New(roots, installed.Options{})
}

// Register adds the service to a gRPC server.
func (s *Server) Register(reg grpc.ServiceRegistrar) { docsv1.RegisterDocsServiceServer(reg, s) }

// Close releases the files and connections.
func (s *Server) Close() error {
	var errs []error
	if s.web != nil {
		s.web.Close()
	}
	if s.cache != nil {
		errs = append(errs, s.cache.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	return errors.Join(errs...)
}

// RecordUsage adds a repository's call counts to the corpus.
func (s *Server) RecordUsage(ctx context.Context, req *docsv1.RecordUsageRequest) (*docsv1.RecordUsageResponse, error) {
	if req.GetRepository() == "" {
		return nil, s.toStatus(ctx, errEmptyRepository)
	}
	res, err := s.store.Record(req.GetRepository(), req.GetCallCounts())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &docsv1.RecordUsageResponse{
		Apis:         int32(min(res.APIs, maxInt32)),
		CallSites:    res.CallSites,
		Repositories: int32(min(res.CorpusRepositories, maxInt32)),
	}, nil
}

const maxInt32 = 1<<31 - 1

var errEmptyRepository = errors.New("repository must name the repository the counts come from")

// LookupAPIs answers popularity and documentation for a batch of APIs.
func (s *Server) LookupAPIs(ctx context.Context, req *docsv1.LookupAPIsRequest) (*docsv1.LookupAPIsResponse, error) {
	if len(req.GetApis()) == 0 {
		return nil, s.toStatus(ctx, errNoAPIs)
	}
	if req.GetMaxDocChars() < 0 {
		return nil, s.toStatus(ctx, fmt.Errorf("%w: %d", errNegativeBudget, req.GetMaxDocChars()))
	}
	lang, err := apidoc.ParseLanguage(req.GetLanguage())
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("%w: %w", errUnknownLanguage, err))
	}
	repo, err := s.repository(lang, req.GetRepositoryPath())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	results, err := s.engine.Lookup(ctx, lookup.Request{
		APIs:           req.GetApis(),
		IncludePopular: req.GetIncludePopular(),
		DocBudget:      int(req.GetMaxDocChars()),
		Language:       lang,
		Repository:     repo,
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &docsv1.LookupAPIsResponse{Apis: make([]*docsv1.APIInfo, len(results))}
	for i, r := range results {
		resp.Apis[i] = apiInfo(r)
	}
	return resp, nil
}

var (
	errNoAPIs          = errors.New("apis must name at least one API")
	errNegativeBudget  = errors.New("max_doc_chars must not be negative")
	errUnknownLanguage = errors.New("unknown language")

	errRepositoryForPython = errors.New("repository_path documents npm APIs: it needs language javascript or typescript")
	errBadRepositoryPath   = errors.New("repository_path is not a usable path")
	errRepositoryNotFound  = errors.New("repository_path does not exist")
	errRepositoryNotDir    = errors.New("repository_path is not a directory")
	errOutsideAllowedRoots = errors.New("repository_path is outside the docs server's allowed roots")
	errNoAllowedRoots      = errors.New("this docs server allows no repository_path (start it with --allowed-roots)")
)

// repository checks a request's repository_path and returns it absolute
// with symlinks resolved, so what the providers read is what was checked.
func (s *Server) repository(lang apidoc.Language, path string) (string, error) {
	switch {
	case path == "":
		return "", nil
	case lang != apidoc.LanguageNPM:
		return "", errRepositoryForPython
	case strings.ContainsRune(path, 0):
		return "", fmt.Errorf("%w: it contains a NUL byte", errBadRepositoryPath)
	case len(s.roots) == 0:
		return "", errNoAllowedRoots
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errBadRepositoryPath, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: %s", errRepositoryNotFound, path)
		}
		return "", fmt.Errorf("%w: %s: %w", errBadRepositoryPath, path, err)
	}
	inside := false
	for _, root := range s.roots {
		if rel, err := filepath.Rel(root, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			inside = true
			break
		}
	}
	if !inside {
		return "", fmt.Errorf("%w: %s", errOutsideAllowedRoots, path)
	}
	if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%w: %s", errRepositoryNotDir, path)
	}
	return real, nil
}

func apiInfo(r lookup.Result) *docsv1.APIInfo {
	d := r.Popularity
	info := &docsv1.APIInfo{
		Api: r.API,
		Popularity: &docsv1.Popularity{
			CallSites:           d.CallSites,
			PackageDownloads:    d.Package.Downloads,
			Package:             d.Package.Distribution,
			Popular:             d.Popular,
			Reason:              d.Explanation,
			MinCallSites:        d.Thresholds.MinCallSites,
			MinPackageDownloads: d.Thresholds.MinDownloads,
		},
		NotFound: r.NotFound,
	}
	if r.Doc != nil {
		info.Doc = &docsv1.APIDoc{
			Signature: r.Doc.Signature,
			Docstring: r.Doc.Docstring,
			Source:    docSource(r.Doc.Source),
			Location:  r.Doc.Location,
			Version:   r.Doc.Version,
			Truncated: r.Doc.Truncated,
		}
	}
	return info
}

func docSource(s apidoc.Source) docsv1.DocSource {
	switch s {
	case apidoc.SourceInstalled:
		return docsv1.DocSource_DOC_SOURCE_INSTALLED
	case apidoc.SourceWeb:
		return docsv1.DocSource_DOC_SOURCE_WEB
	case apidoc.SourceCache:
		return docsv1.DocSource_DOC_SOURCE_CACHE
	case apidoc.SourceNone:
		return docsv1.DocSource_DOC_SOURCE_NONE
	}
	return docsv1.DocSource_DOC_SOURCE_UNSPECIFIED
}
