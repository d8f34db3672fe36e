package server

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	fake "github.com/query4code/query4code/services/orchestrator/internal/fakeservices"
)

const (
	mixedPath = "/repos/mixed"
	webPath   = "/repos/web"
)

// mixedRepo holds Python and TypeScript functions in one tree, as the parser reports them: the ids
// follow each language's module rules, npm APIs are package paths.
func mixedRepo() []*parserv1.Function {
	pad := fake.InLanguage(fake.Func("src.util.format.pad", 1,
		"export function pad(text: string, width: number): string {\n  return leftPad(text, width, ' ');\n}", nil, "@tiny/strings.leftPad"), "typescript")
	format := fake.InLanguage(fake.Func("src.util.format.Formatter.format", 2,
		"format(value: unknown): string {\n  const text = String(value);\n  return pad(text, this.width);\n}", []string{"src.util.format.pad"}), "typescript")
	ctor := fake.InLanguage(fake.Func("src.util.format.Formatter.constructor", 3,
		"constructor(width: number) {\n  this.width = width;\n}", nil), "typescript")
	ctor.IsTrivial = true
	spec := fake.InLanguage(fake.Func("src.util.format.spec.padsNumbers", 4,
		"function padsNumbers() {\n  expect(pad('1', 3)).toBe('  1');\n}", []string{"src.util.format.pad"}), "typescript")
	spec.IsTest = true
	// A copy of pad as another formatter writes it (double quotes, no semicolon): a near-duplicate.
	padCopy := fake.InLanguage(fake.Func("src.vendor.strings.pad", 6,
		"export function pad(text: string, width: number): string {\n  return leftPad(text, width, \" \")\n}", nil, "@tiny/strings.leftPad"), "typescript")
	slug := fake.InLanguage(fake.Func("tools.slug.slugify", 5,
		"def slugify(text):\n    words = text.lower().split()\n    return '-'.join(words)", nil), "python")
	return []*parserv1.Function{pad, format, ctor, spec, slug, padCopy}
}

// webRepo is a JavaScript source whose default export calls an npm API.
func webRepo() []*parserv1.Function {
	return []*parserv1.Function{fake.InLanguage(fake.Func("lib.index.default", 1,
		"module.exports = function (obj, key) {\n  const value = get(obj, key);\n  return value === undefined ? null : value;\n};", nil, "lodash.get"), "javascript")}
}

var wantLanguage = map[string]string{
	"src.util.format.pad":                   "typescript",
	"src.util.format.Formatter.format":      "typescript",
	"src.util.format.Formatter.constructor": "typescript",
	"src.util.format.spec.padsNumbers":      "typescript",
	"src.vendor.strings.pad":                "typescript",
	"src.broken.parse":                      "typescript",
	"tools.slug.slugify":                    "python",
	"lib.index.default":                     "javascript",
}

func newMixedEnv(t *testing.T) *env {
	e := newEnv(t)
	e.parser.SetRepo(mixedPath, mixedRepo())
	e.parser.SetStats(mixedPath, &parserv1.ParseStats{SyntaxErrorFunctions: []*parserv1.SyntaxErrorFunction{
		{Id: "src.broken.parse", Path: "src/broken.ts", StartLine: 1, EndLine: 4}}})
	e.parser.SetRepo(webPath, webRepo())
	return e
}

// TestMixedLanguagesOneDataset: Python and TypeScript functions of one source and JavaScript of another
// give one dataset in which every record, Parquet row and left-out function carries its language, the
// annotator is asked in each function's language, and the card counts and tags the languages.
func TestMixedLanguagesOneDataset(t *testing.T) {
	e := newMixedEnv(t)
	d := done(t, e.watch(e.submit(nil, mixedPath, webPath), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	out := d.GetOutputDir()

	rows := readRecords(t, filepath.Join(out, dataset.PairsFile))
	got := map[string]string{}
	for _, r := range rows {
		got[r.Function] = r.Language
		if want := wantLanguage[r.Function]; r.Language != want {
			t.Errorf("record %s in language %q, want %q", r.Function, r.Language, want)
		}
	}
	for _, fn := range []string{"src.util.format.pad", "src.util.format.Formatter.format", "tools.slug.slugify", "lib.index.default"} {
		if _, ok := got[fn]; !ok {
			t.Errorf("no record for %s; records: %v", fn, got)
		}
	}
	for _, r := range rows {
		if r.Function == "src.util.format.pad" && !slices.Equal(r.APIs, []string{"@tiny/strings.leftPad"}) {
			t.Errorf("pad's apis %v, want the scoped npm path", r.APIs)
		}
		if r.Function == "src.util.format.Formatter.format" && !slices.Equal(r.Callees, []string{"src.util.format.pad"}) {
			t.Errorf("format's callees %v", r.Callees)
		}
	}

	parquet := readParquetLanguages(t, out)
	if !slices.Equal(parquet, []string{"javascript", "python", "typescript", "typescript"}) {
		t.Errorf("Parquet languages %v, want one javascript, one python and two typescript rows", parquet)
	}

	excluded := map[string]dataset.Excluded{}
	for _, x := range readExcluded(t, filepath.Join(out, dataset.ExcludedFile)) {
		excluded[x.Function] = x
	}
	for fn, reason := range map[string]string{
		"src.util.format.Formatter.constructor": dataset.ReasonTrivial,
		"src.util.format.spec.padsNumbers":      dataset.ReasonTest,
		"src.broken.parse":                      dataset.ReasonSyntaxError,
		"src.vendor.strings.pad":                dataset.ReasonNearDuplicate,
	} {
		x, ok := excluded[fn]
		if !ok || x.Reason != reason || x.Language != wantLanguage[fn] {
			t.Errorf("excluded %s = %+v, want reason %s in %s", fn, x, reason, wantLanguage[fn])
		}
	}

	calls := e.annotator.Calls()
	if len(calls) == 0 {
		t.Fatal("no annotator call")
	}
	for _, c := range calls {
		if want := wantLanguage[c.Function]; c.Language != want {
			t.Errorf("%s of %s asked in %q, want %q", c.Method, c.Function, c.Language, want)
		}
	}
	// The TypeScript caller's prompt carries its TypeScript callee's summary, as for Python.
	if ctx := calleeContext(summarizeCall(t, e.annotator, "src.util.format.Formatter.format")); ctx["src.util.format.pad"] != "summary" {
		t.Errorf("format's callee context %v, want pad's summary", ctx)
	}

	card, err := os.ReadFile(filepath.Join(out, dataset.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	front, body, _ := strings.Cut(strings.TrimPrefix(string(card), "---\n"), "\n---\n")
	for _, tag := range []string{"\n- python\n", "\n- javascript\n", "\n- typescript\n"} {
		if !strings.Contains(front, tag) {
			t.Errorf("front matter lacks the tag %q:\n%s", strings.TrimSpace(tag), front)
		}
	}
	for _, want := range []string{
		"search queries and functions in Python, JavaScript and TypeScript",
		"| Python | 0 | 1 | 1 | 0 |",
		"| JavaScript | 0 | 1 | 1 | 0 |",
		"| TypeScript | 4 | 2 | 2 | 0 |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("card lacks %q:\n%s", want, body)
		}
	}
}

// TestLanguagesOption: the job's languages reach the parser, the manifest and the identity; only
// those languages enter the dataset; a language the parser does not read is refused at submission.
func TestLanguagesOption(t *testing.T) {
	e := newMixedEnv(t)
	opts := &orchestratorv1.JobOptions{Parse: &parserv1.ParseOptions{Languages: []string{"typescript"}}}
	d := done(t, e.watch(e.submit(opts, mixedPath), 0))
	if d.GetState() != orchestratorv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("state %v: %s", d.GetState(), d.GetError())
	}
	reqs := e.parser.Requests()
	if len(reqs) != 1 || !slices.Equal(reqs[0].GetLanguages(), []string{"typescript"}) {
		t.Fatalf("parse requests %v, want one asking for typescript", reqs)
	}
	for _, r := range readRecords(t, filepath.Join(d.GetOutputDir(), dataset.PairsFile)) {
		if r.Language != "typescript" {
			t.Errorf("record %s in %s, outside the languages asked", r.Function, r.Language)
		}
	}
	if m := manifestOf(t, d.GetOutputDir()); m.Parse == nil || !slices.Equal(m.Parse.Languages, []string{"typescript"}) {
		t.Errorf("manifest parse options %+v, want languages [typescript]", m.Parse)
	}
	card, err := os.ReadFile(filepath.Join(d.GetOutputDir(), dataset.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	if front, _, _ := strings.Cut(string(card), "\n---\n"); strings.Contains(front, "- python") || !strings.Contains(front, "- typescript") {
		t.Errorf("front matter tags the wrong languages:\n%s", front)
	}

	for _, langs := range [][]string{{"ruby"}, {"python", "python"}} {
		_, err := e.client.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{
			Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: mixedPath}}},
			Options: &orchestratorv1.JobOptions{Parse: &parserv1.ParseOptions{Languages: langs}}})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "languages") {
			t.Errorf("languages %v: error %v, want InvalidArgument naming the field", langs, err)
		}
	}
}

// readParquetLanguages reads the language column of every Parquet file of the dataset, with Apache
// Arrow's reader, sorted.
func readParquetLanguages(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, dataset.DataDir, "*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no Parquet file in %s: %v", dir, err)
	}
	var langs []string
	for _, p := range paths {
		table := readParquet(t, p)
		cols := table.Schema().FieldIndices("language")
		if len(cols) != 1 {
			t.Fatalf("%s has no language column", p)
		}
		for _, chunk := range table.Column(cols[0]).Data().Chunks() {
			strs, ok := chunk.(*array.String)
			if !ok {
				t.Fatalf("language column of type %s", chunk.DataType())
			}
			for i := 0; i < strs.Len(); i++ {
				langs = append(langs, strs.Value(i))
			}
		}
		table.Release()
	}
	slices.Sort(langs)
	return langs
}
