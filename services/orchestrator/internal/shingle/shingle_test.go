package shingle

import (
	"slices"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		code string
		want []string
	}{
		{"empty", "", []string{}},
		{"words and operators", "x_1 = foo(a, b)**2", []string{"x_1", "=", "foo", "(", "a", ",", "b", ")", "*", "*", "2"}},
		{"quotes dropped", `s = "a b" + 'c'`, []string{"s", "=", "a", "b", "+", "c"}},
		{"triple quotes dropped", `"""Doc."""`, []string{"Doc", "."}},
		{"comment tokenised", "x # why\n", []string{"x", "#", "why"}},
		{"unicode identifier", "café = 1", []string{"café", "=", "1"}},
		{"statement separator dropped", "a = 1; b = 2;", []string{"a", "=", "1", "b", "=", "2"}},
		{"trailing comma dropped", "f(a, b,)\n[1,\n]", []string{"f", "(", "a", ",", "b", ")", "[", "1", "]"}},
		{"backslash continuation", "a = 1 + \\\n    2", []string{"a", "=", "1", "+", "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Tokens(tc.code); !slices.Equal(got, tc.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tc.code, got, tc.want)
			}
		})
	}
}

func TestSetIgnoresLayout(t *testing.T) {
	original := "def f(a, b):\n    \"\"\"Add.\"\"\"\n    # sum\n    return a + b\n"
	variants := map[string]string{
		"flattened":  "def f(a, b):     \"\"\"Add.\"\"\"     # sum     return a + b",
		"reindented": "def f(a,b):\n\t'''Add.'''\n\t# sum\n\treturn a+b\n",
		"split":      "def f(\n        a,\n        b):\n  '''Add.'''\n  # sum\n  return (a\n + b)\n",
	}
	want := Set(original)
	for name, v := range variants {
		got := Set(v)
		if name == "split" {
			// The added parentheses are real tokens: most shingles survive.
			if j := Jaccard(want, got); j < 0.5 || j == 1 {
				t.Errorf("%s: Jaccard = %.2f, want in [0.5, 1)", name, j)
			}
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: shingle set differs from the original's", name)
		}
	}
}

func TestHashesShortCode(t *testing.T) {
	if got := Hashes("   "); got != nil {
		t.Errorf("Hashes(blank) = %v, want nil", got)
	}
	if got := Hashes("return x"); len(got) != 1 {
		t.Errorf("Hashes(2 tokens) has %d shingles, want 1", len(got))
	}
	if got := Hashes("a b c d e f"); len(got) != 2 {
		t.Errorf("Hashes(6 tokens) has %d shingles, want 2", len(got))
	}
	if Hashes("ab c d e f")[0] == Hashes("a bc d e f")[0] {
		t.Error("token boundaries do not change the hash")
	}
}

func TestJaccardAndIntersection(t *testing.T) {
	tests := []struct {
		a, b  []uint64
		inter int
		j     float64
	}{
		{nil, nil, 0, 0},
		{[]uint64{1, 2, 3}, []uint64{1, 2, 3}, 3, 1},
		{[]uint64{1, 2, 3}, []uint64{2, 3, 4}, 2, 0.5},
		{[]uint64{1}, []uint64{2}, 0, 0},
	}
	for _, tc := range tests {
		if got := Intersection(tc.a, tc.b); got != tc.inter {
			t.Errorf("Intersection(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.inter)
		}
		if got := Jaccard(tc.a, tc.b); got != tc.j {
			t.Errorf("Jaccard(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.j)
		}
	}
}
