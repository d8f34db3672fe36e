package license

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The licence texts under testdata are Debian's /usr/share/common-licenses
// (GPL-2, GPL-3, Apache-2.0, BSD; bsd2 is BSD with its third clause removed)
// and an MIT text.
func TestDetect(t *testing.T) {
	tests := []struct {
		dir, want string
	}{
		{"mit", "MIT"},
		{"bsd2", "BSD-2-Clause"},
		{"bsd3", "BSD-3-Clause"},
		{"gpl2", "GPL-2.0"},
		// The licence file wins over metadata (its pyproject.toml says MIT).
		{"gpl3", "GPL-3.0"},
		{"apache", "Apache-2.0"},
		{"pyproject", "MIT"},
		{"pyproject-table", "Apache-2.0"},
		{"poetry", "BSD-3-Clause"},
		{"classifier", "MIT"},
		{"setupcfg", "ISC"},
		{"pkginfo", "GPL-2.0"},
		{"packagejson", "MIT"},
		{"packagejson-object", "Apache-2.0"},
		{"expression", "(MIT OR Apache-2.0)"},
		{"unrecognised", Unknown},
		{"none", Unknown},
		{"missing", Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			if got := Detect(filepath.Join("testdata", tc.dir)); got != tc.want {
				t.Errorf("Detect(%s) = %q, want %q", tc.dir, got, tc.want)
			}
		})
	}
}

// TestDetectInstalled lays out site-packages as pip and Debian install packages: the licence is in
// the distribution's metadata beside the package directory, found by name or by top_level.txt.
func TestDetectInstalled(t *testing.T) {
	site := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		path := filepath.Join(site, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Debian's requests: an egg-info whose License field is not an SPDX id but its classifier is known.
	write("requests/__init__.py", "")
	write("requests-2.28.1.egg-info/PKG-INFO", "Metadata-Version: 2.1\nName: requests\nLicense: Apache 2.0 or so\nClassifier: License :: OSI Approved :: Apache Software License\n\nbody\n")
	// pip's layout: a dist-info whose name differs from the package's, listed in top_level.txt.
	write("yaml/__init__.py", "")
	write("PyYAML-6.0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: PyYAML\nLicense: MIT\n\n")
	write("PyYAML-6.0.1.dist-info/top_level.txt", "_yaml\nyaml\n")
	// A package with its own licence file keeps it, whatever its metadata says.
	write("own/__init__.py", "")
	write("own/LICENSE", readTestdata(t, "mit"))
	write("own-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: own\nLicense: GPL-3.0\n\n")
	// No distribution installed it.
	write("loose/__init__.py", "")
	for dir, want := range map[string]string{"requests": "Apache-2.0", "yaml": "MIT", "own": "MIT", "loose": Unknown} {
		if got := DetectInstalled(filepath.Join(site, dir)); got != want {
			t.Errorf("DetectInstalled(%s) = %q, want %q", dir, got, want)
		}
	}
	// Detect alone does not look beside the tree.
	if got := Detect(filepath.Join(site, "requests")); got != Unknown {
		t.Errorf("Detect(requests) = %q, want %q", got, Unknown)
	}
}

func readTestdata(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if isLicenseFile(e.Name()) {
			data, err := os.ReadFile(filepath.Join("testdata", dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		}
	}
	t.Fatalf("no licence file in testdata/%s", dir)
	return ""
}

func TestIsLicenseFile(t *testing.T) {
	for name, want := range map[string]bool{
		"LICENSE": true, "license.txt": true, "LICENCE.md": true, "COPYING": true, "COPYING.LESSER": true,
		"LICENSE-MIT": true, "license_apache": true, "LICENSES": false, "README": false, "licensecheck.go": false,
	} {
		if got := isLicenseFile(name); got != want {
			t.Errorf("isLicenseFile(%q) = %v", name, got)
		}
	}
}

func TestNormalize(t *testing.T) {
	names := map[string]string{"MIT": "MIT", "mit": "MIT", " bsd-3-clause ": "BSD-3-Clause", "Apache License 2.0": "Apache-2.0",
		"License :: OSI Approved :: Apache Software License": "Apache-2.0",
		"MIT or apache-2.0": "MIT OR Apache-2.0", "(MIT OR Apache-2.0)": "(MIT OR Apache-2.0)"}
	for in, want := range names {
		if got, ok := Normalize(in); got != want || !ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"BSD", "UNKNOWN", "Proprietary", ""} {
		if got, ok := Normalize(in); ok {
			t.Errorf("Normalize(%q) = %q, want no licence", in, got)
		}
	}
}

func TestAllowList(t *testing.T) {
	tests := []struct {
		spec    string
		allowed []string
		denied  []string
	}{
		{"", []string{"MIT", "GPL-3.0", Unknown}, nil},
		{"MIT,BSD-2-Clause", []string{"MIT", "BSD-2-Clause", "mit", "MIT OR GPL-3.0"}, []string{"GPL-2.0", "BSD-3-Clause", Unknown, "MIT AND GPL-3.0"}},
		{"permissive", []string{"MIT", "Apache-2.0", "ISC", "BSD-3-Clause", "(MIT OR Apache-2.0)", "Apache-2.0 WITH LLVM-exception"}, []string{"GPL-2.0", "GPL-3.0", "LGPL-2.1", Unknown, ""}},
		{"gpl-3.0, permissive", []string{"GPL-3.0", "MIT"}, []string{"GPL-2.0"}},
	}
	for _, tc := range tests {
		a, err := ParseAllowList(tc.spec)
		if err != nil {
			t.Fatalf("ParseAllowList(%q): %v", tc.spec, err)
		}
		for _, id := range tc.allowed {
			if !a.Allows(id) {
				t.Errorf("%q does not allow %q", tc.spec, id)
			}
		}
		for _, id := range tc.denied {
			if a.Allows(id) {
				t.Errorf("%q allows %q", tc.spec, id)
			}
		}
	}
	a, err := ParseAllowList("bsd-2-clause,MIT")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.IDs(); !slices.Equal(got, []string{"BSD-2-Clause", "MIT"}) {
		t.Errorf("IDs = %v", got)
	}
}

func TestParseAllowListErrors(t *testing.T) {
	specs := []string{"MIT,", "MIT,,ISC", "unknown", "MIT,WTFPL2"}
	wants := []string{"empty item", "empty item", "cannot be allowed", `"WTFPL2" is not an SPDX licence id`}
	for i, spec := range specs {
		if _, err := ParseAllowList(spec); err == nil || !strings.Contains(err.Error(), wants[i]) {
			t.Errorf("ParseAllowList(%q) = %v, want an error containing %q", spec, err, wants[i])
		}
	}
}

func TestCommonIDsAreBuiltin(t *testing.T) {
	for _, id := range commonIDs {
		if knownIDs()[strings.ToLower(id)] != id {
			t.Errorf("common licence %q is not a licensecheck id", id)
		}
	}
	sc, err := commonScanner()
	if err != nil {
		t.Fatal(err)
	}
	mit, err := os.ReadFile(filepath.Join("testdata", "mit", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := bestMatch(sc.Scan(mit)); !ok || id != "MIT" {
		t.Errorf("the common scanner names the MIT text %q", id)
	}
}
