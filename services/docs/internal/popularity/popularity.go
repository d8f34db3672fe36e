// Package popularity decides whether a third-party API is well known enough
// for an LLM to understand without documentation. Following Query4Code, the
// main signal is how often the API is called across the corpus seen so far;
// a prior from PyPI downloads of the API's package backs it up.
package popularity

import "fmt"

// Thresholds decide popularity. An API is popular when its corpus call
// sites reach MinCallSites, or when its package's 30-day downloads reach
// MinDownloads. A threshold of 0 switches that rule off; with both off no
// API is popular and every API gets documentation.
type Thresholds struct {
	MinCallSites int64
	MinDownloads int64
}

// DefaultThresholds: ten call sites in the corpus, or a package in roughly
// the top 1,500 of PyPI (five million downloads in 30 days).
func DefaultThresholds() Thresholds {
	return Thresholds{MinCallSites: 10, MinDownloads: 5_000_000}
}

// Reason says which rule settled a decision.
type Reason string

const (
	// ReasonCallSites: the API is called often enough across the corpus.
	ReasonCallSites Reason = "call_sites"
	// ReasonDownloads: the API's package is downloaded often enough.
	ReasonDownloads Reason = "downloads"
	// ReasonBelowThresholds: neither rule holds; the API gets documentation.
	ReasonBelowThresholds Reason = "below_thresholds"
)

// Decision is a popularity verdict with the numbers behind it.
type Decision struct {
	API        string
	CallSites  int64
	Package    PackageDownloads // zero when the prior does not know the package
	Popular    bool
	Reason     Reason
	Thresholds Thresholds
	// Explanation is Reason in words, with the numbers.
	Explanation string
}

// Tracker combines the corpus counts and the download prior.
type Tracker struct {
	store    *Store
	prior    *Prior
	defaults Thresholds
}

// NewTracker decides with store and prior (either may be nil: no counts,
// no downloads) and the given default thresholds.
func NewTracker(store *Store, prior *Prior, defaults Thresholds) *Tracker {
	return &Tracker{store: store, prior: prior, defaults: defaults}
}

// Defaults returns the thresholds Decide uses when given none.
func (t *Tracker) Defaults() Thresholds { return t.defaults }

// Decide returns the verdict for api under th, or under the defaults when th
// is nil. api must be well formed (apidoc.ValidateName).
func (t *Tracker) Decide(api string, th *Thresholds) Decision {
	d := t.counted(api, th)
	if t.prior != nil {
		d.Package, _ = t.prior.Lookup(api)
	}
	decide(&d)
	return d
}

// counted starts a decision: the thresholds in force and the corpus count.
func (t *Tracker) counted(api string, th *Thresholds) Decision {
	d := Decision{API: api, Thresholds: t.defaults}
	if th != nil {
		d.Thresholds = *th
	}
	if t.store != nil {
		d.CallSites = t.store.CallSites(api)
	}
	return d
}

func decide(d *Decision) {
	th := d.Thresholds
	switch {
	case th.MinCallSites > 0 && d.CallSites >= th.MinCallSites:
		d.Popular, d.Reason = true, ReasonCallSites
		d.Explanation = fmt.Sprintf("popular: %d call sites in the corpus >= %d", d.CallSites, th.MinCallSites)
	case th.MinDownloads > 0 && d.Package.Downloads >= th.MinDownloads:
		d.Popular, d.Reason = true, ReasonDownloads
		d.Explanation = fmt.Sprintf("popular: package %s (%s) has %d downloads in 30 days >= %d",
			d.Package.Package, d.Package.Distribution, d.Package.Downloads, th.MinDownloads)
	default:
		d.Popular, d.Reason = false, ReasonBelowThresholds
		d.Explanation = "unpopular: " + callSitesClause(d) + "; " + downloadsClause(d)
	}
}

func callSitesClause(d *Decision) string {
	if d.Thresholds.MinCallSites <= 0 {
		return fmt.Sprintf("%d call sites (call-site rule off)", d.CallSites)
	}
	return fmt.Sprintf("%d call sites < %d", d.CallSites, d.Thresholds.MinCallSites)
}

func downloadsClause(d *Decision) string {
	switch {
	case d.Package.Distribution == "":
		return "no download data for its package"
	case d.Thresholds.MinDownloads <= 0:
		return fmt.Sprintf("package %s has %d downloads (download rule off)", d.Package.Package, d.Package.Downloads)
	default:
		return fmt.Sprintf("package %s (%s) has %d downloads < %d",
			d.Package.Package, d.Package.Distribution, d.Package.Downloads, d.Thresholds.MinDownloads)
	}
}
