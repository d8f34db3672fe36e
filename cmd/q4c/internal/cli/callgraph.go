package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/query4code/query4code/services/parser/analysis"
)

func newCallgraphCmd() *cobra.Command {
	var format string
	var include, exclude []string
	var skipTests bool
	cmd := &cobra.Command{
		Use:   "callgraph [--format pycg|json] DIR",
		Short: "Print the call graph of the Python package rooted at DIR",
		Long: `Print the call graph of the Python code under DIR.

--format pycg prints PyCG's JSON format ({"caller": ["callee", ...]}, module nodes for
module-level code, every defined function a key), so it can be scored against PyCG's
ground truth. --format json prints query4code's own graph: functions callee-first with
their callees, strongly connected components and levels.

--include, --exclude and --skip-tests choose the files as for q4c annotate (globs on
slash paths relative to DIR); code in left-out files is not analysed, so calls into it
become unresolved or external.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := analysis.Analyze(cmd.Context(), analysis.Options{Root: args[0], Include: include, Exclude: exclude, SkipTests: skipTests})
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
	cmd.Flags().BoolVar(&skipTests, "skip-tests", false, "skip files with a path segment containing \"test\"")
	return cmd
}
