package eval

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"def get_user_name(self):", []string{"def", "get", "user", "name", "self"}},
		{"parseHTTPHeader2(x)", []string{"parse", "http", "header", "2", "x"}},
		{"XMLHttpRequest", []string{"xml", "http", "request"}},
		{"python check if a variable is iterable", []string{"python", "check", "if", "a", "variable", "is", "iterable"}},
		{"__init__ + np.mean", []string{"init", "np", "mean"}},
		{"utf8Décodé", []string{"utf", "8", "décodé"}},
		{"", nil},
		{"  ()[]  ", nil},
	}
	for _, tt := range tests {
		if got := Tokenize(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBM25Scores(t *testing.T) {
	// N=3, average length 2. idf(a) = ln(1+1.5/2.5) = ln 1.6; idf(c) = ln(1+2.5/1.5) = ln(8/3).
	// d0 (len 2): ln1.6 * 1*2.2/(1+1.2) = 0.470004
	// d1 (len 3): ln1.6 * 2.2/(1+1.2*1.375) + ln(8/3) * 2*2.2/(2+1.2*1.375) = 1.572561
	docs := [][]string{{"a", "b"}, {"a", "c", "c"}, {"d"}}
	ix, err := NewBM25(docs, DefaultK1, DefaultB)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query []string
		want  []float64
	}{
		{"two terms", []string{"a", "c"}, []float64{0.47000362924573563, 1.5725612026838962, 0}},
		{"unknown term", []string{"zzz"}, []float64{0, 0, 0}},
		{"repeated term counts twice", []string{"d", "d"}, []float64{0, 0, 2 * math.Log(1+2.5/1.5) * 2.2 / (1 + 1.2*(0.25+0.75*0.5))}},
		{"empty query", nil, []float64{0, 0, 0}},
	}
	for _, tt := range tests {
		got := ix.Scores(tt.query)
		for i := range tt.want {
			if math.Abs(got[i]-tt.want[i]) > 1e-9 {
				t.Errorf("%s: score[%d] = %v, want %v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	if !near(ix.IDF("a"), math.Log(1.6)) {
		t.Errorf("IDF(a) = %v, want ln 1.6", ix.IDF("a"))
	}
}

func TestBM25RejectsBadParameters(t *testing.T) {
	for _, p := range [][2]float64{{-1, 0.75}, {1.2, -0.1}, {1.2, 1.5}, {math.NaN(), 0.5}} {
		if _, err := NewBM25(nil, p[0], p[1]); err == nil {
			t.Errorf("NewBM25(k1=%v, b=%v): no error", p[0], p[1])
		}
	}
}

func TestBM25LengthNormalisation(t *testing.T) {
	// b=0: no length normalisation, equal tf scores equal; b=1: the shorter document wins.
	docs := [][]string{{"x", "y"}, {"x", "y", "z", "w", "v", "u"}, {"q"}}
	for _, tt := range []struct {
		b       float64
		shorter bool
	}{{0, false}, {1, true}} {
		ix, err := NewBM25(docs, 1.2, tt.b)
		if err != nil {
			t.Fatal(err)
		}
		s := ix.Scores([]string{"x"})
		if got := s[0] > s[1]; got != tt.shorter {
			t.Errorf("b=%v: short %v long %v, want shorter ahead = %v", tt.b, s[0], s[1], tt.shorter)
		}
	}
}

func TestRankOf(t *testing.T) {
	tests := []struct {
		scores []float64
		target int
		want   int
	}{
		{[]float64{0.1, 0.9, 0.5}, 1, 1},
		{[]float64{0.1, 0.9, 0.5}, 2, 2},
		{[]float64{0.1, 0.9, 0.5}, 0, 3},
		{[]float64{0, 0, 0, 0}, 0, 4}, // ties rank the answer last
		{[]float64{0.7, 0.7, 0.2}, 1, 2},
	}
	for _, tt := range tests {
		if got := RankOf(tt.scores, tt.target); got != tt.want {
			t.Errorf("RankOf(%v, %d) = %d, want %d", tt.scores, tt.target, got, tt.want)
		}
	}
}

func TestMRRAndRecall(t *testing.T) {
	ranks := []int{1, 2, 4, 10, 11}
	// MRR = (1 + 1/2 + 1/4 + 1/10 + 1/11) / 5 = 1.940909.../5
	wantMRR := (1 + 0.5 + 0.25 + 0.1 + 1.0/11) / 5
	m := Retrieval(ranks)
	if !near(m.MRR, wantMRR) {
		t.Errorf("MRR = %v, want %v", m.MRR, wantMRR)
	}
	for _, tt := range []struct {
		k    int
		got  float64
		want float64
	}{{1, m.RecallAt1, 0.2}, {5, m.RecallAt5, 0.6}, {10, m.RecallAt10, 0.8}} {
		if !near(tt.got, tt.want) {
			t.Errorf("recall@%d = %v, want %v", tt.k, tt.got, tt.want)
		}
	}
	if got := Retrieval(nil); got.MRR != 0 || got.RecallAt1 != 0 || got.Queries != 0 {
		t.Errorf("no ranks: %+v, want zeros", got)
	}
}

func TestROCAUC(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels []int
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []int{0, 0, 1, 1}, 1},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []int{0, 0, 1, 1}, 0},
		{"all tied", []float64{1, 1, 1, 1}, []int{0, 1, 0, 1}, 0.5},
		{"one swap", []float64{0.1, 0.6, 0.5, 0.9}, []int{0, 0, 1, 1}, 0.75},
		// pairs (pos,neg): (1,0)>,(1,1)=,(2,0)>,(2,1)> -> (3+0.5)/4
		{"ties across labels", []float64{0, 1, 1, 2}, []int{0, 0, 1, 1}, 0.875},
		// judge-like integer scores: positives {3,2,2}, negatives {2,0}; per positive
		// wins + ties/2 over the 6 pairs: 3 -> 2, 2 -> 1.5, 2 -> 1.5.
		{"judge scale", []float64{3, 2, 2, 2, 0}, []int{1, 1, 1, 0, 0}, (2 + 1.5 + 1.5) / 6},
	}
	for _, tt := range tests {
		got, err := ROCAUC(tt.scores, tt.labels)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !near(got, tt.want) {
			t.Errorf("%s: AUC = %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := ROCAUC([]float64{1, 2}, []int{1, 1}); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: err = %v, want ErrOneClass", err)
	}
	if _, err := ROCAUC([]float64{1}, []int{1, 0}); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestConfusion(t *testing.T) {
	var c Confusion
	for _, d := range []struct {
		kept  bool
		label int
	}{{true, 1}, {true, 1}, {true, 0}, {false, 1}, {false, 0}, {false, 0}, {false, 0}} {
		c.Add(d.kept, d.label)
	}
	want := Confusion{TruePositive: 2, FalsePositive: 1, FalseNegative: 1, TrueNegative: 3}
	if c != want {
		t.Fatalf("confusion = %+v, want %+v", c, want)
	}
	if !near(c.Accuracy(), 5.0/7) || !near(c.Precision(), 2.0/3) || !near(c.Recall(), 2.0/3) {
		t.Errorf("accuracy %v precision %v recall %v, want 5/7, 2/3, 2/3", c.Accuracy(), c.Precision(), c.Recall())
	}
}
