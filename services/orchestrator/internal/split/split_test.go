package split

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Ratios{
		"":                     AllTrain,
		"  ":                   AllTrain,
		"0.8,0.1,0.1":          {0.8, 0.1, 0.1},
		" 0.34 , 0.33 , 0.33 ": {0.34, 0.33, 0.33},
		"1,0,0":                AllTrain,
		"0,0,1":                {Test: 1},
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0.8,0.2", "want three ratios"},
		{"0.8,0.1,0.05,0.05", "want three ratios"},
		{"0.8,x,0.1", `validation ratio "x" is not a number`},
		{"0.8,0.1,", `test ratio "" is not a number`},
		{"NaN,0,1", "train ratio"},
		{"1.5,-0.25,-0.25", "train ratio 1.5 is not between 0 and 1"},
		{"0.5,-0.1,0.6", "validation ratio -0.1 is not between 0 and 1"},
		{"0.8,0.1,0.2", "add up to 1.1"},
		{"0,0,0", "add up to 0"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, r := range []Ratios{AllTrain, {0.8, 0.1, 0.1}, {0.34, 0.33, 0.33}} {
		back, err := Parse(r.String())
		if err != nil || back != r {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", r.String(), back, err, r)
		}
	}
}

func TestNormalizeRepo(t *testing.T) {
	cases := [][2]string{
		{"https://github.com/Pallets/Flask.git", "github.com/pallets/flask"},
		{"git@gitlab.com:group/sub/proj.git", "gitlab.com/group/sub/proj"},
		{"ssh://git@host:2222/a/b/", "host:2222/a/b"},
		{"bookshelf", "bookshelf"},
		{"my-project/", "my-project"},
	}
	for _, c := range cases {
		if got := NormalizeRepo(c[0]); got != c[1] {
			t.Errorf("NormalizeRepo(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

func TestNames(t *testing.T) {
	if got := AllTrain.Names(); !slices.Equal(got, []string{Train}) {
		t.Errorf("AllTrain.Names() = %v", got)
	}
	if got := (Ratios{0.9, 0, 0.1}).Names(); !slices.Equal(got, []string{Train, Test}) {
		t.Errorf("Names() = %v", got)
	}
}

func TestAssignIsStableAndNormalised(t *testing.T) {
	r := Ratios{0.34, 0.33, 0.33}
	same := []string{"https://github.com/pallets/flask", "https://github.com/pallets/flask.git", "https://github.com/Pallets/Flask/",
		" https://github.com/pallets/flask.git/ ", "git@github.com:pallets/flask.git", "ssh://git@github.com/pallets/flask",
		"https://user:[REDACTED:url_password]@github.com/pallets/flask", "http://github.com/pallets/flask"}
	for _, repo := range same {
		if got, want := r.Assign(repo), r.Assign(same[0]); got != want {
			t.Errorf("Assign(%q) = %s, Assign(%q) = %s", repo, got, same[0], want)
		}
	}
	if AllTrain.Assign("anything") != Train {
		t.Error("AllTrain assigned a repository outside train")
	}
	if (Ratios{Test: 1}).Assign("anything") != Test {
		t.Error("all-test ratios assigned a repository outside test")
	}
}

// TestAssignEightRepositories is the case: eight repositories at
// 0.34,0.33,0.33 use more than one split.
func TestAssignEightRepositories(t *testing.T) {
	r, err := Parse("0.34,0.33,0.33")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]int{}
	for i := range 8 {
		used[r.Assign(fmt.Sprintf("https://github.com/example/repo%d", i))]++
	}
	if len(used) < 2 {
		t.Errorf("eight repositories all in one split: %v", used)
	}
}

func TestAssignFollowsRatios(t *testing.T) {
	r := Ratios{0.8, 0.1, 0.1}
	const n = 20000
	count := map[string]int{}
	for i := range n {
		count[r.Assign(fmt.Sprintf("https://git.example.com/org%d/repo%d", i%97, i))]++
	}
	for name, want := range map[string]float64{Train: 0.8, Validation: 0.1, Test: 0.1} {
		// 20,000 draws: a standard deviation under 0.003 of the share.
		if got := float64(count[name]) / n; got < want-0.015 || got > want+0.015 {
			t.Errorf("%s holds %.3f of the repositories, want %.2f", name, got, want)
		}
	}
}

func TestAtBoundaries(t *testing.T) {
	tests := []struct {
		r    Ratios
		p    float64
		want string
	}{
		{Ratios{0.8, 0.1, 0.1}, 0, Train},
		{Ratios{0.8, 0.1, 0.1}, 0.8, Validation},
		{Ratios{0.8, 0.1, 0.1}, 0.9, Test},
		{Ratios{0.8, 0.1, 0.1}, 0.9999, Test},
		// Ratios adding up to 1 - 5e-7: the sliver past them is the last non-empty split's.
		{Ratios{Train: 0.5, Validation: 0.4999995}, 0.9999999, Validation},
		{Ratios{Train: 0.9999995}, 0.9999999, Train},
	}
	for _, tc := range tests {
		if got := tc.r.at(tc.p); got != tc.want {
			t.Errorf("%+v at %v = %s, want %s", tc.r, tc.p, got, tc.want)
		}
	}
}
