package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/query4code/query4code/cmd/q4c/internal/local"
	"github.com/query4code/query4code/platform/client"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/orchestrator/dataset"
	orchestratorserver "github.com/query4code/query4code/services/orchestrator/server"
	"github.com/query4code/query4code/services/orchestrator/usage"
	parserserver "github.com/query4code/query4code/services/parser/server"
)

// popularityFormat names the version of the popularity file.
const popularityFormat = "q4c-popularity/v1"

// popularityFile is what q4c popularity writes: each repository's third-party call sites, counted
// exactly as a job counts them before it calls RecordUsage (from the functions the parser streams
// with the same parse options), under the same repository name.
type popularityFile struct {
	Format       string                   `json:"format"`
	Parse        *dataset.ManifestParse   `json:"parse"`
	Shard        string                   `json:"shard,omitempty"`
	Repositories []popularityRepository   `json:"repositories"`
	Failed       []popularityFailedSource `json:"failed,omitempty"`
}

type popularityRepository struct {
	// Repo is the name records and the docs service use (dataset.RepoName).
	Repo       string           `json:"repo"`
	Commit     string           `json:"commit"`
	Functions  int              `json:"functions"`
	CallCounts map[string]int64 `json:"call_counts"`
}

type popularityFailedSource struct {
	Repo  string `json:"repo"`
	Error string `json:"error"`
}

// parseFlags are the parse options annotate and popularity share; both must get the same ones. They
// choose files only: functions a job leaves out (tests, dunder methods, ...) are still parsed, so
// their callers resolve and their API calls count, and annotate's dataset filters decide.
type parseFlags struct {
	include, exclude []string
	languages        []string
}

// languagesUsage says which languages --languages takes and the files each reads.
const languagesUsage = "languages to read, comma-separated: python (.py), javascript (.js .mjs .cjs .jsx), typescript (.ts .mts .cts .tsx) (default: all)"

func (p *parseFlags) register(fl *pflag.FlagSet) {
	fl.StringSliceVar(&p.include, "include", nil, "glob of files to include (repeatable)")
	fl.StringSliceVar(&p.exclude, "exclude", nil, "glob of files to exclude (repeatable)")
	fl.StringSliceVar(&p.languages, "languages", nil, languagesUsage)
}

// check refuses a language the parser does not read and puts the languages in one order, each once,
// so the same set of languages makes the same job whatever order it was typed in.
func (p *parseFlags) check() error {
	var langs []string
	for _, l := range p.languages {
		l = strings.ToLower(strings.TrimSpace(l))
		if !slices.Contains(dataset.Languages, l) {
			return fmt.Errorf("--languages: %q is not a language q4c reads (python, javascript, typescript)", l)
		}
		langs = append(langs, l)
	}
	var ordered []string
	for _, l := range dataset.Languages {
		if slices.Contains(langs, l) {
			ordered = append(ordered, l)
		}
	}
	p.languages = ordered
	return nil
}

func (p *parseFlags) options() *parserv1.ParseOptions {
	return &parserv1.ParseOptions{Include: p.include, Exclude: p.exclude, Languages: p.languages}
}

// manifestParse is how the orchestrator writes parse options into manifest.json.
func manifestParse(o *parserv1.ParseOptions) *dataset.ManifestParse {
	if o == nil {
		o = &parserv1.ParseOptions{}
	}
	return dataset.ParseManifest(o)
}

type popularityFlags struct {
	out         string
	sourcesFile string
	shard       string
	shardEnv    string
	parallel    int
	docs        string
	docsRemote  client.Config
	parse       parseFlags
	verbose     bool
	// planOut, when set, is where the corpus's near-duplicate plan goes; filters and training are the
	// annotate flags that decide which functions are clustered.
	planOut  string
	filters  filterFlags
	training trainingFlags
}

func newPopularityCmd() *cobra.Command {
	f := &popularityFlags{}
	cmd := &cobra.Command{
		Use:   "popularity [flags] [SOURCE...]",
		Short: "First pass of a sharded corpus: count every repository's third-party API call sites",
		Long: `Parse every repository of a corpus and write its third-party API call-site counts.

This is the first pass of a corpus split into shards (q4c annotate --shard I/N):
popularity decides which APIs get documentation in prompts, and it must count
the whole corpus, not one shard. Give the shard runs the file with
--popularity; they seed their in-process docs service with it before their job.
With --docs ADDR the counts are also recorded (RecordUsage) into a running docs
service, which is how a corpus annotated through a deployed orchestrator is
seeded. Pass the same parse flags (--include, --exclude, --languages) as to
q4c annotate: they change which files, so which calls, are counted. Functions
annotate's filters leave out (tests, dunder methods, ...) are counted, as in a
job.

With --near-duplicate-plan FILE it also writes the corpus's near-duplicate
plan: every function's cluster representative, chosen as one q4c annotate run
over the whole corpus chooses it. Shards given the plan (q4c annotate
--near-duplicate-plan FILE) leave out a function whose representative is in
another shard too, so q4c merge of the shards is that one run. Pass the
filter flags the shards get (--keep-tests, --licenses, --decontaminate,
--near-dup-threshold, ...): they decide which functions are clustered, and a
shard refuses a plan made with others.

The parser runs in this process. A repository that fails to parse is listed
under "failed" and counted nowhere, as in a job. --shard I/N counts one shard of
the corpus (files of several shards can all be given to --popularity); a
near-duplicate plan needs the whole corpus.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runPopularity(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "popularity.json", "file the counts are written to")
	fl.StringVar(&f.sourcesFile, "sources-file", "", "file with one SOURCE per line (blank lines and # comments ignored)")
	fl.StringVar(&f.shard, "shard", "", "count only shard I of N of the sources (I/N, or auto/N to read I from --shard-index-env)")
	fl.StringVar(&f.shardEnv, "shard-index-env", jobCompletionIndexEnv, "variable holding I for --shard auto/N")
	fl.IntVar(&f.parallel, "parallel", 4, "repositories parsed at once")
	fl.StringVar(&f.docs, "docs", "", "address of a running docs service to record the counts into (RecordUsage)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the parser's messages to stderr")
	f.parse.register(fl)
	fl.StringVar(&f.planOut, "near-duplicate-plan", "", "also write the whole corpus's near-duplicate plan to this file, for q4c annotate --near-duplicate-plan")
	f.filters.register(fl)
	f.training.registerFilters(fl)
	remote := flag.NewFlagSet("docs", flag.ContinueOnError)
	f.docsRemote.RegisterFlags(remote, "cli", "docs")
	fl.AddGoFlagSet(remote)
	return cmd
}

func runPopularity(cmd *cobra.Command, f *popularityFlags, args []string) error {
	if err := f.parse.check(); err != nil {
		return err
	}
	if f.parallel < 1 {
		return fmt.Errorf("--parallel %d: want at least 1", f.parallel)
	}
	shard, err := parseShard(f.shard, f.shardEnv, os.Getenv)
	if err != nil {
		return err
	}
	sources, err := collectSources(args, f.sourcesFile)
	if err != nil {
		return err
	}
	if f.planOut != "" && shard.Count > 0 {
		return errors.New("--near-duplicate-plan clusters the whole corpus: it cannot go with --shard")
	}
	sources = selectShard(sources, shard)
	stderr := cmd.ErrOrStderr()
	pf := &popularityFile{Format: popularityFormat, Parse: manifestParse(f.parse.options()), Repositories: []popularityRepository{}}
	if shard.Count > 0 {
		pf.Shard = shard.String()
	}
	var parsed []orchestratorserver.ParsedSource
	if len(sources) > 0 {
		if parsed, err = countCorpus(cmd.Context(), f, sources, pf, stderr); err != nil {
			return err
		}
	}
	var plan *dataset.NearDuplicatePlan
	if f.planOut != "" {
		if plan, err = f.nearDuplicatePlan(parsed); err != nil {
			return err
		}
	}
	if f.docs != "" {
		conn, err := client.Dial(f.docs, f.docsRemote)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }()
		if err := seedDocs(cmd.Context(), docsv1.NewDocsServiceClient(conn), []*popularityFile{pf}); err != nil {
			return err
		}
	}
	if err := writeFileAtomic(f.out, pf); err != nil {
		return err
	}
	if plan != nil {
		if err := writeFileAtomic(f.planOut, plan); err != nil {
			return err
		}
		near := 0
		for _, s := range plan.Sources {
			for _, fn := range s.Functions {
				if fn.Representative != "" {
					near++
				}
			}
		}
		if _, err := fmt.Fprintf(cmd.OutOrStdout(), "near-duplicate plan: %d functions left out as near-duplicates: %s\n", near, f.planOut); err != nil {
			return err
		}
	}
	var sites int64
	for _, r := range pf.Repositories {
		for _, n := range r.CallCounts {
			sites += n
		}
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d repositories counted, %d failed, %d third-party call sites: %s\n",
		len(pf.Repositories), len(pf.Failed), sites, f.out)
	return err
}

// nearDuplicatePlan plans the corpus's near-duplicates with the options q4c annotate sends.
func (f *popularityFlags) nearDuplicatePlan(parsed []orchestratorserver.ParsedSource) (*dataset.NearDuplicatePlan, error) {
	opts := &orchestratorv1.JobOptions{Parse: f.parse.options(), Filters: f.filters.options()}
	if err := f.training.apply(opts); err != nil {
		return nil, err
	}
	return orchestratorserver.NearDuplicatePlan(opts, parsed)
}

// countCorpus parses the sources with an in-process parser and fills pf in source order. It returns
// every source's functions, in source order, for the near-duplicate plan (nil when none is asked).
func countCorpus(ctx context.Context, f *popularityFlags, sources []*parserv1.Source, pf *popularityFile, stderr io.Writer) ([]orchestratorserver.ParsedSource, error) {
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelInfo
	}
	cfg := parserserver.DefaultConfig()
	cfg.AllowedRoots = nil
	cfg.AdmissionWait = parserserver.WaitForBudget
	for _, s := range sources {
		if p := s.GetLocalPath(); p != "" {
			cfg.AllowedRoots = append(cfg.AllowedRoots, p)
		}
	}
	suite, conn, err := local.StartParser(cfg, slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := suite.Close(); err != nil {
			fmt.Fprintln(stderr, "q4c: stopping the parser:", err)
		}
	}()
	parser := parserv1.NewParserServiceClient(conn)
	opts := f.parse.options()
	type outcome struct {
		repo   popularityRepository
		parsed orchestratorserver.ParsedSource
		err    error
	}
	results := make([]outcome, len(sources))
	sem := make(chan struct{}, f.parallel)
	var wg sync.WaitGroup
	for i, src := range sources {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			results[i].repo, results[i].parsed, results[i].err = countRepository(ctx, parser, src, opts, f.planOut != "")
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var parsed []orchestratorserver.ParsedSource
	for i, r := range results {
		if f.planOut != "" {
			parsed = append(parsed, r.parsed)
		}
		if r.err != nil {
			name := dataset.RepoName(sources[i])
			fmt.Fprintf(stderr, "q4c: %s: %v\n", name, r.err)
			pf.Failed = append(pf.Failed, popularityFailedSource{Repo: name, Error: r.err.Error()})
			continue
		}
		pf.Repositories = append(pf.Repositories, r.repo)
	}
	if len(pf.Repositories) == 0 {
		return nil, fmt.Errorf("none of the %d sources could be parsed", len(sources))
	}
	return parsed, nil
}

// countRepository sums the third-party call sites of the functions the parser streams, as the
// orchestrator does before RecordUsage. With keep, it also returns what the near-duplicate plan
// needs of the source.
func countRepository(ctx context.Context, parser parserv1.ParserServiceClient, src *parserv1.Source, opts *parserv1.ParseOptions, keep bool) (popularityRepository, orchestratorserver.ParsedSource, error) {
	repo := popularityRepository{Repo: dataset.RepoName(src), CallCounts: map[string]int64{}}
	parsed := orchestratorserver.ParsedSource{Source: src}
	stream, err := parser.ParseRepository(ctx, &parserv1.ParseRepositoryRequest{Source: src, Options: opts})
	if err != nil {
		return repo, parsed, err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return repo, parsed, errors.New("parse stream ended without stats")
		}
		if err != nil {
			return repo, parsed, fmt.Errorf("parse: %s", describe(err))
		}
		switch ev := msg.GetEvent().(type) {
		case *parserv1.ParseRepositoryResponse_Function:
			repo.Functions++
			usage.Add(repo.CallCounts, ev.Function)
			if keep {
				parsed.Functions = append(parsed.Functions, planFunction(ev.Function))
			}
		case *parserv1.ParseRepositoryResponse_Stats:
			repo.Commit = ev.Stats.GetCommit()
			parsed.Parsed, parsed.Commit, parsed.License = true, cmp.Or(repo.Commit, dataset.SourceProvenance(src).Commit), ev.Stats.GetLicense()
			return repo, parsed, nil
		}
	}
}

// planFunction keeps of a function what the filters before clustering and the clustering read, so a
// whole corpus fits in memory.
func planFunction(fn *parserv1.Function) *parserv1.Function {
	return &parserv1.Function{Id: fn.GetId(), Path: fn.GetPath(), StartLine: fn.GetStartLine(), Code: fn.GetCode(),
		IsTest: fn.GetIsTest(), IsDunder: fn.GetIsDunder(), IsTrivial: fn.GetIsTrivial(), Language: fn.GetLanguage()}
}

// readPopularity reads popularity files and checks they were counted with the parse options opts.
func readPopularity(paths []string, opts *parserv1.ParseOptions) ([]*popularityFile, error) {
	want := manifestParse(opts)
	var files []*popularityFile
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read --popularity: %w", err)
		}
		var pf popularityFile
		if err := json.Unmarshal(data, &pf); err != nil {
			return nil, fmt.Errorf("--popularity %s: %w", path, err)
		}
		if pf.Format != popularityFormat {
			return nil, fmt.Errorf("--popularity %s: format %q, want %q", path, pf.Format, popularityFormat)
		}
		if !reflect.DeepEqual(pf.Parse, want) {
			return nil, fmt.Errorf("--popularity %s was counted with other parse options (--include, --exclude, --languages) than this run's", path)
		}
		files = append(files, &pf)
	}
	return files, nil
}

// seedDocs records every repository's counts into a docs service. The docs service replaces a
// repository's counts when it is recorded again, so seeding twice, or a job recording its own
// repositories after the seed, counts each repository once.
func seedDocs(ctx context.Context, docs docsv1.DocsServiceClient, files []*popularityFile) error {
	for _, pf := range files {
		for _, r := range pf.Repositories {
			if len(r.CallCounts) == 0 {
				continue // a job records nothing for a repository without third-party calls either
			}
			if _, err := docs.RecordUsage(ctx, &docsv1.RecordUsageRequest{Repository: r.Repo, CallCounts: r.CallCounts}); err != nil {
				return fmt.Errorf("record usage of %s: %w", r.Repo, err)
			}
		}
	}
	return nil
}

// seedLocalDocs seeds the in-process docs service of a local suite.
func seedLocalDocs(ctx context.Context, suite *local.Suite, files []*popularityFile) error {
	conn, err := client.Dial(suite.Addrs["docs"], client.Config{})
	if err != nil {
		return fmt.Errorf("dial the local docs service: %w", err)
	}
	defer func() { _ = conn.Close() }()
	return seedDocs(ctx, docsv1.NewDocsServiceClient(conn), files)
}

// writeFileAtomic writes v as indented JSON to path through a temporary file and a rename.
func writeFileAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
