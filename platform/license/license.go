// Package license names the licence of a source tree by its SPDX id and
// checks it against an allow-list (--licenses).
//
// The licence comes from the tree's own licence files first (LICENSE,
// LICENCE, COPYING and their variants such as LICENSE.txt or LICENSE-MIT),
// classified by github.com/google/licensecheck against the SPDX texts; then
// from package metadata (pyproject.toml, setup.cfg, PKG-INFO, package.json),
// where projects name it in a word; for a package installed in a Python
// environment, from its distribution's metadata beside it (DetectInstalled);
// otherwise it is Unknown. It is pure Go, so the parser and the orchestrator
// both use it.
package license

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/google/licensecheck"
)

// Unknown is the licence of a tree where nothing names one.
const Unknown = "unknown"

// maxLicenseFile bounds how much of one licence file is read: the longest
// common licence (AGPL-3.0) is about 34 KB.
const maxLicenseFile = 256 << 10

// Detect names the licence of the source tree in dir: an SPDX id or
// expression, or Unknown. Licence files are tried in name order and the
// first one licensecheck recognises wins; metadata is read only when none does.
func Detect(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Unknown
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isLicenseFile(e.Name()) {
			continue
		}
		text, err := readHead(filepath.Join(dir, e.Name()), maxLicenseFile)
		if err != nil {
			continue
		}
		if id, ok := FromText(text); ok {
			return id
		}
	}
	if id, ok := FromMetadata(dir); ok {
		return id
	}
	return Unknown
}

func isLicenseFile(name string) bool {
	upper := strings.ToUpper(name)
	for _, base := range []string{"LICENSE", "LICENCE", "COPYING"} {
		if upper == base || strings.HasPrefix(upper, base+".") || strings.HasPrefix(upper, base+"-") || strings.HasPrefix(upper, base+"_") {
			return true
		}
	}
	return false
}

func readHead(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only file
	return io.ReadAll(io.LimitReader(f, limit))
}

// commonIDs are the licences most repositories carry. Compiling all of
// licensecheck's built-in patterns takes seconds, once per process, and
// would stall the first job's dataset writing; compiling these takes a
// fraction of that. Texts are scanned with these first, and only a text none
// of them matches pays for the full set. The price: a variant that contains
// a common licence's whole text (BSD-3-Clause-Clear, GPL-2.0 with the
// Classpath exception) is named as that common licence.
var commonIDs = []string{"AGPL-3.0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "GPL-2.0", "GPL-3.0", "ISC",
	"LGPL-2.1", "LGPL-3.0", "MIT", "MPL-2.0", "Unlicense"}

var commonScanner = sync.OnceValues(func() (*licensecheck.Scanner, error) {
	var common []licensecheck.License
	for _, l := range licensecheck.BuiltinLicenses() {
		if slices.Contains(commonIDs, l.ID) {
			common = append(common, l)
		}
	}
	return licensecheck.NewScanner(common)
})

// FromText classifies a licence text: the licence whose match covers the
// most of it, preferring a match of the text itself over a mere URL.
func FromText(text []byte) (string, bool) {
	if sc, err := commonScanner(); err == nil {
		if id, ok := bestMatch(sc.Scan(text)); ok {
			return id, true
		}
	}
	return bestMatch(licensecheck.Scan(text))
}

func bestMatch(cov licensecheck.Coverage) (string, bool) {
	best, bestLen, bestURL := "", -1, true
	for _, m := range cov.Match {
		n := m.End - m.Start
		if (bestURL && !m.IsURL) || (bestURL == m.IsURL && n > bestLen) {
			best, bestLen, bestURL = m.ID, n, m.IsURL
		}
	}
	return best, best != ""
}

// FromMetadata reads the licence a package's metadata names, in this order:
// pyproject.toml ([project] license or license.text, [tool.poetry] license,
// then its licence classifiers), setup.cfg ([metadata] license), PKG-INFO
// (License-Expression, License, classifiers), package.json ("license"). A
// value that is not a known SPDX id or a common spelling of one is skipped.
func FromMetadata(dir string) (string, bool) {
	for _, read := range []func(string) []string{pyprojectLicenses, setupCfgLicenses, pkgInfoLicenses, packageJSONLicenses} {
		for _, v := range read(dir) {
			if id, ok := Normalize(v); ok {
				return id, true
			}
		}
	}
	return "", false
}

func pyprojectLicenses(dir string) []string {
	var doc struct {
		Project struct {
			License     any      `toml:"license"`
			Classifiers []string `toml:"classifiers"`
		} `toml:"project"`
		Tool struct {
			Poetry struct {
				License     string   `toml:"license"`
				Classifiers []string `toml:"classifiers"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	if _, err := toml.DecodeFile(filepath.Join(dir, "pyproject.toml"), &doc); err != nil {
		return nil
	}
	var out []string
	switch v := doc.Project.License.(type) {
	case string:
		out = append(out, v)
	case map[string]any:
		if text, ok := v["text"].(string); ok {
			out = append(out, text)
		}
	}
	out = append(out, doc.Tool.Poetry.License)
	return append(append(out, doc.Project.Classifiers...), doc.Tool.Poetry.Classifiers...)
}

func setupCfgLicenses(dir string) []string {
	data, err := readHead(filepath.Join(dir, "setup.cfg"), 1<<20)
	if err != nil {
		return nil
	}
	var out []string
	inMetadata := false
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inMetadata = strings.EqualFold(line, "[metadata]")
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if inMetadata && ok && strings.EqualFold(strings.TrimSpace(key), "license") {
			out = append(out, strings.TrimSpace(value))
		}
	}
	return out
}

// DetectInstalled is Detect for a package directory of a Python environment
// (site-packages, Debian's dist-packages): when the tree itself names no
// licence, the metadata of the distribution installed beside it is read
// (NAME-VERSION.dist-info/METADATA or NAME-VERSION.egg-info/PKG-INFO, the
// distribution found by its name or its top_level.txt). Debian keeps licence
// files in /usr/share/doc, so its packages' directories hold none.
func DetectInstalled(dir string) string {
	if id := Detect(dir); id != Unknown {
		return id
	}
	info, ok := distributionInfo(dir)
	if !ok {
		return Unknown
	}
	for _, name := range []string{"METADATA", "PKG-INFO"} {
		for _, v := range headerLicenses(filepath.Join(info, name)) {
			if id, ok := Normalize(v); ok {
				return id
			}
		}
	}
	return Unknown
}

// distributionInfo finds the .dist-info or .egg-info directory beside the
// package directory dir that installed it.
func distributionInfo(dir string) (string, bool) {
	dir = filepath.Clean(dir)
	parent, pkg := filepath.Dir(dir), distName(filepath.Base(dir))
	entries, err := os.ReadDir(parent)
	if err != nil {
		return "", false
	}
	var infos []string
	for _, e := range entries {
		if name := e.Name(); e.IsDir() && (strings.HasSuffix(name, ".dist-info") || strings.HasSuffix(name, ".egg-info")) {
			infos = append(infos, name)
		}
	}
	for _, name := range infos {
		dist, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimSuffix(name, ".dist-info"), ".egg-info"), "-")
		if distName(dist) == pkg {
			return filepath.Join(parent, name), true
		}
	}
	// A distribution named otherwise than its package (PyYAML installs yaml) lists it in top_level.txt.
	for _, name := range infos {
		data, err := readHead(filepath.Join(parent, name, "top_level.txt"), 64<<10)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(data)) {
			if distName(strings.TrimSpace(line)) == pkg {
				return filepath.Join(parent, name), true
			}
		}
	}
	return "", false
}

// distName normalises a distribution or package name as PEP 503 does.
func distName(name string) string {
	return strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

func pkgInfoLicenses(dir string) []string { return headerLicenses(filepath.Join(dir, "PKG-INFO")) }

// headerLicenses reads the licence fields of a core metadata file (PKG-INFO, METADATA).
func headerLicenses(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close() //nolint:errcheck // read-only file
	msg, err := mail.ReadMessage(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil
	}
	out := []string{msg.Header.Get("License-Expression"), msg.Header.Get("License")}
	return append(out, msg.Header["Classifier"]...)
}

func packageJSONLicenses(dir string) []string {
	data, err := readHead(filepath.Join(dir, "package.json"), 1<<20)
	if err != nil {
		return nil
	}
	var pkg struct {
		License json.RawMessage `json:"license"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return nil
	}
	var s string
	if json.Unmarshal(pkg.License, &s) == nil {
		return []string{s}
	}
	var obj struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(pkg.License, &obj) == nil {
		return []string{obj.Type}
	}
	return nil
}

// knownIDs maps the lower-cased ids licensecheck knows to their spelling.
var knownIDs = sync.OnceValue(func() map[string]string {
	ids := map[string]string{}
	for _, l := range licensecheck.BuiltinLicenses() {
		ids[strings.ToLower(l.ID)] = l.ID
	}
	return ids
})

// aliases are the common ways metadata names a licence that are not SPDX
// ids, including the trove classifiers' names (after "License :: ").
var aliases = map[string]string{
	"mit license":                             "MIT",
	"the mit license":                         "MIT",
	"expat":                                   "MIT",
	"apache 2.0":                              "Apache-2.0",
	"apache 2":                                "Apache-2.0",
	"apache license 2.0":                      "Apache-2.0",
	"apache license, version 2.0":             "Apache-2.0",
	"apache software license 2.0":             "Apache-2.0",
	"osi approved :: mit license":             "MIT",
	"osi approved :: apache software license": "Apache-2.0",
	"osi approved :: isc license (iscl)":      "ISC",
	"osi approved :: gnu general public license v2 (gplv2)":         "GPL-2.0",
	"osi approved :: gnu general public license v3 (gplv3)":         "GPL-3.0",
	"osi approved :: gnu lesser general public license v3 (lgplv3)": "LGPL-3.0",
	"osi approved :: mozilla public license 2.0 (mpl 2.0)":          "MPL-2.0",
	"osi approved :: python software foundation license":            "PSF-2.0",
	"osi approved :: the unlicense (unlicense)":                     "Unlicense",
	"osi approved :: zlib/libpng license":                           "Zlib",
	"bsd 2-clause":                                                  "BSD-2-Clause",
	"bsd 3-clause":                                                  "BSD-3-Clause",
	"new bsd":                                                       "BSD-3-Clause",
	"new bsd license":                                               "BSD-3-Clause",
	"simplified bsd":                                                "BSD-2-Clause",
	"gplv2":                                                         "GPL-2.0",
	"gplv3":                                                         "GPL-3.0",
	"lgplv3":                                                        "LGPL-3.0",
	"isc license":                                                   "ISC",
	"mozilla public license 2.0":                                    "MPL-2.0",
	"public domain":                                                 "Unlicense",
}

// Normalize turns a metadata value into an SPDX id or expression: a known id
// in any case ("mit" -> "MIT"), an expression of known ids joined by AND or
// OR, a licence classifier, or a common alias. Anything else is not a licence
// name ("BSD" alone does not say which BSD).
func Normalize(value string) (string, bool) {
	v := strings.TrimSpace(value)
	v = strings.TrimPrefix(v, "License :: ")
	if v == "" {
		return "", false
	}
	if id, ok := aliases[strings.ToLower(v)]; ok {
		return id, true
	}
	words := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(v))
	for i, w := range words {
		switch strings.ToUpper(w) {
		case "AND", "OR", "WITH", "(", ")":
			words[i] = strings.ToUpper(w)
			continue
		}
		id, ok := knownIDs()[strings.ToLower(w)]
		if !ok {
			return "", false
		}
		words[i] = id
	}
	return strings.ReplaceAll(strings.ReplaceAll(strings.Join(words, " "), "( ", "("), " )", ")"), true
}

// Permissive is the licences the "permissive" preset allows: no copyleft
// obligation on a model trained on, or a dataset built from, the code.
var Permissive = []string{"0BSD", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0", "CC0-1.0", "ISC", "MIT", "MIT-0", "PSF-2.0", "Python-2.0", "Unlicense", "Zlib"}

// AllowList is the licences a dataset keeps; the zero value keeps every
// source, Unknown included.
type AllowList struct {
	ids map[string]bool // lower-cased
}

// ParseAllowList reads the --licenses value: SPDX ids separated by commas,
// any case, and the preset "permissive". An empty value allows everything.
func ParseAllowList(spec string) (AllowList, error) {
	if strings.TrimSpace(spec) == "" {
		return AllowList{}, nil
	}
	a := AllowList{ids: map[string]bool{}}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			return AllowList{}, fmt.Errorf("licenses %q: empty item", spec)
		case strings.EqualFold(item, "permissive"):
			for _, id := range Permissive {
				a.ids[strings.ToLower(id)] = true
			}
		case strings.EqualFold(item, Unknown):
			return AllowList{}, errors.New("licenses: \"unknown\" cannot be allowed: an allow-list exists to keep only code whose licence is known")
		default:
			id, ok := knownIDs()[strings.ToLower(item)]
			if !ok {
				return AllowList{}, fmt.Errorf("licenses: %q is not an SPDX licence id (examples: MIT, BSD-3-Clause, Apache-2.0; or the preset permissive)", item)
			}
			a.ids[strings.ToLower(id)] = true
		}
	}
	return a, nil
}

// Empty reports whether the list allows everything.
func (a AllowList) Empty() bool { return a.ids == nil }

// IDs returns the allowed ids, sorted, for the manifest.
func (a AllowList) IDs() []string {
	out := make([]string, 0, len(a.ids))
	for id := range a.ids {
		out = append(out, knownIDs()[id])
	}
	slices.Sort(out)
	return out
}

// Allows reports whether a source of licence id (as Detect names it) is
// kept. With a list, Unknown never is; an expression is allowed when one of
// its OR alternatives has all its AND terms allowed.
func (a AllowList) Allows(id string) bool {
	if a.Empty() {
		return true
	}
	expr := strings.NewReplacer("(", " ", ")", " ").Replace(id)
	for _, alt := range splitWord(expr, "OR") {
		all := len(alt) > 0
		for _, term := range splitWord(strings.Join(alt, " "), "AND") {
			// "X WITH exception" is allowed when X is.
			if len(term) == 0 || !a.ids[strings.ToLower(term[0])] {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

// splitWord splits the words of s at each occurrence of the word sep.
func splitWord(s, sep string) [][]string {
	var out [][]string
	cur := []string{}
	for _, w := range strings.Fields(s) {
		if strings.EqualFold(w, sep) {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, w)
	}
	return append(out, cur)
}
