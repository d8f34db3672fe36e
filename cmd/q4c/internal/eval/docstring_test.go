package eval

import "testing"

func TestSplitDocstring(t *testing.T) {
	tests := []struct {
		name, code, body, doc string
	}{
		{"triple double", "def f(x):\n    \"\"\"Add one.\n\n    More.\n    \"\"\"\n    return x + 1",
			"def f(x):\n    \n    return x + 1", "Add one.\n\n    More."},
		{"single quotes raw prefix", "def f():\n    r'''Raw \\d.'''\n    pass", "def f():\n    \n    pass", "Raw \\d."},
		{"one-line string", "def f():\n    'Short.'\n    return 1", "def f():\n    \n    return 1", "Short."},
		{"annotations and defaults with colons", "def f(a: int = {'k': 1}, b=\"x:y\") -> Dict[str, int]:\n    \"\"\"Doc.\"\"\"\n    return a",
			"def f(a: int = {'k': 1}, b=\"x:y\") -> Dict[str, int]:\n    \n    return a", "Doc."},
		{"comment before docstring", "def f():  # note: here\n    # more\n    \"\"\"Doc.\"\"\"\n    pass",
			"def f():  # note: here\n    # more\n    \n    pass", "Doc."},
		{"no docstring", "def f():\n    return \"not a doc\"", "def f():\n    return \"not a doc\"", ""},
		{"string expression is not a docstring", "def f():\n    \"a\".join(x)", "def f():\n    \"a\".join(x)", ""},
		{"escaped quotes inside", "def f():\n    \"\"\"Say \\\"\\\"\\\" hi.\"\"\"\n    pass", "def f():\n    \n    pass", "Say \\\"\\\"\\\" hi."},
		{"method with decorator", "@property\ndef name(self):\n    \"\"\"The name.\"\"\"\n    return self._n",
			"@property\ndef name(self):\n    \n    return self._n", "The name."},
		{"unterminated", "def f():\n    \"\"\"never ends", "def f():\n    \"\"\"never ends", ""},
		{"not a function", "x = 1", "x = 1", ""},
	}
	for _, tt := range tests {
		body, doc := SplitDocstring(tt.code)
		if body != tt.body || doc != tt.doc {
			t.Errorf("%s:\n body %q\n want %q\n doc  %q\n want %q", tt.name, body, tt.body, doc, tt.doc)
		}
	}
}

func FuzzSplitDocstring(f *testing.F) {
	for _, s := range []string{"def f():\n    \"\"\"d\"\"\"\n    pass", "def f(:", "def f(): '", "def \"\"\"", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		body, doc := SplitDocstring(code)
		if len(body)+len(doc) > len(code) {
			t.Fatalf("body and docstring longer than the code: %q", code)
		}
	})
}
