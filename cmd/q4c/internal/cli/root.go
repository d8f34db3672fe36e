// Package cli holds the q4c commands. Each command lives in its own file;
// NewRoot assembles them.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// exitError carries a specific process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// NewRoot returns the q4c command tree writing to stdout and stderr.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "q4c",
		Short:         "Build (query, code) datasets from Python, JavaScript and TypeScript repositories by the Query4Code method",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newAnnotateCmd(), newCallgraphCmd(), newJobsCmd(), newWatchCmd(), newCancelCmd())
	root.AddCommand(newEvalCmd())
	root.AddCommand(newPopularityCmd(), newMergeCmd())
	return root
}

// Execute runs q4c with args and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "q4c:", describe(err))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// describe renders gRPC status errors as "Code: message" rather than the
// client library's "rpc error: code = ... desc = ...".
func describe(err error) string {
	if st, ok := status.FromError(err); ok && st.Code() != codes.OK {
		return st.Code().String() + ": " + st.Message()
	}
	return err.Error()
}
