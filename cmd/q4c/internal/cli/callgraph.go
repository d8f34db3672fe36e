package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/query4code/query4code/services/parser/analysis"
)

func newCallgraphCmd() *cobra.Command {
	var format string
	var include, exclude, languages []string
	var skipTests, skipDunder, skipTrivial bool
	cmd := &cobra.Command{
		Use:   "callgraph [--format pycg|json] DIR",
		Short: "Print the call graph of the Python, JavaScript and TypeScript code under DIR",
		Long: `Print the call graph of the Python, JavaScript and TypeScript code under DIR.

--format pycg prints PyCG's JSON format ({"caller": ["callee", ...]}, module nodes for
module-level code, every defined function a key), so it can be scored against PyCG's
ground truth; like PyCG, it names modules by their path relative to DIR. --format json
prints query4code's own graph: functions callee-first with their callees, strongly
connected components, levels and traits (is_test, is_dunder, is_trivial), with module ids
by Python's import semantics (a DIR that is a package keeps its name, a src/ layout is
looked through; docs/api.md), then the files skipped and the functions left out for
syntax errors. JavaScript/TypeScript modules are named by their path without extension
(src/util/format.ts -> src.util.format); a mixed tree gives one graph with both, calls
never crossing languages; of a TypeScript source and the JavaScript compiled beside it
(a.ts, a.js) only the source is read. --language (python, javascript, typescript;
repeatable) picks the languages read, all by default.

--include and --exclude choose the files (globs on slash paths relative to DIR); code in
left-out files is not analysed, so calls into it become unresolved or external.
--skip-tests leaves out test files (test_*.py, *_test.py, conftest.py, tests.py, *.test.js,
*.spec.ts, files under test/, tests/, testing/, __tests__/ ...: not analysed) and test functions (test_*, methods of
TestCase classes); --skip-dunder and --skip-trivial leave out __dunder__ methods and
trivial functions (under 3 lines, or a body that only passes, returns a constant or a
parameter, or raises). The last two still take part in call resolution.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := analysis.Options{
				Root: args[0], Include: include, Exclude: exclude,
				SkipTests: skipTests, SkipDunder: skipDunder, SkipTrivial: skipTrivial,
				DirectoryModuleNames: format == "pycg", Languages: languages,
			}
			res, err := analysis.Analyze(cmd.Context(), opts)
			if err != nil {
				return err
			}
			var out []byte
			switch format {
			case "pycg":
				out, err = analysis.MarshalPyCG(res.PyCG())
			case "json":
				out, err = json.MarshalIndent(res.Graph(), "", "  ")
			default:
				return fmt.Errorf("unknown --format %q (want pycg or json)", format)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "pycg", "output format: pycg or json")
	cmd.Flags().StringSliceVar(&include, "include", nil, "glob of files to include (repeatable)")
	cmd.Flags().StringSliceVar(&exclude, "exclude", nil, "glob of files to exclude (repeatable)")
	cmd.Flags().StringSliceVar(&languages, "language", nil, "language to read: python, javascript or typescript (repeatable; default all)")
	cmd.Flags().BoolVar(&skipTests, "skip-tests", false, "leave out test files and test functions (by convention, see --help)")
	cmd.Flags().BoolVar(&skipDunder, "skip-dunder", false, "leave out __dunder__ methods")
	cmd.Flags().BoolVar(&skipTrivial, "skip-trivial", false, "leave out trivial functions")
	return cmd
}
