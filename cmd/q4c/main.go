// Command q4c is the query4code CLI: annotate repositories into a dataset
// (with the four services in this process, or against a running
// orchestrator), manage jobs, and inspect call graphs.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/query4code/query4code/cmd/q4c/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
