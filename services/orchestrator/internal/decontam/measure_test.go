package decontam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/orchestrator/internal/pyblock"
)

// Paths of the evaluation sets beside the worktree (../shared), seen from
// this package's directory.
const (
	sharedCoSQA    = "../../../../../shared/bench/cosqa/code_idx_map.txt"
	sharedWebQuery = "../../../../../shared/bench/webquery/test_webquery.json"
)

// Debian's copies of two libraries whose functions are the negatives.
var negativeDirs = []string{"/usr/lib/python3/dist-packages/requests", "/usr/lib/python3/dist-packages/click"}

// reformat rewrites a function's layout the ways formatters and people do,
// one way per variant: reindent, split argument lists over lines, join
// simple statements with ";", swap quote characters, add blank lines, and
// (variant 3) add statements after the end the evaluation text shows, as
// when an evaluation set holds a truncated copy.
func reformat(code string, variant int) string {
	lines := strings.Split(strings.TrimRight(code, "\n"), "\n")
	unit := 0
	for _, l := range lines {
		if w := len(l) - len(strings.TrimLeft(l, " ")); w > 0 && (unit == 0 || w < unit) {
			unit = w
		}
	}
	if unit == 0 {
		unit = 4
	}
	indents := []string{"  ", "\t", "        ", "   "}
	newUnit := indents[variant%len(indents)]
	var out []string
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		w := len(l) - len(trimmed)
		ind := strings.Repeat(newUnit, w/unit) + strings.Repeat(" ", w%unit)
		if strings.Contains(trimmed, `"`) != strings.Contains(trimmed, "'") {
			trimmed = strings.Map(func(r rune) rune {
				switch r {
				case '"':
					return '\''
				case '\'':
					return '"'
				}
				return r
			}, trimmed)
		}
		switch variant % 4 {
		case 0:
			trimmed = strings.ReplaceAll(trimmed, ", ", ",\n"+ind+newUnit+newUnit)
		case 1:
			prev := len(out) - 1
			if i%2 == 0 && prev > 0 && trimmed != "" && !strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(strings.TrimSpace(out[prev]), "#") && !strings.HasSuffix(out[prev], ":") &&
				!strings.HasSuffix(out[prev], ",") && !strings.HasSuffix(out[prev], "(") &&
				strings.HasPrefix(out[prev], ind) && !strings.HasPrefix(out[prev], ind+" ") && !strings.HasPrefix(out[prev], ind+"\t") {
				out[prev] += "; " + trimmed
				continue
			}
		case 2:
			if i > 0 {
				out = append(out, "")
			}
		}
		out = append(out, ind+trimmed)
	}
	if variant%4 == 3 {
		out = append(out, newUnit+"extra_state = compute_more(result)", newUnit+"log.debug('extra %s', extra_state)")
	}
	return strings.Join(out, "\n") + "\n"
}

func readCoSQACode(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile(sharedCoSQA)
	if err != nil {
		tb.Skipf("CoSQA code base absent: %v", err)
	}
	var codeToIndex map[string]int
	if err := json.Unmarshal(data, &codeToIndex); err != nil {
		tb.Fatal(err)
	}
	code := make([]string, len(codeToIndex))
	for c, i := range codeToIndex {
		code[i] = c
	}
	return code
}

func negatives(tb testing.TB) []pyblock.FileBlock {
	tb.Helper()
	var out []pyblock.FileBlock
	for _, dir := range negativeDirs {
		if _, err := os.Stat(dir); err != nil {
			tb.Skipf("%s absent (python3-requests, python3-click)", dir)
		}
		blocks, err := pyblock.Dir(dir)
		if err != nil {
			tb.Fatal(err)
		}
		for i := range blocks {
			blocks[i].Path = filepath.Base(dir) + "/" + blocks[i].Path
		}
		out = append(out, blocks...)
	}
	return out
}

// knownCopies are the functions of Debian's requests and click that are in
// the CoSQA code base (older versions of the same functions, some without
// the type hints added since): true matches, so not negatives.
var knownCopies = map[string]string{
	"requests/_internal_utils.py:unicode_is_ascii": "cosqa-code-745",
	"click/_compat.py:get_best_encoding":           "cosqa-code-408",
	"click/core.py:find_object":                    "cosqa-code-3434",
}

// packageMeasure is what TestContaminatedPackage checks and
// BenchmarkContaminatedPackage reports.
type packageMeasure struct {
	positives, caught, negatives, falseHits int
	// others and othersFalse: every function of requests and click outside
	// the known copies, and how many of them matched.
	others, othersFalse      int
	knownCopies, knownCaught int
	// highestOther is the highest containment of a function outside the
	// known copies, lowestCopy the lowest of the known copies: the margin the
	// threshold sits in.
	highestOther, lowestCopy float64
}

// measurePackage writes a package of ten modules, each holding ten
// reformatted CoSQA functions and ten functions of requests and click,
// splits it into def blocks and matches each.
func measurePackage(tb testing.TB, ix *Index) packageMeasure {
	tb.Helper()
	code := readCoSQACode(tb)
	var m packageMeasure
	var others []pyblock.FileBlock
	for _, b := range negatives(tb) {
		want, isCopy := knownCopies[b.Path+":"+b.Name]
		if !isCopy {
			others = append(others, b)
			continue
		}
		m.knownCopies++
		if got, ok := ix.Match(b.Code); ok && got.ID == want {
			m.knownCaught++
		} else {
			tb.Errorf("%s:%s, in CoSQA as %s, matched %+v (%v)", b.Path, b.Name, want, got, ok)
		}
	}
	if len(others) < 200 {
		tb.Fatalf("only %d functions in requests and click", len(others))
	}

	dir := tb.TempDir()
	wantID := map[string]string{} // "file:line" -> CoSQA id, or "" for a negative
	for mod := range 10 {
		var src strings.Builder
		line := 1
		add := func(code, id string) {
			wantID[fmt.Sprintf("mod%d.py:%d", mod, line)] = id
			src.WriteString(code)
			src.WriteString("\n\n")
			line += strings.Count(code, "\n") + 2
		}
		for k := mod * 10; k < mod*10+10; k++ {
			i := k * len(code) / 100
			add(reformat(code[i], k), fmt.Sprintf("cosqa-code-%d", i))
			add(others[k*len(others)/100].Code, "")
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("mod%d.py", mod)), []byte(src.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	blocks, err := pyblock.Dir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range blocks {
		id, planted := wantID[fmt.Sprintf("%s:%d", b.Path, b.Line)]
		if !planted {
			continue // a nested function
		}
		got, ok := ix.Match(b.Code)
		switch {
		case id != "":
			m.positives++
			if ok {
				m.caught++
			} else {
				tb.Logf("missed %s (%s:%d)", id, b.Path, b.Line)
			}
		default:
			m.negatives++
			if ok {
				m.falseHits++
				tb.Logf("false match: %s:%d %s -> %+v", b.Path, b.Line, b.Name, got)
			}
		}
	}
	if m.positives != 100 || m.negatives != 100 {
		tb.Fatalf("found %d planted CoSQA functions and %d others, want 100 and 100", m.positives, m.negatives)
	}
	m.others = len(others)
	for _, b := range others {
		if _, ok := ix.Match(b.Code); ok {
			m.othersFalse++
		}
	}
	m.highestOther, m.lowestCopy = containmentMargin(tb, others)
	return m
}

// containmentMargin matches with no threshold: the highest containment of
// the functions outside the known copies and the lowest of the known copies.
func containmentMargin(tb testing.TB, others []pyblock.FileBlock) (highestOther, lowestCopy float64) {
	tb.Helper()
	entries, err := Decode(bytes.NewReader(builtinFingerprints))
	if err != nil {
		tb.Fatal(err)
	}
	all, err := NewIndex(entries, 1e-9)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range others {
		m, _ := all.Match(b.Code)
		highestOther = max(highestOther, m.Containment)
	}
	lowestCopy = 1
	for _, b := range negatives(tb) {
		if _, isCopy := knownCopies[b.Path+":"+b.Name]; isCopy {
			m, _ := all.Match(b.Code)
			lowestCopy = min(lowestCopy, m.Containment)
		}
	}
	return highestOther, lowestCopy
}

// TestContaminatedPackage is the measurement of docs/BENCHMARKS.md
// ("Decontamination"): a package holding 100 reformatted functions of the
// CoSQA code base beside 100 functions of requests and click that are not in
// it; >= 95% of the first must match, <= 2% of the second.
func TestContaminatedPackage(t *testing.T) {
	ix, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m := measurePackage(t, ix)
	t.Logf("reformatted CoSQA functions matched: %d/%d; other functions matched: %d/%d; all of requests and click outside the known copies matched: %d/%d; known copies matched: %d/%d",
		m.caught, m.positives, m.falseHits, m.negatives, m.othersFalse, m.others, m.knownCaught, m.knownCopies)
	if m.caught < 95 {
		t.Errorf("%d of 100 contaminated functions matched, want >= 95", m.caught)
	}
	if !(m.highestOther < DefaultContainment && DefaultContainment <= m.lowestCopy) {
		t.Errorf("threshold %.2f is not between the highest containment of a function not in CoSQA (%.2f) and the lowest of a real copy (%.2f)",
			DefaultContainment, m.highestOther, m.lowestCopy)
	}
	if m.falseHits > 2 || float64(m.othersFalse) > 0.02*float64(m.others) {
		t.Errorf("false matches: %d of 100, %d of %d", m.falseHits, m.othersFalse, m.others)
	}
}

// BenchmarkContaminatedPackage times matching the package's 200 functions
// and reports the measurement as metrics, for q4cbench.
func BenchmarkContaminatedPackage(b *testing.B) {
	ix, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m := measurePackage(b, ix)
		b.ReportMetric(float64(m.caught), "cosqa-flagged")
		b.ReportMetric(float64(m.positives), "cosqa-planted")
		b.ReportMetric(float64(m.falseHits), "others-flagged")
		b.ReportMetric(float64(m.negatives), "others-planted")
		b.ReportMetric(float64(m.othersFalse), "all-others-flagged")
		b.ReportMetric(float64(m.others), "all-others")
		b.ReportMetric(float64(m.knownCaught), "known-copies-flagged")
		b.ReportMetric(m.highestOther, "highest-other-containment")
		b.ReportMetric(m.lowestCopy, "lowest-copy-containment")
	}
}

// TestWebQueryFlattened checks that WebQueryTest's entries, whose line
// breaks the publishers flattened, match the code laid out again.
func TestWebQueryFlattened(t *testing.T) {
	data, err := os.ReadFile(sharedWebQuery)
	if err != nil {
		t.Skipf("WebQueryTest absent: %v", err)
	}
	var items []struct{ Idx, Code string }
	if err := json.Unmarshal(data, &items); err != nil {
		t.Fatal(err)
	}
	ix, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	missed := 0
	for k, it := range items {
		// Four spaces after a colon start a line again, roughly as the code was.
		laidOut := strings.ReplaceAll(it.Code, ":     ", ":\n    ")
		if _, ok := ix.Match(reformat(laidOut, k)); !ok {
			missed++
		}
	}
	if missed > len(items)/100 {
		t.Errorf("%d of %d WebQueryTest functions missed", missed, len(items))
	}
}

// TestCarriedFingerprintsMatchShared regenerates the carried file from
// ../shared: a change to the tokeniser or the format needs go generate.
func TestCarriedFingerprintsMatchShared(t *testing.T) {
	for _, p := range []string{sharedCoSQA, sharedWebQuery} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s absent", p)
		}
	}
	var buf bytes.Buffer
	if err := EncodeFiles(&buf, sharedCoSQA, sharedWebQuery); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), builtinFingerprints) {
		t.Error("fingerprints.bin.gz is stale: run go generate in services/orchestrator/internal/decontam")
	}
}

func BenchmarkMatch(b *testing.B) {
	ix, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	funcs := negatives(b)
	bytes := 0
	for _, f := range funcs {
		bytes += len(f.Code)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range funcs {
			ix.Match(f.Code)
		}
	}
}

func BenchmarkBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Builtin(); err != nil {
			b.Fatal(err)
		}
	}
}
