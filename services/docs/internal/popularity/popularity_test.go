package popularity

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

const testPrior = `# distribution	downloads_30d	import_names
numpy	1000	numpy
scikit-learn	500	sklearn
google-cloud-storage	300	google.cloud.storage
tiny-lib	10	tiny_lib
opencv-python	40	cv2
opencv-python-headless	60	cv2
no-imports	7	
`

func mustPrior(t *testing.T) *Prior {
	t.Helper()
	p, err := ParsePrior(strings.NewReader(testPrior))
	if err != nil {
		t.Fatalf("ParsePrior: %v", err)
	}
	return p
}

func TestDecideAtThresholds(t *testing.T) {
	store, err := OpenStore("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Record("", map[string]int64{"tiny_lib.f": 9, "tiny_lib.g": 10, "numpy.mean": 1}); err != nil {
		t.Fatal(err)
	}
	tracker := NewTracker(store, mustPrior(t), Thresholds{MinCallSites: 10, MinDownloads: 500})
	tests := []struct {
		api        string
		th         *Thresholds
		popular    bool
		reason     Reason
		callSites  int64
		downloads  int64
		pkg        string
		explainHas string
	}{
		{api: "tiny_lib.f", popular: false, reason: ReasonBelowThresholds, callSites: 9, downloads: 10, pkg: "tiny_lib", explainHas: "9 call sites < 10"},
		{api: "tiny_lib.g", popular: true, reason: ReasonCallSites, callSites: 10, downloads: 10, pkg: "tiny_lib", explainHas: "10 call sites in the corpus >= 10"},
		{api: "sklearn.svm.SVC", popular: true, reason: ReasonDownloads, downloads: 500, pkg: "sklearn", explainHas: "500 downloads in 30 days >= 500"},
		{api: "google.cloud.storage.Client", popular: false, reason: ReasonBelowThresholds, downloads: 300, pkg: "google.cloud.storage", explainHas: "300 downloads < 500"},
		{api: "google.cloud.pubsub.Publisher", popular: false, reason: ReasonBelowThresholds, explainHas: "no download data"},
		{api: "numpy.mean", popular: true, reason: ReasonDownloads, callSites: 1, downloads: 1000, pkg: "numpy"},
		// Per-request thresholds override the defaults.
		{api: "numpy.mean", th: &Thresholds{MinCallSites: 1}, popular: true, reason: ReasonCallSites, callSites: 1, downloads: 1000, pkg: "numpy"},
		{api: "numpy.mean", th: &Thresholds{MinCallSites: 2, MinDownloads: 1001}, popular: false, reason: ReasonBelowThresholds, callSites: 1, downloads: 1000, pkg: "numpy"},
		// Both rules off: nothing is popular.
		{api: "tiny_lib.g", th: &Thresholds{}, popular: false, reason: ReasonBelowThresholds, callSites: 10, downloads: 10, pkg: "tiny_lib", explainHas: "rule off"},
		// The import name shared by two distributions takes the larger count.
		{api: "cv2.imread", popular: false, reason: ReasonBelowThresholds, downloads: 60, pkg: "cv2"},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			d := tracker.Decide(tt.api, tt.th)
			if d.Popular != tt.popular || d.Reason != tt.reason {
				t.Errorf("Decide = popular %v reason %s (%s), want %v %s", d.Popular, d.Reason, d.Explanation, tt.popular, tt.reason)
			}
			if d.CallSites != tt.callSites || d.Package.Downloads != tt.downloads || d.Package.Package != tt.pkg {
				t.Errorf("numbers = %d call sites, %d downloads of %q; want %d, %d, %q",
					d.CallSites, d.Package.Downloads, d.Package.Package, tt.callSites, tt.downloads, tt.pkg)
			}
			if !strings.Contains(d.Explanation, tt.explainHas) {
				t.Errorf("explanation %q lacks %q", d.Explanation, tt.explainHas)
			}
			want := tracker.Defaults()
			if tt.th != nil {
				want = *tt.th
			}
			if d.Thresholds != want {
				t.Errorf("thresholds = %+v, want %+v", d.Thresholds, want)
			}
		})
	}
}

func TestEmbeddedPriorMapsDistributionsToImports(t *testing.T) {
	p, err := EmbeddedPrior()
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Distributions(); n < 10000 {
		t.Fatalf("embedded prior holds %d distributions, want the top 15,000", n)
	}
	tests := []struct{ api, pkg, dist string }{
		{"sklearn.linear_model.LogisticRegression", "sklearn", "scikit-learn"},
		{"bs4.BeautifulSoup", "bs4", "beautifulsoup4"},
		{"yaml.safe_load", "yaml", "pyyaml"},
		{"PIL.Image.open", "PIL", "pillow"},
		{"dateutil.parser.parse", "dateutil", "python-dateutil"},
		{"google.cloud.storage.Client", "google.cloud.storage", "google-cloud-storage"},
		{"google.protobuf.json_format.MessageToDict", "google.protobuf", "protobuf"},
		{"requests.get", "requests", "requests"},
	}
	for _, tt := range tests {
		pd, ok := p.Lookup(tt.api)
		if !ok || pd.Package != tt.pkg || pd.Distribution != tt.dist || pd.Downloads <= 0 {
			t.Errorf("Lookup(%q) = %+v, %v; want package %q of %q", tt.api, pd, ok, tt.pkg, tt.dist)
		}
	}
	// cv2 comes from several opencv distributions; the most downloaded wins.
	if pd, _ := p.Lookup("cv2.imread"); pd.Distribution != "opencv-python" {
		t.Errorf("cv2 maps to %q, want opencv-python", pd.Distribution)
	}
	if pd, ok := p.Lookup("definitely_not_a_pypi_package_xyz.f"); ok {
		t.Errorf("unknown package found: %+v", pd)
	}
}

func TestMapInstalled(t *testing.T) {
	p := mustPrior(t)
	if p.MapInstalled("Not-In-Prior", []string{"nip"}) {
		t.Error("MapInstalled of an unknown distribution reported success")
	}
	// Installed metadata says tiny-lib also installs "tl"; names normalise.
	if !p.MapInstalled("Tiny_Lib", []string{"tl", "not a name"}) {
		t.Fatal("MapInstalled(Tiny_Lib) = false")
	}
	if pd, ok := p.Lookup("tl.x"); !ok || pd.Downloads != 10 || pd.Distribution != "tiny-lib" {
		t.Errorf("Lookup(tl.x) = %+v, %v", pd, ok)
	}
	// A weaker distribution never takes an import name from a stronger one.
	p.MapInstalled("tiny-lib", []string{"numpy"})
	if pd, _ := p.Lookup("numpy.mean"); pd.Distribution != "numpy" {
		t.Errorf("numpy now maps to %q", pd.Distribution)
	}
}

func TestParsePriorRejectsBadTables(t *testing.T) {
	for _, table := range []string{
		"numpy\t1000\n",
		"numpy\tmany\tnumpy\n",
		"numpy\t-1\tnumpy\n",
		"numpy\t1\tnum py\n",
	} {
		if _, err := ParsePrior(strings.NewReader(table)); err == nil {
			t.Errorf("ParsePrior(%q) succeeded", table)
		}
	}
}

func TestNormalizeDistribution(t *testing.T) {
	for in, want := range map[string]string{
		"Zope.Interface":     "zope-interface",
		"typing__extensions": "typing-extensions",
		" PyYAML ":           "pyyaml",
		"a-_.b":              "a-b",
	} {
		if got := NormalizeDistribution(in); got != want {
			t.Errorf("NormalizeDistribution(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStoreRecordReplacesRepositoryAndPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popularity.db")
	for _, persistent := range []bool{false, true} {
		name := map[bool]string{false: "memory", true: "file"}[persistent]
		t.Run(name, func(t *testing.T) {
			file := ""
			if persistent {
				file = path
			}
			s, err := OpenStore(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Record("repo-a", map[string]int64{"numpy.mean": 3, "tiny_lib.f": 1, "zero.count": 0})
			if err != nil {
				t.Fatal(err)
			}
			if res.APIs != 2 || res.CallSites != 4 || res.Replaced {
				t.Errorf("first record = %+v", res)
			}
			if _, err := s.Record("repo-b", map[string]int64{"numpy.mean": 2}); err != nil {
				t.Fatal(err)
			}
			// repo-a again: its old counts go, the new ones come in.
			res, err = s.Record("repo-a", map[string]int64{"numpy.mean": 1, "other.g": 5})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Replaced || res.CorpusAPIs != 2 || res.CorpusCallSites != 8 || res.CorpusRepositories != 2 {
				t.Errorf("replacing record = %+v, want replaced, 2 APIs, 8 call sites, 2 repositories", res)
			}
			// Anonymous usage always adds.
			for range 2 {
				if _, err := s.Record("", map[string]int64{"other.g": 1}); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]int64{"numpy.mean": 3, "other.g": 7}
			checkCounts(t, s, want)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if !persistent {
				return
			}
			reopened, err := OpenStore(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := reopened.Close(); err != nil {
					t.Error(err)
				}
			})
			checkCounts(t, reopened, want)
			// The repository's counts survived too: recording it again replaces.
			res, err = reopened.Record("repo-a", nil)
			if err != nil || !res.Replaced || res.CorpusCallSites != 2+2 || res.CorpusRepositories != 2 {
				t.Errorf("record after restart = %+v, %v; want replaced with 4 call sites left", res, err)
			}
		})
	}
}

func checkCounts(t *testing.T, s *Store, want map[string]int64) {
	t.Helper()
	got := s.Snapshot()
	if len(got) != len(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	for api, n := range want {
		if got[api] != n || s.CallSites(api) != n {
			t.Errorf("%s: %d call sites, want %d", api, got[api], n)
		}
	}
}

func TestStoreRecordRejectsBadInput(t *testing.T) {
	s, err := OpenStore("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record("r", map[string]int64{"bad..name": 1}); !errors.Is(err, apidoc.ErrMalformedName) {
		t.Errorf("malformed name: err = %v", err)
	}
	if _, err := s.Record("r", map[string]int64{"ok.name": -1}); !errors.Is(err, ErrBadCount) {
		t.Errorf("negative count: err = %v", err)
	}
	if len(s.Snapshot()) != 0 {
		t.Error("a rejected record changed the counts")
	}
}

func TestDecideNPM(t *testing.T) {
	store, err := OpenStore("")
	if err != nil {
		t.Fatal(err)
	}
	// npm names record like Python ones: scoped, hyphenated.
	if _, err := store.Record("js-repo", map[string]int64{"@scope/pkg.fn": 12, "left-pad.default": 3, "numpy.mean": 2}); err != nil {
		t.Fatal(err)
	}
	tracker := NewTracker(store, mustPrior(t), Thresholds{MinCallSites: 10, MinDownloads: 500})
	tests := []struct {
		api        string
		popular    bool
		reason     Reason
		callSites  int64
		explainHas string
	}{
		{"@scope/pkg.fn", true, ReasonCallSites, 12, "12 call sites in the corpus >= 10"},
		{"left-pad.default", false, ReasonBelowThresholds, 3, "no download data for npm packages"},
		// numpy has 1000 PyPI downloads: a Python package, so no bearing on an npm "numpy".
		{"numpy.mean", false, ReasonBelowThresholds, 2, "2 call sites < 10"},
		{"fs.readFile", true, ReasonStandardLibrary, 0, "fs is a Node.js built-in module"},
		{"fs.promises.readFile", true, ReasonStandardLibrary, 0, "standard library"},
		{"@fs/x.y", false, ReasonBelowThresholds, 0, "0 call sites"},
	}
	for _, tt := range tests {
		d := tracker.DecideNPM(tt.api, nil)
		if d.Popular != tt.popular || d.Reason != tt.reason || d.CallSites != tt.callSites || d.Package.Downloads != 0 ||
			!strings.Contains(d.Explanation, tt.explainHas) {
			t.Errorf("DecideNPM(%s) = %+v", tt.api, d)
		}
	}
	if d := tracker.Decide("numpy.mean", nil); !d.Popular || d.Reason != ReasonDownloads {
		t.Errorf("the Python decision lost its prior: %+v", d)
	}
	if _, err := store.Record("r", map[string]int64{"@scope.x": 1}); !errors.Is(err, apidoc.ErrMalformedName) {
		t.Errorf("malformed scoped name recorded: %v", err)
	}
}
