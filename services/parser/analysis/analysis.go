// Package analysis parses a Python, JavaScript and TypeScript repository
// (one front end per language, jsfiles.go) and returns its functions in
// callee-first order with their call graph, API usage, strongly connected
// components and levels. It is what the parser server and the q4c CLI call.
package analysis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/query4code/query4code/services/parser/internal/callgraph"
	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/jsast"
	"github.com/query4code/query4code/services/parser/internal/pyast"
	"github.com/query4code/query4code/services/parser/internal/repowalk"
	"github.com/query4code/query4code/services/parser/internal/topo"
)

// Sentinel errors, for errors.Is; the server maps them to status codes.
var (
	// ErrOutsideAllowedRoots: Root is not inside any of AllowedRoots
	// (after resolving symlinks). Maps to PermissionDenied.
	ErrOutsideAllowedRoots = errors.New("root is outside the allowed roots")
	// ErrNotFound: Root does not exist. Maps to NotFound.
	ErrNotFound = errors.New("root not found")
	// ErrNotDirectory: Root is not a directory. Maps to InvalidArgument.
	ErrNotDirectory = errors.New("root is not a directory")
	// ErrInvalidOption: an option is malformed (bad glob, negative size,
	// empty root). Maps to InvalidArgument.
	ErrInvalidOption = errors.New("invalid option")
)

// DefaultMaxFileBytes is the size cap used when Options.MaxFileBytes is 0.
const DefaultMaxFileBytes = 1 << 20

// Options control an analysis.
type Options struct {
	// Root is the repository directory.
	Root string
	// AllowedRoots, when not empty, are the directories Root must lie in.
	AllowedRoots []string
	// Include and Exclude are doublestar globs on slash paths relative to
	// Root (e.g. "src/**", "**/migrations/**"). Empty Include means all.
	Include, Exclude []string
	// SkipTests leaves out test files (not analysed at all) and test
	// functions (Function.IsTest).
	SkipTests bool
	// Languages selects "python", "javascript" and "typescript" files;
	// empty means all.
	Languages []string
	// SkipDunder drops __dunder__ methods from the output (Function.IsDunder).
	SkipDunder bool
	// SkipTrivial drops trivial functions from the output (Function.IsTrivial).
	SkipTrivial bool
	// DirectoryModuleNames names modules by their path relative to Root,
	// as PyCG does, instead of relative to the import root (see
	// importPaths): a package directory loses its own name, src/ stays.
	DirectoryModuleNames bool
	// MaxFileBytes skips larger files (0: DefaultMaxFileBytes, <0: no cap).
	MaxFileBytes int64
	// Workers parse files in parallel (0: GOMAXPROCS).
	Workers int
	// Admit, when set, is called once the files are known, with the bytes
	// that will be parsed, before any is read; its error ends the analysis
	// and release is called when the analysis ends. The server bounds
	// concurrent analyses with it.
	Admit func(ctx context.Context, sourceBytes int64) (release func(), err error)
}

// EdgeKind says how a call edge was found.
type EdgeKind string

// Edge kinds.
const (
	// Resolved: the callee was found by following values (imports,
	// assignments, arguments, attributes, inheritance).
	Resolved EdgeKind = "resolved"
	// NameMatched: the receiver stayed unknown and the callee is the only
	// repository function or method with that name.
	NameMatched EdgeKind = "name_matched"
)

// Callee is a call from one function to another function of the repository.
type Callee struct {
	ID   string   `json:"id"`
	Kind EdgeKind `json:"kind"`
}

// APICall counts the call sites of an API outside the repository.
type APICall struct {
	API   string `json:"api"`
	Count int    `json:"count"`
}

// Languages of Function.Language.
const (
	Python     = "python"
	JavaScript = "javascript"
	TypeScript = "typescript"
)

// Function is one function or method of the repository.
type Function struct {
	// ID is stable: module.Class.method, the module named by Python's
	// import semantics (importPaths: requests/api.py -> requests.api). A
	// name defined twice in one scope gets "#2", "#3" for the later
	// definitions.
	ID         string   `json:"id"`
	Path       string   `json:"path"` // slash-separated, relative to Root
	StartLine  int      `json:"start_line"`
	EndLine    int      `json:"end_line"`
	Code       string   `json:"code"`
	Docstring  string   `json:"docstring,omitempty"`
	Signature  string   `json:"signature"`
	Class      string   `json:"class,omitempty"` // qualified name of the enclosing class
	Decorators []string `json:"decorators,omitempty"`
	// ContentHash is the hex SHA-256 of Code.
	ContentHash string   `json:"content_hash"`
	Callees     []Callee `json:"callees,omitempty"`
	// APICalls are third-party calls by full import path, with counts.
	APICalls []APICall `json:"api_calls,omitempty"`
	// StdlibCalls are standard-library calls, likewise.
	StdlibCalls []APICall `json:"stdlib_calls,omitempty"`
	// SCC is the id of the function's strongly connected component; ids
	// are callee-first.
	SCC int `json:"scc"`
	// Level is the longest call path down to a leaf (leaves are 0).
	Level int `json:"level"`
	// Cyclic: the function is part of a call cycle (its SCC has several
	// members or it calls itself).
	Cyclic bool `json:"cyclic,omitempty"`
	// IsTest, IsDunder and IsTrivial are the traits the dataset filters
	// use (see traits.go); they are set whatever the Skip options.
	IsTest    bool   `json:"is_test,omitempty"`
	IsDunder  bool   `json:"is_dunder,omitempty"`
	IsTrivial bool   `json:"is_trivial,omitempty"`
	Language  string `json:"language"`
}

// Stats summarise an analysis.
type Stats struct {
	Files             int   `json:"files"`
	Bytes             int64 `json:"bytes"`
	Functions         int   `json:"functions"`
	Edges             int   `json:"edges"`
	Cycles            int   `json:"cycles"`
	ParseErrorFiles   int   `json:"parse_error_files"`
	SkippedLargeFiles int   `json:"skipped_large_files"`
	SkippedOther      int   `json:"skipped_other"`
	CallSites         int   `json:"call_sites"`
	// SyntaxErrorFunctions counts the functions left out because their
	// span holds a syntax error (Result.SyntaxErrorFunctions).
	SyntaxErrorFunctions int           `json:"syntax_error_functions"`
	Elapsed              time.Duration `json:"elapsed_ns"`
}

// SkippedFile is a file that was not analysed, with the reason.
type SkippedFile struct {
	Path string `json:"path"`
	// Reason is a stable code: too_large, binary, undecodable,
	// outside_repository, unreadable, and for JavaScript/TypeScript
	// declaration, vendored, minified, generated, compiled_output or
	// duplicate_module (repowalk's Reasons).
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// SyntaxErrorFunction is a function whose own span holds a syntax error:
// tree-sitter recovered something, but not the code that was meant, so it
// is reported instead of emitted. Its neighbours in the file are emitted;
// calls to it from them are dropped.
type SyntaxErrorFunction struct {
	ID        string `json:"id"`
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// Result is the outcome of Analyze.
type Result struct {
	// Functions in callee-first order: a callee outside a function's SCC
	// always comes before it.
	Functions []Function
	Stats     Stats
	// APIUsage totals third-party calls over the whole repository,
	// module-level code included, most used first.
	APIUsage []APICall
	// StdlibUsage likewise for the standard library.
	StdlibUsage []APICall
	// Skipped files and the files tree-sitter had to recover from.
	Skipped         []SkippedFile
	ParseErrorPaths []string
	// SyntaxErrorFunctions are left out of Functions, in file order.
	SyntaxErrorFunctions []SyntaxErrorFunction

	program *program
}

// program is the parsed and resolved repository, kept for the graph outputs.
type program struct {
	files []parsedFile
	graph *callgraph.Graph
}

type parsedFile struct {
	path   string
	src    []byte
	module *extract.Module
	// code holds, per local scope, the dedented code and its hash of the
	// functions that will be emitted (filled while the call graph resolves).
	code []scopeCode
}

type scopeCode struct {
	code string
	hash string
}

// Analyze parses the repository at opts.Root.
func Analyze(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	root, err := checkRoot(opts)
	if err != nil {
		return nil, err
	}
	maxBytes := opts.MaxFileBytes
	switch {
	case maxBytes == 0:
		maxBytes = DefaultMaxFileBytes
	case maxBytes < 0:
		maxBytes = 0
	}
	workers := opts.Workers
	if workers < 0 {
		return nil, fmt.Errorf("%w: workers must not be negative", ErrInvalidOption)
	}
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	wopts := repowalk.Options{Include: opts.Include, Exclude: opts.Exclude, SkipTests: opts.SkipTests, Languages: opts.Languages}
	if err := wopts.ValidatePatterns(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	if err := wopts.ValidateLanguages(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	candidates, skipped, err := repowalk.Walk(ctx, root, wopts)
	if err != nil {
		return nil, err
	}
	var sourceBytes int64
	for _, f := range candidates {
		if maxBytes == 0 || f.Size <= maxBytes {
			sourceBytes += f.Size
		}
	}
	if opts.Admit != nil {
		release, err := opts.Admit(ctx, sourceBytes)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	res := &Result{}
	parsed, skippedRead, err := parseAll(ctx, candidates, maxBytes, workers)
	if err != nil {
		return nil, err
	}
	skipped = append(skipped, skippedRead...)
	sort.Slice(skipped, func(a, b int) bool { return skipped[a].Path < skipped[b].Path })
	for _, sk := range skipped {
		if sk.Reason == repowalk.ReasonTooLarge {
			res.Stats.SkippedLargeFiles++
		} else {
			res.Stats.SkippedOther++
		}
		res.Skipped = append(res.Skipped, SkippedFile{Path: sk.Path, Reason: string(sk.Reason), Detail: sk.Detail})
	}
	// Code and hashes depend only on the files: compute them on the other
	// workers while the call graph resolves on this one.
	// Read before computeCode starts writing the parsed files' code.
	jsOpts := jsResolveOptions(root, parsed)
	staticDone := computeCode(ctx, parsed, opts, workers)
	prog, err := resolveWith(ctx, parsed, importPaths(root, parsed, opts.DirectoryModuleNames), jsOpts)
	<-staticDone
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	res.program = prog
	for _, f := range parsed {
		res.Stats.Files++
		res.Stats.Bytes += int64(len(f.src))
		if f.module.ParseError {
			res.Stats.ParseErrorFiles++
			res.ParseErrorPaths = append(res.ParseErrorPaths, f.path)
		}
	}
	buildFunctions(res, prog, opts)
	res.Stats.Elapsed = time.Since(start)
	return res, nil
}

// checkRoot validates Root against the allowed roots and returns it
// absolute and free of symlinks.
func checkRoot(opts Options) (string, error) {
	if strings.TrimSpace(opts.Root) == "" {
		return "", fmt.Errorf("%w: root is empty", ErrInvalidOption)
	}
	if opts.MaxFileBytes < -1 {
		return "", fmt.Errorf("%w: max file bytes %d", ErrInvalidOption, opts.MaxFileBytes)
	}
	abs, err := filepath.Abs(opts.Root)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: %s", ErrNotFound, opts.Root)
		}
		return "", fmt.Errorf("resolving %s: %w", opts.Root, err)
	}
	if len(opts.AllowedRoots) > 0 {
		ok := false
		for _, ar := range opts.AllowedRoots {
			arAbs, err := filepath.Abs(ar)
			if err != nil {
				continue
			}
			if arReal, err := filepath.EvalSymlinks(arAbs); err == nil {
				arAbs = arReal
			}
			if repowalk.Within(arAbs, real) {
				ok = true
				break
			}
		}
		if !ok {
			return "", fmt.Errorf("%w: %s", ErrOutsideAllowedRoots, opts.Root)
		}
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%w: %s", ErrNotFound, opts.Root)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%w: %s", ErrNotDirectory, opts.Root)
	}
	return real, nil
}

// parseAll reads, parses and extracts the files with a pool of workers,
// keeping the input order.
func parseAll(ctx context.Context, files []repowalk.File, maxBytes int64, workers int) ([]parsedFile, []repowalk.Skipped, error) {
	type outcome struct {
		file parsedFile
		skip *repowalk.Skipped
		ok   bool
	}
	out := make([]outcome, len(files))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for w := 0; w < min(workers, max(len(files), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := pyast.NewParser()
			if err != nil {
				fail(err)
				return
			}
			defer p.Close()
			jp := jsast.NewParser()
			defer jp.Close()
			var x extract.Extractor
			for k := range jobs {
				f := files[k]
				src, err := repowalk.ReadSource(f, maxBytes)
				if err != nil {
					var se *repowalk.SkipError
					if errors.As(err, &se) {
						out[k] = outcome{skip: &repowalk.Skipped{Path: f.Path, Reason: se.Reason, Detail: se.Detail}}
						continue
					}
					fail(err)
					return
				}
				if d := jsast.DialectOf(f.Path); d != jsast.NotJS {
					m, skip := parseJS(jp, &x, f.Path, src, d)
					if skip != nil {
						out[k] = outcome{skip: skip}
					} else {
						out[k] = outcome{file: parsedFile{path: f.Path, src: src, module: m}, ok: true}
					}
					continue
				}
				tree, err := p.Parse(src)
				if err != nil {
					out[k] = outcome{skip: &repowalk.Skipped{Path: f.Path, Reason: repowalk.ReasonUnreadable, Detail: err.Error()}}
					continue
				}
				out[k] = outcome{file: parsedFile{path: f.Path, src: src, module: x.Extract(tree)}, ok: true}
			}
		}()
	}
	// Largest files first: a big file picked up last would leave the other
	// workers idle at the end.
	order := make([]int, len(files))
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool { return files[order[a]].Size > files[order[b]].Size })
feed:
	for _, k := range order {
		select {
		case jobs <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("parsing: %w", err)
	}
	var parsed []parsedFile
	var skipped []repowalk.Skipped
	for _, o := range out {
		switch {
		case o.ok:
			parsed = append(parsed, o.file)
		case o.skip != nil:
			skipped = append(skipped, *o.skip)
		}
	}
	return parsed, skipped, nil
}

// resolve builds the call graph; importPaths[k] names the module of parsed[k].
func resolve(ctx context.Context, parsed []parsedFile, importPaths []string) (*program, error) {
	return resolveWith(ctx, parsed, importPaths, callgraph.Options{})
}

// resolveWith is resolve with the repository's JavaScript/TypeScript
// module settings (jsResolveOptions).
func resolveWith(ctx context.Context, parsed []parsedFile, importPaths []string, opts callgraph.Options) (*program, error) {
	files := make([]callgraph.File, len(parsed))
	// Field by field: computeCode writes parsed[k].code meanwhile.
	for k := range parsed {
		files[k] = callgraph.File{Path: importPaths[k], Module: parsed[k].module}
	}
	g, err := callgraph.ResolveWith(ctx, files, opts)
	if err != nil {
		return nil, err
	}
	return &program{files: parsed, graph: g}, nil
}

// ---- functions ----

// funcNode is a function scope kept in the output graph.
type funcNode struct {
	scope  int32
	id     string
	isTest bool
}

func buildFunctions(res *Result, prog *program, opts Options) {
	g := prog.graph
	ids := scopeIDs(prog)
	testCases := prog.testCaseClasses()
	// Emitted functions: function scopes (no modules, classes or lambdas),
	// minus what the options drop and what holds syntax errors.
	index := make([]int32, len(g.Scopes))
	var nodes []funcNode
	for k := range g.Scopes {
		index[k] = -1
		sc := prog.scope(int32(k))
		if !emitted(sc, opts) {
			continue
		}
		if sc.SyntaxError {
			res.SyntaxErrorFunctions = append(res.SyntaxErrorFunctions, SyntaxErrorFunction{
				ID: ids[k], Path: prog.fileOf(int32(k)).path, StartLine: sc.StartLine, EndLine: sc.EndLine,
			})
			continue
		}
		isTest := prog.isTest(int32(k), testCases)
		if opts.SkipTests && isTest {
			continue
		}
		index[k] = int32(len(nodes))
		nodes = append(nodes, funcNode{scope: int32(k), id: ids[k], isTest: isTest})
	}
	res.Stats.SyntaxErrorFunctions = len(res.SyntaxErrorFunctions)
	callees := prog.collapsedCallees()
	succ := make([][]int32, len(nodes))
	kinds := make([][]callgraph.EdgeKind, len(nodes))
	for k, n := range nodes {
		for _, c := range callees[n.scope] {
			if t := index[c.Scope]; t >= 0 {
				succ[k] = append(succ[k], t)
				kinds[k] = append(kinds[k], c.Kind)
			}
		}
	}
	order := topo.Order(len(nodes), succ)
	for c := range order.Members {
		if order.Cyclic(int32(c), succ) {
			res.Stats.Cycles++
		}
	}
	api, std := map[string]int{}, map[string]int{}
	for k, m := range g.External {
		isStd := prog.stdlibTest(int32(k))
		for path, n := range m {
			if isStd(path) {
				std[path] += n
			} else {
				api[path] += n
			}
		}
	}
	res.APIUsage, res.StdlibUsage = sortedCalls(api), sortedCalls(std)
	res.Functions = make([]Function, 0, len(nodes))
	for _, k := range order.Order {
		n := nodes[k]
		f := prog.function(n.scope, n.id)
		f.IsTest = n.isTest
		comp := order.Component[k]
		f.SCC = int(comp)
		f.Level = int(order.Level[comp])
		f.Cyclic = order.Cyclic(comp, succ)
		for j, t := range succ[k] {
			kind := Resolved
			if kinds[k][j] == callgraph.EdgeNameMatched {
				kind = NameMatched
			}
			f.Callees = append(f.Callees, Callee{ID: nodes[t].id, Kind: kind})
			res.Stats.Edges++
		}
		sort.Slice(f.Callees, func(a, b int) bool { return f.Callees[a].ID < f.Callees[b].ID })
		isStd := prog.stdlibTest(n.scope)
		for path, cnt := range g.External[n.scope] {
			if isStd(path) {
				f.StdlibCalls = append(f.StdlibCalls, APICall{API: path, Count: cnt})
			} else {
				f.APICalls = append(f.APICalls, APICall{API: path, Count: cnt})
			}
		}
		sortCalls(f.APICalls)
		sortCalls(f.StdlibCalls)
		res.Functions = append(res.Functions, f)
	}
	res.Stats.Functions = len(res.Functions)
}

// emitted reports whether a scope may be output as a function: function
// scopes (no modules, classes or lambdas), minus the dunder and trivial
// ones when the options drop them. Tests and syntax errors are decided
// with the call graph (buildFunctions).
func emitted(sc *extract.Scope, opts Options) bool {
	if sc.Kind != extract.ScopeFunction {
		return false
	}
	if opts.SkipDunder && isDunder(sc.Name) {
		return false
	}
	return !opts.SkipTrivial || !isTrivial(sc)
}

// computeCode fills parsedFile.code for the emitted functions with
// max(workers-1, 1) goroutines; the returned channel closes when done. On
// cancellation it stops early (resolve reports the error).
func computeCode(ctx context.Context, parsed []parsedFile, opts Options, workers int) <-chan struct{} {
	done := make(chan struct{})
	n := max(workers-1, 1)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(parsed) && ctx.Err() == nil; k += n {
				f := &parsed[k]
				f.code = make([]scopeCode, len(f.module.Scopes))
				for j := range f.module.Scopes {
					sc := &f.module.Scopes[j]
					if !emitted(sc, opts) || sc.SyntaxError {
						continue
					}
					f.code[j] = newScopeCode(f.src, sc)
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

func newScopeCode(src []byte, sc *extract.Scope) scopeCode {
	code := dedentCode(src, sc.StartByte, sc.EndByte)
	sum := sha256.Sum256([]byte(code))
	return scopeCode{code: code, hash: hex.EncodeToString(sum[:])}
}

func sortedCalls(m map[string]int) []APICall {
	out := make([]APICall, 0, len(m))
	for k, v := range m {
		out = append(out, APICall{API: k, Count: v})
	}
	sortCalls(out)
	return out
}

func sortCalls(c []APICall) {
	sort.Slice(c, func(a, b int) bool {
		if c[a].Count != c[b].Count {
			return c[a].Count > c[b].Count
		}
		return c[a].API < c[b].API
	})
}

func (p *program) scope(g int32) *extract.Scope {
	return &p.fileOf(g).module.Scopes[p.graph.Scopes[g].Local]
}

// fileOf returns the file that defines scope g.
func (p *program) fileOf(g int32) *parsedFile {
	return &p.files[p.graph.Modules[p.graph.Scopes[g].Module].File]
}

// scopeIDs names every scope: the PyCG-style dotted name, with "#n" for
// later definitions of a name already defined in the same scope.
func scopeIDs(p *program) []string {
	ids := make([]string, len(p.graph.Scopes))
	seen := map[string]int{}
	for k, sc := range p.graph.Scopes {
		id := sc.Name
		seen[id]++
		if n := seen[id]; n > 1 {
			id = fmt.Sprintf("%s#%d", id, n)
		}
		ids[k] = id
	}
	return ids
}

// collapsedCallees returns each scope's callees, with calls to lambdas
// replaced by what the lambdas call (lambdas are not emitted).
func (p *program) collapsedCallees() [][]callgraph.Callee {
	g := p.graph
	out := make([][]callgraph.Callee, len(g.Scopes))
	for k := range g.Scopes {
		direct := true
		for _, c := range g.Callees[k] {
			if p.scope(c.Scope).Kind == extract.ScopeLambda {
				direct = false
				break
			}
		}
		if direct {
			// No lambda to look through: the callees are already unique
			// and sorted by scope.
			out[k] = g.Callees[k]
			continue
		}
		seen := map[int32]callgraph.EdgeKind{}
		var visit func(from int32, kind callgraph.EdgeKind, depth int)
		visited := map[int32]bool{}
		visit = func(from int32, kind callgraph.EdgeKind, depth int) {
			for _, c := range g.Callees[from] {
				ek := max(kind, c.Kind)
				if p.scope(c.Scope).Kind == extract.ScopeLambda {
					if !visited[c.Scope] {
						visited[c.Scope] = true
						visit(c.Scope, ek, depth+1)
					}
					continue
				}
				if old, ok := seen[c.Scope]; !ok || ek < old {
					seen[c.Scope] = ek
				}
			}
		}
		visit(int32(k), callgraph.EdgeResolved, 0)
		for scope, kind := range seen {
			out[k] = append(out[k], callgraph.Callee{Scope: scope, Kind: kind})
		}
		sort.Slice(out[k], func(a, b int) bool { return out[k][a].Scope < out[k][b].Scope })
	}
	return out
}

// function fills the static fields of a function.
func (p *program) function(g int32, id string) Function {
	sc := p.scope(g)
	gs := p.graph.Scopes[g]
	file := &p.files[p.graph.Modules[gs.Module].File]
	var code scopeCode
	if int(gs.Local) < len(file.code) {
		code = file.code[gs.Local]
	} else {
		code = newScopeCode(file.src, sc)
	}
	f := Function{
		ID: id, Path: file.path, StartLine: sc.StartLine, EndLine: sc.EndLine,
		Code: code.code, Docstring: sc.Docstring, Signature: sc.Signature,
		Decorators: sc.Decorators, ContentHash: code.hash,
		IsDunder: file.module.Language == "" && isDunder(sc.Name), IsTrivial: isTrivial(sc),
		Language: languageOf(file.module),
	}
	if sc.Parent >= 0 {
		parent := &file.module.Scopes[sc.Parent]
		if parent.Kind == extract.ScopeClass && !parent.IsObject {
			f.Class = parent.QualName
		}
	}
	return f
}

// dedentCode returns the source lines of [start, end) with the indentation
// of the first line removed from every line that has it.
func dedentCode(src []byte, start, end uint32) string {
	if int(end) > len(src) {
		end = uint32(len(src))
	}
	if start > end {
		start = end
	}
	lineStart := start
	for lineStart > 0 && src[lineStart-1] != '\n' {
		lineStart--
	}
	indent := string(src[lineStart:start])
	if strings.TrimLeft(indent, " \t") != "" {
		// Something precedes the definition on its line (`x = 1; def f(): ...`).
		return string(src[start:end])
	}
	text := string(src[lineStart:end])
	if indent == "" {
		return text
	}
	// One pass over the lines, each stripped of the indent when it has it.
	var sb strings.Builder
	sb.Grow(len(text))
	for {
		line, rest, more := strings.Cut(text, "\n")
		sb.WriteString(strings.TrimPrefix(line, indent))
		if !more {
			break
		}
		sb.WriteByte('\n')
		text = rest
	}
	return sb.String()
}
