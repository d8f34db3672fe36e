package installed

import (
	"context"
	"fmt"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/python"
)

// symbolKind is what a name in a module or class body is bound to.
type symbolKind int

const (
	symbolFunction symbolKind = iota
	symbolClass
	symbolAssignment
	// symbolImportedName is `from module import attr [as name]`.
	symbolImportedName
	// symbolImportedModule is `import module [as name]`.
	symbolImportedModule
)

// symbol is one binding found by a static read of a Python file.
type symbol struct {
	kind symbolKind
	name string
	line int // 1-based

	// Functions, classes and assignments.
	signature  string
	decorators []string
	doc        string

	// Classes.
	bases   []string
	members map[string][]*symbol

	// Imports: module is absolute (relative imports already resolved); attr is
	// the imported name for symbolImportedName.
	module string
	attr   string

	// Assignments whose value is a plain dotted name (`get = _get`), which
	// is followed before the assignment itself is documented.
	aliasOf string
}

// module is the static summary of one Python source or stub file.
type module struct {
	name      string // dotted module name
	file      string
	isPackage bool
	isStub    bool
	doc       string
	symbols   map[string][]*symbol // in source order; later code may rebind
	stars     []string             // modules of `from m import *`, absolute
	all       []string             // __all__, nil when the module has none
	version   string               // __version__ when it is a string literal
}

// parseModule summarises src, the file of module name.
func parseModule(ctx context.Context, name, file string, isPackage bool, src []byte) (*module, error) {
	parser := sitter.NewParser()
	defer parser.Close()
	parser.SetLanguage(python.GetLanguage())
	tree, err := parser.ParseCtx(ctx, nil, src)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	defer tree.Close()
	m := &module{
		name:      name,
		file:      file,
		isPackage: isPackage,
		isStub:    strings.HasSuffix(file, ".pyi"),
		symbols:   map[string][]*symbol{},
	}
	r := reader{src: src, mod: m}
	root := tree.RootNode()
	m.doc = r.docstring(root)
	r.statements(root, m.symbols, true)
	return m, nil
}

// reader walks one tree; src is the file it came from.
type reader struct {
	src []byte
	mod *module
}

func (r *reader) text(n *sitter.Node) string { return n.Content(r.src) }

// statements records the bindings of a module or class body. It descends
// into if/try/with blocks (conditional imports and fallbacks) but never
// into function bodies.
func (r *reader) statements(body *sitter.Node, into map[string][]*symbol, moduleLevel bool) {
	count := int(body.NamedChildCount())
	for i := 0; i < count; i++ {
		stmt := body.NamedChild(i)
		switch stmt.Type() {
		case "function_definition", "class_definition":
			r.add(into, r.definition(stmt, nil))
		case "decorated_definition":
			if def := stmt.ChildByFieldName("definition"); def != nil {
				r.add(into, r.definition(def, r.decorators(stmt)))
			}
		case "expression_statement":
			r.expressionStatement(stmt, into, moduleLevel)
		case "import_statement":
			r.importStatement(stmt, into)
		case "import_from_statement":
			r.importFrom(stmt, into, moduleLevel)
		case "if_statement", "try_statement", "with_statement", "elif_clause", "else_clause",
			"except_clause", "except_group_clause", "finally_clause", "block":
			r.statements(stmt, into, moduleLevel)
		}
	}
}

func (r *reader) add(into map[string][]*symbol, s *symbol) {
	if s != nil && s.name != "" {
		into[s.name] = append(into[s.name], s)
	}
}

func (r *reader) decorators(decorated *sitter.Node) []string {
	var out []string
	count := int(decorated.NamedChildCount())
	for i := 0; i < count; i++ {
		if d := decorated.NamedChild(i); d.Type() == "decorator" {
			out = append(out, collapseSpace(r.text(d)))
		}
	}
	return out
}

func (r *reader) definition(def *sitter.Node, decorators []string) *symbol {
	name := def.ChildByFieldName("name")
	body := def.ChildByFieldName("body")
	if name == nil || body == nil {
		return nil
	}
	s := &symbol{
		name:       r.text(name),
		line:       int(def.StartPoint().Row) + 1,
		decorators: decorators,
		signature:  r.header(def, body),
		doc:        r.docstring(body),
	}
	if def.Type() == "function_definition" {
		s.kind = symbolFunction
		return s
	}
	s.kind = symbolClass
	if args := def.ChildByFieldName("superclasses"); args != nil {
		count := int(args.NamedChildCount())
		for i := 0; i < count; i++ {
			arg := args.NamedChild(i)
			switch arg.Type() {
			case "identifier", "attribute":
				s.bases = append(s.bases, r.text(arg))
			case "subscript": // Generic[T], Mapping[str, str]
				if v := arg.ChildByFieldName("value"); v != nil {
					s.bases = append(s.bases, r.text(v))
				}
			}
		}
	}
	s.members = map[string][]*symbol{}
	r.statements(body, s.members, false)
	return s
}

// header is a definition's text up to its body, whitespace collapsed:
// "def get(url, params=None, **kwargs)" or "class Session(SessionRedirectMixin)".
func (r *reader) header(def, body *sitter.Node) string {
	h := strings.TrimSpace(string(r.src[def.StartByte():body.StartByte()]))
	h = strings.TrimSpace(strings.TrimSuffix(h, ":"))
	return tidySignature(collapseSpace(stripComments(h)))
}

func (r *reader) expressionStatement(stmt *sitter.Node, into map[string][]*symbol, moduleLevel bool) {
	if stmt.NamedChildCount() != 1 {
		return
	}
	expr := stmt.NamedChild(0)
	switch expr.Type() {
	case "assignment":
		r.assignment(stmt, expr, into, moduleLevel)
	case "augmented_assignment":
		if moduleLevel && r.isName(expr.ChildByFieldName("left"), "__all__") {
			r.mod.all = append(r.mod.all, r.stringList(expr.ChildByFieldName("right"))...)
		}
	case "call":
		// __all__.extend([...]) and __all__.append("x")
		fn := expr.ChildByFieldName("function")
		if !moduleLevel || fn == nil || fn.Type() != "attribute" {
			return
		}
		if obj := fn.ChildByFieldName("object"); !r.isName(obj, "__all__") {
			return
		}
		if args := expr.ChildByFieldName("arguments"); args != nil {
			r.mod.all = append(r.mod.all, r.stringList(args)...)
		}
	}
}

func (r *reader) isName(n *sitter.Node, name string) bool {
	return n != nil && n.Type() == "identifier" && r.text(n) == name
}

func (r *reader) assignment(stmt, a *sitter.Node, into map[string][]*symbol, moduleLevel bool) {
	left := a.ChildByFieldName("left")
	right := a.ChildByFieldName("right")
	if left == nil || left.Type() != "identifier" {
		return // tuple unpacking and attribute targets document nothing useful
	}
	name := r.text(left)
	if moduleLevel && right != nil {
		switch name {
		case "__all__":
			r.mod.all = r.stringList(right)
			return
		case "__version__":
			if v, ok := r.stringValue(right); ok {
				r.mod.version = v
			}
		}
	}
	s := &symbol{kind: symbolAssignment, name: name, line: int(a.StartPoint().Row) + 1}
	sig := name
	if typ := a.ChildByFieldName("type"); typ != nil {
		sig += ": " + collapseSpace(r.text(typ))
	}
	if right != nil {
		value := collapseSpace(stripComments(r.text(right)))
		if len(value) > maxValueChars {
			value = value[:maxValueChars] + "..."
		}
		sig += " = " + value
		if right.Type() == "identifier" || right.Type() == "attribute" {
			s.aliasOf = r.text(right)
		}
	}
	s.signature = sig
	// A string right after an assignment documents it (the Sphinx convention).
	if next := stmt.NextNamedSibling(); next != nil && next.Type() == "expression_statement" && next.NamedChildCount() == 1 {
		s.doc, _ = r.stringValue(next.NamedChild(0))
	}
	r.add(into, s)
}

// maxValueChars bounds the value shown for an assignment.
const maxValueChars = 120

// stringList collects the string literals of a list, tuple, argument list,
// or sum of them.
func (r *reader) stringList(n *sitter.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	switch n.Type() {
	case "list", "tuple", "argument_list", "parenthesized_expression":
		count := int(n.NamedChildCount())
		for i := 0; i < count; i++ {
			c := n.NamedChild(i)
			if s, ok := r.stringValue(c); ok {
				out = append(out, s)
			} else {
				out = append(out, r.stringList(c)...)
			}
		}
	case "binary_operator":
		out = append(out, r.stringList(n.ChildByFieldName("left"))...)
		out = append(out, r.stringList(n.ChildByFieldName("right"))...)
	}
	return out
}

func (r *reader) importStatement(stmt *sitter.Node, into map[string][]*symbol) {
	count := int(stmt.NamedChildCount())
	for i := 0; i < count; i++ {
		n := stmt.NamedChild(i)
		line := int(stmt.StartPoint().Row) + 1
		switch n.Type() {
		case "dotted_name":
			// `import a.b.c` binds a.
			full := r.text(n)
			top, _, _ := strings.Cut(full, ".")
			r.add(into, &symbol{kind: symbolImportedModule, name: top, module: top, line: line})
		case "aliased_import":
			target := n.ChildByFieldName("name")
			alias := n.ChildByFieldName("alias")
			if target != nil && alias != nil {
				r.add(into, &symbol{kind: symbolImportedModule, name: r.text(alias), module: r.text(target), line: line})
			}
		}
	}
}

func (r *reader) importFrom(stmt *sitter.Node, into map[string][]*symbol, moduleLevel bool) {
	modNode := stmt.ChildByFieldName("module_name")
	if modNode == nil {
		return
	}
	from, ok := r.absoluteModule(modNode)
	if !ok {
		return
	}
	line := int(stmt.StartPoint().Row) + 1
	count := int(stmt.NamedChildCount())
	for i := 0; i < count; i++ {
		n := stmt.NamedChild(i)
		if n.Equal(modNode) {
			continue
		}
		switch n.Type() {
		case "wildcard_import":
			if moduleLevel {
				r.mod.stars = append(r.mod.stars, from)
			}
		case "dotted_name":
			attr := r.text(n)
			r.add(into, &symbol{kind: symbolImportedName, name: attr, module: from, attr: attr, line: line})
		case "aliased_import":
			target := n.ChildByFieldName("name")
			alias := n.ChildByFieldName("alias")
			if target != nil && alias != nil {
				r.add(into, &symbol{kind: symbolImportedName, name: r.text(alias), module: from, attr: r.text(target), line: line})
			}
		}
	}
}

// absoluteModule resolves the module of a from-import against the module
// being read: with package a.b, `from ..c import x` names a.c.
func (r *reader) absoluteModule(n *sitter.Node) (string, bool) {
	if n.Type() == "dotted_name" {
		return r.text(n), true
	}
	if n.Type() != "relative_import" {
		return "", false
	}
	level := 0
	rest := ""
	count := int(n.NamedChildCount())
	for i := 0; i < count; i++ {
		c := n.NamedChild(i)
		switch c.Type() {
		case "import_prefix":
			level = strings.Count(r.text(c), ".")
		case "dotted_name":
			rest = r.text(c)
		}
	}
	pkg := r.mod.name
	if !r.mod.isPackage {
		if i := strings.LastIndexByte(pkg, '.'); i >= 0 {
			pkg = pkg[:i]
		} else {
			pkg = ""
		}
	}
	for ; level > 1; level-- {
		i := strings.LastIndexByte(pkg, '.')
		if i < 0 {
			return "", false // beyond the top-level package
		}
		pkg = pkg[:i]
	}
	switch {
	case pkg == "" && rest == "":
		return "", false
	case pkg == "":
		return rest, true
	case rest == "":
		return pkg, true
	default:
		return pkg + "." + rest, true
	}
}

// docstring returns the docstring of a module or block: a string literal
// as its first statement.
func (r *reader) docstring(body *sitter.Node) string {
	if body == nil || body.NamedChildCount() == 0 {
		return ""
	}
	first := body.NamedChild(0)
	if first.Type() != "expression_statement" || first.NamedChildCount() != 1 {
		return ""
	}
	doc, _ := r.stringValue(first.NamedChild(0))
	return cleandoc(doc)
}

// stringValue decodes a string literal or an implicit concatenation of
// them. f-strings and bytes are not docstrings and yield false.
func (r *reader) stringValue(n *sitter.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.Type() {
	case "concatenated_string":
		var b strings.Builder
		count := int(n.NamedChildCount())
		for i := 0; i < count; i++ {
			part, ok := r.stringValue(n.NamedChild(i))
			if !ok {
				return "", false
			}
			b.WriteString(part)
		}
		return b.String(), true
	case "string":
	default:
		return "", false
	}
	var start, end *sitter.Node
	count := int(n.ChildCount())
	for i := 0; i < count; i++ {
		c := n.Child(i)
		switch c.Type() {
		case "string_start":
			start = c
		case "string_end":
			end = c
		case "interpolation":
			return "", false
		}
	}
	if start == nil || end == nil || end.StartByte() < start.EndByte() {
		return "", false
	}
	prefix := strings.ToLower(strings.TrimRight(r.text(start), `'"`))
	if strings.ContainsAny(prefix, "fb") {
		return "", false
	}
	raw := string(r.src[start.EndByte():end.StartByte()])
	if strings.Contains(prefix, "r") {
		return raw, true
	}
	return unescape(raw), true
}

// stripComments drops `# ...` comments from a multi-line header, leaving
// '#' inside string literals alone.
func stripComments(s string) string {
	if !strings.Contains(s, "#") {
		return s
	}
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(c)
				i++
				c = s[i]
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			c = '\n'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// tidySignature removes the spaces and trailing commas that collapsing a
// multi-line parameter list leaves: "f( a, b, )" -> "f(a, b)".
func tidySignature(s string) string {
	s = strings.ReplaceAll(s, "( ", "(")
	s = strings.ReplaceAll(s, "[ ", "[")
	s = strings.ReplaceAll(s, " )", ")")
	s = strings.ReplaceAll(s, " ]", "]")
	s = strings.ReplaceAll(s, ",)", ")")
	return s
}
