package popularity

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// pypiPrior is written by scripts/gen-pypi-prior from the top-PyPI-packages
// download counts: distribution, 30-day downloads, import names.
//
//go:embed pypi_prior.tsv.gz
var pypiPrior []byte

// PackageDownloads is what the prior knows about the package an API belongs to.
type PackageDownloads struct {
	// Package is the import name matched (the longest dotted prefix of the API
	// the prior knows, e.g. "google.cloud.storage" or "numpy").
	Package string
	// Distribution is the PyPI distribution that installs it.
	Distribution string
	Downloads    int64
}

// Prior maps import names to download counts of the distributions that
// install them. It is safe for concurrent use.
type Prior struct {
	mu sync.RWMutex
	// byDistribution is keyed by PEP 503 normalised distribution name.
	byDistribution map[string]int64
	byImport       map[string]PackageDownloads
}

// EmbeddedPrior parses the table compiled into the binary.
func EmbeddedPrior() (*Prior, error) {
	zr, err := gzip.NewReader(bytes.NewReader(pypiPrior))
	if err != nil {
		return nil, fmt.Errorf("open embedded download prior: %w", err)
	}
	defer zr.Close() //nolint:errcheck // in-memory reader; a bad checksum surfaces as a read error
	p, err := ParsePrior(zr)
	if err != nil {
		return nil, fmt.Errorf("embedded download prior: %w", err)
	}
	return p, nil
}

// ParsePrior reads the TSV format of scripts/gen-pypi-prior: lines of
// "distribution<TAB>downloads<TAB>import,names"; '#' starts a comment line.
func ParsePrior(r io.Reader) (*Prior, error) {
	p := &Prior{byDistribution: map[string]int64{}, byImport: map[string]PackageDownloads{}}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) != 3 {
			return nil, fmt.Errorf("line %d: want 3 tab-separated fields, got %d", line, len(fields))
		}
		downloads, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || downloads < 0 {
			return nil, fmt.Errorf("line %d: bad download count %q", line, fields[1])
		}
		dist := NormalizeDistribution(fields[0])
		p.byDistribution[dist] = max(p.byDistribution[dist], downloads)
		if fields[2] == "" {
			continue
		}
		for _, name := range strings.Split(fields[2], ",") {
			if err := apidoc.ValidateName(name); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			p.addImport(name, dist, downloads)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read download prior: %w", err)
	}
	return p, nil
}

// addImport keeps, for an import name several distributions install
// (opencv-python and opencv-python-headless both give cv2), the best known.
func (p *Prior) addImport(name, dist string, downloads int64) {
	if cur, ok := p.byImport[name]; ok && cur.Downloads >= downloads {
		return
	}
	p.byImport[name] = PackageDownloads{Package: name, Distribution: dist, Downloads: downloads}
}

// MapInstalled links import names found in an installed distribution's
// metadata (top_level.txt, RECORD) to that distribution's downloads. It
// returns false when the prior has no download count for the distribution.
func (p *Prior) MapInstalled(distribution string, importNames []string) bool {
	dist := NormalizeDistribution(distribution)
	p.mu.Lock()
	defer p.mu.Unlock()
	downloads, ok := p.byDistribution[dist]
	if !ok {
		return false
	}
	for _, name := range importNames {
		if apidoc.ValidateName(name) == nil {
			p.addImport(name, dist, downloads)
		}
	}
	return true
}

// Lookup finds the package of api: the longest dotted prefix of api that
// the prior has an import name for.
func (p *Prior) Lookup(api string) (PackageDownloads, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	prefix := api
	for {
		if pd, ok := p.byImport[prefix]; ok {
			return pd, true
		}
		i := strings.LastIndexByte(prefix, '.')
		if i < 0 {
			return PackageDownloads{}, false
		}
		prefix = prefix[:i]
	}
}

// Distributions is the number of distributions the prior holds.
func (p *Prior) Distributions() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.byDistribution)
}

var distributionSeparators = regexp.MustCompile(`[-_.]+`)

// NormalizeDistribution is the PEP 503 normal form of a distribution name.
func NormalizeDistribution(name string) string {
	return strings.ToLower(distributionSeparators.ReplaceAllString(strings.TrimSpace(name), "-"))
}
