package npm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

const fixtureRepo = "testdata/repo"

func TestLookupFixture(t *testing.T) {
	p := New(Options{})
	tests := []struct {
		api                 string
		kind                apidoc.Kind
		signature, doc, loc string
		line                int
		version             string
	}{
		// A package with its own declarations ("types"), overloads kept.
		{"typed-pkg.formatDate", apidoc.KindFunction,
			"function formatDate(date: Date, pattern?: string): string\nfunction formatDate(timestamp: number, pattern?: string): string",
			"Formats a date with a pattern.\n\n@param date - the date to format\n@param pattern - tokens such as `yyyy-MM-dd`\n@returns the formatted text",
			"node_modules/typed-pkg/dist/index.d.ts", 8, "2.1.0"},
		// export { parse as parseDate } from './parse'
		{"typed-pkg.parseDate", apidoc.KindFunction, "function parse(text: string): Date", "Parses an ISO 8601 date.",
			"node_modules/typed-pkg/dist/parse.d.ts", 2, "2.1.0"},
		// export * from './extra'
		{"typed-pkg.VERSION", apidoc.KindAttribute, "const VERSION: string", "The library version.",
			"node_modules/typed-pkg/dist/extra.d.ts", 2, "2.1.0"},
		{"typed-pkg.Client", apidoc.KindClass, "class Client\nconstructor(options: Options)", "A client for the typed service.",
			"node_modules/typed-pkg/dist/index.d.ts", 15, "2.1.0"},
		{"typed-pkg.Client.send", apidoc.KindMethod, "send(message: string, retries?: number): Promise<void>",
			"Sends one message and resolves when it is acknowledged.", "node_modules/typed-pkg/dist/index.d.ts", 19, "2.1.0"},
		{"typed-pkg.Options.timeout", apidoc.KindAttribute, "timeout?: number", "Milliseconds before a request gives up.",
			"node_modules/typed-pkg/dist/index.d.ts", 26, "2.1.0"},
		{"typed-pkg.util.clamp", apidoc.KindFunction, "function clamp(n: number, lo: number, hi: number): number", "Clamps n into [lo, hi].",
			"node_modules/typed-pkg/dist/index.d.ts", 32, "2.1.0"},
		// The package itself and "default" are its default export.
		{"typed-pkg", apidoc.KindFunction, "function createClient(): Client", "Creates a client with the default options.",
			"node_modules/typed-pkg/dist/index.d.ts", 36, "2.1.0"},
		{"typed-pkg.default", apidoc.KindFunction, "function createClient(): Client", "Creates a client with the default options.",
			"node_modules/typed-pkg/dist/index.d.ts", 36, "2.1.0"},
		// A subpath export whose types sit under a nested "import" condition.
		{"typed-pkg.fp.compose", apidoc.KindFunction, "function compose<A, B, C>(f: (b: B) => C, g: (a: A) => B): (a: A) => C",
			"Composes functions right to left.", "node_modules/typed-pkg/dist/fp.d.mts", 2, "2.1.0"},
		// @types/untyped-lib: export = untyped, merged with namespace untyped;
		// the version is the package's, not the @types package's.
		{"untyped-lib", apidoc.KindFunction, "function untyped(x: string): number", "Counts the characters of x.",
			"node_modules/@types/untyped-lib/index.d.ts", 4, "0.3.1"},
		{"untyped-lib.sub", apidoc.KindFunction, "function sub(a: number): void", "Subtracts nothing from a.\n@deprecated use untyped",
			"node_modules/@types/untyped-lib/index.d.ts", 11, "0.3.1"},
		// JavaScript only: JSDoc of CommonJS exports.
		{"js-only", apidoc.KindFunction, "function leftPad(str, len, ch)",
			"Pads the left side of a string.\n\n@param {string} str the string to pad\n@param {number} len the length to reach\n@param {string} [ch=' '] the padding character\n@returns {string}",
			"node_modules/js-only/index.js", 11, "1.0.4"},
		{"js-only.rightPad", apidoc.KindFunction, "function rightPad(str, len)", "Pads the right side of a string.",
			"node_modules/js-only/index.js", 18, "1.0.4"},
		{"js-only.center", apidoc.KindFunction, "center = (str, len) =>", "Centers a string.", "node_modules/js-only/index.js", 25, "1.0.4"},
		// module.exports.helpers = require('./lib/helpers'), an object literal.
		{"js-only.helpers.repeat", apidoc.KindMethod, "repeat(s, n)", "Repeats s n times.", "node_modules/js-only/lib/helpers.js", 3, "1.0.4"},
		{"js-only.helpers.trim", apidoc.KindFunction, "trim: function (s)", "Trims both ends.", "node_modules/js-only/lib/helpers.js", 5, "1.0.4"},
		// A file subpath (js-only/lib/extra) with ES exports.
		{"js-only.lib.extra.reverse", apidoc.KindFunction, "function reverse(s)", "Reverses a string.", "node_modules/js-only/lib/extra.js", 2, "1.0.4"},
		{"js-only.lib.extra.shout", apidoc.KindFunction, "const shout = async (s) =>", "Shouts.", "node_modules/js-only/lib/extra.js", 5, "1.0.4"},
		{"js-only.lib.extra", apidoc.KindClass, "class Stack\nconstructor()", "A stack of strings.", "node_modules/js-only/lib/extra.js", 10, "1.0.4"},
		{"js-only.lib.extra.default.push", apidoc.KindMethod, "push(item)", "Pushes one item.", "node_modules/js-only/lib/extra.js", 14, "1.0.4"},
		// Inherited through extends.
		{"typed-pkg.RetryingClient.send", apidoc.KindMethod, "send(message: string, retries?: number): Promise<void>",
			"Sends one message and resolves when it is acknowledged.", "node_modules/typed-pkg/dist/index.d.ts", 19, "2.1.0"},
		// A subpath file without a default export: its export of the subpath's name.
		{"@acme/tools.level", apidoc.KindFunction, "function level(surface: string, tolerance?: number): boolean",
			"Tells whether a surface is level.", "node_modules/@acme/tools/level.d.ts", 4, "5.0.0-beta.1"},
		// Scoped packages, a "typings" entry and a file subpath.
		{"@acme/tools.hammer", apidoc.KindFunction, "function hammer(nail: Nail, force?: number): void", "Drives a nail.",
			"node_modules/@acme/tools/index.d.ts", 2, "5.0.0-beta.1"},
		{"@acme/tools.sub.saw", apidoc.KindFunction, "function saw(board: string): [string, string]", "Cuts a board in two.",
			"node_modules/@acme/tools/sub.d.ts", 2, "5.0.0-beta.1"},
		// A package whose name holds a dot: the longest installed name wins.
		{"dotted.name", apidoc.KindFunction, "function debounce(func, wait)", "Creates a debounced function that delays invoking func.",
			"node_modules/dotted.name/index.js", 4, "4.0.8"},
		// pnpm links packages inside node_modules: allowed.
		{"linked.linkedFn", apidoc.KindFunction, "function linkedFn(): void", "Reached through a pnpm symlink inside node_modules.",
			"node_modules/linked/index.d.ts", 2, "1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			d, err := p.Lookup(context.Background(), fixtureRepo, tt.api)
			if err != nil {
				t.Fatal(err)
			}
			if d.API != tt.api || d.Kind != tt.kind || d.Signature != tt.signature || d.Docstring != tt.doc ||
				d.Location != tt.loc || d.Line != tt.line || d.Version != tt.version || d.Source != apidoc.SourceInstalled {
				t.Errorf("got  %s %q %q %s:%d %s %s\nwant %s %q %q %s:%d %s", d.Kind, d.Signature, d.Docstring, d.Location, d.Line, d.Version, d.Source,
					tt.kind, tt.signature, tt.doc, tt.loc, tt.line, tt.version)
			}
			if v := p.Version(fixtureRepo, tt.api); v != tt.version {
				t.Errorf("Version = %q, want %q", v, tt.version)
			}
		})
	}
}

func TestLookupNotFound(t *testing.T) {
	p := New(Options{})
	tests := map[string]string{
		"typed-pkg.nope":  `package "typed-pkg"@2.1.0 exports no "nope" (read node_modules/typed-pkg/dist/index.d.ts, node_modules/typed-pkg/dist/index.js)`,
		"nothere.x":       `package "nothere" is not installed in node_modules`,
		"@acme/nope.x":    `package "@acme/nope" is not installed in node_modules`,
		"broken-json.x":   `package "broken-json": malformed package.json: unexpected end of JSON input`,
		"escape.leak":     `node_modules/escape/index.d.ts resolves outside node_modules (a symlink)`,
		"evil.leak":       `package "evil": node_modules/evil/package.json resolves outside node_modules (a symlink)`,
		"js-only.helpers": "", // found: the object itself
	}
	for api, want := range tests {
		_, err := p.Lookup(context.Background(), fixtureRepo, api)
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", api, err)
			}
			continue
		}
		if !errors.Is(err, apidoc.ErrNotFound) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want ErrNotFound saying %q", api, err, want)
		}
	}
	if _, err := p.Lookup(context.Background(), fixtureRepo, "../etc.passwd"); !errors.Is(err, apidoc.ErrMalformedName) {
		t.Errorf("path climbing name: err = %v, want a malformed name", err)
	}
	if v := p.Version(fixtureRepo, "nothere.x"); v != "" {
		t.Errorf("Version of a missing package = %q", v)
	}
}

func TestFileSizeCap(t *testing.T) {
	// index.d.ts is over the cap; the small index.js does not define Client.
	p := New(Options{MaxFileBytes: 64})
	_, err := p.Lookup(context.Background(), fixtureRepo, "typed-pkg.Client.send")
	if !errors.Is(err, apidoc.ErrNotFound) || !strings.Contains(err.Error(), "over the 64 byte limit") {
		t.Errorf("err = %v, want the size limit named", err)
	}
	p = New(Options{MaxPackageJSONBytes: 16})
	_, err = p.Lookup(context.Background(), fixtureRepo, "typed-pkg.formatDate")
	if !errors.Is(err, apidoc.ErrNotFound) || !strings.Contains(err.Error(), "package.json is") {
		t.Errorf("err = %v, want the package.json size limit named", err)
	}
}

func TestRepositoryWithoutNodeModules(t *testing.T) {
	p := New(Options{})
	_, err := p.Lookup(context.Background(), t.TempDir(), "lodash.get")
	if !errors.Is(err, apidoc.ErrNotFound) || !strings.Contains(err.Error(), "no node_modules") {
		t.Errorf("err = %v", err)
	}
	// node_modules itself a symlink out of the repository.
	repo := t.TempDir()
	abs, err := filepath.Abs(filepath.Join(fixtureRepo, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(repo, "node_modules")); err != nil {
		t.Fatal(err)
	}
	_, err = p.Lookup(context.Background(), repo, "typed-pkg.formatDate")
	if !errors.Is(err, apidoc.ErrNotFound) || !strings.Contains(err.Error(), "symlink out of the repository") {
		t.Errorf("err = %v", err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(Options{}).Lookup(ctx, fixtureRepo, "typed-pkg.formatDate"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
