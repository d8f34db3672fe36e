// Package lookup answers a batch of API names: for each, the popularity
// decision, and for the unpopular ones (or all, on request) documentation
// from the cache, else the installed Python environments, else the web; for
// npm APIs (JavaScript and TypeScript) from the cache, else the request's
// repository's node_modules.
package lookup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
	"github.com/query4code/query4code/services/docs/internal/cache"
	"github.com/query4code/query4code/services/docs/internal/installed"
	"github.com/query4code/query4code/services/docs/internal/npm"
	"github.com/query4code/query4code/services/docs/internal/popularity"
	"github.com/query4code/query4code/services/docs/internal/web"
)

// Defaults for Config.
const (
	DefaultDocBudget       = 2000
	DefaultConcurrency     = 8
	DefaultWebBatchTimeout = 30 * time.Second
)

// Config wires an Engine. Tracker is required; a nil provider is off.
type Config struct {
	Tracker   *popularity.Tracker
	Installed *installed.Provider
	// NPM documents npm APIs from the node_modules of a request's repository.
	NPM   *npm.Provider
	Web   *web.Provider
	Cache *cache.Cache
	// DocBudget is the default character budget of one API's signature
	// plus docstring (default DefaultDocBudget).
	DocBudget int
	// Concurrency bounds the provider lookups of one batch run at once
	// (default DefaultConcurrency).
	Concurrency int
	// WebBatchTimeout bounds the time one batch spends on the web; lookups
	// still waiting then degrade to not found (default DefaultWebBatchTimeout).
	WebBatchTimeout time.Duration
}

// Engine is safe for concurrent use.
type Engine struct{ cfg Config }

// New checks cfg.
func New(cfg Config) (*Engine, error) {
	if cfg.Tracker == nil {
		return nil, errors.New("lookup engine: no popularity tracker")
	}
	if cfg.DocBudget <= 0 {
		cfg.DocBudget = DefaultDocBudget
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.WebBatchTimeout <= 0 {
		cfg.WebBatchTimeout = DefaultWebBatchTimeout
	}
	return &Engine{cfg: cfg}, nil
}

// Request is one batch.
type Request struct {
	APIs []string
	// IncludePopular documents popular APIs too.
	IncludePopular bool
	// DocBudget overrides the engine's budget when > 0.
	DocBudget int
	// Thresholds override the tracker's defaults when not nil.
	Thresholds *popularity.Thresholds
	// Language is the family of the names: Python import paths (the zero
	// value) or npm paths.
	Language apidoc.Language
	// Repository is the directory whose node_modules documents npm APIs,
	// already checked against the server's allowed roots; "" gives npm APIs
	// popularity only.
	Repository string
}

// Result answers for one API of a batch.
type Result struct {
	API        string
	Popularity popularity.Decision
	// LookedUp is true when documentation was sought (unpopular, or
	// IncludePopular).
	LookedUp bool
	// Doc is set when documentation was found; Doc.Source is cache when it
	// was served from the cache.
	Doc *apidoc.Doc
	// NotFound says why, when documentation was sought and none was found.
	NotFound string
}

// InvalidAPIError reports the malformed name at Index of a request; it
// wraps an *apidoc.NameError.
type InvalidAPIError struct {
	Index int
	Err   error
}

func (e *InvalidAPIError) Error() string { return fmt.Sprintf("apis[%d]: %v", e.Index, e.Err) }
func (e *InvalidAPIError) Unwrap() error { return e.Err }

// answer is the lookup outcome of one distinct API.
type answer struct {
	doc      *apidoc.Doc
	notFound string
	// definitive: every enabled provider said "not found" (cacheable miss).
	definitive bool
	fromCache  bool
}

// Lookup answers req in request order. A malformed name fails the whole
// batch with *InvalidAPIError; an API nobody documents is a per-item
// NotFound; a failing provider degrades to the next one, then to NotFound.
func (e *Engine) Lookup(ctx context.Context, req Request) ([]Result, error) {
	for i, api := range req.APIs {
		if err := apidoc.ValidateNameFor(req.Language, api); err != nil {
			return nil, &InvalidAPIError{Index: i, Err: err}
		}
	}
	budget := e.cfg.DocBudget
	if req.DocBudget > 0 {
		budget = req.DocBudget
	}

	results := make([]Result, len(req.APIs))
	// Each distinct API that needs documentation is looked up once.
	var todo []string
	slot := map[string]int{}
	for i, api := range req.APIs {
		var d popularity.Decision
		if req.Language == apidoc.LanguageNPM {
			d = e.cfg.Tracker.DecideNPM(api, req.Thresholds)
		} else {
			d = e.cfg.Tracker.Decide(api, req.Thresholds)
		}
		// The standard library needs no documentation, even on request.
		lookUp := !d.Popular || (req.IncludePopular && d.Reason != popularity.ReasonStandardLibrary)
		results[i] = Result{API: api, Popularity: d, LookedUp: lookUp}
		if _, dup := slot[api]; results[i].LookedUp && !dup {
			slot[api] = len(todo)
			todo = append(todo, api)
		}
	}
	answers, err := e.documentAll(ctx, req, todo)
	if err != nil {
		return nil, err
	}
	for i := range results {
		if !results[i].LookedUp {
			continue
		}
		a := answers[slot[results[i].API]]
		if a.doc == nil {
			results[i].NotFound = a.notFound
			continue
		}
		doc := apidoc.Trim(*a.doc, budget)
		doc.API = results[i].API
		if a.fromCache {
			doc.Source = apidoc.SourceCache
		}
		results[i].Doc = &doc
	}
	return results, nil
}

// documentAll answers apis from the cache, then asks the providers about
// the rest concurrently and caches what they said.
func (e *Engine) documentAll(ctx context.Context, req Request, apis []string) ([]answer, error) {
	answers := make([]answer, len(apis))
	if len(apis) == 0 {
		return answers, nil
	}
	keys := make([]cache.Key, len(apis))
	for i, api := range apis {
		keys[i] = e.cacheKey(ctx, req, api)
	}
	var missing []int
	if e.cfg.Cache != nil {
		entries, found, err := e.cfg.Cache.GetMany(keys)
		if err != nil {
			return nil, err
		}
		for i := range apis {
			switch {
			case !found[i]:
				missing = append(missing, i)
			case entries[i].Found:
				doc := entries[i].Doc
				answers[i] = answer{doc: &doc, fromCache: true}
			default:
				answers[i] = answer{notFound: entries[i].Reason + " (cached)", fromCache: true}
			}
		}
	} else {
		for i := range apis {
			missing = append(missing, i)
		}
	}

	// The web is slow and rate limited: it gets a deadline of its own so a
	// batch degrades instead of failing on the caller's deadline.
	webCtx, cancelWeb := context.WithTimeout(ctx, e.cfg.WebBatchTimeout)
	defer cancelWeb()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.Concurrency, len(missing)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if req.Language == apidoc.LanguageNPM {
					answers[i] = e.documentNPM(ctx, req.Repository, apis[i], keys[i].Version)
				} else {
					answers[i] = e.document(ctx, webCtx, apis[i], keys[i].Version)
				}
			}
		}()
	}
	for _, i := range missing {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if e.cfg.Cache != nil {
		var putKeys []cache.Key
		var putEntries []cache.Entry
		for _, i := range missing {
			a := answers[i]
			switch {
			case a.doc != nil:
				putKeys = append(putKeys, keys[i])
				putEntries = append(putEntries, cache.Entry{Found: true, Doc: *a.doc})
			case a.definitive:
				putKeys = append(putKeys, keys[i])
				putEntries = append(putEntries, cache.Entry{Reason: a.notFound})
			}
		}
		if err := e.cfg.Cache.PutMany(putKeys, putEntries); err != nil {
			return nil, err
		}
	}
	return answers, nil
}

// npmKeyPrefix keeps npm entries of the cache apart from Python ones of the
// same name: "yaml.parse" may be either.
const npmKeyPrefix = "npm:"

// cacheKey is an API's cache key: the name and the version installed where
// its documentation would be read.
func (e *Engine) cacheKey(ctx context.Context, req Request, api string) cache.Key {
	if req.Language == apidoc.LanguageNPM {
		k := cache.Key{API: npmKeyPrefix + api}
		if e.cfg.NPM != nil && req.Repository != "" {
			k.Version = e.cfg.NPM.Version(req.Repository, api)
		}
		return k
	}
	k := cache.Key{API: api}
	if e.cfg.Installed != nil {
		k.Version = e.cfg.Installed.Version(ctx, api)
	}
	return k
}

// documentNPM asks the repository's node_modules. A miss is cached only
// when the package is installed (version known): one installed later must
// not stay hidden behind an earlier miss.
func (e *Engine) documentNPM(ctx context.Context, repo, api, version string) answer {
	switch {
	case e.cfg.NPM == nil:
		return answer{notFound: "not found: the npm provider is off"}
	case repo == "":
		return answer{notFound: "not found: no repository_path, so no node_modules to read npm documentation from"}
	}
	doc, err := e.cfg.NPM.Lookup(ctx, repo, api)
	if err == nil {
		return answer{doc: &doc}
	}
	return answer{
		notFound:   "not found: node_modules: " + strings.TrimPrefix(err.Error(), apidoc.ErrNotFound.Error()+": "),
		definitive: errors.Is(err, apidoc.ErrNotFound) && version != "",
	}
}

// document asks the installed environments, then the web (under webCtx).
func (e *Engine) document(ctx, webCtx context.Context, api, version string) answer {
	if e.cfg.Installed == nil && e.cfg.Web == nil {
		return answer{notFound: "not found: no documentation provider is enabled"}
	}
	var reasons []string
	definitive := true
	var hint web.Hint
	if e.cfg.Installed != nil {
		doc, err := e.cfg.Installed.Lookup(ctx, api)
		if err == nil {
			return answer{doc: &doc}
		}
		if !errors.Is(err, apidoc.ErrNotFound) {
			definitive = false
		}
		reasons = append(reasons, "installed: "+strings.TrimPrefix(err.Error(), apidoc.ErrNotFound.Error()+": "))
		if d, ok := e.cfg.Installed.DistributionOf(api); ok {
			hint.DocsURL = d.DocsURL
		}
	}
	if e.cfg.Web != nil && ctx.Err() == nil {
		doc, err := e.cfg.Web.Lookup(webCtx, api, hint)
		if err == nil {
			doc.Version = version
			return answer{doc: &doc}
		}
		if !errors.Is(err, apidoc.ErrNotFound) {
			definitive = false
		}
		reasons = append(reasons, "web: "+strings.TrimPrefix(err.Error(), apidoc.ErrNotFound.Error()+": "))
	}
	return answer{notFound: "not found: " + strings.Join(reasons, "; "), definitive: definitive}
}
