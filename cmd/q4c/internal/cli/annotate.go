package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/query4code/query4code/cmd/q4c/internal/local"
	"github.com/query4code/query4code/platform/client"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	docsserver "github.com/query4code/query4code/services/docs/server"
	orchestratorserver "github.com/query4code/query4code/services/orchestrator/server"
	parserserver "github.com/query4code/query4code/services/parser/server"
)

// annotateFlags are the flags of q4c annotate.
type annotateFlags struct {
	out            string
	orchestrator   string
	remote         client.Config
	sourcesFile    string
	stateDir       string
	keepThreshold  int
	concurrency    int
	budgetUSD      float64
	include        []string
	exclude        []string
	skipTests      bool
	skipDunder     bool
	skipTrivial    bool
	idempotencyKey string
	pythonPaths    []string
	verbose        bool
	annotator      annotatorserver.Config
}

func newAnnotateCmd() *cobra.Command {
	f := &annotateFlags{annotator: annotatorserver.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "annotate [flags] SOURCE...",
		Short: "Annotate repositories into a (query, code) dataset",
		Long: `Annotate the functions of one or more repositories and write the dataset.

A SOURCE is a local directory or an https git URL, optionally with #REVISION
(a branch, tag or commit). Without --orchestrator, q4c starts the parser, docs,
annotator and orchestrator services in this process on loopback ports and runs
the job there; with --orchestrator it submits the job to a running
orchestrator and watches it.

The output directory receives pairs.jsonl (kept pairs), rejected.jsonl,
dataset.parquet, README.md (the dataset card) and manifest.json. Finished
stages are kept in a store (--state-dir), so an interrupted run resumes where
it stopped and a re-run on unchanged code makes no LLM calls.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runAnnotate(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "out", "output directory for the dataset")
	fl.StringVar(&f.orchestrator, "orchestrator", "", "address of a running orchestrator; empty runs every service in this process")
	fl.StringVar(&f.sourcesFile, "sources-file", "", "file with one SOURCE per line (blank lines and # comments ignored)")
	fl.StringVar(&f.stateDir, "state-dir", defaultStateDir(), "where the local services keep their store and caches")
	fl.IntVar(&f.keepThreshold, "keep-threshold", 2, "keep pairs whose validation score is at least this (0-3)")
	fl.IntVar(&f.concurrency, "concurrency", 0, "annotation calls in flight (0: the orchestrator's default)")
	fl.Float64Var(&f.budgetUSD, "budget-usd", 0, "stop cleanly once the LLM cost reaches this many dollars (0: no budget)")
	fl.StringSliceVar(&f.include, "include", nil, "glob of files to include (repeatable)")
	fl.StringSliceVar(&f.exclude, "exclude", nil, "glob of files to exclude (repeatable)")
	fl.BoolVar(&f.skipTests, "skip-tests", false, "skip files with a path segment containing \"test\"")
	fl.BoolVar(&f.skipDunder, "skip-dunder", false, "skip __dunder__ methods")
	fl.BoolVar(&f.skipTrivial, "skip-trivial", false, "skip functions whose body does nothing")
	fl.StringVar(&f.idempotencyKey, "idempotency-key", "", "submitting twice with one key returns the first job")
	fl.StringSliceVar(&f.pythonPaths, "python-path", nil, "Python environment dirs the docs service reads API documentation from (default: python3's sys.path)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the services' messages to stderr")
	// The annotator's own flags (--llm, --llm-base-url, --llm-model, ...), with their Q4C_ANNOTATOR_* variables.
	gofs := flag.NewFlagSet("annotator", flag.ContinueOnError)
	f.annotator.RegisterFlags(gofs)
	fl.AddGoFlagSet(gofs)
	remote := flag.NewFlagSet("orchestrator", flag.ContinueOnError)
	f.remote.RegisterFlags(remote, "q4c", "orchestrator")
	fl.AddGoFlagSet(remote)
	return cmd
}

func defaultStateDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "query4code")
	}
	return ".q4c-state"
}

func runAnnotate(cmd *cobra.Command, f *annotateFlags, args []string) error {
	sources, err := collectSources(args, f.sourcesFile)
	if err != nil {
		return err
	}
	if f.keepThreshold < 0 || f.keepThreshold > 3 {
		return fmt.Errorf("--keep-threshold %d is outside 0-3", f.keepThreshold)
	}
	threshold := int32(f.keepThreshold)
	req := &orchestratorv1.AnnotateRepositoryRequest{
		Sources: sources,
		Options: &orchestratorv1.JobOptions{
			KeepThreshold: &threshold,
			Concurrency:   int32(f.concurrency),
			BudgetUsd:     f.budgetUSD,
			Parse: &parserv1.ParseOptions{
				Include: f.include, Exclude: f.exclude,
				SkipTests: f.skipTests, SkipDunder: f.skipDunder, SkipTrivial: f.skipTrivial,
			},
		},
		IdempotencyKey: f.idempotencyKey,
	}
	stderr := cmd.ErrOrStderr()
	var conn *grpc.ClientConn
	if f.orchestrator != "" {
		req.Options.OutputDir = f.out
		conn, err = client.Dial(f.orchestrator, f.remote)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }()
	} else {
		out, err := filepath.Abs(f.out)
		if err != nil {
			return err
		}
		req.Options.OutputDir = out
		suite, err := startLocal(f, sources, out, stderr)
		if err != nil {
			return err
		}
		defer func() {
			if err := suite.Close(); err != nil {
				fmt.Fprintln(stderr, "q4c: stopping the local services:", err)
			}
		}()
		conn = suite.Orchestrator
	}
	stream, err := orchestratorv1.NewOrchestratorServiceClient(conn).AnnotateRepository(cmd.Context(), req)
	if err != nil {
		return err
	}
	done, err := watchEvents(cmd.Context(), stream, newProgressView(stderr))
	if err != nil {
		if cmd.Context().Err() != nil {
			return errors.New("interrupted: run the same command again to resume without repeating finished work")
		}
		return err
	}
	return reportDone(cmd.OutOrStdout(), done)
}

// startLocal starts the four services in this process.
func startLocal(f *annotateFlags, sources []*parserv1.Source, out string, stderr io.Writer) (*local.Suite, error) {
	if err := os.MkdirAll(f.stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelInfo
	}
	cfg := local.Config{
		Parser:    parserserver.DefaultConfig(),
		Docs:      docsserver.DefaultConfig(),
		Annotator: f.annotator,
		Orchestrator: orchestratorserver.Config{
			StorePath:          filepath.Join(f.stateDir, "orchestrator.db"),
			OutputRoot:         out,
			DefaultConcurrency: 8,
		},
		Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	cfg.Parser.AllowedRoots = nil
	for _, s := range sources {
		if p := s.GetLocalPath(); p != "" {
			cfg.Parser.AllowedRoots = append(cfg.Parser.AllowedRoots, p)
		}
	}
	cfg.Docs.PopularityPath = filepath.Join(f.stateDir, "popularity.db")
	cfg.Docs.CachePath = filepath.Join(f.stateDir, "docs-cache.db")
	cfg.Docs.PythonPaths = f.pythonPaths
	return local.Start(cfg)
}

// collectSources turns arguments and the sources file into parser sources.
func collectSources(args []string, sourcesFile string) ([]*parserv1.Source, error) {
	specs := append([]string(nil), args...)
	if sourcesFile != "" {
		data, err := os.ReadFile(sourcesFile)
		if err != nil {
			return nil, fmt.Errorf("read --sources-file: %w", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				specs = append(specs, line)
			}
		}
	}
	if len(specs) == 0 {
		return nil, errors.New("no SOURCE given: name a directory or an https git URL")
	}
	out := make([]*parserv1.Source, 0, len(specs))
	for _, spec := range specs {
		src, err := ParseSource(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}

// ParseSource reads one SOURCE: a URL (with an optional #REVISION) or a local directory.
func ParseSource(spec string) (*parserv1.Source, error) {
	if strings.Contains(spec, "://") || strings.HasPrefix(spec, "git@") {
		url, rev, _ := strings.Cut(spec, "#")
		return &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: url, Revision: rev}}}, nil
	}
	abs, err := filepath.Abs(spec)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", spec, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", spec, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("source %q is not a directory", spec)
	}
	return &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: abs}}, nil
}
