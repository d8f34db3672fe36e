// Package server implements query4code.parser.v1.ParserService on top of the
// analysis package: it resolves a source (a local directory under the allowed
// roots or an allowlisted git URL), analyses it and streams the functions in
// callee-first order, then the stats.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/query4code/query4code/platform/license"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	"github.com/query4code/query4code/services/parser/analysis"
	"github.com/query4code/query4code/services/parser/internal/admission"
	"github.com/query4code/query4code/services/parser/internal/gitsource"
)

// maxFileIssues bounds ParseStats.file_issues.
const maxFileIssues = 100

// maxListed bounds ParseStats.skipped and syntax_error_functions (the
// proto's documented limit).
const maxListed = 10000

// Config configures the service.
type Config struct {
	// AllowedRoots are the directories local sources must lie in. Empty
	// refuses every local path.
	AllowedRoots []string
	// GitAllowedHosts may be cloned from over https. Empty refuses git sources.
	GitAllowedHosts []string
	// GitTempDir is where clones are made (default os.TempDir()).
	GitTempDir string
	// GitCABundle, when set, replaces the system roots for https clones.
	GitCABundle []byte
	// Workers parse files in parallel (0: GOMAXPROCS).
	Workers int
	// AnalysisBudgetBytes bounds the source bytes of the analyses running
	// at once (0: admission.DefaultBudget of the process' memory limit).
	AnalysisBudgetBytes int64
	// AdmissionWait is how long a request beyond the budget waits before
	// it is refused with ResourceExhausted and a retry delay (0: refused
	// at once; DefaultConfig sets DefaultAdmissionWait).
	AdmissionWait time.Duration
	// Metrics, when set, receives the parser's own metrics (bytes and
	// analyses in flight, waiting, refused, the budget, bytes parsed).
	Metrics prometheus.Registerer
	// Logger receives per-request notes (default slog.Default()).
	Logger *slog.Logger
}

// DefaultAdmissionWait is how long a request waits for the analysis budget
// by default: long enough for a typical repository's analysis to finish.
const DefaultAdmissionWait = 15 * time.Second

// WaitForBudget as AdmissionWait makes a request beyond the budget wait as
// long as it takes, never refused: for a parser embedded in a process that
// is its only client (q4c), where a refusal would only fail the command.
const WaitForBudget = time.Duration(math.MaxInt64)

// DefaultConfig allows the current directory and the big public git hosts.
func DefaultConfig() Config {
	cfg := Config{
		GitAllowedHosts: []string{"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"},
		AdmissionWait:   DefaultAdmissionWait,
	}
	if wd, err := os.Getwd(); err == nil {
		cfg.AllowedRoots = []string{wd}
	}
	return cfg
}

// Server implements parserv1.ParserServiceServer.
type Server struct {
	parserv1.UnimplementedParserServiceServer
	cfg    Config
	cloner *gitsource.Cloner
	gate   *admission.Gate
	log    *slog.Logger
	// bytesParsed counts the source bytes of every analysis served.
	bytesParsed prometheus.Counter
}

// New checks cfg and returns a server.
func New(cfg Config) (*Server, error) {
	roots := make([]string, 0, len(cfg.AllowedRoots))
	for _, r := range cfg.AllowedRoots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("allowed root %q: %w", r, err)
		}
		roots = append(roots, abs)
	}
	cfg.AllowedRoots = roots
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("workers must not be negative, got %d", cfg.Workers)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	budget := cfg.AnalysisBudgetBytes
	if budget < 0 {
		return nil, fmt.Errorf("analysis budget must not be negative, got %d bytes", budget)
	}
	if budget == 0 {
		limit := admission.MemoryLimit()
		budget = admission.DefaultBudget(limit)
		log.Info("analysis budget sized from memory", "budget_bytes", budget, "memory_bytes", limit.Bytes, "memory_source", limit.Source)
	}
	gate, err := admission.New(budget, cfg.AdmissionWait)
	if err != nil {
		return nil, err
	}
	bytesParsed := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "q4c_parser_bytes_parsed_total", Help: "Source bytes of the files parsed for ParseRepository calls.",
	})
	if cfg.Metrics != nil {
		if err := registerAdmissionMetrics(cfg.Metrics, gate); err != nil {
			return nil, err
		}
		if err := cfg.Metrics.Register(bytesParsed); err != nil {
			return nil, fmt.Errorf("register parser metrics: %w", err)
		}
	}
	return &Server{
		cfg:         cfg,
		cloner:      &gitsource.Cloner{AllowedHosts: cfg.GitAllowedHosts, TempDir: cfg.GitTempDir, CABundle: cfg.GitCABundle},
		gate:        gate,
		log:         log,
		bytesParsed: bytesParsed,
	}, nil
}

// Register adds the service to a gRPC server.
func (s *Server) Register(reg grpc.ServiceRegistrar) { parserv1.RegisterParserServiceServer(reg, s) }

// errNoRoots explains an empty allowlist better than "outside the allowed roots".
var errNoRoots = errors.New("this parser allows no local paths (start it with --allowed-roots)")

// ParseRepository implements parserv1.ParserServiceServer.
func (s *Server) ParseRepository(req *parserv1.ParseRepositoryRequest, stream grpc.ServerStreamingServer[parserv1.ParseRepositoryResponse]) error {
	ctx := stream.Context()
	// The analysis is admitted once its files are known, and its budget
	// is held until the response is streamed: the result is still in
	// memory until then.
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	admit := func(ctx context.Context, sourceBytes int64) (func(), error) {
		r, err := s.gate.Acquire(ctx, sourceBytes)
		if err != nil {
			return nil, err
		}
		release = r
		return func() {}, nil
	}
	res, co, err := s.analyze(ctx, req, admit)
	if err != nil {
		return toStatus(ctx, s.log, err)
	}
	s.bytesParsed.Add(float64(res.Stats.Bytes))
	sccSize := map[int]int32{}
	for i := range res.Functions {
		sccSize[res.Functions[i].SCC]++
	}
	for i := range res.Functions {
		if err := stream.Send(&parserv1.ParseRepositoryResponse{
			Event: &parserv1.ParseRepositoryResponse_Function{Function: toProto(&res.Functions[i], sccSize)},
		}); err != nil {
			return err
		}
	}
	return stream.Send(&parserv1.ParseRepositoryResponse{
		Event: &parserv1.ParseRepositoryResponse_Stats{Stats: statsToProto(res, co)},
	})
}

// checkout is what the parser reports of the tree it analysed beside its functions.
type checkout struct {
	commit string
	// license is the tree's SPDX id (license.Unknown when nothing names one).
	license string
}

// analyze resolves the source to a directory and analyses it.
func (s *Server) analyze(ctx context.Context, req *parserv1.ParseRepositoryRequest,
	admit func(context.Context, int64) (func(), error)) (*analysis.Result, checkout, error) {
	opts := analysis.Options{Workers: s.cfg.Workers, Admit: admit}
	if o := req.GetOptions(); o != nil {
		opts.Include, opts.Exclude = o.GetInclude(), o.GetExclude()
		opts.SkipTests, opts.SkipDunder, opts.SkipTrivial = o.GetSkipTests(), o.GetSkipDunder(), o.GetSkipTrivial()
		opts.MaxFileBytes = o.GetMaxFileBytes()
		opts.Languages = o.GetLanguages()
		if opts.MaxFileBytes < 0 {
			return nil, checkout{}, fmt.Errorf("%w: max_file_bytes must not be negative", analysis.ErrInvalidOption)
		}
	}
	src := req.GetSource()
	switch {
	case src.GetLocalPath() != "":
		if len(s.cfg.AllowedRoots) == 0 {
			return nil, checkout{}, fmt.Errorf("%w: %w", analysis.ErrOutsideAllowedRoots, errNoRoots)
		}
		if strings.ContainsRune(src.GetLocalPath(), 0) {
			// The OS refuses such a path with EINVAL; it is the caller's mistake, not ours.
			return nil, checkout{}, fmt.Errorf("%w: local_path contains a NUL byte", analysis.ErrInvalidOption)
		}
		opts.Root, opts.AllowedRoots = src.GetLocalPath(), s.cfg.AllowedRoots
		res, err := analysis.Analyze(ctx, opts)
		if err != nil {
			return nil, checkout{}, err
		}
		// A local directory may be a package installed in a Python environment, whose licence is in
		// its distribution's metadata beside it.
		return res, checkout{commit: localCommit(opts.Root), license: license.DetectInstalled(opts.Root)}, nil
	case src.GetGit() != nil:
		g := src.GetGit()
		co, err := s.cloner.Clone(ctx, g.GetUrl(), g.GetRevision())
		if err != nil {
			return nil, checkout{}, err
		}
		defer func() {
			if err := co.Remove(); err != nil {
				s.log.WarnContext(ctx, "remove clone", "dir", co.Dir, "error", err)
			}
		}()
		opts.Root, opts.AllowedRoots = co.Dir, []string{co.Dir}
		res, err := analysis.Analyze(ctx, opts)
		if err != nil {
			return nil, checkout{}, err
		}
		return res, checkout{commit: co.Commit, license: license.Detect(co.Dir)}, nil
	default:
		return nil, checkout{}, fmt.Errorf("%w: source needs local_path or git", analysis.ErrInvalidOption)
	}
}

// localCommit is the HEAD commit of the git work tree holding dir, or "".
func localCommit(dir string) string {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	head, err := repo.Head()
	if err != nil {
		return ""
	}
	return head.Hash().String()
}

func toProto(f *analysis.Function, sccSize map[int]int32) *parserv1.Function {
	out := &parserv1.Function{
		Id:          f.ID,
		Path:        f.Path,
		StartLine:   int32(f.StartLine),
		EndLine:     int32(f.EndLine),
		Code:        f.Code,
		Docstring:   f.Docstring,
		Signature:   f.Signature,
		ClassName:   f.Class,
		Decorators:  f.Decorators,
		ContentHash: f.ContentHash,
		SccId:       int32(f.SCC),
		SccSize:     sccSize[f.SCC],
		Level:       int32(f.Level),
		IsTest:      f.IsTest,
		IsDunder:    f.IsDunder,
		IsTrivial:   f.IsTrivial,
		Language:    f.Language,
	}
	for _, c := range f.Callees {
		kind := parserv1.EdgeKind_EDGE_KIND_RESOLVED
		if c.Kind == analysis.NameMatched {
			kind = parserv1.EdgeKind_EDGE_KIND_NAME_MATCHED
		}
		out.Callees = append(out.Callees, &parserv1.Callee{Id: c.ID, Kind: kind})
	}
	for _, a := range f.APICalls {
		out.ApiCalls = append(out.ApiCalls, &parserv1.APICall{Api: a.API, Count: int32(a.Count)})
	}
	return out
}

func statsToProto(res *analysis.Result, co checkout) *parserv1.ParseStats {
	st := res.Stats
	out := &parserv1.ParseStats{
		Files:             int32(st.Files),
		Bytes:             st.Bytes,
		Functions:         int32(st.Functions),
		Edges:             int32(st.Edges),
		Cycles:            int32(st.Cycles),
		ParseErrorFiles:   int32(st.ParseErrorFiles),
		SkippedLargeFiles: int32(st.SkippedLargeFiles),
		SkippedFiles:      int32(st.SkippedOther),
		Elapsed:           durationpb.New(st.Elapsed),
		Commit:            co.commit,
		License:           co.license,
	}
	for _, sk := range res.Skipped {
		if len(out.Skipped) < maxListed {
			out.Skipped = append(out.Skipped, &parserv1.SkippedFile{Path: sk.Path, Reason: sk.Reason, Detail: sk.Detail})
		}
		if len(out.FileIssues) < maxFileIssues {
			issue := sk.Path + ": " + sk.Reason
			if sk.Detail != "" {
				issue += " (" + sk.Detail + ")"
			}
			out.FileIssues = append(out.FileIssues, issue)
		}
	}
	for _, f := range res.SyntaxErrorFunctions {
		if len(out.SyntaxErrorFunctions) == maxListed {
			break
		}
		out.SyntaxErrorFunctions = append(out.SyntaxErrorFunctions, &parserv1.SyntaxErrorFunction{
			Id: f.ID, Path: f.Path, StartLine: int32(f.StartLine), EndLine: int32(f.EndLine),
		})
	}
	for _, p := range res.ParseErrorPaths {
		if len(out.FileIssues) == maxFileIssues {
			break
		}
		out.FileIssues = append(out.FileIssues, p+": syntax errors (recovered what tree-sitter could)")
	}
	return out
}
