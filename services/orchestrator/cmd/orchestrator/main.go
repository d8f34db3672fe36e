// Command orchestrator serves query4code.orchestrator.v1.OrchestratorService:
// annotation jobs that parse repositories, annotate their functions
// callee-first through the parser, docs and annotator services, and write the
// dataset.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"

	"github.com/query4code/query4code/platform/client"
	"github.com/query4code/query4code/platform/config"
	platformserver "github.com/query4code/query4code/platform/server"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "orchestrator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	const svc = "orchestrator"
	fs := flag.NewFlagSet(svc, flag.ContinueOnError)
	srvCfg := platformserver.DefaultConfig(svc, ":50054")
	srvCfg.RegisterFlags(fs)
	env := func(name string) string { return config.EnvName(svc, name) }
	parserAddr := config.EnvString(fs, "parser-addr", env("parser-addr"), "localhost:50051", "parser service `target`")
	docsAddr := config.EnvString(fs, "docs-addr", env("docs-addr"), "localhost:50052", "docs service `target`")
	annotatorAddr := config.EnvString(fs, "annotator-addr", env("annotator-addr"), "localhost:50053",
		"annotator service `target`; dns:///annotator-headless:50053 or a comma-separated host:port list round-robins over the replicas")
	var upstream client.Config
	upstream.RegisterFlags(fs, svc, "upstream")
	cfg := server.Config{}
	config.EnvStringVar(fs, &cfg.StorePath, "store", env("store"), "q4c-data/orchestrator.db", "bbolt `file` for jobs, events and cached stage results")
	config.EnvStringVar(fs, &cfg.OutputRoot, "output-root", env("output-root"), "q4c-data/out", "`dir` under which datasets are written")
	config.EnvStringsVar(fs, &cfg.AllowedRoots, "allowed-roots", env("allowed-roots"), nil,
		"comma-separated `dirs` local sources must lie in (the parser checks its own list too)")
	config.EnvIntVar(fs, &cfg.DefaultConcurrency, "concurrency", env("concurrency"), 8, "annotation calls in flight per job when a job asks for 0")
	config.EnvIntVar(fs, &cfg.MaxRunningJobs, "max-running-jobs", env("max-running-jobs"), 2, "jobs running at once")
	config.EnvDurationVar(fs, &cfg.LLMPause, "llm-pause", env("llm-pause"), time.Second,
		"a job's first pause after an LLM outage (circuit breaker), doubling per outage in a row up to 1m")
	config.EnvIntVar(fs, &cfg.LLMOutageTrips, "llm-outage-trips", env("llm-outage-trips"), 5,
		"LLM outages in a row, with no answer between them, that stop a job (run it again to continue)")
	config.EnvDurationVar(fs, &cfg.ProgressInterval, "progress-interval", env("progress-interval"), 500*time.Millisecond, "most often progress events are sent")
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.StorePath), 0o755); err != nil {
		return fmt.Errorf("create store directory: %w", err)
	}
	return platformserver.Run(context.Background(), srvCfg, func(s *platformserver.Server) error {
		conns := map[string]*grpc.ClientConn{}
		for name, target := range map[string]string{"parser": *parserAddr, "docs": *docsAddr, "annotator": *annotatorAddr} {
			conn, err := client.Dial(target, upstream)
			if err != nil {
				return errors.Join(fmt.Errorf("dial %s at %s: %w", name, target, err), closeAll(conns))
			}
			conns[name] = conn
		}
		cfg.Parser = parserv1.NewParserServiceClient(conns["parser"])
		cfg.Docs = docsv1.NewDocsServiceClient(conns["docs"])
		cfg.Annotator = annotatorv1.NewAnnotatorServiceClient(conns["annotator"])
		cfg.Logger = s.Logger()
		orch, err := server.New(cfg)
		if err != nil {
			return errors.Join(err, closeAll(conns))
		}
		// Hooks run in reverse order: stop the jobs first, then the connections they use.
		s.OnShutdown(func(context.Context) error { return closeAll(conns) })
		s.OnShutdown(func(context.Context) error { return orch.Close() })
		orchestratorv1.RegisterOrchestratorServiceServer(s.GRPC(), orch)
		return nil
	})
}

func closeAll(conns map[string]*grpc.ClientConn) error {
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
