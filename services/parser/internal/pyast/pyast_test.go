package pyast

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tests := []struct {
		name     string
		src      string
		hasError bool
		sexpr    string
	}{
		{"empty", "", false, "(module)"},
		{"comments are dropped", "# c\nf(x)  # d\n",
			false, "(module (expression_statement (call function: (identifier f) arguments: (argument_list (identifier x)))))"},
		{"fields", "a.b = 1\n", false,
			"(module (expression_statement (assignment left: (attribute object: (identifier a) attribute: (identifier b)) right: (integer 1))))"},
		{"plain strings are leaves, f-strings keep interpolations", "s = 'x'\nt = f'{y}'\n", false,
			"(module (expression_statement (assignment left: (identifier s) right: (string))) (expression_statement (assignment left: (identifier t) right: (string (string_start) (interpolation expression: (identifier y)) (string_end)))))"},
		{"syntax error is recovered", "def f(:\n    pass\n", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := p.Parse([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if tree.HasError != tt.hasError {
				t.Errorf("HasError = %v, want %v", tree.HasError, tt.hasError)
			}
			if tt.sexpr != "" {
				if got := tree.SExpr(0); got != tt.sexpr {
					t.Errorf("tree =\n%s\nwant\n%s", got, tt.sexpr)
				}
			}
			// Next must close every subtree inside its parent.
			for i := range tree.Nodes {
				n := tree.Nodes[i]
				if int(n.Next) <= i || int(n.Next) > len(tree.Nodes) || n.End < n.Start {
					t.Fatalf("node %d: next %d, span %d-%d", i, n.Next, n.Start, n.End)
				}
			}
		})
	}
}

func TestParseLargeInputGrowsBuffer(t *testing.T) {
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	small, err := p.Parse([]byte("x = 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(small.Nodes) == 0 {
		t.Fatal("no nodes for a small file")
	}
	src := strings.Repeat("f(a, b, c.d[e])\n", 20000)
	tree, err := p.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Nodes) < 20000*8 {
		t.Fatalf("nodes = %d", len(tree.Nodes))
	}
	if got := tree.Text(tree.FirstChild(0)); got != "f(a, b, c.d[e])" {
		t.Errorf("first statement = %q", got)
	}
}
