package installed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const debianDistPackages = "/usr/lib/python3/dist-packages"

func fixtureProvider(t testing.TB) *Provider {
	t.Helper()
	p, err := New([]string{"testdata/vendored", "testdata/site-packages"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// debianProvider reads the Debian packages python3-requests and
// python3-click (apt-get install -y python3-requests python3-click).
func debianProvider(t *testing.T) *Provider {
	t.Helper()
	for _, pkg := range []string{"requests", "click"} {
		if !isDir(filepath.Join(debianDistPackages, pkg)) {
			t.Skipf("%s/%s is absent: apt-get install -y python3-requests python3-click", debianDistPackages, pkg)
		}
	}
	p, err := New([]string{debianDistPackages}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFixtureGolden documents every interesting name of the fixture
// environment and compares with testdata/fixture.golden.json.
func TestFixtureGolden(t *testing.T) {
	p := fixtureProvider(t)
	apis := []string{
		"fixturepkg",
		"fixturepkg.Widget",             // re-export of a class: class doc + inherited __init__
		"fixturepkg.build",              // re-export under another name
		"fixturepkg.create",             // alias assignment of a re-export
		"fixturepkg.public_fn",          // star import honouring __all__
		"fixturepkg._exported_private",  // private name listed in __all__
		"fixturepkg.fast",               // compiled module: overloads from the .pyi stub
		"fixturepkg.accelerate",         // try/except fallback definition wins
		"fixturepkg.helpers",            // submodule
		"fixturepkg.helpers.helper",     // function without a docstring
		"fixturepkg.core.Widget.resize", // decorated multi-line method, escapes
		"fixturepkg.core.Widget.area",   // property
		"fixturepkg.Widget.describe",    // inherited method
		"fixturepkg.Widget.Handle.grab", // nested class, raw docstring
		"fixturepkg.core.DEFAULT_SIZE",  // attribute with its docstring
		"stubbed.Engine",                // PEP 561 -stubs package for a compiled module
		"stubbed.Engine.run",            //
		"legacy.old",                    // single-file egg-info
		"nspkg.sub.thing",               // namespace package
		"vendpkg.run",                   // vendored code, version from __version__
		"vendpkg.spin",                  // alias cycle terminates
	}
	got := map[string]apidoc.Doc{}
	for _, api := range apis {
		doc, err := p.Lookup(context.Background(), api)
		if err != nil {
			t.Errorf("Lookup(%q): %v", api, err)
			continue
		}
		if !strings.HasPrefix(doc.Location, "testdata/") && doc.Location != "" {
			rel, err := filepath.Rel(mustAbs(t, "."), doc.Location)
			if err == nil {
				doc.Location = filepath.ToSlash(rel)
			}
		}
		got[api] = doc
	}
	compareGolden(t, "testdata/fixture.golden.json", got)
}

func mustAbs(t testing.TB, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func compareGolden(t *testing.T, path string, got any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(data) {
		t.Errorf("%s differs from the output (run go test -update and review the diff):\n%s", path, data)
	}
}

func TestFixtureDetails(t *testing.T) {
	p := fixtureProvider(t)
	tests := []struct {
		api           string
		kind          apidoc.Kind
		sigHas        []string
		docHas        string
		file          string
		version, dist string
	}{
		{api: "fixturepkg.Widget", kind: apidoc.KindClass, sigHas: []string{"class Widget(Base)", "def __init__(self, name: str, *, size: int = 1)"},
			docHas: "A widget you can resize.\n\nDetails follow.\n    Indented detail line.", file: "fixturepkg/core.py", version: "1.2.3", dist: "fixturepkg"},
		{api: "fixturepkg.build", kind: apidoc.KindFunction, sigHas: []string{"def make_widget(name, **options) -> Widget"}, docHas: "Build a Widget", file: "fixturepkg/core.py"},
		{api: "fixturepkg.fast", kind: apidoc.KindFunction, sigHas: []string{"def fast(x: int) -> int\ndef fast(x: str) -> str"}, docHas: "Compute fast.", file: "fixturepkg/_speedups.pyi"},
		{api: "fixturepkg.accelerate", kind: apidoc.KindFunction, sigHas: []string{"def accelerate(data, *, level=1)"}, docHas: "fallback", file: "fixturepkg/__init__.py"},
		{api: "fixturepkg.core.Widget.resize", kind: apidoc.KindMethod,
			sigHas: []string{"@_functools.lru_cache(maxsize=None)\ndef resize(self, width: int, height: int = 10) -> \"Widget\""},
			docHas: "Resize to width x height.\nTabbed line é."},
		{api: "fixturepkg.Widget.Handle.grab", kind: apidoc.KindMethod, docHas: `Grab it \n raw.`},
		{api: "fixturepkg.core.DEFAULT_SIZE", kind: apidoc.KindAttribute, sigHas: []string{"DEFAULT_SIZE = 3"}, docHas: "nobody sized"},
		{api: "stubbed.Engine", kind: apidoc.KindClass, sigHas: []string{"def __init__(self, path: str, *, readonly: bool = ...) -> None"}, file: "stubbed-stubs/__init__.pyi"},
		{api: "legacy.old", kind: apidoc.KindFunction, docHas: "Old single-file module.", version: "0.1", dist: "legacy"},
		{api: "nspkg.sub.thing", kind: apidoc.KindFunction, docHas: "namespace package", version: "0.4.0", dist: "nspkg-sub"},
		{api: "vendpkg.run", kind: apidoc.KindFunction, docHas: "vendored loop", version: "0.9.1", file: "vendored/vendpkg/loop.py"},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			doc, err := p.Lookup(context.Background(), tt.api)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Kind != tt.kind || doc.Source != apidoc.SourceInstalled || doc.API != tt.api {
				t.Errorf("kind %q source %q api %q, want %q installed %q", doc.Kind, doc.Source, doc.API, tt.kind, tt.api)
			}
			for _, s := range tt.sigHas {
				if !strings.Contains(doc.Signature, s) {
					t.Errorf("signature %q lacks %q", doc.Signature, s)
				}
			}
			if !strings.Contains(doc.Docstring, tt.docHas) {
				t.Errorf("docstring %q lacks %q", doc.Docstring, tt.docHas)
			}
			if tt.file != "" && !strings.HasSuffix(filepath.ToSlash(doc.Location), tt.file) {
				t.Errorf("location %q, want …%s", doc.Location, tt.file)
			}
			if tt.version != "" && doc.Version != tt.version {
				t.Errorf("version %q, want %q", doc.Version, tt.version)
			}
			if tt.dist != "" && doc.Distribution != tt.dist {
				t.Errorf("distribution %q, want %q", doc.Distribution, tt.dist)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	p := fixtureProvider(t)
	for _, api := range []string{
		"no_such_package.f",
		"fixturepkg.no_such_name",
		"fixturepkg.hidden_fn",          // not in _impl.__all__
		"fixturepkg.Widget.no_method",   // not on the class nor its bases
		"fixturepkg.build.attribute",    // functions have no documented attributes
		"compiledonly.f",                // extension module without a stub
		"fixturepkg.helpers.helper.x.y", // too deep
	} {
		_, err := p.Lookup(context.Background(), api)
		if !errors.Is(err, apidoc.ErrNotFound) {
			t.Errorf("Lookup(%q) err = %v, want ErrNotFound", api, err)
		}
	}
	if _, err := p.Lookup(context.Background(), "compiledonly.f"); err == nil || !strings.Contains(err.Error(), "compiled") {
		t.Errorf("compiled module error %v does not say why", err)
	}
	if _, err := p.Lookup(context.Background(), "bad..name"); !errors.Is(err, apidoc.ErrMalformedName) {
		t.Errorf("malformed name err = %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	p := fixtureProvider(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Lookup(ctx, "fixturepkg.core.Widget.resize"); err == nil {
		t.Error("lookup with a cancelled context succeeded")
	}
}

func TestDistributions(t *testing.T) {
	p := fixtureProvider(t)
	byName := map[string]Distribution{}
	for _, d := range p.Distributions() {
		byName[d.Name] = d
	}
	fx := byName["fixturepkg"]
	if fx.Version != "1.2.3" || fx.DocsURL != "https://fixturepkg.readthedocs.io/en/latest/" || strings.Join(fx.ImportNames, ",") != "fixturepkg" {
		t.Errorf("fixturepkg = %+v", fx)
	}
	if ns := byName["nspkg-sub"]; strings.Join(ns.ImportNames, ",") != "nspkg.sub" {
		t.Errorf("namespace distribution import names = %v, want [nspkg.sub]", ns.ImportNames)
	}
	if lg := byName["legacy"]; lg.Version != "0.1" || strings.Join(lg.ImportNames, ",") != "legacy" {
		t.Errorf("legacy = %+v", lg)
	}
	if v := p.Version(context.Background(), "vendpkg.run"); v != "0.9.1" {
		t.Errorf("vendored version = %q", v)
	}
}

func TestNewRejectsMissingRoot(t *testing.T) {
	if _, err := New([]string{"testdata/does-not-exist"}, Options{}); err == nil {
		t.Error("New accepted a missing environment directory")
	}
}

func TestDefaultPathsAndVirtualenv(t *testing.T) {
	paths, err := DefaultPaths(context.Background(), "")
	if err != nil {
		t.Skipf("no python3 on PATH: %v", err)
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) || !isDir(p) {
			t.Errorf("default path %q is not an existing absolute directory", p)
		}
	}
	venv := t.TempDir()
	site := filepath.Join(venv, "lib", "python3.12", "site-packages")
	if err := os.MkdirAll(site, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := VirtualenvPaths(venv)
	if err != nil || len(got) != 1 || got[0] != site {
		t.Errorf("VirtualenvPaths = %v, %v; want [%s]", got, err, site)
	}
	if _, err := VirtualenvPaths(t.TempDir()); err == nil {
		t.Error("VirtualenvPaths of an empty directory succeeded")
	}
}

func TestDebianPackages(t *testing.T) {
	p := debianProvider(t)
	tests := []struct {
		api, kind, sigHas, docHas, file, dist string
	}{
		{"requests.get", "function", "def get(url, params=None, **kwargs)", "Sends a GET request.", "requests/api.py", "requests"},
		{"requests.Session", "class", "class Session(SessionRedirectMixin)", "A Requests session.", "requests/sessions.py", "requests"},
		{"requests.Session.get", "method", "def get(self, url, **kwargs)", "Sends a GET request.", "requests/sessions.py", "requests"},
		{"requests.exceptions.HTTPError", "class", "class HTTPError(RequestException)", "An HTTP error occurred.", "requests/exceptions.py", "requests"},
		{"requests.HTTPError.response", "", "", "", "", ""},
		{"click.option", "function", "def option(", "Attaches an option to the command.", "click/decorators.py", "click"},
		{"click.Option", "class", "def __init__(", "Options are usually optional values", "click/core.py", "click"},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			doc, err := p.Lookup(context.Background(), tt.api)
			if tt.kind == "" {
				if !errors.Is(err, apidoc.ErrNotFound) {
					t.Fatalf("err = %v, want not found (instance attribute)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s\n%s\n%s", doc.Signature, doc.Docstring, doc.Location)
			if string(doc.Kind) != tt.kind || !strings.Contains(doc.Signature, tt.sigHas) || !strings.Contains(doc.Docstring, tt.docHas) {
				t.Errorf("got kind %q signature %q docstring %.80q", doc.Kind, doc.Signature, doc.Docstring)
			}
			if !strings.HasSuffix(doc.Location, tt.file) || doc.Distribution != tt.dist || doc.Version == "" {
				t.Errorf("location %q distribution %q version %q", doc.Location, doc.Distribution, doc.Version)
			}
		})
	}
}

func TestDebianStubForCompiledModule(t *testing.T) {
	stub := filepath.Join(debianDistPackages, "apt_pkg-stubs", "__init__.pyi")
	if !isFile(stub) {
		t.Skipf("%s is absent (Debian package python3-apt)", stub)
	}
	p, err := New([]string{debianDistPackages}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.Lookup(context.Background(), "apt_pkg.gettext")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Location != stub || !strings.Contains(doc.Signature, "def gettext(msg: str, domain: str) -> str\ndef gettext(msg: str) -> str") {
		t.Errorf("apt_pkg.gettext = %+v", doc)
	}
}
