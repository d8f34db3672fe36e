package neardup

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/orchestrator/internal/pyblock"
	"github.com/query4code/query4code/services/orchestrator/internal/shingle"
)

// body is a function long enough that one changed line keeps Jaccard above 0.85.
func body(name, last string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "def %s(session, url, params=None):\n", name)
	for i := range 12 {
		fmt.Fprintf(&b, "    value_%d = session.get(url, params=params, timeout=%d)\n", i, i)
	}
	fmt.Fprintf(&b, "    return %s\n", last)
	return b.String()
}

func TestCluster(t *testing.T) {
	a := body("fetch", "value_0")
	aReformatted := strings.ReplaceAll(strings.ReplaceAll(a, "    ", "\t"), ", ", ",")
	aEdited := body("fetch", "value_1")
	other := "def other(x):\n    for item in range(x):\n        print(item * 2, 'done')\n    return None\n"
	tests := []struct {
		name  string
		items []Item
		want  []string // representative per item
	}{
		{"empty", nil, nil},
		{"identical", []Item{{"b", a}, {"a", a}}, []string{"a", "a"}},
		{"layout only", []Item{{"a", a}, {"b", aReformatted}}, []string{"a", "a"}},
		{"one line changed", []Item{{"a", a}, {"b", aEdited}}, []string{"a", "a"}},
		{"different", []Item{{"a", a}, {"b", other}}, []string{"a", "b"}},
		{"no tokens never merge", []Item{{"a", ""}, {"b", "  "}}, []string{"a", "b"}},
		{"representative is the smallest key", []Item{{"z", a}, {"m", aEdited}, {"q", other}}, []string{"m", "m", "q"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Cluster(tc.items, DefaultThreshold)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.items) {
				t.Fatalf("%d assignments for %d items", len(got), len(tc.items))
			}
			for i, as := range got {
				if as.Key != tc.items[i].Key || as.Representative != tc.want[i] {
					t.Errorf("item %q: representative %q, want %q", tc.items[i].Key, as.Representative, tc.want[i])
				}
				if as.Duplicate() && as.Jaccard < DefaultThreshold {
					t.Errorf("item %q removed at Jaccard %.2f", as.Key, as.Jaccard)
				}
			}
		})
	}
}

// TestClusterStar checks that a chain of edits does not remove its far end
// for its first link: c is similar to b but not to a.
func TestClusterStar(t *testing.T) {
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("    x%d = compute(x, %d)", i, i))
	}
	variant := func(from, to int) string {
		l := append([]string(nil), lines...)
		for i := from; i < to; i++ {
			l[i] = fmt.Sprintf("    y%d = other_call(%d, y)", i, i)
		}
		return "def f(x):\n" + strings.Join(l, "\n") + "\n"
	}
	a, b, c := variant(0, 0), variant(0, 2), variant(0, 4)
	sa, sb, sc := shingle.Set(a), shingle.Set(b), shingle.Set(c)
	if !(shingle.Jaccard(sa, sb) >= 0.85 && shingle.Jaccard(sb, sc) >= 0.85 && shingle.Jaccard(sa, sc) < 0.85) {
		t.Fatalf("fixture: J(a,b)=%.2f J(b,c)=%.2f J(a,c)=%.2f", shingle.Jaccard(sa, sb), shingle.Jaccard(sb, sc), shingle.Jaccard(sa, sc))
	}
	got, err := Cluster([]Item{{"a", a}, {"b", b}, {"c", c}}, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if got[1].Representative != "a" || got[2].Representative != "c" {
		t.Errorf("assignments %+v: want b -> a and c kept", got)
	}
}

func TestClusterErrors(t *testing.T) {
	for _, th := range []float64{0, -1, 1.5} {
		if _, err := Cluster(nil, th); err == nil {
			t.Errorf("threshold %v accepted", th)
		}
	}
	if _, err := Cluster([]Item{{"k", "a"}, {"k", "b"}}, DefaultThreshold); err == nil || !strings.Contains(err.Error(), `"k"`) {
		t.Errorf("duplicate key: err = %v", err)
	}
}

func TestSignatureRoundTrip(t *testing.T) {
	for _, code := range []string{body("f", "value_0"), ""} {
		sig := SignCode(code)
		data, err := sig.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Signature
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		if back != sig {
			t.Errorf("round trip of %q changed the signature", code)
		}
	}
	var s Signature
	bad := map[string][]byte{
		"short":   {signatureVersion, 0},
		"version": append([]byte{99, 0}, make([]byte, 8*NumPerm)...),
		"flag":    append([]byte{signatureVersion, 7}, make([]byte, 8*NumPerm)...),
	}
	for name, data := range bad {
		if err := s.UnmarshalBinary(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSimilarityEstimatesJaccard(t *testing.T) {
	a, b := body("fetch", "value_0"), body("fetch", "value_1")
	exact := shingle.Jaccard(shingle.Set(a), shingle.Set(b))
	est := SignCode(a).Similarity(SignCode(b))
	// 128 permutations: standard error sqrt(J(1-J)/128) < 0.045.
	if d := est - exact; d > 0.15 || d < -0.15 {
		t.Errorf("estimate %.3f, exact %.3f", est, exact)
	}
	if SignCode("").Similarity(SignCode("")) != 0 {
		t.Error("empty signatures are similar")
	}
}

func TestClusterSignatures(t *testing.T) {
	a, b := body("fetch", "value_0"), body("fetch", "value_1")
	other := "def other(x):\n    return [i for i in range(x) if i % 3]\n"
	got, err := ClusterSignatures([]SignedItem{{"a", SignCode(a)}, {"b", SignCode(b)}, {"c", SignCode(other)}}, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if got[1].Representative != "a" || got[2].Representative != "c" {
		t.Errorf("assignments %+v", got)
	}
}

func TestLSHParamsFindThreshold(t *testing.T) {
	for _, th := range []float64{0.5, 0.7, 0.85, 0.9, 0.99} {
		b, r := lshParams(th)
		if b*r > NumPerm || b < 1 || r < 1 {
			t.Fatalf("%v: %d bands of %d rows", th, b, r)
		}
		p := 1 - pow(1-pow(th, r), b)
		if p < minCandidateProbability {
			t.Errorf("%v: %d bands of %d rows find a pair at the threshold with p=%.3f", th, b, r, p)
		}
	}
}

func pow(x float64, n int) float64 {
	out := 1.0
	for range n {
		out *= x
	}
	return out
}

// Two copies of requests: Debian's and the one pip vendors.
const (
	debianRequests = "/usr/lib/python3/dist-packages/requests"
	pipRequests    = "/usr/lib/python3/dist-packages/pip/_vendor/requests"
)

type copyFunc struct {
	key  string
	code string
	set  []uint64
	side int
}

func loadRequestsCopies(tb testing.TB) []copyFunc {
	tb.Helper()
	var out []copyFunc
	for side, dir := range []string{debianRequests, pipRequests} {
		if _, err := os.Stat(dir); err != nil {
			tb.Skipf("%s absent (python3-requests and python3-pip install it)", dir)
		}
		blocks, err := pyblock.Dir(dir)
		if err != nil {
			tb.Fatal(err)
		}
		for _, b := range blocks {
			out = append(out, copyFunc{key: fmt.Sprintf("%d/%s:%06d", side, b.Path, b.Line), code: b.Code, set: shingle.Set(b.Code), side: side})
		}
	}
	return out
}

// copiesMeasure is what TestRequestsCopies checks and
// BenchmarkClusterRequestsCopies reports.
type copiesMeasure struct {
	functions, pairs, caught, removed, falseRemoved int
}

func (m copiesMeasure) recall() float64 { return float64(m.caught) / float64(m.pairs) }

// measureCopies clusters both copies and compares every Debian function with
// every pip one by exact Jaccard: a pair at 0.9 or more is caught when one
// side is removed; a removal is false when the function's best Jaccard to
// the other copy is below 0.5.
func measureCopies(tb testing.TB, funcs []copyFunc) copiesMeasure {
	tb.Helper()
	items := make([]Item, len(funcs))
	for i, f := range funcs {
		items[i] = Item{Key: f.key, Code: f.code}
	}
	got, err := Cluster(items, DefaultThreshold)
	if err != nil {
		tb.Fatal(err)
	}
	m := copiesMeasure{functions: len(funcs)}
	bestOther := make([]float64, len(funcs))
	for i := range funcs {
		for j := range funcs {
			if funcs[i].side != 0 || funcs[j].side != 1 {
				continue
			}
			jac := shingle.Jaccard(funcs[i].set, funcs[j].set)
			bestOther[i] = max(bestOther[i], jac)
			bestOther[j] = max(bestOther[j], jac)
			if jac >= 0.9 {
				m.pairs++
				if got[i].Duplicate() || got[j].Duplicate() {
					m.caught++
				}
			}
		}
	}
	for i, as := range got {
		if as.Duplicate() {
			m.removed++
			if bestOther[i] < 0.5 {
				m.falseRemoved++
				tb.Errorf("%s removed for %s (J=%.2f) but its best Jaccard to the other copy is %.2f", as.Key, as.Representative, as.Jaccard, bestOther[i])
			}
		}
	}
	return m
}

// TestRequestsCopies is the measurement of docs/BENCHMARKS.md
// ("Near-duplicates"): of each cross-copy pair at Jaccard >= 0.9 at most one
// is kept (recall >= 0.95), and no function whose best Jaccard to the other
// copy is below 0.5 is removed.
func TestRequestsCopies(t *testing.T) {
	m := measureCopies(t, loadRequestsCopies(t))
	t.Logf("functions %d, cross-copy pairs at J>=0.9: %d, with one removed: %d (recall %.4f); removed %d, removed with best cross-copy J<0.5: %d",
		m.functions, m.pairs, m.caught, m.recall(), m.removed, m.falseRemoved)
	if m.pairs < 100 {
		t.Errorf("only %d pairs at J>=0.9: the copies are not what the test expects", m.pairs)
	}
	if m.recall() < 0.95 {
		t.Errorf("recall %.4f < 0.95", m.recall())
	}
}

// BenchmarkClusterRequestsCopies times Cluster over both copies and reports
// the measurement as metrics, for q4cbench.
func BenchmarkClusterRequestsCopies(b *testing.B) {
	funcs := loadRequestsCopies(b)
	items := make([]Item, len(funcs))
	bytes := 0
	for i, f := range funcs {
		items[i] = Item{Key: f.key, Code: f.code}
		bytes += len(f.code)
	}
	m := measureCopies(b, funcs)
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Cluster(items, DefaultThreshold); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.functions), "functions")
	b.ReportMetric(float64(m.pairs), "pairs-j0.9")
	b.ReportMetric(float64(m.caught), "pairs-caught")
	b.ReportMetric(m.recall(), "recall")
	b.ReportMetric(float64(m.removed), "removed")
	b.ReportMetric(float64(m.falseRemoved), "false-removed")
}
