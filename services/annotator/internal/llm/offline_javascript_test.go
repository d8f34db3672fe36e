package llm

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

func TestParseJS(t *testing.T) {
	tests := []struct {
		name, code string
		want       sourceFunction
		bodyHas    string
	}{
		{"declaration", "function formatDate(date, fmt = 'YYYY-MM-DD') {\n  return dayjs(date).format(fmt);\n}",
			sourceFunction{Name: "formatDate", Params: []string{"date", "fmt"}}, "dayjs(date)"},
		{"exported generator with destructuring", "export default async function* walk(dir: string, { depth = 1, follow }: Opts = {}) {\n  yield dir;\n}",
			sourceFunction{Name: "walk", Params: []string{"dir", "depth", "follow"}}, "yield dir"},
		{"arrow", "const debounce = (fn, wait) => {\n  let timer;\n  return fn;\n}",
			sourceFunction{Name: "debounce", Params: []string{"fn", "wait"}}, "let timer"},
		{"typed async arrow", "export const parseQuery = async (url: string, ...rest: string[]): Promise<Query> => {\n  return new URL(url);\n}",
			sourceFunction{Name: "parseQuery", Params: []string{"url", "rest"}}, "new URL(url)"},
		{"arrow without brackets", "const double = x => x * 2", sourceFunction{Name: "double", Params: []string{"x"}}, "x * 2"},
		{"exports.x", "exports.slugify = function slugify(text) {\n  return text.toLowerCase();\n};",
			sourceFunction{Name: "slugify", Params: []string{"text"}}, "toLowerCase"},
		{"module.exports", "module.exports = function (obj, key) {\n  return obj[key];\n};",
			sourceFunction{Params: []string{"obj", "key"}}, "obj[key]"},
		{"default arrow", "export default (req, res) => {\n  res.end();\n}", sourceFunction{Params: []string{"req", "res"}}, "res.end()"},
		{"prototype", "Formatter.prototype.pad = function (text) {\n  return text;\n};", sourceFunction{Name: "pad", Params: []string{"text"}}, "return text"},
		{"getter", "get fullName() {\n  return `${this.first} ${this.last}`;\n}", sourceFunction{Name: "fullName", Method: true, Property: true}, "this.first"},
		{"static generic method", "static async fromFile<T>(path: string, enc?: BufferEncoding): Promise<T> {\n  return JSON.parse(await readFile(path, enc));\n}",
			sourceFunction{Name: "fromFile", Params: []string{"path", "enc"}, Method: true}, "readFile(path, enc)"},
		{"constructor with parameter properties", "constructor(private readonly width: number, public name = 'x', this_: T) {\n  super();\n}",
			sourceFunction{Name: "constructor", Params: []string{"width", "name", "this_"}, Method: true}, "super()"},
		{"object-literal property", "retry: function (times) {\n  return times - 1;\n}", sourceFunction{Name: "retry", Params: []string{"times"}}, "times - 1"},
		{"private method", "#secret(a) {\n  return a;\n}", sourceFunction{Name: "secret", Params: []string{"a"}, Method: true}, "return a"},
		{"jsdoc and decorator", "/**\n * Sets the value shown.\n * @param {string} v the value\n */\n@Input()\nset value(v: string) {\n  this._value = v;\n}",
			sourceFunction{Name: "value", Params: []string{"v"}, Method: true, Docstring: "Sets the value shown.\n@param {string} v the value"}, "this._value"},
		{"broken", "function broken(a, b\n", sourceFunction{Name: "broken"}, "(a, b"},
		{"not a function", "42;", sourceFunction{}, "42;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseFunction(tt.code, "typescript")
			if got.Language != "typescript" || got.Name != tt.want.Name || !slices.Equal(got.Params, tt.want.Params) ||
				got.Method != tt.want.Method || got.Property != tt.want.Property || got.Docstring != tt.want.Docstring {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if !strings.Contains(got.Body, tt.bodyHas) {
				t.Errorf("body %q lacks %q", got.Body, tt.bodyHas)
			}
		})
	}
}

func TestJSDocstring(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/**\n * Formats a duration as text.\n * See {@link Duration} and {@link https://x.y | the spec}.\n * @param {number} ms\n * @returns {string}\n */",
			"Formats a duration as text.\nSee Duration and https://x.y."},
		{"Formats a duration as text.\n@param ms milliseconds", "Formats a duration as text."},
		{"@deprecated use format", ""},
	}
	for _, tt := range tests {
		if got := jsDocstring(tt.in); got != tt.want {
			t.Errorf("jsDocstring(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// jsFunction is a prompt function in language lang.
func jsFunction(lang, code, docstring string) prompt.Function {
	return prompt.Function{Path: "src/x.ts", Language: lang, Code: code, Docstring: docstring}
}

func TestOfflineSummarizeJavaScript(t *testing.T) {
	tests := []struct {
		name string
		fn   prompt.Function
		want string
	}{
		{"JSDoc docstring field", jsFunction("javascript", "function f(ms) {\n  return String(ms);\n}",
			"/**\n * Formats a duration as text.\n * @param {number} ms\n */"), "Formats a duration as text."},
		{"JSDoc in the code", jsFunction("typescript", "/** Pads text on the left. */\nexport function pad(text: string, width: number): string {\n  return text.padStart(width);\n}", ""),
			"Pads text on the left."},
		{"name and params", jsFunction("javascript", "function loadConfig(path, strict = false) {\n  return parse(read(path));\n}", ""),
			"Load config given path and strict."},
		{"getter", jsFunction("typescript", "get fullName(): string {\n  return this.first + this.last;\n}", ""), "Return the full name property."},
		{"constructor", jsFunction("typescript", "constructor(private width: number) {\n  this.width = width;\n}", ""), "Initialize object given width."},
		{"one-word method", jsFunction("javascript", "close() {\n  this.socket.end();\n}", ""), "Close method of the object."},
		{"one-word function", jsFunction("javascript", "function close() {\n  socket.end();\n}", ""), "Close function."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewOffline().Summarize(context.Background(), prompt.Input{Function: tt.fn})
			if err != nil {
				t.Fatal(err)
			}
			if s.Text != tt.want {
				t.Errorf("summary %q, want %q", s.Text, tt.want)
			}
		})
	}
}

// TestOfflineQueryJavaScript: queries about JavaScript and TypeScript functions name their language,
// never Python, and take their specific words from the code as JavaScript writes it.
func TestOfflineQueryJavaScript(t *testing.T) {
	code := "class Cache {\n" +
		"  put(key, value) {\n" +
		"    // evict(key) is not called here\n" +
		"    if (this.size >= this.limit) {\n" +
		"      throw new CapacityError('full');\n" +
		"    }\n" +
		"    this.entries = storeEntry(this.entries, key, value);\n" +
		"    return this.entries;\n" +
		"  }\n" +
		"}\n"
	method := "put(key, value) {" + strings.SplitN(code, "put(key, value) {", 2)[1]
	shapes := map[string]bool{}
	for i, lang := range []string{"javascript", "typescript", "javascript", "typescript", "javascript", "typescript"} {
		fn := jsFunction(lang, method+strings.Repeat(" ", i), "")
		q, err := NewOffline().GenerateQuery(context.Background(), prompt.Input{Function: fn}, "Stores a value in the cache under its key.")
		if err != nil {
			t.Fatal(err)
		}
		words := strings.Fields(q.Text)
		if !slices.Contains(words, lang) || slices.Contains(words, "python") {
			t.Errorf("%s query %q does not name its language alone", lang, q.Text)
		}
		for _, w := range []string{"evict", "function", "this", "if", "new"} {
			if slices.Contains(words, w) {
				t.Errorf("query %q holds %q, which is comment or syntax", q.Text, w)
			}
		}
		switch {
		case strings.HasPrefix(q.Text, "how to "):
			shapes["how to"] = true
		case strings.HasPrefix(q.Text, lang+" "):
			shapes["prefix"] = true
		case strings.HasSuffix(q.Text, " "+lang):
			shapes["suffix"] = true
		}
		if _, err := ParseQuery(`{"query": "` + q.Text + `"}`); err != nil {
			t.Errorf("query %q does not pass the query check: %v", q.Text, err)
		}
	}
	if len(shapes) < 2 {
		t.Errorf("queries took %d shapes, want the hash to vary them", len(shapes))
	}
	// Without a summary or docstring, the task comes from the name.
	q, err := NewOffline().GenerateQuery(context.Background(), prompt.Input{Function: jsFunction("typescript", "export const parseQuery = (url: string) => new URL(url).searchParams;", "")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q.Text, "parse query") {
		t.Errorf("query %q lacks the name's words", q.Text)
	}
}

func TestOfflineValidateJavaScript(t *testing.T) {
	fn := jsFunction("javascript", "/**\n * Formats a duration in milliseconds as text.\n */\nfunction formatDuration(ms) {\n"+
		"  const seconds = Math.floor(ms / 1000);\n  if (seconds === null) { throw new TypeError('bad'); }\n  return `${seconds}s`;\n}", "")
	judge := func(q string) Judgement {
		j, err := NewOffline().Validate(context.Background(), prompt.Input{Function: fn}, q)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	good, named, unrelated := judge("format duration milliseconds"), judge("format duration milliseconds javascript"), judge("parse xml file")
	if good.Score < 2 || unrelated.Score > 1 {
		t.Errorf("scores %d (matching) and %d (unrelated)", good.Score, unrelated.Score)
	}
	if named.Relevance != good.Relevance {
		t.Errorf("naming the language changed the relevance: %v vs %v", named.Relevance, good.Relevance)
	}
	if kw := judge("const function null throw"); kw.Relevance > 0.1 {
		t.Errorf("JavaScript keywords matched the code: %+v", kw)
	}
}

// FuzzParseJS: the JavaScript reader takes any text without panicking, and what it names is an
// identifier.
func FuzzParseJS(f *testing.F) {
	for _, seed := range []string{
		"function f(a, b = 'x') {}", "const f = async ({ a, b: [c] }, ...d) => a", "get x() { return 1 }",
		"/** doc */\n@D()\nstatic #m<T>(a: T): T {", "module.exports = function (", "f(`${`", "/*", "(((", "exports.x = x => x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, code string) {
		fn := parseFunction(code, "javascript")
		for _, name := range append([]string{fn.Name}, fn.Params...) {
			if name != "" && !jsIdentifierRe.MatchString(name) {
				t.Fatalf("name %q of %q is not an identifier", name, code)
			}
		}
		_ = jsDocstring(code)
	})
}
