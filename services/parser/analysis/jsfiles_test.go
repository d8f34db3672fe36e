package analysis

import (
	"context"
	"strings"
	"testing"
)

// TestAnalyzeMixed: a tree with Python and TypeScript gives one result
// with both languages, module ids by each language's rules, no call
// crossing languages (the same name in both is not name-matched across),
// npm and Node calls split into API and standard-library calls, tsconfig
// paths followed, and the languages option filtering files.
func TestAnalyzeMixed(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tool/__init__.py":                 "",
		"tool/run.py":                      "def render():\n    x = 1\n    return x + 1\n\n\ndef main(o):\n    o.shared()\n    render()\n",
		"web/tsconfig.json":                `{ "compilerOptions": { "baseUrl": ".", "paths": { "@lib/*": ["src/lib/*"] } } }`,
		"web/src/lib/format.ts":            "/** Formats a value. */\nexport function format(v: unknown): string {\n  const s = String(v);\n  return s.trim();\n}\n",
		"web/src/app.ts":                   "import { format } from '@lib/format';\nimport { readFileSync } from 'node:fs';\nimport _ from 'lodash';\n\nexport class App {\n  shared() { return 1; }\n  run(p: string) {\n    const t = readFileSync(p, 'utf8');\n    return format(_.trim(t));\n  }\n}\n",
		"web/src/app.test.ts":              "import { App } from './app';\ntest('x', () => { new App().run('a'); });\n",
		"web/node_modules/lodash/index.js": "module.exports = {};\n",
		// The same module name in two languages: both are read.
		"tool/run.js": "function helper(a) {\n  return [a].map(String);\n}\nmodule.exports = { helper };\n",
		"tool/cli.py": "from tool.run import render\n\n\ndef cli():\n    render()\n",
		// Compiled output beside its TypeScript source: the source is read.
		"web/src/lib/format.js": "function format(v) {\n  return String(v).trim();\n}\nexports.format = format;\n",
	})
	res, err := Analyze(context.Background(), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Function{}
	for _, f := range res.Functions {
		byID[f.ID] = f
	}
	run, ok := byID["web.src.app.App.run"]
	if !ok {
		t.Fatalf("no web.src.app.App.run in %v", ids(res.Functions))
	}
	if run.Language != TypeScript || run.Class != "App" {
		t.Errorf("run: language %q class %q", run.Language, run.Class)
	}
	if len(run.Callees) != 1 || run.Callees[0].ID != "web.src.lib.format.format" || run.Callees[0].Kind != Resolved {
		t.Errorf("run callees = %+v", run.Callees)
	}
	if len(run.APICalls) != 1 || run.APICalls[0].API != "lodash.trim" {
		t.Errorf("run api calls = %+v", run.APICalls)
	}
	if len(run.StdlibCalls) != 1 || run.StdlibCalls[0].API != "fs.readFileSync" {
		t.Errorf("run stdlib calls = %+v", run.StdlibCalls)
	}
	if f := byID["web.src.lib.format.format"]; f.Docstring != "Formats a value." || f.Signature != "export function format(v: unknown): string" {
		t.Errorf("format: doc %q signature %q", f.Docstring, f.Signature)
	}
	main := byID["tool.run.main"]
	if main.Language != Python {
		t.Errorf("main language %q", main.Language)
	}
	for _, c := range main.Callees {
		if strings.HasPrefix(c.ID, "web.") {
			t.Errorf("python main calls %s across languages", c.ID)
		}
	}
	for id := range byID {
		if strings.HasPrefix(id, "web.src.app.test") {
			t.Errorf("%s emitted: a test file's callbacks belong to its module node", id)
		}
	}
	if f, ok := byID["tool.run.helper"]; !ok || f.Language != JavaScript {
		t.Errorf("tool/run.js beside tool/run.py: helper %+v", f)
	}
	if cli := byID["tool.cli.cli"]; len(cli.Callees) != 1 || cli.Callees[0].ID != "tool.run.render" {
		t.Errorf("cli callees = %+v, want tool.run.render (Python's tool.run beside tool/run.js)", cli.Callees)
	}
	if f := byID["web.src.lib.format.format"]; f.Language != TypeScript || f.Path != "web/src/lib/format.ts" {
		t.Errorf("format read from %s (%s), want the TypeScript source", f.Path, f.Language)
	}
	vendored, compiled := false, false
	for _, s := range res.Skipped {
		if s.Path == "web/node_modules" && s.Reason == "vendored" {
			vendored = true
		}
		if s.Path == "web/src/lib/format.js" && s.Reason == "compiled_output" {
			compiled = true
		}
	}
	if !compiled {
		t.Errorf("compiled web/src/lib/format.js not reported: %+v", res.Skipped)
	}
	if !vendored {
		t.Errorf("node_modules not reported: %+v", res.Skipped)
	}

	only, err := Analyze(context.Background(), Options{Root: dir, Languages: []string{Python}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range only.Functions {
		if f.Language != Python {
			t.Errorf("languages=python gave %s (%s)", f.ID, f.Language)
		}
	}
	if _, err := Analyze(context.Background(), Options{Root: dir, Languages: []string{"java"}}); err == nil {
		t.Error("unknown language accepted")
	}
}

func ids(fs []Function) []string {
	out := make([]string, len(fs))
	for k, f := range fs {
		out[k] = f.ID
	}
	return out
}
