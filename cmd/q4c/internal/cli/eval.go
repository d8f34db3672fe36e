package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/query4code/query4code/cmd/q4c/internal/eval"
	"github.com/query4code/query4code/platform/client"
	"github.com/query4code/query4code/platform/server"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	"github.com/query4code/query4code/services/parser/analysis"
)

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure call-graph accuracy, judge agreement and search quality on public data",
		Long: `Evaluate the suite against public, labelled data. Every command reads any file of
the same format, so it runs unchanged on other splits:

  q4c eval callgraph CASES_DIR             PyCG-format call-graph cases
  q4c eval judge FILE                      CoSQA-format labelled (query, code) pairs
  q4c eval search --queries F --codebase F CoSQA retrieval queries and code_idx_map.txt`,
	}
	cmd.AddCommand(newEvalCallgraphCmd(), newEvalJudgeCmd(), newEvalSearchCmd())
	return cmd
}

func newEvalCallgraphCmd() *cobra.Command {
	var predDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "callgraph [--pred-dir DIR] CASES_DIR",
		Short: "Score the call graph on PyCG-format cases (precision, recall, exact cases)",
		Long: `Build the call graph of every folder under CASES_DIR that holds a callgraph.json
(PyCG's ground truth, at any depth) and score it the way score_callgraph.py does:
only edges whose callee's first dotted part names a module or package of the case
folder count; callees starting with "<" (builtins) are ignored. Prints precision,
recall, F1 and exact cases per category (the case's first folder) and in total.
--pred-dir also writes the predictions as PRED_DIR/<case>/callgraph.json.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := eval.ScoreCallGraphs(cmd.Context(), args[0], predDir, analysis.PyCG)
			if rep == nil {
				return err
			}
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "q4c: some cases could not be analysed (scored as empty graphs):\n%v\n", err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&predDir, "pred-dir", "", "also write the predicted call graphs into this folder")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the per-case and total scores as JSON")
	return cmd
}

// annotatorFlags choose the annotator the judge and search commands call:
// a running one (--annotator) or one started in this process with the
// annotator's own back-end flags (--llm, --llm-base-url, ...).
type annotatorFlags struct {
	addr        string
	remote      client.Config
	inProcess   annotatorserver.Config
	concurrency int
	verbose     bool
}

func (f *annotatorFlags) register(cmd *cobra.Command) {
	f.inProcess = annotatorserver.DefaultConfig()
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "annotator", "", "address of a running annotator; empty starts one in this process (see --llm)")
	fl.IntVar(&f.concurrency, "concurrency", 8, "annotator calls in flight")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the in-process annotator's messages to stderr")
	gofs := flag.NewFlagSet("annotator", flag.ContinueOnError)
	f.inProcess.RegisterFlags(gofs)
	fl.AddGoFlagSet(gofs)
	remote := flag.NewFlagSet("annotator-remote", flag.ContinueOnError)
	f.remote.RegisterFlags(remote, "cli", "annotator")
	fl.AddGoFlagSet(remote)
}

// connect returns an annotator client and a function that releases it.
func (f *annotatorFlags) connect(stderr io.Writer) (annotatorv1.AnnotatorServiceClient, func() error, error) {
	if f.concurrency < 1 {
		return nil, nil, fmt.Errorf("--concurrency %d: want at least 1", f.concurrency)
	}
	if f.addr != "" {
		conn, err := client.Dial(f.addr, f.remote)
		if err != nil {
			return nil, nil, err
		}
		return annotatorv1.NewAnnotatorServiceClient(conn), conn.Close, nil
	}
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	return startAnnotator(f.inProcess, logger)
}

// startAnnotator serves an annotator on a loopback port of this process,
// behind the same platform server (validation, interceptors) as when
// deployed, and dials it.
func startAnnotator(cfg annotatorserver.Config, logger *slog.Logger) (annotatorv1.AnnotatorServiceClient, func() error, error) {
	cfg.Logger = logger
	svc, err := annotatorserver.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("annotator: %w", err)
	}
	scfg := server.DefaultConfig("annotator", "127.0.0.1:0")
	scfg.LogLevel = "warn"
	srv, err := server.NewServer(scfg, logger)
	if err != nil {
		svc.Close()
		return nil, nil, fmt.Errorf("annotator server: %w", err)
	}
	svc.Register(srv.GRPC())
	if err := srv.Listen(); err != nil {
		svc.Close()
		return nil, nil, fmt.Errorf("annotator: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	conn, err := client.Dial(srv.Addr().String(), client.Config{})
	if err != nil {
		cancel()
		return nil, nil, errors.Join(err, <-served)
	}
	closeFn := func() error {
		errs := []error{conn.Close()}
		cancel()
		errs = append(errs, <-served)
		svc.Close()
		return errors.Join(errs...)
	}
	return annotatorv1.NewAnnotatorServiceClient(conn), closeFn, nil
}

func newEvalJudgeCmd() *cobra.Command {
	var af annotatorFlags
	var keepThreshold int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "judge [flags] FILE",
		Short: "Agreement of the validation score with human labels (ROC AUC, accuracy, confusion matrix)",
		Long: `Run Validate over a labelled file in CoSQA's JSON format (a list of
{idx, doc (the query), code, label 0/1}, e.g. cosqa-dev.json) and report the ROC AUC
of the 0-3 score against the label (ties averaged), the accuracy of
"score >= --keep-threshold" as a prediction of label 1, and the confusion matrix.
Any back-end: the offline one in this process by default, an LLM endpoint with
--llm openai --llm-base-url ... --llm-model ..., or a running annotator with --annotator.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			items, err := eval.ReadLabelledPairs(args[0])
			if err != nil {
				return err
			}
			annotator, release, err := af.connect(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, release()) }()
			rep, err := eval.RunJudge(cmd.Context(), eval.JudgeConfig{
				Annotator: annotator, Concurrency: af.concurrency, KeepThreshold: keepThreshold,
			}, items)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	af.register(cmd)
	cmd.Flags().IntVar(&keepThreshold, "keep-threshold", 2, "a pair is kept when its score is at least this (0-3)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func newEvalSearchCmd() *cobra.Command {
	var af annotatorFlags
	var queriesPath, codebasePath, cacheDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "search --queries FILE --codebase FILE [flags]",
		Short: "BM25 code search with and without generated text (MRR, recall@1/5/10)",
		Long: `Measure whether the suite's generated text makes code findable by real queries.
Every function of the code base (CoSQA's code_idx_map.txt: a JSON object code -> index)
is annotated first (Annotate: summary and query; any back-end, cached under --cache so
reruns make no calls). Then each query of --queries (cosqa-retrieval-*.json: CoSQA items
with retrieval_idx) is run with BM25 (k1=1.2, b=0.75; identifiers split at snake_case
and camelCase, lower-cased) over four indexes whose documents are:

  code                       the function without its docstring
  code+docstring             the function as written
  code+generated             the function without its docstring, plus summary and query
  code+docstring+generated   the function as written, plus summary and query

and the rank of the right function gives MRR and recall@1/5/10. Ties rank the answer
below every document scoring the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if queriesPath == "" || codebasePath == "" {
				return errors.New("--queries and --codebase are required")
			}
			codes, err := eval.ReadCodebase(codebasePath)
			if err != nil {
				return err
			}
			queries, err := eval.ReadRetrievalQueries(queriesPath, len(codes))
			if err != nil {
				return err
			}
			annotator, release, err := af.connect(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, release()) }()
			rep, err := runSearch(cmd.Context(), annotator, af.concurrency, cacheDir, codes, queries, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	af.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&queriesPath, "queries", "", "queries with the index of their answer (cosqa-retrieval-dev-500.json format)")
	fl.StringVar(&codebasePath, "codebase", "", "code base: JSON object code -> index (code_idx_map.txt format)")
	defaultCache := "" // no state directory: no cache, rather than one in the working directory
	if dir := defaultStateDir(); dir != "" {
		defaultCache = filepath.Join(dir, "eval")
	}
	fl.StringVar(&cacheDir, "cache", defaultCache, "folder for the annotation cache (one file per model and prompt version); empty: no cache")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// runSearch annotates the code base (through the cache) and evaluates every
// document variant.
func runSearch(ctx context.Context, annotator annotatorv1.AnnotatorServiceClient, concurrency int, cacheDir string,
	codes []string, queries []eval.RetrievalQuery, stderr io.Writer) (_ *eval.SearchReport, err error) {
	rep := &eval.SearchReport{Functions: len(codes), Queries: len(queries)}
	// One call tells which model and prompt version answer, so the cache
	// file never mixes back-ends.
	probe, err := annotator.Annotate(ctx, &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{
		Path: "codebase/probe.py", Language: "python", Code: "def probe():\n    return 1\n",
	}})
	if err != nil {
		return nil, fmt.Errorf("annotator: %w", err)
	}
	rep.Model, rep.PromptVersion = probe.GetModel(), probe.GetPromptVersion()
	var cache *eval.AnnotationCache
	if cacheDir != "" {
		cache, err = eval.OpenAnnotationCache(eval.CachePath(cacheDir, rep.Model, rep.PromptVersion))
		if err != nil {
			return nil, err
		}
		rep.CachePath = cache.Path()
		defer func() { err = errors.Join(err, cache.Close()) }()
	}
	fmt.Fprintf(stderr, "annotating %d functions (model %s)...\n", len(codes), rep.Model)
	ann, st, err := eval.AnnotateCodebase(ctx, annotator, codes, concurrency, cache)
	rep.Annotate = st
	if err != nil {
		return nil, err
	}
	for _, v := range eval.Variants {
		docs, err := eval.SearchDocuments(v, codes, ann)
		if err != nil {
			return nil, err
		}
		m, _, err := eval.EvaluateSearch(docs, queries, eval.DefaultK1, eval.DefaultB)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, eval.SearchResult{Variant: v, RetrievalMetrics: m})
	}
	return rep, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
