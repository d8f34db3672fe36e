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

const svc = "orchestrator"

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "orchestrator:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	srvCfg, st, err := parseFlags(args)
	if err != nil {
		return err
	}
	return platformserver.Run(ctx, srvCfg, st.register)
}

// settings are the orchestrator's own flags: its store and output root, and where the other services are.
type settings struct {
	cfg                                 server.Config
	parserAddr, docsAddr, annotatorAddr string
	upstream                            client.Config
}

func parseFlags(args []string) (platformserver.Config, *settings, error) {
	fs := flag.NewFlagSet(svc, flag.ContinueOnError)
	srvCfg := platformserver.DefaultConfig(svc, ":50054")
	srvCfg.RegisterFlags(fs)
	env := func(name string) string { return config.EnvName(svc, name) }
	st := &settings{}
	config.EnvStringVar(fs, &st.parserAddr, "parser-addr", env("parser-addr"), "localhost:50051", "parser service `target`")
	config.EnvStringVar(fs, &st.docsAddr, "docs-addr", env("docs-addr"), "localhost:50052", "docs service `target`")
	config.EnvStringVar(fs, &st.annotatorAddr, "annotator-addr", env("annotator-addr"), "localhost:50053",
		"annotator service `target`; dns:///annotator-headless:50053 or a comma-separated host:port list round-robins over the replicas")
	st.upstream.RegisterFlags(fs, svc, "upstream")
	cfg := &st.cfg
	// State never lands in the working directory: without a state directory the paths must be given.
	var defStore, defOut string
	if dir, err := config.StateDir(svc); err == nil {
		defStore, defOut = filepath.Join(dir, "orchestrator.db"), filepath.Join(dir, "out")
	}
	config.EnvStringVar(fs, &cfg.StorePath, "store", env("store"), defStore, "bbolt `file` for jobs, events and cached stage results; default: orchestrator.db in $XDG_STATE_HOME/query4code/orchestrator, else ~/.local/state/query4code/orchestrator")
	config.EnvStringVar(fs, &cfg.OutputRoot, "output-root", env("output-root"), defOut, "`dir` under which datasets are written; default: out in the store's state directory")
	config.EnvStringsVar(fs, &cfg.AllowedRoots, "allowed-roots", env("allowed-roots"), nil,
		"comma-separated `dirs` local sources must lie in (the parser checks its own list too)")
	config.EnvIntVar(fs, &cfg.DefaultConcurrency, "concurrency", env("concurrency"), 8, "annotation calls in flight per job when a job asks for 0")
	config.EnvIntVar(fs, &cfg.MaxRunningJobs, "max-running-jobs", env("max-running-jobs"), 2, "jobs running at once")
	config.EnvDurationVar(fs, &cfg.LLMPause, "llm-pause", env("llm-pause"), time.Second,
		"a job's first pause after an LLM outage (circuit breaker), doubling per outage in a row up to 1m")
	config.EnvIntVar(fs, &cfg.LLMOutageTrips, "llm-outage-trips", env("llm-outage-trips"), 5,
		"LLM outages in a row, with no answer between them, that stop a job (run it again to continue)")
	config.EnvDurationVar(fs, &cfg.ProgressInterval, "progress-interval", env("progress-interval"), 500*time.Millisecond, "most often progress events are sent")
	config.EnvBoolVar(fs, &cfg.ManifestOmitLocalPaths, "manifest-omit-local-paths", env("manifest-omit-local-paths"), false,
		"leave the sources' local paths out of manifest.json, so no output file holds a path of this machine")
	if err := config.Parse(fs, args); err != nil {
		return srvCfg, nil, err
	}
	if cfg.StorePath == "" || cfg.OutputRoot == "" {
		return srvCfg, nil, errors.New("no state directory ($XDG_STATE_HOME or $HOME) to default to: set --store and --output-root")
	}
	return srvCfg, st, nil
}

// register opens the orchestrator on its store, wired to the other services, and ties it to the
// server's shutdown: when the drain begins, jobs stop starting calls and the watch streams end (so the
// drain does not wait for them); after the gRPC server stopped, calls in flight finish and are stored
// within the remaining budget, and only then are the connections they use closed.
func (st *settings) register(s *platformserver.Server) error {
	cfg := st.cfg
	if err := os.MkdirAll(filepath.Dir(cfg.StorePath), 0o755); err != nil {
		return fmt.Errorf("create store directory: %w", err)
	}
	conns := map[string]*grpc.ClientConn{}
	for name, target := range map[string]string{"parser": st.parserAddr, "docs": st.docsAddr, "annotator": st.annotatorAddr} {
		conn, err := client.Dial(target, st.upstream)
		if err != nil {
			return errors.Join(fmt.Errorf("dial %s at %s: %w", name, target, err), closeAll(conns))
		}
		conns[name] = conn
	}
	cfg.Parser = parserv1.NewParserServiceClient(conns["parser"])
	cfg.Docs = docsv1.NewDocsServiceClient(conns["docs"])
	cfg.Annotator = annotatorv1.NewAnnotatorServiceClient(conns["annotator"])
	cfg.Logger = s.Logger()
	cfg.Metrics = s.Registerer()
	orch, err := server.New(cfg)
	if err != nil {
		return errors.Join(err, closeAll(conns))
	}
	s.OnDrain(func(context.Context) error { orch.BeginShutdown(); return nil })
	// Hooks run in reverse order: stop the jobs first, then the connections they use.
	s.OnShutdown(func(context.Context) error { return closeAll(conns) })
	s.OnShutdown(orch.Shutdown)
	orchestratorv1.RegisterOrchestratorServiceServer(s.GRPC(), orch)
	return nil
}

func closeAll(conns map[string]*grpc.ClientConn) error {
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
