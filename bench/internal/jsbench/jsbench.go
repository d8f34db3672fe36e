// Package jsbench runs the JavaScript/TypeScript call-graph benchmark: it
// installs pinned npm packages with `npm ci` into bench/tsref, takes the
// TypeScript compiler's graph of each (bench/tsref/tsref.js), runs
// `q4c callgraph --format json` on the same folder and scores it with
// jscompare. make bench (q4cbench) and make bench-jscallgraph both use it.
package jsbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/query4code/query4code/bench/internal/jscompare"
)

// Title is the section's heading in docs/BENCHMARKS.md.
const Title = "JavaScript/TypeScript call graph against the TypeScript compiler"

// TSRef is the reference extractor's folder, relative to the repository root.
const TSRef = "bench/tsref"

// Package is an npm package of the benchmark, pinned in bench/tsref/package.json.
type Package struct {
	Name string
	Kind string
	// Dir is the analysed folder (the package's own sources), relative to node_modules.
	Dir string
	// TSConfig is the package's own compiler settings, relative to
	// node_modules; empty: tsref.js's defaults.
	TSConfig string
}

// Packages are the benchmark's packages: two in CommonJS JavaScript, two
// that ship their TypeScript sources. qs is read from lib/ only: its dist/
// is a browserify bundle and test/ its tests.
var Packages = []Package{
	{Name: "semver", Kind: "CommonJS JavaScript", Dir: "semver"},
	{Name: "qs", Kind: "CommonJS JavaScript", Dir: "qs/lib"},
	{Name: "rxjs", Kind: "TypeScript sources", Dir: "rxjs/src", TSConfig: "rxjs/src/tsconfig.base.json"},
	{Name: "mobx", Kind: "TypeScript sources", Dir: "mobx/src"},
}

// Pinned describes the packages with the versions bench/tsref/package.json pins.
func Pinned(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, TSRef, "package.json"))
	if err != nil {
		return "", err
	}
	var pkg struct{ Dependencies map[string]string }
	if err := json.Unmarshal(data, &pkg); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", TSRef, err)
	}
	var parts []string
	for _, p := range Packages {
		v := pkg.Dependencies[p.Name]
		if v == "" {
			return "", fmt.Errorf("%s/package.json does not pin %s", TSRef, p.Name)
		}
		parts = append(parts, p.describe(v))
	}
	return packagesLine(parts, pkg.Dependencies["typescript"]), nil
}

// describe names the package, its version, kind, analysed folder and tsconfig.
func (p Package) describe(version string) string {
	conf := ""
	if p.TSConfig != "" {
		conf = ", with its `" + strings.TrimPrefix(p.TSConfig, p.Name+"/") + "`"
	}
	return fmt.Sprintf("%s %s (%s, `%s/`%s)", p.Name, version, p.Kind, p.Dir, conf)
}

func packagesLine(parts []string, typescript string) string {
	return fmt.Sprintf("Packages: %s; TypeScript %s.", strings.Join(parts, ", "), typescript)
}

// Config says where things are and how many timed runs to make.
type Config struct {
	// Root is the repository root; Q4C the q4c binary.
	Root, Q4C string
	// Runs is the number of timed runs of each side (median kept).
	Runs int
	// Log receives progress lines.
	Log io.Writer
}

// Result is one package's outcome.
type Result struct {
	Package
	Version string
	Ref     *jscompare.Reference
	Score   jscompare.Result
	// Skipped are the files q4c did not analyse, with the reason.
	Skipped []string
	// TSC and Q4C are the medians of the in-process times.
	TSC, Q4C time.Duration
	// Commands reproduce the two sides, from the repository root.
	Commands []string
}

// Run installs the packages and measures each. The first error stops it.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Runs < 1 {
		return nil, fmt.Errorf("runs must be at least 1, got %d", cfg.Runs)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if _, err := os.Stat(cfg.Q4C); err != nil {
		return nil, fmt.Errorf("q4c not built (run make build): %w", err)
	}
	tsref := filepath.Join(cfg.Root, TSRef)
	fmt.Fprintf(cfg.Log, "   npm ci in %s\n", TSRef)
	// --ignore-scripts: the packages are only read, never run.
	if _, err := run(ctx, tsref, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "q4c-jsbench-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	if err := SelfCheck(ctx, cfg.Root, tmp); err != nil {
		return nil, err
	}
	var out []Result
	for _, p := range Packages {
		res, err := measure(ctx, cfg, p, tmp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, res)
	}
	return out, nil
}

func measure(ctx context.Context, cfg Config, p Package, tmp string) (Result, error) {
	modules := filepath.Join(TSRef, "node_modules")
	res := Result{Package: p}
	var meta struct{ Version string }
	data, err := os.ReadFile(filepath.Join(cfg.Root, modules, p.Name, "package.json"))
	if err == nil {
		err = json.Unmarshal(data, &meta)
	}
	if err != nil {
		return res, fmt.Errorf("reading its package.json (npm ci failed?): %w", err)
	}
	if meta.Version == "" {
		return res, errors.New("its package.json has no version")
	}
	res.Version = meta.Version

	dir := filepath.Join(modules, p.Dir)
	refFile := filepath.Join(tmp, p.Name+".json")
	shown := []string{filepath.Join(TSRef, "tsref.js"), "--root", dir}
	if p.TSConfig != "" {
		shown = append(shown, "--tsconfig", filepath.Join(modules, p.TSConfig))
	}
	args := append(append([]string{}, shown...), "--runs", fmt.Sprint(cfg.Runs), "--out", refFile)
	fmt.Fprintf(cfg.Log, "   %s@%s: TypeScript compiler, %d runs\n", p.Name, res.Version, cfg.Runs)
	if _, err := run(ctx, cfg.Root, "node", args...); err != nil {
		return res, err
	}
	f, err := os.Open(refFile)
	if err != nil {
		return res, err
	}
	res.Ref, err = jscompare.ReadReference(f)
	_ = f.Close()
	if err != nil {
		return res, err
	}
	res.TSC = time.Duration(res.Ref.ElapsedMs * float64(time.Millisecond))

	fmt.Fprintf(cfg.Log, "   %s@%s: q4c callgraph, %d runs\n", p.Name, res.Version, cfg.Runs)
	var pred *jscompare.Prediction
	var times []time.Duration
	for range cfg.Runs {
		stdout, err := run(ctx, cfg.Root, cfg.Q4C, "callgraph", "--format", "json", dir)
		if err != nil {
			return res, err
		}
		if pred, err = jscompare.ReadPrediction(bytes.NewReader(stdout)); err != nil {
			return res, err
		}
		times = append(times, pred.Elapsed)
	}
	if len(pred.Functions) == 0 {
		// A speed ratio and zero scores against an analysis that read nothing would mislead.
		return res, fmt.Errorf("q4c callgraph found no functions under %s (does this q4c read JavaScript/TypeScript?)", dir)
	}
	res.Q4C = jscompare.Median(times)
	res.Skipped = pred.Skipped
	res.Score = jscompare.Score(res.Ref, pred)
	q4c := cfg.Q4C
	if r, err := filepath.Rel(cfg.Root, q4c); err == nil && !strings.HasPrefix(r, "..") {
		q4c = r
	}
	res.Commands = []string{"node " + strings.Join(shown, " ") + fmt.Sprintf(" --runs %d", cfg.Runs),
		q4c + " callgraph --format json " + dir}
	return res, nil
}

// run runs a command in dir and returns its stdout; errors carry the end of its output.
func run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 600 {
			msg = "..." + msg[len(msg)-600:]
		}
		if errors.As(err, &exit) || msg != "" {
			return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return stdout.Bytes(), nil
}

// Naming is the fixture that pins tsref.js's naming and edge rules, and its expected output.
const (
	Naming     = TSRef + "/testdata/naming"
	NamingWant = TSRef + "/testdata/naming.want.json"
)

// SelfCheck runs tsref.js on the naming fixture and compares its modules,
// functions and edges with the expected ones, so the reference cannot drift
// from the rules it documents. It needs bench/tsref's packages installed.
func SelfCheck(ctx context.Context, root, tmp string) error {
	out := filepath.Join(tmp, "naming.json")
	if _, err := run(ctx, root, "node", filepath.Join(TSRef, "tsref.js"), "--root", Naming, "--out", out); err != nil {
		return err
	}
	read := func(path string) (*jscompare.Reference, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }()
		var ref jscompare.Reference
		return &ref, json.NewDecoder(f).Decode(&ref)
	}
	got, err := read(out)
	if err != nil {
		return fmt.Errorf("tsref.js output on %s: %w", Naming, err)
	}
	want, err := read(filepath.Join(root, NamingWant))
	if err != nil {
		return fmt.Errorf("%s: %w", NamingWant, err)
	}
	if d := diff("module", want.Modules, got.Modules) + diff("function", want.Functions, got.Functions) +
		diff("edge", edgeStrings(want.Edges), edgeStrings(got.Edges)); d != "" {
		return fmt.Errorf("tsref.js on %s differs from %s:\n%s", Naming, NamingWant, d)
	}
	return nil
}

func edgeStrings(edges [][2]string) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = edge(e)
	}
	return out
}

// diff lists what is only in want (-) and only in got (+).
func diff(kind string, want, got []string) string {
	in := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, s := range list {
			m[s] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, s := range want {
		if !g[s] {
			fmt.Fprintf(&b, "- %s %s\n", kind, s)
		}
	}
	for _, s := range got {
		if !w[s] {
			fmt.Fprintf(&b, "+ %s %s\n", kind, s)
		}
	}
	return b.String()
}
