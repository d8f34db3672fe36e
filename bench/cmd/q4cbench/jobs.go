package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/query4code/query4code/bench/internal/jobbound"
	"github.com/query4code/query4code/bench/internal/report"
	"github.com/query4code/query4code/bench/internal/sysinfo"
)

// fakeModel is the model name the jobs use with fakellm; costPerPair gives
// it gpt-4o-mini's list price so cost is counted.
const (
	fakeModel  = "fake-llm"
	fakePrices = "fake-llm=0.15/0.60"
)

// process is a background service started by the driver.
type process struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  *os.File
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// start runs a binary in the background with --addr and waits until it
// accepts connections.
func (b *bench) start(ctx context.Context, name, binary string, args ...string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(b.tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(b.binary(binary), append([]string{"--addr", addr}, args...)...)
	cmd.Dir = b.tmp
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, addr: addr, log: log}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return p, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not listen on %s: %s", name, addr, tail(readFile(log.Name()), 400))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the process (SIGTERM, then SIGKILL after 10s).
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	_ = p.log.Close()
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

// jobRun is the outcome of one q4c annotate run.
type jobRun struct {
	wall                             time.Duration
	kept, rejected, failed           int
	calls, promptTokens, complTokens int64
	outDir                           string
	stdout                           string
}

var (
	keptLine  = regexp.MustCompile(`(\d+) pairs kept, (\d+) rejected .*?, (\d+) functions failed`)
	callsLine = regexp.MustCompile(`(\d+) LLM (?:calls|requests), (\d+) prompt \+ (\d+) completion tokens`)
)

// annotate runs bin/q4c annotate (all four services in its process) on repo
// with a fresh state, against the OpenAI-compatible server at llmURL.
func (b *bench) annotate(ctx context.Context, raw, repo, llmURL string, concurrency int, extra ...string) (*jobRun, error) {
	dir, err := os.MkdirTemp(b.tmp, "job-")
	if err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "out")
	args := []string{"annotate", "--state-dir", filepath.Join(dir, "state"), "--out", out,
		"--concurrency", strconv.Itoa(concurrency), "--llm", "openai", "--llm-base-url", llmURL,
		"--llm-model", fakeModel, "--llm-max-retries", "1"}
	args = append(append(args, extra...), repo)
	start := time.Now()
	stdout, _, err := b.exec(ctx, raw, []string{"Q4C_ANNOTATOR_LLM_API_KEY=bench"}, b.binary("q4c"), args...)
	run := &jobRun{wall: time.Since(start), outDir: out, stdout: stdout}
	if err != nil {
		return nil, err
	}
	m := keptLine.FindStringSubmatch(stdout)
	c := callsLine.FindStringSubmatch(stdout)
	if m == nil || c == nil {
		return nil, fmt.Errorf("q4c annotate: unexpected summary: %s", tail(stdout, 300))
	}
	run.kept, _ = strconv.Atoi(m[1])
	run.rejected, _ = strconv.Atoi(m[2])
	run.failed, _ = strconv.Atoi(m[3])
	run.calls, _ = strconv.ParseInt(c[1], 10, 64)
	run.promptTokens, _ = strconv.ParseInt(c[2], 10, 64)
	run.complTokens, _ = strconv.ParseInt(c[3], 10, 64)
	return run, nil
}

func jobWallTime(ctx context.Context, b *bench) report.Section {
	// Wide enough that the job, not the process's fixed start-up and write-out, dominates the time:
	// at 100 ms and concurrency 16 the bound is about 6 s.
	shape := jobbound.Shape{Depth: 20, Width: 300}
	latencies := []time.Duration{25 * time.Millisecond, 100 * time.Millisecond}
	concurrencies := []int{4, 16, 64}
	if b.cfg.quick {
		shape = jobbound.Shape{Depth: 4, Width: 8}
		latencies = []time.Duration{20 * time.Millisecond}
		concurrencies = []int{1, 8}
	}
	repo := filepath.Join(b.tmp, "synthetic")
	if err := jobbound.Write(repo, shape); err != nil {
		return failed(err)
	}
	sec := report.Section{
		Text: []string{fmt.Sprintf("A synthetic repository (%d functions: a call chain %d deep and a hub calling %d leaves) annotated "+
			"by `q4c annotate` (parser, docs, annotator and orchestrator in one process, real gRPC between them) with the annotator's "+
			"`openai` back-end pointed at `bin/fakellm --latency L`. Each function needs 3 LLM calls (summary, query, validation), "+
			"so %d calls. The lower bound is max(critical path x L + 2 x L, calls x L / concurrency): %d summaries down the chain must "+
			"run one after another, then the top function's query and validation; and no more than `--concurrency` calls run at once. "+
			"The wall time is the whole `q4c annotate` process (start, parse, store, dataset files); the latency-0 row is that fixed overhead.",
			shape.Functions(), shape.Depth, shape.Width, shape.Calls(), shape.CriticalPath())},
		Commands: []string{
			"bin/fakellm --addr 127.0.0.1:PORT --latency L &",
			"Q4C_ANNOTATOR_LLM_API_KEY=x bin/q4c annotate --state-dir FRESH --out FRESH --concurrency C --llm openai " +
				"--llm-base-url http://127.0.0.1:PORT/v1 --llm-model fake-llm --llm-max-retries 1 SYNTHETIC_REPO",
		},
		Table: &report.Table{Right: true, Header: []string{"fakellm latency", "concurrency", "LLM calls", "wall time (s)", "lower bound (s)",
			"wall / bound", "wall - overhead (s)"}},
	}
	// Overhead: no latency, generous concurrency.
	overhead, err := b.jobPoint(ctx, repo, 0, 16)
	if err != nil {
		return failed(err)
	}
	sec.Table.Rows = append(sec.Table.Rows, []string{"0", "16", fmt.Sprint(overhead.calls), fmt.Sprintf("%.2f", overhead.wall.Seconds()), "0", "-", "-"})
	chart := report.LineChart{Title: "Job wall time against the lower bound", XLabel: "concurrency (LLM calls in flight)", YLabel: "seconds", LogX: true}
	for li, lat := range latencies {
		measured := report.Series{Name: fmt.Sprintf("measured, latency %v", lat), Color: li}
		bound := report.Series{Name: fmt.Sprintf("lower bound, latency %v", lat), Color: li, Dashed: true}
		for _, c := range concurrencies {
			run, err := b.jobPoint(ctx, repo, lat, c)
			if err != nil {
				return failed(err)
			}
			lb, err := jobbound.LowerBound(shape.CriticalPath(), int(run.calls), lat, c)
			if err != nil {
				return failed(err)
			}
			sec.Table.Rows = append(sec.Table.Rows, []string{lat.String(), fmt.Sprint(c), fmt.Sprint(run.calls),
				fmt.Sprintf("%.2f", run.wall.Seconds()), fmt.Sprintf("%.2f", lb.Seconds()),
				fmt.Sprintf("%.2f", run.wall.Seconds()/lb.Seconds()), fmt.Sprintf("%.2f", (run.wall - overhead.wall).Seconds())})
			measured.X, measured.Y = append(measured.X, float64(c)), append(measured.Y, run.wall.Seconds())
			bound.X, bound.Y = append(bound.X, float64(c)), append(bound.Y, lb.Seconds())
		}
		chart.Series = append(chart.Series, measured, bound)
	}
	if err := b.saveChart(chart, "job-wall-time.png", &sec); err != nil {
		sec.Notes = append(sec.Notes, "Chart not drawn: "+err.Error())
	}
	sec.Notes = append(sec.Notes, "The bound uses the LLM calls the run reports; a call count above 3 per function would mean retries or repairs.")
	return sec
}

// jobPoint runs one job against a fakellm with the given latency.
func (b *bench) jobPoint(ctx context.Context, repo string, latency time.Duration, concurrency int) (*jobRun, error) {
	llm, err := b.start(ctx, "fakellm", "fakellm", "--latency", latency.String(), "--model", fakeModel)
	if err != nil {
		return nil, err
	}
	defer llm.stop()
	fmt.Fprintf(b.log, "   job: latency %v, concurrency %d\n", latency, concurrency)
	return b.annotate(ctx, fmt.Sprintf("job-latency%v-c%d", latency, concurrency), repo, "http://"+llm.addr+"/v1", concurrency)
}

// record is the part of a dataset record costPerPair reads.
type record struct {
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
}

func sumRecords(path string) (n int, sum record, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, sum, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return 0, sum, fmt.Errorf("%s: %w", path, err)
		}
		n++
		sum.PromptTokens += r.PromptTokens
		sum.CompletionTokens += r.CompletionTokens
		sum.CostUSD += r.CostUSD
	}
	return n, sum, sc.Err()
}

func costPerPair(ctx context.Context, b *bench) report.Section {
	repo := b.path("examples/bookshelf")
	llm, err := b.start(ctx, "fakellm", "fakellm", "--model", fakeModel)
	if err != nil {
		return failed(err)
	}
	defer llm.stop()
	run, err := b.annotate(ctx, "cost", repo, "http://"+llm.addr+"/v1", 8, "--llm-prices", fakePrices)
	if err != nil {
		return failed(err)
	}
	kept, keptSum, err := sumRecords(filepath.Join(run.outDir, "pairs.jsonl"))
	if err != nil {
		return failed(err)
	}
	rejected, rejSum, err := sumRecords(filepath.Join(run.outDir, "rejected.jsonl"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return failed(err)
	}
	prompt := keptSum.PromptTokens + rejSum.PromptTokens
	compl := keptSum.CompletionTokens + rejSum.CompletionTokens
	cost := keptSum.CostUSD + rejSum.CostUSD
	if kept == 0 {
		return report.Section{Err: "no pair was kept"}
	}
	sec := report.Section{
		Text: []string{"`examples/bookshelf` annotated through `bin/fakellm` with the model priced at gpt-4o-mini's list price " +
			"($0.15 per 1M prompt tokens, $0.60 per 1M completion tokens). Tokens are what the fake server reports (about 4 bytes a " +
			"token, real prompts as the annotator builds them, short deterministic answers), so prompt tokens are realistic and " +
			"completion tokens are on the low side. All tokens spent, rejected pairs included, are divided by the kept pairs."},
		Commands: []string{"bin/fakellm --addr 127.0.0.1:PORT --model fake-llm &",
			"Q4C_ANNOTATOR_LLM_API_KEY=x bin/q4c annotate --llm openai --llm-base-url http://127.0.0.1:PORT/v1 --llm-model fake-llm " +
				"--llm-prices " + fakePrices + " --concurrency 8 --out OUT examples/bookshelf"},
		Table: &report.Table{Right: true, Header: []string{"functions", "kept", "LLM calls", "prompt tokens", "completion tokens",
			"tokens / kept pair", "$ / kept pair", "$ / 1,000 kept pairs"}},
	}
	sec.Table.Rows = append(sec.Table.Rows, []string{fmt.Sprint(kept + rejected + run.failed), fmt.Sprint(kept), fmt.Sprint(run.calls),
		fmt.Sprint(prompt), fmt.Sprint(compl), fmt.Sprintf("%.0f", float64(prompt+compl)/float64(kept)),
		fmt.Sprintf("%.6f", cost/float64(kept)), fmt.Sprintf("%.3f", 1000*cost/float64(kept))})
	if run.promptTokens != prompt || run.complTokens != compl {
		sec.Notes = append(sec.Notes, fmt.Sprintf("The job's own totals (%d prompt + %d completion tokens) differ from the records' sum; "+
			"the records are used above.", run.promptTokens, run.complTokens))
	}
	sec.Notes = append(sec.Notes, "The paper reports about $0.001-0.004 a pair with GPT-3.5-class models and about $0.20 for people.")
	return sec
}

func peakMemory(ctx context.Context, b *bench) report.Section {
	step := 1
	if b.cfg.quick {
		step = 16
	}
	input, files, size, err := b.subsetDir(ctx, step)
	if err != nil {
		return failed(err)
	}
	sec := report.Section{
		Text: []string{fmt.Sprintf("Each service as its own process (`bin/parser`, `bin/docs`, `bin/annotator` with the offline "+
			"back-end, `bin/orchestrator`), driven by `bin/q4c annotate --orchestrator` over the CPython standard library "+
			"(1 file in %d, tests left out: %d files, %.1f MB), the largest input here; peak RSS is VmHWM from /proc/PID/status when the job is done. The last row is the "+
			"parser's analysis alone over the same files in one process (`q4c callgraph`), under GNU time.", step, files, float64(size)/1e6)},
		Table: &report.Table{Right: true, Header: []string{"process", "input", "peak RSS (MiB)"}},
	}
	work := filepath.Join(b.tmp, "services")
	if err := os.MkdirAll(filepath.Join(work, "out"), 0o755); err != nil {
		return failed(err)
	}
	noMetrics := []string{"--metrics-addr", ""}
	var procs []*process
	defer func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
	}()
	startSvc := func(name string, args ...string) (*process, error) {
		p, err := b.start(ctx, name, name, append(args, noMetrics...)...)
		if err == nil {
			procs = append(procs, p)
		}
		return p, err
	}
	parser, err := startSvc("parser", "--allowed-roots", input)
	if err != nil {
		return failed(err)
	}
	docs, err := startSvc("docs", "--cache-db", filepath.Join(work, "docs-cache.db"), "--popularity-db", filepath.Join(work, "popularity.db"))
	if err != nil {
		return failed(err)
	}
	annotator, err := startSvc("annotator", "--llm", "offline")
	if err != nil {
		return failed(err)
	}
	orch, err := startSvc("orchestrator", "--parser-addr", parser.addr, "--docs-addr", docs.addr, "--annotator-addr", annotator.addr,
		"--store", filepath.Join(work, "store.db"), "--output-root", filepath.Join(work, "out"), "--allowed-roots", input)
	if err != nil {
		return failed(err)
	}
	sec.Commands = []string{
		"bin/parser --addr P --allowed-roots INPUT & bin/docs --addr D & bin/annotator --addr A --llm offline &",
		"bin/orchestrator --addr O --parser-addr P --docs-addr D --annotator-addr A --allowed-roots INPUT --output-root OUT &",
		"bin/q4c annotate --orchestrator O --out OUT/stdlib INPUT; grep VmHWM /proc/PID/status",
		fmt.Sprintf("/usr/bin/time -v bin/q4c callgraph --format json STDLIB   # peak RSS of the analysis of %s", "the whole standard library"),
	}
	start := time.Now()
	stdout, _, err := b.exec(ctx, "memory-job", nil, b.binary("q4c"), "annotate", "--orchestrator", orch.addr,
		"--out", filepath.Join(work, "out", "stdlib"), input)
	if err != nil {
		return failed(err)
	}
	jobWall := time.Since(start)
	for _, p := range procs {
		kib, err := sysinfo.PeakRSS(p.cmd.Process.Pid)
		v := fmt.Sprintf("%.0f", float64(kib)/1024)
		if err != nil {
			v = "n/a: " + err.Error()
		}
		sec.Table.Rows = append(sec.Table.Rows, []string{p.name, fmt.Sprintf("%d stdlib files", files), v})
	}
	if m := keptLine.FindStringSubmatch(stdout); m != nil {
		sec.Notes = append(sec.Notes, fmt.Sprintf("The job kept %s pairs and rejected %s in %s.", m[1], m[2], jobWall.Round(100*time.Millisecond)))
	}
	// The parser's analysis over the whole standard library.
	full, fullFiles, _, err := b.subsetDir(ctx, 1)
	if err != nil {
		sec.Notes = append(sec.Notes, "Whole-stdlib analysis not measured: "+err.Error())
		return sec
	}
	timeBin := "/usr/bin/time"
	if _, err := os.Stat(timeBin); err != nil {
		sec.Notes = append(sec.Notes, "Whole-stdlib analysis not measured: /usr/bin/time is missing")
		return sec
	}
	_, stderr, err := b.exec(ctx, "memory-callgraph", nil, timeBin, "-v", b.binary("q4c"), "callgraph", "--format", "json", full)
	if err != nil {
		sec.Notes = append(sec.Notes, "Whole-stdlib analysis not measured: "+err.Error())
		return sec
	}
	if kib, err := sysinfo.MaxRSSFromTimeV(stderr); err == nil {
		sec.Table.Rows = append(sec.Table.Rows, []string{"q4c callgraph (analysis only)", fmt.Sprintf("%d stdlib files", fullFiles),
			fmt.Sprintf("%.0f", float64(kib)/1024)})
	}
	return sec
}
