package lookup

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
	"github.com/query4code/query4code/services/docs/internal/cache"
	"github.com/query4code/query4code/services/docs/internal/installed"
	"github.com/query4code/query4code/services/docs/internal/npm"
	"github.com/query4code/query4code/services/docs/internal/popularity"
)

const npmFixtureRepo = "../npm/testdata/repo"

// npmEngine documents Python APIs from the installed fixture and npm APIs
// from the npm fixture's node_modules, with a cache at cachePath.
func npmEngine(t *testing.T, cachePath string) (*Engine, *popularity.Store) {
	t.Helper()
	store, err := popularity.OpenStore("")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := installed.New([]string{fixtureSitePackages}, installed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.Open(cachePath, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	prior, err := popularity.EmbeddedPrior()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{
		Tracker:   popularity.NewTracker(store, prior, popularity.DefaultThresholds()),
		Installed: inst, NPM: npm.New(npm.Options{}), Cache: c,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, store
}

func TestLookupNPM(t *testing.T) {
	e, store := npmEngine(t, filepath.Join(t.TempDir(), "docs.db"))
	if _, err := store.Record("web-app", map[string]int64{"js-only.rightPad": 40}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := Request{
		APIs:       []string{"typed-pkg.Client.send", "requests.get", "fs.readFile", "js-only.rightPad", "typed-pkg.nope", "nothere.x"},
		Language:   apidoc.LanguageNPM,
		Repository: npmFixtureRepo,
	}
	res, err := e.Lookup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	checkDoc(t, res[0], apidoc.SourceInstalled, "send(message: string, retries?: number): Promise<void>", "2.1.0")
	// "requests" is the most downloaded PyPI package, but an npm "requests"
	// is another package: no prior, unpopular, not installed here.
	if r := res[1]; r.Popularity.Popular || r.Popularity.Package.Downloads != 0 || !strings.Contains(r.NotFound, `package "requests" is not installed`) {
		t.Errorf("requests.get as npm = %+v", r)
	}
	if r := res[2]; !r.Popularity.Popular || r.Popularity.Reason != popularity.ReasonStandardLibrary || r.LookedUp {
		t.Errorf("fs.readFile = %+v", r)
	}
	if r := res[3]; !r.Popularity.Popular || r.LookedUp || r.Popularity.CallSites != 40 {
		t.Errorf("js-only.rightPad (40 call sites) = %+v", r)
	}
	if r := res[4]; r.Doc != nil || !strings.Contains(r.NotFound, `not found: node_modules: package "typed-pkg"@2.1.0 exports no "nope"`) {
		t.Errorf("typed-pkg.nope = %+v", r)
	}

	// Second time round: the found doc and the installed package's miss come
	// from the cache; the uninstalled package's miss is asked again.
	res, err = e.Lookup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	checkDoc(t, res[0], apidoc.SourceCache, "send(", "2.1.0")
	if !strings.HasSuffix(res[4].NotFound, "(cached)") || strings.HasSuffix(res[5].NotFound, "(cached)") {
		t.Errorf("misses: %q / %q; want only the installed package's cached", res[4].NotFound, res[5].NotFound)
	}

	// Include popular: documented, except the standard library.
	req.IncludePopular = true
	res, err = e.Lookup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res[2].LookedUp || res[2].Doc != nil || res[3].Doc == nil {
		t.Errorf("include_popular: fs.readFile %+v, js-only.rightPad %+v", res[2], res[3])
	}
}

func TestLookupNPMWithoutRepository(t *testing.T) {
	e, _ := npmEngine(t, filepath.Join(t.TempDir(), "docs.db"))
	res, err := e.Lookup(context.Background(), Request{APIs: []string{"@scope/pkg.fn"}, Language: apidoc.LanguageNPM})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Doc != nil || !strings.Contains(r.NotFound, "no repository_path") {
		t.Errorf("no repository: %+v", r)
	}
	// The same name as Python is malformed; as npm it is fine.
	if _, err := e.Lookup(context.Background(), Request{APIs: []string{"@scope/pkg.fn"}}); err == nil {
		t.Error("a scoped npm name passed as Python")
	}
}

// A Python API and an npm API of one name do not share a cache entry.
func TestNPMAndPythonCacheApart(t *testing.T) {
	e, _ := npmEngine(t, filepath.Join(t.TempDir(), "docs.db"))
	ctx := context.Background()
	py, err := e.Lookup(ctx, Request{APIs: []string{"fixturepkg.build"}})
	if err != nil {
		t.Fatal(err)
	}
	js, err := e.Lookup(ctx, Request{APIs: []string{"fixturepkg.build"}, Language: apidoc.LanguageNPM, Repository: npmFixtureRepo})
	if err != nil {
		t.Fatal(err)
	}
	if py[0].Doc == nil || js[0].Doc != nil || !strings.Contains(js[0].NotFound, `package "fixturepkg" is not installed`) {
		t.Errorf("python %+v / npm %+v", py[0], js[0])
	}
}
