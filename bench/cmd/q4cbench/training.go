package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/query4code/query4code/bench/internal/gotest"
	"github.com/query4code/query4code/bench/internal/report"
)

// goBenchMetrics runs one Go benchmark once per -count and returns the
// fastest result (others on a shared machine only slow it down) with the
// command that ran it.
func (b *bench) goBenchMetrics(ctx context.Context, raw, name, pkg string, benchtime string) (gotest.Result, string, error) {
	args := []string{"test", "-run", "^$", "-bench", "^" + name + "$", "-benchtime", benchtime, "-benchmem", "-count", "3", pkg}
	cmd := "go " + strings.Join(quoteArgs(args), " ")
	out, _, err := b.exec(ctx, raw, nil, "go", args...)
	if err != nil {
		return gotest.Result{}, cmd, err
	}
	results, err := gotest.Parse(strings.NewReader(out))
	if err != nil {
		return gotest.Result{}, cmd, err
	}
	var best gotest.Result
	for _, r := range results {
		if r.Name != name {
			continue
		}
		if ns, _ := r.Metric("ns/op"); best.Name == "" || ns < best.Metrics["ns/op"] {
			best = r
		}
	}
	if best.Name == "" {
		return best, cmd, fmt.Errorf("%s reported nothing (skipped?): see docs/bench-raw/%s.txt", name, raw)
	}
	return best, cmd, nil
}

func metric(r gotest.Result, unit string) string {
	v, _ := r.Metric(unit)
	return fmt.Sprint(v)
}

// nearDuplicates reports neardup's recall on two copies of requests.
func nearDuplicates(ctx context.Context, b *bench) report.Section {
	r, cmd, err := b.goBenchMetrics(ctx, "neardup", "BenchmarkClusterRequestsCopies", "./services/orchestrator/internal/neardup", "10x")
	if err != nil {
		return report.Section{Commands: []string{cmd}, Err: err.Error()}
	}
	ns, _ := r.Metric("ns/op")
	recall, _ := r.Metric("recall")
	return report.Section{
		Text: []string{"Debian's requests (`/usr/lib/python3/dist-packages/requests`) and the requests pip vendors " +
			"(`.../pip/_vendor/requests`), split into def blocks and clustered in one call at Jaccard >= 0.85 " +
			"(MinHash, 128 permutations, LSH bands sized for 99% recall at the threshold, every candidate verified by the exact " +
			"Jaccard of the token 5-gram sets). Every Debian function is then compared with every pip one: a pair at " +
			"Jaccard >= 0.9 is caught when one side is removed; a removal is false when the function's best Jaccard to the " +
			"other copy is below 0.5."},
		Commands: []string{cmd},
		Table: &report.Table{Right: true, Header: []string{"functions", "pairs at J >= 0.9", "caught", "recall", "removed",
			"removed with best cross-copy J < 0.5", "Cluster ms", "MB allocated"},
			Rows: [][]string{{metric(r, "functions"), metric(r, "pairs-j0.9"), metric(r, "pairs-caught"), f3(recall),
				metric(r, "removed"), metric(r, "false-removed"), fmt.Sprintf("%.0f", ns/1e6), fmt.Sprintf("%.1f", r.Metrics["B/op"]/1e6)}}},
		Notes: []string{"Band sizes: datasketch's equal weighting of false candidates and missed pairs would take 8 bands of 16 rows " +
			"at 0.85, which makes a pair at exactly 0.85 a candidate with probability 1-(1-0.85^16)^8 = 0.46; neardup asks for 0.99 " +
			"at the threshold and takes the fewest false candidates under that (15 bands of 8 rows), since verification " +
			"discards false candidates anyway."},
	}
}

// decontamination reports decontam's flags on a package holding CoSQA
// functions, the margin its threshold sits in, and its speed.
func decontamination(ctx context.Context, b *bench) report.Section {
	const pkg = "./services/orchestrator/internal/decontam"
	r, cmd, err := b.goBenchMetrics(ctx, "decontam", "BenchmarkContaminatedPackage", pkg, "1x")
	if err != nil {
		return report.Section{Commands: []string{cmd}, Err: err.Error()}
	}
	sec := report.Section{
		Text: []string{"A package of ten modules holding 100 functions of the CoSQA code base, each reformatted " +
			"(reindented, argument lists split over lines, statements joined with `;`, quotes swapped, blank lines added, " +
			"or statements appended as when the evaluation copy is truncated), beside 100 functions of Debian's requests " +
			"and click, matched against the fingerprints the orchestrator carries (CoSQA and WebQueryTest, " +
			"`services/orchestrator/internal/decontam/fingerprints.bin.gz`, derived by its `go generate`). Three functions " +
			"of requests and click are in CoSQA (older versions of the same code) and are counted apart. A match needs " +
			"70% of one side's shingles in the other; the last two columns are the margin around that threshold: the " +
			"highest containment of any function of requests and click not in CoSQA, and the lowest of the three real copies."},
		Commands: []string{cmd},
		Table: &report.Table{Right: true, Header: []string{"CoSQA functions flagged", "other functions flagged",
			"all of requests and click flagged", "known copies flagged", "highest containment, not a copy", "lowest containment, real copy"},
			Rows: [][]string{{metric(r, "cosqa-flagged") + " / " + metric(r, "cosqa-planted"),
				metric(r, "others-flagged") + " / " + metric(r, "others-planted"),
				metric(r, "all-others-flagged") + " / " + metric(r, "all-others"),
				metric(r, "known-copies-flagged") + " / 3",
				f3(r.Metrics["highest-other-containment"]), f3(r.Metrics["lowest-copy-containment"])}}},
	}
	for _, bm := range []struct{ name, what string }{
		{"BenchmarkMatch", "Match over the 748 functions of requests and click"},
		{"BenchmarkBuiltin", "Loading the built-in index (once per job)"},
	} {
		r, cmd, err := b.goBenchMetrics(ctx, "decontam-"+strings.ToLower(strings.TrimPrefix(bm.name, "Benchmark")), bm.name, pkg, "5x")
		sec.Commands = append(sec.Commands, cmd)
		if err != nil {
			sec.Notes = append(sec.Notes, bm.what+": not measured: "+err.Error())
			continue
		}
		sec.Notes = append(sec.Notes, fmt.Sprintf("%s: %.0f ms, %.1f MB allocated.", bm.what, r.Metrics["ns/op"]/1e6, r.Metrics["B/op"]/1e6))
	}
	return sec
}
