package jsbench

import (
	"fmt"
	"strings"
	"time"

	"github.com/query4code/query4code/bench/internal/jscompare"
	"github.com/query4code/query4code/bench/internal/report"
)

// Command is how the section is reproduced on its own.
const Command = "make bench-jscallgraph   # npm ci in bench/tsref, then both sides on every package"

// Intro describes the method; it heads the section whether or not it was measured.
var Intro = []string{
	"The parser's JavaScript/TypeScript call graph (`q4c callgraph --format json`) against the TypeScript " +
		"compiler's, on npm packages no one here wrote, installed by `npm ci` at the versions pinned in " +
		"`bench/tsref/package-lock.json` (Node and the `typescript` package are needed by this benchmark only). " +
		"Only each package's own source folder is analysed, never its dependencies.",
	"The reference (`bench/tsref/tsref.js`, TypeScript 5.9, the last compiler with the JavaScript API; " +
		"`allowJs`, `checkJs` off, the package's own tsconfig where it ships one) walks the compiler's AST and names " +
		"functions by the parser's rules (DESIGN.md, parser): module id = path without extension, `/` -> `.`; " +
		"declarations, class methods, accessors, function-valued class fields and `Class.constructor`; arrows and " +
		"function expressions bound to a module-level name; members of an object literal so bound, at any depth " +
		"(`obj.m`, `obj.inner.m`); `exports.x` / `module.exports.x` (`x`); anonymous default exports and " +
		"`module.exports = fn` (`default`; members of `module.exports = {...}` by their key); nested declarations " +
		"`outer.inner`; a name defined again (a setter after its getter) takes `#n`, as the parser numbers it. " +
		"Computed-name methods, callbacks and functions bound to local names are not named: their calls belong to " +
		"the nearest named function, or the module. The fixture `bench/tsref/testdata/naming` pins these rules " +
		"and is checked before every run. Edges are every call, `new` and decorator whose " +
		"`checker.getResolvedSignature(node).declaration` (an overload mapped to its implementation) is one of " +
		"those functions: `new C()` goes to `C.constructor`, or to the inherited one; a class without any " +
		"constructor gives no edge.",
	"Function recall: the compiler's function ids the parser also lists. Edges: both sides keep only edges " +
		"whose caller and callee both sides know (compiler functions or module nodes the parser also lists), so a " +
		"naming difference counts once, in function recall; the parser's resolved and name-matched edges count " +
		"alike. Time: in-process medians of the runs, the compiler's program creation, checking and resolution " +
		"against `stats.elapsed_ns` of q4c (Node start-up and loading the compiler are left out, in the " +
		"compiler's favour); speed-up = compiler time / q4c time. Targets (issue 21): function recall >= 0.98, " +
		"edge precision >= 0.85, edge recall >= 0.80, speed-up >= 5.",
}

// Failed is the section when the benchmark could not run, with the method and the packages.
func Failed(root string, err error) report.Section {
	text := Intro
	if pinned, perr := Pinned(root); perr == nil {
		text = append(append([]string{}, Intro...), pinned)
	}
	return report.Section{Text: text, Commands: []string{Command}, Err: err.Error()}
}

// Section renders the results as the report's section.
func Section(results []Result) report.Section {
	sec := report.Section{
		Text:     Intro,
		Commands: []string{Command},
		Table: &report.Table{Right: true, Header: []string{"package", "kind", "files", "functions",
			"function recall", "edges (compiler / q4c)", "edge precision", "edge recall",
			"compiler (ms)", "q4c (ms)", "speed-up"}},
	}
	var total jscompare.Counts
	var files int
	var tsc, q4c time.Duration
	for _, r := range results {
		sec.Table.Rows = append(sec.Table.Rows, row(fmt.Sprintf("%s@%s", r.Name, r.Version), r.Kind, r.Ref.Files, r.Score.Counts, r.TSC, r.Q4C))
		sec.Commands = append(sec.Commands, r.Commands...)
		total = total.Add(r.Score.Counts)
		files += r.Ref.Files
		tsc += r.TSC
		q4c += r.Q4C
	}
	if len(results) > 0 {
		sec.Table.Rows = append(sec.Table.Rows, row("**total**", "", files, total, tsc, q4c))
		parts := make([]string, len(results))
		for i, r := range results {
			parts[i] = r.describe(r.Version)
		}
		sec.Notes = append(sec.Notes, packagesLine(parts, results[0].Ref.TypeScript)+" Totals add the counts and the times "+
			"of the packages. The functions and edges each side misses are listed in `docs/bench-raw/jscallgraph.txt`.")
	}
	return sec
}

func row(name, kind string, files int, c jscompare.Counts, tsc, q4c time.Duration) []string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }
	speed := "-"
	if q4c > 0 {
		speed = fmt.Sprintf("%.1fx", float64(tsc)/float64(q4c))
	}
	return []string{name, kind, fmt.Sprint(files), fmt.Sprint(c.RefFunctions),
		fmt.Sprintf("%.3f (%d)", c.FunctionRecall(), c.FoundFunctions),
		fmt.Sprintf("%d / %d", c.RefEdges, c.PredEdges),
		fmt.Sprintf("%.3f", c.EdgePrecision()), fmt.Sprintf("%.3f", c.EdgeRecall()),
		ms(tsc), ms(q4c), speed}
}

// Raw lists what each side missed, for whoever tunes the parser (at most
// limit entries per list and package).
func Raw(results []Result, limit int) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "== %s@%s (%s)\n", r.Name, r.Version, r.Dir)
		for _, c := range r.Commands {
			fmt.Fprintf(&b, "$ %s\n", c)
		}
		fmt.Fprintf(&b, "compiler: %d files, %d functions, %d edges from %d call sites; median %s of runs %v ms\n",
			r.Ref.Files, len(r.Ref.Functions), len(r.Ref.Edges), r.Ref.CallSites, r.TSC.Round(time.Millisecond), r.Ref.RunsMs)
		fmt.Fprintf(&b, "q4c: %d functions; median %s\n", r.Score.PredFunctions, r.Q4C.Round(time.Millisecond))
		same := func(s string) string { return s }
		list(&b, "files q4c skipped", r.Skipped, limit, same)
		list(&b, "compiler functions q4c does not list", r.Score.MissingFunctions, limit, same)
		list(&b, "compiler edges q4c misses", r.Score.MissedEdges, limit, edge)
		list(&b, "q4c edges the compiler does not find", r.Score.ExtraEdges, limit, edge)
		b.WriteString("\n")
	}
	return b.String()
}

func edge(e [2]string) string { return e[0] + " -> " + e[1] }

func list[T any](b *strings.Builder, title string, items []T, limit int, show func(T) string) {
	fmt.Fprintf(b, "%s: %d\n", title, len(items))
	for i, it := range items {
		if i == limit {
			fmt.Fprintf(b, "  ... %d more\n", len(items)-limit)
			break
		}
		fmt.Fprintf(b, "  %s\n", show(it))
	}
}
