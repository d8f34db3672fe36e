package lookup

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
	"github.com/query4code/query4code/services/docs/internal/cache"
	"github.com/query4code/query4code/services/docs/internal/installed"
	"github.com/query4code/query4code/services/docs/internal/popularity"
	"github.com/query4code/query4code/services/docs/internal/web"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixtureSitePackages is the installed package's test environment.
const fixtureSitePackages = "../installed/testdata/site-packages"

// docSite serves search results and documentation pages for three
// packages that are not installed: weblib (documented), slowlib (never
// answers) and junklib (serves junk).
type docSite struct {
	*httptest.Server
	searches atomic.Int64
	release  chan struct{}
}

func newDocSite(t *testing.T) *docSite {
	s := &docSite{release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/html/", func(w http.ResponseWriter, r *http.Request) {
		s.searches.Add(1)
		pkg, _, _ := strings.Cut(r.URL.Query().Get("q"), ".")
		w.Header().Set("Content-Type", "text/html")
		target := url.QueryEscape(s.URL + "/docs/" + pkg + ".html")
		_, _ = fmt.Fprintf(w, `<html><body><a class="result__a" href="//duckduckgo.com/l/?uddg=%s">%s</a></body></html>`, target, pkg)
	})
	mux.HandleFunc("/docs/weblib.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, `<html><body><dl><dt id="weblib.connect">weblib.connect(host, port=5432)</dt>
<dd><p>Open a connection to host.</p></dd></dl></body></html>`)
	})
	mux.HandleFunc("/docs/slowlib.html", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	})
	mux.HandleFunc("/docs/junklib.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, "\x00\x01<<garbage>> <dt id=") // mentions nothing
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

type fixture struct {
	engine *Engine
	site   *docSite
	store  *popularity.Store
	cache  *cache.Cache
}

func newFixture(t *testing.T, cachePath string) *fixture {
	t.Helper()
	store, err := popularity.OpenStore("")
	if err != nil {
		t.Fatal(err)
	}
	// fixturepkg.helpers.helper is called often in the corpus: popular.
	if _, err := store.Record("repo", map[string]int64{"fixturepkg.helpers.helper": 50, "fixturepkg.build": 2}); err != nil {
		t.Fatal(err)
	}
	tracker := popularity.NewTracker(store, nil, popularity.Thresholds{MinCallSites: 10})
	inst, err := installed.New([]string{fixtureSitePackages}, installed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	site := newDocSite(t)
	wp, err := web.New(web.Config{
		SearchURL: site.URL + "/html/", AllowedDomains: []string{"127.0.0.1"},
		Timeout: 100 * time.Millisecond, PerHostInterval: time.Microsecond, Transport: site.Client().Transport,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wp.Close)
	var c *cache.Cache
	if cachePath != "" {
		if c, err = cache.Open(cachePath, cache.Options{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	engine, err := New(Config{Tracker: tracker, Installed: inst, Web: wp, Cache: c, DocBudget: 500})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{engine: engine, site: site, store: store, cache: c}
}

func TestLookupBatch(t *testing.T) {
	f := newFixture(t, filepath.Join(t.TempDir(), "docs.db"))
	apis := []string{
		"fixturepkg.build",          // unpopular, installed
		"fixturepkg.helpers.helper", // popular: no lookup
		"fixturepkg.no_such_thing",  // not found anywhere
		"weblib.connect",            // only on the web
		"slowlib.f",                 // web times out
		"junklib.f",                 // web serves junk
		"fixturepkg.build",          // duplicate
	}
	results, err := f.engine.Lookup(context.Background(), Request{APIs: apis})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(apis) {
		t.Fatalf("%d results for %d APIs", len(results), len(apis))
	}
	for i, r := range results {
		if r.API != apis[i] {
			t.Errorf("results[%d].API = %q, want %q (request order)", i, r.API, apis[i])
		}
	}
	checkDoc(t, results[0], apidoc.SourceInstalled, "def make_widget(name, **options) -> Widget", "1.2.3")
	if r := results[1]; r.LookedUp || r.Doc != nil || !r.Popularity.Popular || r.Popularity.CallSites != 50 {
		t.Errorf("popular API = %+v, want no lookup", r)
	}
	if r := results[2]; r.Doc != nil || !strings.Contains(r.NotFound, `installed: module "fixturepkg" has no attribute "no_such_thing"`) {
		t.Errorf("missing API = %+v", r)
	}
	checkDoc(t, results[3], apidoc.SourceWeb, "weblib.connect(host, port=5432)", "")
	if r := results[4]; r.Doc != nil || !strings.Contains(r.NotFound, "web: ") || !strings.Contains(r.NotFound, "Timeout") {
		t.Errorf("timed-out web lookup = %+v, want not found with the web's reason", r)
	}
	if r := results[5]; r.Doc != nil || !strings.Contains(r.NotFound, "none documents it") {
		t.Errorf("junk web page = %+v", r)
	}
	checkDoc(t, results[6], apidoc.SourceInstalled, "def make_widget", "1.2.3")

	// Second batch: answers come from the cache, except the web timeout,
	// which is not a definitive miss and is asked again.
	searches := f.site.searches.Load()
	again, err := f.engine.Lookup(context.Background(), Request{APIs: apis})
	if err != nil {
		t.Fatal(err)
	}
	checkDoc(t, again[0], apidoc.SourceCache, "def make_widget", "1.2.3")
	checkDoc(t, again[3], apidoc.SourceCache, "weblib.connect(host, port=5432)", "")
	if !strings.HasSuffix(again[2].NotFound, "(cached)") || !strings.HasSuffix(again[5].NotFound, "(cached)") {
		t.Errorf("definitive misses not served from the cache: %q, %q", again[2].NotFound, again[5].NotFound)
	}
	if strings.HasSuffix(again[4].NotFound, "(cached)") {
		t.Errorf("a web timeout was cached as a miss: %q", again[4].NotFound)
	}
	if got := f.site.searches.Load() - searches; got != 1 {
		t.Errorf("second batch searched the web %d times, want 1 (only the timed-out API)", got)
	}
}

func checkDoc(t *testing.T, r Result, source apidoc.Source, sigHas, version string) {
	t.Helper()
	if !r.LookedUp || r.Doc == nil {
		t.Fatalf("%s: no doc (%q)", r.API, r.NotFound)
	}
	if r.Doc.Source != source || !strings.Contains(r.Doc.Signature, sigHas) || r.Doc.Version != version || r.Doc.API != r.API {
		t.Errorf("%s: doc = %+v, want source %s, signature with %q, version %q", r.API, *r.Doc, source, sigHas, version)
	}
}

func TestIncludePopularAndThresholds(t *testing.T) {
	f := newFixture(t, "")
	api := "fixturepkg.helpers.helper"
	res, err := f.engine.Lookup(context.Background(), Request{APIs: []string{api}, IncludePopular: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Popularity.Popular {
		t.Fatalf("%s should be popular", api)
	}
	checkDoc(t, res[0], apidoc.SourceInstalled, "def helper(a, b=2)", "1.2.3")

	// Raising the threshold per request makes it unpopular.
	res, err = f.engine.Lookup(context.Background(), Request{APIs: []string{api}, Thresholds: &popularity.Thresholds{MinCallSites: 51}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Popularity.Popular || !res[0].LookedUp || res[0].Doc == nil {
		t.Errorf("with min 51 call sites: %+v", res[0])
	}
}

func TestDocBudget(t *testing.T) {
	f := newFixture(t, "")
	res, err := f.engine.Lookup(context.Background(), Request{APIs: []string{"fixturepkg.Widget"}, DocBudget: 90})
	if err != nil {
		t.Fatal(err)
	}
	d := res[0].Doc
	if d == nil || !d.Truncated || len([]rune(d.Signature))+len([]rune(d.Docstring)) > 90 || !strings.HasSuffix(d.Docstring, "[...]") {
		t.Errorf("trimmed doc = %+v", d)
	}
}

func TestMalformedNameFailsTheBatch(t *testing.T) {
	f := newFixture(t, "")
	_, err := f.engine.Lookup(context.Background(), Request{APIs: []string{"fixturepkg.build", "ok.name", "bad-name.f"}})
	var inv *InvalidAPIError
	if !errors.As(err, &inv) || inv.Index != 2 || !errors.Is(err, apidoc.ErrMalformedName) {
		t.Fatalf("err = %v, want InvalidAPIError at index 2", err)
	}
}

func TestCacheHitsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs.db")
	first := newFixture(t, path)
	if _, err := first.engine.Lookup(context.Background(), Request{APIs: []string{"fixturepkg.build", "weblib.connect"}}); err != nil {
		t.Fatal(err)
	}
	if err := first.cache.Close(); err != nil {
		t.Fatal(err)
	}
	second := newFixture(t, path)
	res, err := second.engine.Lookup(context.Background(), Request{APIs: []string{"fixturepkg.build", "weblib.connect"}})
	if err != nil {
		t.Fatal(err)
	}
	checkDoc(t, res[0], apidoc.SourceCache, "def make_widget", "1.2.3")
	checkDoc(t, res[1], apidoc.SourceCache, "weblib.connect", "")
	if n := second.site.searches.Load(); n != 0 {
		t.Errorf("the restarted engine searched the web %d times", n)
	}
}

func TestNoProviders(t *testing.T) {
	tracker := popularity.NewTracker(nil, nil, popularity.Thresholds{})
	e, err := New(Config{Tracker: tracker})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Lookup(context.Background(), Request{APIs: []string{"a.b"}})
	if err != nil || res[0].Doc != nil || !strings.Contains(res[0].NotFound, "no documentation provider") {
		t.Errorf("Lookup = %+v, %v", res, err)
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without a tracker succeeded")
	}
}

func TestCancelledBatch(t *testing.T) {
	f := newFixture(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.engine.Lookup(ctx, Request{APIs: []string{"fixturepkg.build"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// BenchmarkLookup1000WarmCache answers 1,000 distinct unpopular APIs of an
// installed package whose documentation is already in the cache.
func BenchmarkLookup1000WarmCache(b *testing.B) {
	site := writeBenchPackage(b, 10, 100)
	store, err := popularity.OpenStore("")
	if err != nil {
		b.Fatal(err)
	}
	prior, err := popularity.EmbeddedPrior()
	if err != nil {
		b.Fatal(err)
	}
	inst, err := installed.New([]string{site}, installed.Options{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := cache.Open(filepath.Join(b.TempDir(), "docs.db"), cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	e, err := New(Config{Tracker: popularity.NewTracker(store, prior, popularity.DefaultThresholds()), Installed: inst, Cache: c})
	if err != nil {
		b.Fatal(err)
	}
	var apis []string
	for m := range 10 {
		for f := range 100 {
			apis = append(apis, fmt.Sprintf("benchpkg.mod%d.func%d", m, f))
		}
	}
	req := Request{APIs: apis}
	warm, err := e.Lookup(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range warm {
		if r.Doc == nil || r.Doc.Source != apidoc.SourceInstalled {
			b.Fatalf("warm-up: %s: %+v %s", r.API, r.Doc, r.NotFound)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := e.Lookup(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if res[len(res)-1].Doc.Source != apidoc.SourceCache {
			b.Fatal("not served from the cache")
		}
	}
}

// writeBenchPackage writes benchpkg (with dist-info) of modules x funcs
// documented functions and returns its site-packages directory.
func writeBenchPackage(b *testing.B, modules, funcs int) string {
	b.Helper()
	site := b.TempDir()
	pkg := filepath.Join(site, "benchpkg")
	info := filepath.Join(site, "benchpkg-3.1.4.dist-info")
	for _, dir := range []string{pkg, info} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(pkg, "__init__.py"):    `"""Benchmark package."""` + "\n",
		filepath.Join(info, "METADATA"):      "Name: benchpkg\nVersion: 3.1.4\n",
		filepath.Join(info, "top_level.txt"): "benchpkg\n",
	}
	for m := range modules {
		var sb strings.Builder
		for f := range funcs {
			_, _ = fmt.Fprintf(&sb, "def func%d(path, *, retries=%d, timeout=None):\n    \"\"\"Do step %d of module %d.\n\n    A paragraph of explanation that an LLM would read in its prompt,\n    long enough to look like a real docstring of a real library.\n    \"\"\"\n\n", f, f, f, m)
		}
		files[filepath.Join(pkg, fmt.Sprintf("mod%d.py", m))] = sb.String()
	}
	for path, text := range files {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return site
}
