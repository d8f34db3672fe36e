package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/clients/go/q4c"
	"github.com/query4code/query4code/cmd/q4c/internal/local"
	"github.com/query4code/query4code/platform/client"
	"github.com/query4code/query4code/platform/config"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	docsserver "github.com/query4code/query4code/services/docs/server"
	"github.com/query4code/query4code/services/orchestrator/dataset"
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
	parse          parseFlags
	filters        filterFlags
	omitLocalPaths bool
	training       trainingFlags
	shard          string
	shardEnv       string
	popularity     []string
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
(a branch, tag or commit). Without --orchestrator, q4c starts the parser,
docs, annotator and orchestrator services in this process on loopback ports
and runs the job there; with --orchestrator it submits the job to a running
orchestrator and watches it.

Python (.py), JavaScript (.js .mjs .cjs .jsx) and TypeScript (.ts .mts .cts
.tsx) files are read; one source may mix them, and every record says its
language. --languages python,typescript reads only those languages (.d.ts
declarations, node_modules and minified bundles are always skipped).

The output directory is laid out as the Hugging Face Hub reads a dataset:
data/<split>-NNNNN-of-NNNNN.parquet (kept pairs of each split), README.md (the
dataset card, with the Hub's front matter), and beside them pairs.jsonl (kept
pairs), rejected.jsonl, excluded.jsonl (functions left out, with the reason)
and manifest.json. By default, in this order, tests, dunder methods, trivial
functions, functions of a source whose licence --licenses does not allow,
functions matching CoSQA, WebQueryTest or a --decontaminate path, copies of
identical code, and all but one of each cluster of near-duplicates (token
5-gram Jaccard >= --near-dup-threshold) are left out; --keep-tests,
--keep-dunder, --keep-trivial, --keep-contaminated, --keep-duplicates and
--keep-near-duplicates keep them. A function left out is still parsed, and
summarised when a kept caller needs its summary. --splits assigns each
repository to train, validation or test by a stable hash. Secrets, email and
public IP addresses are replaced by [REDACTED:<kind>] in every file. The files
are written into a staging directory beside the output and swapped in whole,
so a failure leaves the previous dataset (or none). The output directory is
checked before anything starts: a path that is a file, or a directory that
cannot be written, is refused. A --budget-usd on a model the annotator has no
price for is refused too (give the price with --llm-prices).

One job per command: the same sources, options (all but --concurrency) and
--out make one job. Running the same command again after an interruption
(Ctrl-C, a crash, a failure, a cancellation) continues that job from its
stored stage results instead of starting another; a different command on an
--out that a queued or running job holds is refused. After a job succeeded,
the same command makes a new job that takes every stage result from the store
(no LLM request) and rewrites the same dataset.

Exit codes:
  0    the dataset was written
  1    bad arguments, or the job was refused before it started
  2    the job failed or was cancelled; nothing was written
  3    the cost budget stopped the job; the dataset holds what was finished
  130  interrupted; run the same command again to continue

A corpus too large for one process is split into shards: q4c popularity counts
the API usage of the whole corpus once, then each q4c annotate --shard I/N
--popularity popularity.json annotates the sources whose FNV-1a 64 hash of the
source (absolute path, or git URL#revision) modulo N is I, with popularity
decided over the whole corpus, and q4c merge combines the shard outputs into
the dataset one run over the corpus would have written. With q4c popularity
--near-duplicate-plan plan.json and --near-duplicate-plan plan.json here, the
shards leave out the near-duplicates one run would, also those whose
representative another shard holds; a plan of other sources, code or filters
fails the job.`,
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
	f.parse.register(fl)
	f.filters.register(fl)
	fl.BoolVar(&f.omitLocalPaths, "manifest-omit-local-paths", false,
		"leave the sources' local paths out of manifest.json, so no output file holds a path of this machine (in-process services only; a running orchestrator has its own flag)")
	f.training.register(fl)
	fl.StringVar(&f.shard, "shard", "", "annotate only shard I of N of the sources (I/N, or auto/N to read I from --shard-index-env, as in an Indexed Job)")
	fl.StringVar(&f.shardEnv, "shard-index-env", jobCompletionIndexEnv, "variable holding I for --shard auto/N")
	fl.StringSliceVar(&f.popularity, "popularity", nil, "popularity file(s) from q4c popularity: seed the in-process docs service with the whole corpus's API usage before the job (repeatable)")
	fl.StringVar(&f.idempotencyKey, "idempotency-key", "", "submitting twice with one key returns the first job")
	fl.StringSliceVar(&f.pythonPaths, "python-path", nil, "Python environment dirs the docs service reads API documentation from (default: python3's sys.path)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the services' messages to stderr")
	// The annotator's own flags (--llm, --llm-base-url, --llm-model, ...), with their Q4C_ANNOTATOR_* variables.
	gofs := flag.NewFlagSet("annotator", flag.ContinueOnError)
	f.annotator.RegisterFlags(gofs)
	fl.AddGoFlagSet(gofs)
	remote := flag.NewFlagSet("orchestrator", flag.ContinueOnError)
	f.remote.RegisterFlags(remote, "cli", "orchestrator")
	fl.AddGoFlagSet(remote)
	return cmd
}

// defaultStateDir is the user's state directory ($XDG_STATE_HOME/query4code, else
// ~/.local/state/query4code), or empty without one: then --state-dir must be given, since state never
// lands in the working directory.
func defaultStateDir() string {
	dir, err := config.StateDir("")
	if err != nil {
		return ""
	}
	return dir
}

func runAnnotate(cmd *cobra.Command, f *annotateFlags, args []string) error {
	if err := f.parse.check(); err != nil {
		return err
	}
	sources, err := collectSources(args, f.sourcesFile)
	if err != nil {
		return err
	}
	shard, err := parseShard(f.shard, f.shardEnv, os.Getenv)
	if err != nil {
		return err
	}
	var popularity []*popularityFile
	if len(f.popularity) > 0 {
		if f.orchestrator != "" {
			return errors.New("--popularity seeds the in-process docs service: with --orchestrator, seed the deployed docs service once with q4c popularity --docs ADDR")
		}
		if popularity, err = readPopularity(f.popularity, f.parse.options()); err != nil {
			return err
		}
	}
	sources = selectShard(sources, shard)
	if f.keepThreshold < 0 || f.keepThreshold > 3 {
		return fmt.Errorf("--keep-threshold %d is outside 0-3", f.keepThreshold)
	}
	threshold := int32(f.keepThreshold)
	req := &orchestratorv1.SubmitJobRequest{
		Sources: sources,
		Options: &orchestratorv1.JobOptions{
			KeepThreshold: &threshold,
			Concurrency:   int32(f.concurrency),
			BudgetUsd:     f.budgetUSD,
			Parse:         f.parse.options(),
			Filters:       f.filters.options(),
		},
		IdempotencyKey: f.idempotencyKey,
	}
	if err := f.training.apply(req.Options); err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	if len(sources) == 0 {
		// An Indexed Job may give a pod a shard without sources; it still leaves a dataset for q4c merge.
		return writeEmptyShard(cmd.OutOrStdout(), f, threshold, shard)
	}
	var conn *grpc.ClientConn
	if f.orchestrator != "" {
		// The directory is on the orchestrator's machine: it checks it at submission.
		if f.omitLocalPaths {
			return errors.New("--manifest-omit-local-paths configures the in-process orchestrator: with --orchestrator, start the orchestrator with --manifest-omit-local-paths")
		}
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
		// Refused before any service starts, let alone an LLM request.
		if err := dataset.CheckOutputDir(out); err != nil {
			return err
		}
		req.Options.OutputDir = out
		suite, err := startLocal(f, sources, out, stderr)
		if err != nil {
			return err
		}
		defer func() {
			if err := suite.Close(); err != nil && f.verbose {
				fmt.Fprintln(stderr, "q4c: stopping the local services:", err)
			}
		}()
		if err := seedLocalDocs(cmd.Context(), suite, popularity); err != nil {
			return err
		}
		conn = suite.Orchestrator
	}
	interrupted := "interrupted: run the same command again to continue the job without repeating finished work"
	if f.orchestrator != "" {
		interrupted = "interrupted: the job goes on in the orchestrator; run the same command again to watch it"
	}
	err = runJob(cmd.Context(), conn, req, interrupted, cmd.OutOrStdout(), stderr)
	if f.orchestrator == "" && errorReason(err) == "OUTPUT_DIR_BUSY" {
		// The job holding the directory lives in this state directory, not in a running orchestrator.
		return fmt.Errorf("%s (q4c cancel --state-dir %s JOB_ID cancels it)", describe(err), f.stateDir)
	}
	return err
}

// errorReason is the ErrorInfo reason of a gRPC status error, or "".
func errorReason(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// watchReconnects is how many reconnects in a row the CLI makes to an orchestrator that went away
// (about two minutes with the client's backoff), so a restart does not end the watch.
const watchReconnects = 30

// runJob submits the job (or finds the unfinished one the same command started) and follows it to
// its end, across orchestrator restarts.
// An interruption exits exitInterrupted with the message interrupted.
func runJob(ctx context.Context, conn *grpc.ClientConn, req *orchestratorv1.SubmitJobRequest, interrupted string, stdout, stderr io.Writer) error {
	resp, err := orchestratorv1.NewOrchestratorServiceClient(conn).SubmitJob(ctx, req)
	if err != nil {
		return err
	}
	if resp.GetExisting() {
		fmt.Fprintf(stderr, "q4c: continuing job %s, which the same command started\n", resp.GetJobId())
	}
	watcher := q4c.NewFromConn(conn, q4c.Options{WatchReconnects: watchReconnects})
	done, err := watchEvents(watcher.WatchJob(ctx, resp.GetJobId(), 0), newProgressView(stderr))
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: exitInterrupted, err: errors.New(interrupted)}
		}
		return err
	}
	return reportDone(stdout, done)
}

// writeEmptyShard writes the dataset of a shard that holds no source: no records, a manifest
// without sources (q4c merge ignores its parameters).
func writeEmptyShard(stdout io.Writer, f *annotateFlags, threshold int32, shard shardSpec) error {
	out, err := filepath.Abs(f.out)
	if err != nil {
		return err
	}
	man := dataset.Manifest{
		Sources: []dataset.ManifestSource{}, KeepThreshold: threshold, Concurrency: int32(f.concurrency),
		BudgetUSD: f.budgetUSD, Parse: manifestParse(f.parse.options()), Filters: f.filters.manifest(),
	}
	if err := dataset.Write(out, nil, nil, man.Card(), &man); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "shard %s holds no source of the corpus: wrote an empty dataset to %s\n", shard, out)
	return err
}

// startLocal starts the four services in this process.
func startLocal(f *annotateFlags, sources []*parserv1.Source, out string, stderr io.Writer) (*local.Suite, error) {
	if f.stateDir == "" {
		return nil, errors.New("no state directory ($XDG_STATE_HOME or $HOME) to keep the store in: set --state-dir")
	}
	if err := os.MkdirAll(f.stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	// Without -v the services say nothing: a failed job is reported in one line, from its done event.
	logs := io.Discard
	if f.verbose {
		logs = stderr
	}
	cfg := local.Config{
		Parser:    parserserver.DefaultConfig(),
		Docs:      docsserver.DefaultConfig(),
		Annotator: f.annotator,
		Orchestrator: orchestratorserver.Config{
			StorePath:              filepath.Join(f.stateDir, "orchestrator.db"),
			OutputRoot:             out,
			DefaultConcurrency:     8,
			ManifestOmitLocalPaths: f.omitLocalPaths,
			// This process runs the job it was asked for; an unfinished one continues when its
			// command is run again, never beside another.
			ResumeOnSubmit: true,
		},
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		// Traced from the OTEL_* variables, as the standalone binaries are.
		TelemetryFromEnv: true,
	}
	cfg.Parser.AllowedRoots = nil
	cfg.Parser.AdmissionWait = parserserver.WaitForBudget
	for _, s := range sources {
		if p := s.GetLocalPath(); p != "" {
			cfg.Parser.AllowedRoots = append(cfg.Parser.AllowedRoots, p)
		}
	}
	// The docs service reads npm documentation from the node_modules of the sources it annotates.
	cfg.Docs.AllowedRoots = cfg.Parser.AllowedRoots
	cfg.Docs.PopularityPath = filepath.Join(f.stateDir, "popularity.db")
	cfg.Docs.CachePath = filepath.Join(f.stateDir, "docs-cache.db")
	cfg.Docs.PythonPaths = f.pythonPaths
	return local.Start(cfg)
}

// collectSources turns arguments and the sources file into parser sources.
func collectSources(args []string, sourcesFile string) ([]*parserv1.Source, error) {
	specs := append([]string(nil), args...)
	if sourcesFile != "" {
		more, err := readSourcesFile(sourcesFile)
		if err != nil {
			return nil, err
		}
		specs = append(specs, more...)
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

// readSourcesFile returns the SOURCE lines of a sources file (blank lines and # comments dropped).
func readSourcesFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --sources-file: %w", err)
	}
	var specs []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			specs = append(specs, line)
		}
	}
	return specs, nil
}

// ParseSource reads one SOURCE: a URL (with an optional #REVISION) or a local directory.
func ParseSource(spec string) (*parserv1.Source, error) {
	if isRemoteSource(spec) {
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

// isRemoteSource tells a git URL from a local directory.
func isRemoteSource(spec string) bool {
	return strings.Contains(spec, "://") || strings.HasPrefix(spec, "git@")
}
