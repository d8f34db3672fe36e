package llm

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

func TestSplitIdentifier(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"split_multiline", []string{"split", "multiline"}},
		{"parseHTTPResponse2", []string{"parse", "http", "response", "2"}},
		{"XMLParser", []string{"xml", "parser"}},
		{"__init__", []string{"init"}},
		{"getURL", []string{"get", "url"}},
		{"kebab-case-name", []string{"kebab", "case", "name"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := splitIdentifier(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitIdentifier(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStemMergesForms(t *testing.T) {
	groups := [][]string{
		{"split", "splits", "splitting"},
		{"file", "files"},
		{"directory", "directories", "dir", "folder"},
		{"string", "strings", "str"},
		{"sort", "sorted", "sorting", "sorts"},
		{"dictionary", "dict", "dictionaries"},
		{"match", "matches"},
	}
	for _, g := range groups {
		want := stem(g[0])
		for _, w := range g[1:] {
			if got := stem(w); got != want {
				t.Errorf("stem(%q) = %q, stem(%q) = %q: want equal", w, got, g[0], want)
			}
		}
	}
	for _, pair := range [][2]string{{"class", "cla"}, {"status", "statu"}, {"this", "thi"}} {
		if stem(pair[0]) == pair[1] {
			t.Errorf("stem(%q) over-stemmed to %q", pair[0], pair[1])
		}
	}
}

func TestParsePython(t *testing.T) {
	code := "@cache\nasync def fetch_page(self, url: str, *, timeout: float = 3.0, **kw) -> bytes:\n" +
		"    '''Fetch a web page.\n\n    :param url: address\n    '''\n    return await get(url)\n"
	fn := parsePython(code)
	if fn.Name != "fetch_page" {
		t.Errorf("name %q", fn.Name)
	}
	if !slices.Equal(fn.Params, []string{"url", "timeout", "kw"}) {
		t.Errorf("params %v", fn.Params)
	}
	if firstSentence(fn.Docstring) != "Fetch a web page." {
		t.Errorf("docstring %q", fn.Docstring)
	}
	if !strings.Contains(fn.Body, "await get(url)") || strings.Contains(fn.Body, "Fetch a web page") {
		t.Errorf("body %q", fn.Body)
	}
	if got := parsePython("def f(x): return 'y'\n"); got.Name != "f" || got.Docstring != "" {
		t.Errorf("one-line def: %+v", got)
	}
	if got := parsePython("def broken(a, b\n"); got.Name != "broken" {
		t.Errorf("broken code: %+v", got)
	}
}

func TestFirstSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Split a string. Then more.", "Split a string."},
		{"Return the mean\nof the values.\n\nArgs:\n  x: values", "Return the mean of the values."},
		{"Compute x\n:param x: a value", "Compute x"},
		{"Version 1.2 of the API is used here", "Version 1.2 of the API is used here"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := firstSentence(tt.in); got != tt.want {
			t.Errorf("firstSentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOfflineSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   prompt.Input
		want string
	}{
		{
			"docstring",
			prompt.Input{Function: prompt.Function{Code: "def split_multiline(value):\n    \"\"\"Split a multiline string into a list, excluding blank lines.\"\"\"\n    return value.split()\n"}},
			"Split a multiline string into a list, excluding blank lines.",
		},
		{
			"docstring field wins",
			prompt.Input{Function: prompt.Function{Code: "def f(x):\n    return x\n", Docstring: "Return x unchanged"}},
			"Return x unchanged.",
		},
		{
			"name and params",
			prompt.Input{Function: prompt.Function{Code: "def load_config(path, strict=False):\n    return parse(read(path))\n"}},
			"Load config given path and strict.",
		},
		{"one-word method", prompt.Input{Function: prompt.Function{Code: "def readable(self):\n    return True\n"}}, "Readable method of the object."},
		{"property", prompt.Input{Function: prompt.Function{Code: "@property\ndef mimetype(self):\n    return self._mimetype\n"}}, "Return the mimetype property."},
		{"special method", prompt.Input{Function: prompt.Function{Code: "def __init__(self, app, config):\n    self.app = app\n"}}, "Initialize object given app and config."},
		{"verb prefix", prompt.Input{Function: prompt.Function{Code: "def is_secure(request):\n    return request.scheme == 'https'\n"}}, "Check if secure given request."},
		{
			"context",
			prompt.Input{
				Function: prompt.Function{Code: "def loadConfig(path):\n    return yaml.safe_load(read_text(path))\n"},
				Context: prompt.Context{
					Callees: []prompt.Callee{{ID: "pkg.io.read_text", Summary: "Reads a UTF-8 file. Raises on errors."}, {ID: "pkg.cfg.merge", Code: "def merge(): pass"}},
					APIDocs: []prompt.APIDoc{{API: "yaml.safe_load", Doc: "Parse YAML."}},
				},
			},
			"Load config given path. It relies on read_text (reads a UTF-8 file) and merge and uses yaml.safe_load.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewOffline().Summarize(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.Text != tt.want || s.Model != OfflineModel || s.Usage.Calls != 0 || s.Usage.CostUSD != 0 {
				t.Fatalf("got %+v, want text %q", s, tt.want)
			}
		})
	}
}

func TestOfflineGenerateQuery(t *testing.T) {
	off := NewOffline()
	summary := "Splits a multiline string into a list of lines."
	codes := []string{
		"def split_multiline(value):\n    return value.split()\n",
		"def split_multiline(value):\n    return value.splitlines()\n",
		"def split_multiline(text):\n    return text.split()\n",
		"def split_lines(text, keepends=False):\n    return text.splitlines(keepends)\n",
		"def split_rows(blob):\n    return [r for r in blob.split('\\n') if r]\n",
		"def lines_of(doc):\n    return doc.splitlines()\n",
	}
	shapes := map[string]bool{}
	seen := map[string]string{}
	for _, code := range codes {
		in := prompt.Input{Function: prompt.Function{Code: code}}
		q, err := off.GenerateQuery(context.Background(), in, summary)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := off.GenerateQuery(context.Background(), in, summary)
		if q.Text != again.Text {
			t.Fatalf("not deterministic: %q vs %q", q.Text, again.Text)
		}
		switch {
		case strings.HasPrefix(q.Text, "how to split multiline string into list of lines") && strings.HasSuffix(q.Text, " in python"):
			shapes["how to"] = true
		case strings.HasPrefix(q.Text, "python split multiline string list lines"):
			shapes["python first"] = true
		case strings.HasPrefix(q.Text, "split multiline string list lines") && strings.HasSuffix(q.Text, " python"):
			shapes["python last"] = true
		default:
			t.Fatalf("query %q does not start from the summary's task", q.Text)
		}
		if n := len(strings.Fields(q.Text)); n > 14 {
			t.Fatalf("query of %d words is not search-like: %q", n, q.Text)
		}
		if err := checkQuery(q.Text); err != nil {
			t.Fatalf("query %q fails the checks an LLM's query must pass: %v", q.Text, err)
		}
		if prev, dup := seen[q.Text]; dup {
			t.Fatalf("%q for both\n%s\n%s", q.Text, prev, code)
		}
		seen[q.Text] = code
	}
	if len(shapes) != 3 {
		t.Fatalf("want all three query shapes over %d functions, got %v", len(codes), shapes)
	}

	// Without a summary or docstring the name gives the task; special
	// methods say what they are for, parameters tell them apart.
	tests := []struct {
		code      string
		wantWords []string
	}{
		{"def readCsvRows(p):\n    pass\n", []string{"read", "csv", "rows"}},
		{"def __init__(self, app, config):\n    self.app = app\n    self.config = config\n", []string{"initialize", "app", "config"}},
		{"def __init__(self, environ, shallow=False):\n    self.environ = environ\n", []string{"initialize", "environ", "shallow"}},
		{"def __repr__(self):\n    return f'<{type(self).__name__} {self.url!r}>'\n", []string{"repr", "string"}},
		{"def to_info_dict(self, ctx):\n    return {'name': self.name}\n", []string{"convert", "info", "dict"}},
	}
	for _, tt := range tests {
		q, err := off.GenerateQuery(context.Background(), prompt.Input{Function: prompt.Function{Code: tt.code}}, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.wantWords {
			if !slices.Contains(strings.Fields(q.Text), w) {
				t.Errorf("query %q for %s lacks %q", q.Text, firstLine(tt.code), w)
			}
		}
	}
}

func TestTaskWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Returns True if the host should be bypassed.", "check if host should be bypassed"},
		{"Returns whether the path exists.", "check whether path exists"},
		{"Utility method to list all the domains in the jar.", "list all domains in jar"},
		{"Called if :meth:`get_json` fails and isn't silenced.", "called if get json fails and isn't silenced"},
		{"Returns a response object (a WSGI application) that redirects.", "get response object that redirects"},
		{"Load config given path and strict.", "load config"},
		{"Close method of the object.", "close"},
		{"The port of the URL as an integer.", "get port of url as integer"},
		{"The ``Content-Security-Policy`` header as a :class:`~werkzeug.datastructures.ContentSecurityPolicy` object.", "get content-security-policy header as content security policy object"},
	}
	for _, tt := range tests {
		if got := strings.Join(taskWords(tt.in), " "); got != tt.want {
			t.Errorf("taskWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOfflineValidate(t *testing.T) {
	code := "def split_multiline(value):\n    \"\"\"Split a multiline string into a list, excluding blank lines.\"\"\"\n" +
		"    return [element for element in (line.strip() for line in value.split('\\n')) if element]\n"
	tests := []struct {
		query    string
		min, max int
	}{
		{"python split strings into list of lines", 2, 3},
		{"how to split a multiline string in python", 3, 3},
		{"python split", 1, 3},
		{"read json file from url", 0, 0},
		{"the and of python", 0, 0}, // no content words
	}
	for _, tt := range tests {
		j, err := NewOffline().Validate(context.Background(), prompt.Input{Function: prompt.Function{Code: code}}, tt.query)
		if err != nil {
			t.Fatal(err)
		}
		if j.Score < tt.min || j.Score > tt.max {
			t.Errorf("%q: score %d (similarity %.3f, %s), want %d..%d", tt.query, j.Score, j.Relevance, j.Explanation, tt.min, tt.max)
		}
		if j.Explanation == "" || j.Model != OfflineModel {
			t.Errorf("%q: judgement %+v", tt.query, j)
		}
	}
}

func TestOfflineHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewOffline().Validate(ctx, prompt.Input{}, "q"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestLimiterSpacesConcurrentRequests(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		rpm, tpm int
		tokens   int
		calls    int
		// want are the sorted waits the limiter asks for.
		want []time.Duration
	}{
		{"requests burst one second's worth", 120, 0, 10, 4, []time.Duration{0, 0, 500 * time.Millisecond, time.Second}},
		{"tokens", 0, 600, 300, 4, []time.Duration{0, 0, 30 * time.Second, 60 * time.Second}},
		{"the stricter limit wins", 600, 1200, 600, 3, []time.Duration{0, 0, 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &recordingClock{now: func() time.Time { return base }}
			l := NewLimiter(tt.rpm, tt.tpm, clock)
			var wg sync.WaitGroup
			for range tt.calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := l.Wait(context.Background(), tt.tokens); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			got := clock.Sleeps()
			for len(got) < tt.calls {
				got = append(got, 0) // calls that did not wait
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("waits %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLimiterCancelledWaitGivesBackItsSlot(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &recordingClock{now: func() time.Time { return base }}
	l := NewLimiter(60, 0, clock)
	if err := l.Wait(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// The cancelled reservation is returned: the next caller waits 1s, not 2s.
	if err := l.Wait(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{time.Second, time.Second}) {
		t.Fatalf("waits %v", got)
	}
}

func BenchmarkOfflineAnnotateStages(b *testing.B) {
	off := NewOffline()
	ctx := context.Background()
	in := prompt.Input{Function: prompt.Function{Path: "x.py", Code: "def split_multiline(value):\n" +
		"    \"\"\"Split a multiline string into a list, excluding blank lines.\"\"\"\n" +
		"    return [element for element in (line.strip() for line in value.split('\\n')) if element]\n"}}
	for b.Loop() {
		s, _ := off.Summarize(ctx, in)
		q, _ := off.GenerateQuery(ctx, in, s.Text)
		if _, err := off.Validate(ctx, in, q.Text); err != nil {
			b.Fatal(err)
		}
	}
}
