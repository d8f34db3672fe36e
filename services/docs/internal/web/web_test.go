package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sphinxPage is shaped like a Sphinx autodoc page on Read the Docs.
const sphinxPage = `<!DOCTYPE html><html><head><title>API</title><script>var x = "fixturelib.fetch";</script></head>
<body><nav class="wy-nav-side">fixturelib.fetch fixturelib.Client</nav>
<div role="main" class="document"><section id="module-fixturelib">
<h1>API<a class="headerlink" href="#module-fixturelib">¶</a></h1>
<dl class="py function">
<dt class="sig sig-object py" id="fixturelib.fetch">
<span class="sig-prename descclassname">fixturelib.</span><span class="sig-name descname">fetch</span>(<em>url</em>, <em>timeout=None</em>)<a class="reference internal" href="_modules/fixturelib.html#fetch">[source]</a><a class="headerlink" href="#fixturelib.fetch">¶</a></dt>
<dd><p>Fetch <code>url</code> and return its body.</p>
<dl class="field-list"><dt>Parameters</dt><dd><p><strong>url</strong> – where to go.</p></dd></dl>
<pre>body = fixturelib.fetch("https://example.org")
print(body)</pre>
</dd></dl></section></div>
<footer>© fixturelib.fetch authors</footer></body></html>`

// prosePage mentions the API in running text only.
const prosePage = `<html><body><div class="content">
<h2>Getting started</h2><p>Install it first.</p>
<p>Call <code>fixturelib.Client.close</code> when you are done; it releases the pool.</p>
<p>Then nothing else.</p></div></body></html>`

// site is a recorded-style search engine and documentation site.
type site struct {
	*httptest.Server
	release chan struct{}
	hits    atomic.Int64
}

func newSite(t *testing.T) *site {
	s := &site{release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/html/", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		q := r.URL.Query().Get("q")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var links []string
		switch {
		case strings.HasPrefix(q, "fixturelib.fetch "):
			links = []string{"http://evil.example/fixturelib.fetch", "/docs/api.html#fixturelib.fetch"}
		case strings.HasPrefix(q, "fixturelib.Client.close "):
			links = []string{"/docs/prose.html"}
		case strings.HasPrefix(q, "fixturelib.slow "):
			links = []string{"/slow"}
		case strings.HasPrefix(q, "fixturelib.junk "):
			links = []string{"/junk", "/garbage.html"}
		case strings.HasPrefix(q, "fixturelib.redirect "):
			links = []string{"/redirect"}
		case strings.HasPrefix(q, "fixturelib.nowhere "):
			links = []string{"http://evil.example/only"}
		case strings.HasPrefix(q, "fixturelib.missing "):
			links = []string{"/docs/api.html"}
		}
		_, _ = fmt.Fprint(w, `<html><body><div class="results">`)
		for _, l := range links {
			// DuckDuckGo wraps each result in its own redirect.
			target := s.URL + l
			if strings.HasPrefix(l, "http") {
				target = l
			}
			_, _ = fmt.Fprintf(w, `<div class="result"><a class="result__a" href="//duckduckgo.com/l/?uddg=%s&amp;rut=abc">r</a></div>`, url.QueryEscape(target))
		}
		_, _ = fmt.Fprint(w, `</div></body></html>`)
	})
	mux.HandleFunc("/docs/api.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, sphinxPage)
	})
	mux.HandleFunc("/docs/prose.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, prosePage)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	})
	mux.HandleFunc("/junk", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte{0, 1, 2, 0xff, 0xfe})
	})
	mux.HandleFunc("/garbage.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, "<<<>>> \x00 </dt></dd> <p id='x'> not the API at all")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://evil.example/docs/api.html", http.StatusFound)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

func newProvider(t *testing.T, s *site, timeout time.Duration) *Provider {
	t.Helper()
	p, err := New(Config{
		SearchURL:       s.URL + "/html/",
		AllowedDomains:  []string{"127.0.0.1"},
		Timeout:         timeout,
		PerHostInterval: time.Millisecond,
		ContextChars:    400,
		Transport:       s.Client().Transport,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestLookup(t *testing.T) {
	s := newSite(t)
	p := newProvider(t, s, 2*time.Second)
	tests := []struct {
		api        string
		sig        string
		textHas    []string
		textLacks  []string
		location   string
		notFound   bool
		otherError bool
	}{
		{api: "fixturelib.fetch", sig: "fixturelib.fetch(url, timeout=None)",
			textHas:   []string{"Fetch url and return its body.", "url – where to go.", "body = fixturelib.fetch(\"https://example.org\")\nprint(body)"},
			textLacks: []string{"authors", "¶", "var x"}, location: "/docs/api.html"},
		{api: "fixturelib.Client.close", textHas: []string{"Call fixturelib.Client.close when you are done", "Then nothing else."},
			textLacks: []string{"Install it first"}, location: "/docs/prose.html"},
		{api: "fixturelib.junk", notFound: true},
		{api: "fixturelib.redirect", otherError: true},
		{api: "fixturelib.nowhere", notFound: true},
		{api: "fixturelib.missing", notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			doc, err := p.Lookup(context.Background(), tt.api, Hint{})
			switch {
			case tt.notFound:
				if !errors.Is(err, apidoc.ErrNotFound) {
					t.Fatalf("err = %v, want not found", err)
				}
				return
			case tt.otherError:
				if err == nil || errors.Is(err, apidoc.ErrNotFound) {
					t.Fatalf("err = %v, want a fetch failure", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if doc.Signature != tt.sig || doc.Source != apidoc.SourceWeb || doc.Kind != apidoc.KindWebPage || doc.API != tt.api {
				t.Errorf("doc = %+v", doc)
			}
			if !strings.HasPrefix(doc.Location, s.URL+tt.location) {
				t.Errorf("location %q, want %s%s", doc.Location, s.URL, tt.location)
			}
			for _, want := range tt.textHas {
				if !strings.Contains(doc.Docstring, want) {
					t.Errorf("text lacks %q:\n%s", want, doc.Docstring)
				}
			}
			for _, bad := range tt.textLacks {
				if strings.Contains(doc.Docstring, bad) {
					t.Errorf("text has %q:\n%s", bad, doc.Docstring)
				}
			}
		})
	}
}

func TestTimeoutIsAnErrorNotAHang(t *testing.T) {
	s := newSite(t)
	p := newProvider(t, s, 50*time.Millisecond)
	_, err := p.Lookup(context.Background(), "fixturelib.slow", Hint{})
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
}

func TestRedirectOffAllowlistIsRefused(t *testing.T) {
	s := newSite(t)
	p := newProvider(t, s, 2*time.Second)
	_, err := p.Lookup(context.Background(), "fixturelib.redirect", Hint{})
	if !errors.Is(err, ErrOffAllowlist) {
		t.Errorf("err = %v, want ErrOffAllowlist", err)
	}
}

func TestHintAddsThePackageDocsHost(t *testing.T) {
	s := newSite(t)
	p, err := New(Config{SearchURL: s.URL + "/html/", AllowedDomains: []string{"docs.python.org"}, Transport: s.Client().Transport, PerHostInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Lookup(context.Background(), "fixturelib.fetch", Hint{}); !errors.Is(err, apidoc.ErrNotFound) {
		t.Fatalf("without the hint: err = %v, want not found (host not allowed)", err)
	}
	doc, err := p.Lookup(context.Background(), "fixturelib.fetch", Hint{DocsURL: s.URL + "/docs/"})
	if err != nil || doc.Signature == "" {
		t.Fatalf("with the hint: %+v, %v", doc, err)
	}
}

func TestPerHostRateLimit(t *testing.T) {
	s := newSite(t)
	p, err := New(Config{SearchURL: s.URL + "/html/", AllowedDomains: []string{"127.0.0.1"}, Transport: s.Client().Transport, PerHostInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The first request spends the host's only token; the next must wait an
	// hour, which a short deadline refuses at once.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = p.Lookup(ctx, "fixturelib.fetch", Hint{})
	if err == nil || !strings.Contains(err.Error(), "wait for") {
		t.Errorf("err = %v, want the rate limiter to refuse", err)
	}
	if got := s.hits.Load(); got != 1 {
		t.Errorf("search endpoint hit %d times, want 1", got)
	}
}

func TestNewRejectsBadSearchURL(t *testing.T) {
	for _, u := range []string{"ftp://x/", "not a url", "/relative"} {
		if _, err := New(Config{SearchURL: u}); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	domains := []string{"readthedocs.io", "docs.python.org"}
	for host, want := range map[string]bool{
		"requests.readthedocs.io": true, "readthedocs.io": true, "docs.python.org": true, "DOCS.python.org.": true,
		"evilreadthedocs.io": false, "readthedocs.io.evil.com": false, "python.org": false,
	} {
		if got := hostAllowed(host, domains); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestContainsName(t *testing.T) {
	for _, tt := range []struct {
		s, name string
		want    bool
	}{
		{"call requests.get(url)", "requests.get", true},
		{"requests.get_adapter", "requests.get", false},
		{"myrequests.get", "requests.get", false},
		{"x requests.get_x requests.get.", "requests.get", true},
		{"see requests.get.__doc__", "requests.get", false},
		{"x requests.get_x requests.get", "requests.get", true},
	} {
		if got := containsName(tt.s, tt.name); got != tt.want {
			t.Errorf("containsName(%q, %q) = %v", tt.s, tt.name, got)
		}
	}
}

func FuzzExtract(f *testing.F) {
	f.Add([]byte(sphinxPage), "fixturelib.fetch")
	f.Add([]byte(prosePage), "fixturelib.Client.close")
	f.Fuzz(func(t *testing.T, page []byte, api string) {
		_, text, ok := extract(page, api, 100)
		if ok && len([]rune(text)) > 100 {
			t.Fatalf("text of %d runes exceeds the limit", len([]rune(text)))
		}
	})
}
