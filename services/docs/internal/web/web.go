// Package web documents an API from the web: it asks an HTML search
// endpoint (DuckDuckGo's HTML form by default), keeps the results on
// documentation sites of an allowlist, fetches those pages and extracts the
// text around the API's name. It is polite (a per-host rate limit), bounded
// (timeouts, body size caps, a few pages per lookup) and never follows a
// redirect off the allowlist.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// DefaultSearchURL is DuckDuckGo's JavaScript-free result page.
const DefaultSearchURL = "https://html.duckduckgo.com/html/"

// DefaultAllowedDomains are documentation hosts trusted out of the box; a
// package's own documentation site is added per lookup (Hint).
var DefaultAllowedDomains = []string{"readthedocs.io", "docs.python.org"}

// Config tunes a Provider; zero values take the defaults.
type Config struct {
	// SearchURL is queried with the parameter q (default DefaultSearchURL).
	SearchURL string
	// AllowedDomains: a result is kept when its host is one of these or a
	// subdomain of one (default DefaultAllowedDomains).
	AllowedDomains []string
	// Timeout bounds each HTTP request (default 10s).
	Timeout time.Duration
	// MaxBodyBytes caps what is read of a response (default 2 MiB).
	MaxBodyBytes int64
	// MaxPages bounds the documentation pages fetched per lookup (default 3).
	MaxPages int
	// PerHostInterval is the least time between two requests to one host
	// (default 1s).
	PerHostInterval time.Duration
	// ContextChars bounds the text kept around the API name (default 4000).
	ContextChars int
	// UserAgent sent with every request.
	UserAgent string
	// Transport overrides the HTTP transport (tests).
	Transport http.RoundTripper
}

// Hint carries what is known about the API's package.
type Hint struct {
	// DocsURL is the package's documentation or home page (from its
	// metadata); its host joins the allowlist for this lookup.
	DocsURL string
}

// Provider is safe for concurrent use.
type Provider struct {
	cfg     Config
	search  *url.URL
	client  *http.Client
	limitMu sync.Mutex
	limits  map[string]*rate.Limiter
}

// New checks cfg and returns a provider.
func New(cfg Config) (*Provider, error) {
	if cfg.SearchURL == "" {
		cfg.SearchURL = DefaultSearchURL
	}
	if cfg.AllowedDomains == nil {
		cfg.AllowedDomains = DefaultAllowedDomains
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 2 << 20
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 3
	}
	if cfg.PerHostInterval <= 0 {
		cfg.PerHostInterval = time.Second
	}
	if cfg.ContextChars <= 0 {
		cfg.ContextChars = 4000
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "query4code-docs/1 (+https://github.com/query4code/query4code)"
	}
	search, err := url.Parse(cfg.SearchURL)
	if err != nil || (search.Scheme != "http" && search.Scheme != "https") || search.Host == "" {
		return nil, fmt.Errorf("web search URL %q: want an absolute http(s) URL", cfg.SearchURL)
	}
	domains := make([]string, 0, len(cfg.AllowedDomains))
	for _, d := range cfg.AllowedDomains {
		if d = strings.ToLower(strings.Trim(strings.TrimSpace(d), ".")); d != "" {
			domains = append(domains, d)
		}
	}
	cfg.AllowedDomains = domains
	p := &Provider{cfg: cfg, search: search, limits: map[string]*rate.Limiter{}}
	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 2
		t.IdleConnTimeout = 30 * time.Second
		t.ResponseHeaderTimeout = cfg.Timeout
		transport = t
	}
	p.client = &http.Client{
		Transport:     transport,
		Timeout:       cfg.Timeout,
		CheckRedirect: p.checkRedirect,
	}
	return p, nil
}

// Close releases idle connections.
func (p *Provider) Close() { p.client.CloseIdleConnections() }

// ErrOffAllowlist reports a redirect to a host outside the allowlist.
var ErrOffAllowlist = errors.New("redirect off the documentation allowlist")

type allowKey struct{}

// checkRedirect follows a redirect only to a host the request's allowlist
// (carried in its context) accepts.
func (p *Provider) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	allow, _ := req.Context().Value(allowKey{}).(func(*url.URL) bool)
	if allow == nil || !allow(req.URL) {
		return fmt.Errorf("%w: %s", ErrOffAllowlist, req.URL.Host)
	}
	return nil
}

// Lookup searches for api and returns the first documentation page that
// documents it. apidoc.ErrNotFound means the search and pages were read but
// none documents it; other errors (timeouts, HTTP failures) mean the web
// could not be asked.
func (p *Provider) Lookup(ctx context.Context, api string, hint Hint) (apidoc.Doc, error) {
	if err := apidoc.ValidateName(api); err != nil {
		return apidoc.Doc{}, err
	}
	domains := p.cfg.AllowedDomains
	if u, err := url.Parse(hint.DocsURL); err == nil && u.Hostname() != "" {
		domains = append(append([]string(nil), domains...), strings.ToLower(u.Hostname()))
	}
	allowDoc := func(u *url.URL) bool {
		return (u.Scheme == "http" || u.Scheme == "https") && hostAllowed(u.Hostname(), domains)
	}

	q := p.search.Query()
	q.Set("q", api+" python documentation")
	searchURL := *p.search
	searchURL.RawQuery = q.Encode()
	sameHost := func(u *url.URL) bool { return u.Host == p.search.Host }
	page, _, err := p.fetch(ctx, &searchURL, sameHost)
	if err != nil {
		return apidoc.Doc{}, fmt.Errorf("web search for %s: %w", api, err)
	}
	links := resultLinks(page, &searchURL, allowDoc, p.cfg.MaxPages)
	if len(links) == 0 {
		return apidoc.Doc{}, fmt.Errorf("%w: no search result for %s on a documentation site", apidoc.ErrNotFound, api)
	}
	var lastErr error
	for _, link := range links {
		body, final, err := p.fetch(ctx, link, allowDoc)
		if err != nil {
			if ctx.Err() != nil {
				return apidoc.Doc{}, ctx.Err()
			}
			if !errors.Is(err, ErrUnusablePage) { // a junk or missing page is an answer, not a failure
				lastErr = err
			}
			continue
		}
		sig, text, ok := extract(body, api, p.cfg.ContextChars)
		if !ok {
			continue
		}
		return apidoc.Doc{
			API:       api,
			Kind:      apidoc.KindWebPage,
			Signature: sig,
			Docstring: text,
			Source:    apidoc.SourceWeb,
			Location:  final.String(),
			Package:   apidoc.TopLevel(api),
		}, nil
	}
	if lastErr != nil {
		return apidoc.Doc{}, fmt.Errorf("web documentation for %s: %w", api, lastErr)
	}
	return apidoc.Doc{}, fmt.Errorf("%w: %d documentation page(s) found for %s, none documents it", apidoc.ErrNotFound, len(links), api)
}

func hostAllowed(host string, domains []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// ErrUnusablePage reports a response that answers, but not with a page to
// read: not HTML, or a client error such as 404 (but not 408 or 429, which
// say "try later").
var ErrUnusablePage = errors.New("unusable page")

// fetch GETs u after waiting for its host's turn and returns at most
// MaxBodyBytes of an HTML body, with the URL it finally came from.
func (p *Provider) fetch(ctx context.Context, u *url.URL, allow func(*url.URL) bool) ([]byte, *url.URL, error) {
	if err := p.limiter(u.Host).Wait(ctx); err != nil {
		return nil, nil, fmt.Errorf("wait for %s: %w", u.Host, err)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, allowKey{}, allow), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	req.Header.Set("Accept", "text/html")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close() //nolint:errcheck // the body has been read as far as needed
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode >= 400 && resp.StatusCode < 500 &&
			resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
			return nil, nil, fmt.Errorf("GET %s: %w: %s", u.Redacted(), ErrUnusablePage, resp.Status)
		}
		return nil, nil, fmt.Errorf("GET %s: %s", u.Redacted(), resp.Status)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
		return nil, nil, fmt.Errorf("GET %s: %w: not HTML (%q)", u.Redacted(), ErrUnusablePage, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxBodyBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", u.Redacted(), err)
	}
	return body, resp.Request.URL, nil
}

func (p *Provider) limiter(host string) *rate.Limiter {
	p.limitMu.Lock()
	defer p.limitMu.Unlock()
	l, ok := p.limits[host]
	if !ok {
		l = rate.NewLimiter(rate.Every(p.cfg.PerHostInterval), 1)
		p.limits[host] = l
	}
	return l
}
