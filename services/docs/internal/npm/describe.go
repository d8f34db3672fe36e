package npm

import (
	"strings"
	"unicode/utf8"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

const (
	// maxSignatureRunes bounds one declaration line: type-heavy .d.ts
	// signatures run long, and the budget is for the docstring.
	maxSignatureRunes = 600
	// maxOverloads bounds the overload signatures shown.
	maxOverloads = 3
)

// doc documents the declarations f resolved to: the signature of each
// overload (up to maxOverloads) and the first JSDoc among them. name is the
// API's last component, shown for an anonymous function
// (exports.center = (s, n) => ...).
func (f found) doc(name string) apidoc.Doc {
	m := f.m
	primary := f.nodes
	// A function or class merged with a namespace of its name is documented
	// as the function or class.
	var callable []*sitter.Node
	for _, n := range f.nodes {
		if t := n.Type(); t != "internal_module" && t != "module" {
			callable = append(callable, n)
		}
	}
	if len(callable) > 0 {
		primary = callable
	}
	var sigs []string
	doc := ""
	for _, n := range primary {
		if len(sigs) < maxOverloads {
			s := m.signature(n)
			if isFunctionValue(n) && n.ChildByFieldName("name") == nil {
				s = name + " = " + s
			}
			if s != "" && !contains(sigs, s) {
				sigs = append(sigs, s)
			}
		}
		if doc == "" {
			doc = m.jsdoc(n)
		}
	}
	for _, n := range f.nodes { // a namespace's JSDoc when the function has none
		if doc != "" {
			break
		}
		doc = m.jsdoc(n)
	}
	first := primary[0]
	if doc == "" && isClass(first) {
		if ctor := m.bodyMembers(first, "constructor"); len(ctor) > 0 {
			doc = m.jsdoc(ctor[0])
		}
	}
	return apidoc.Doc{
		Kind:      kindOf(first),
		Signature: strings.Join(sigs, "\n"),
		Docstring: doc,
		Location:  f.m.location,
		Line:      int(first.StartPoint().Row) + 1,
	}
}

func isClass(n *sitter.Node) bool {
	switch n.Type() {
	case "class_declaration", "abstract_class_declaration", "class":
		return true
	}
	return false
}

func kindOf(n *sitter.Node) apidoc.Kind {
	switch n.Type() {
	case "class_declaration", "abstract_class_declaration", "class", "interface_declaration", "enum_declaration", "type_alias_declaration":
		return apidoc.KindClass
	case "internal_module", "module":
		return apidoc.KindModule
	case "method_definition", "method_signature", "abstract_method_signature":
		return apidoc.KindMethod
	case "function_declaration", "generator_function_declaration", "function_signature",
		"function_expression", "function", "generator_function", "arrow_function":
		return apidoc.KindFunction
	case "variable_declarator", "pair":
		if v := n.ChildByFieldName("value"); v != nil && isFunctionValue(v) {
			return apidoc.KindFunction
		}
	}
	return apidoc.KindAttribute
}

func isFunctionValue(v *sitter.Node) bool {
	switch v.Type() {
	case "function_expression", "function", "generator_function", "arrow_function":
		return true
	}
	return false
}

// signature is n's declaration without its body, on one line.
func (m *module) signature(n *sitter.Node) string {
	var s string
	switch n.Type() {
	case "function_declaration", "generator_function_declaration", "function_expression", "function",
		"generator_function", "arrow_function", "method_definition",
		"class_declaration", "abstract_class_declaration", "class", "interface_declaration", "enum_declaration":
		s = m.upTo(n, n.ChildByFieldName("body"))
		if isClass(n) {
			if ctor := m.bodyMembers(n, "constructor"); len(ctor) > 0 {
				// The class line, then how to construct one.
				return tidy(s) + "\n" + m.signature(ctor[0])
			}
		}
	case "internal_module", "module":
		s = m.upTo(n, n.ChildByFieldName("body"))
		if !strings.HasPrefix(s, "namespace") && !strings.HasPrefix(s, "module") {
			s = "namespace " + s
		}
	case "variable_declarator":
		keyword := "const"
		if p := n.Parent(); p != nil && p.ChildCount() > 0 {
			keyword = p.Child(0).Type()
		}
		name := n.ChildByFieldName("name")
		if v := n.ChildByFieldName("value"); v != nil && isFunctionValue(v) && name != nil {
			s = keyword + " " + m.text(name) + " = " + m.signature(v)
		} else {
			s = keyword + " " + m.upTo(n, n.ChildByFieldName("value"))
		}
	case "pair":
		key, v := n.ChildByFieldName("key"), n.ChildByFieldName("value")
		if key != nil && v != nil && isFunctionValue(v) {
			s = m.text(key) + ": " + m.signature(v)
		} else if key != nil {
			s = m.text(key)
		}
	case "public_field_definition", "field_definition":
		s = m.upTo(n, n.ChildByFieldName("value"))
	default: // signatures, type aliases, enum members: the whole text
		s = m.text(n)
	}
	return tidy(s)
}

// bracketSpace undoes what joining a multi-line parameter list leaves:
// "f( a, b, )" -> "f(a, b)".
var bracketSpace = strings.NewReplacer("( ", "(", ", )", ")", " )", ")", "< ", "<", ", >", ">", " >(", ">(")

// tidy puts a declaration on one line without its trailing punctuation.
func tidy(s string) string {
	s = bracketSpace.Replace(strings.Join(strings.Fields(s), " "))
	return capRunes(strings.TrimSpace(strings.TrimRight(s, ";{= ")), maxSignatureRunes)
}

// upTo is n's text before child stop (all of it when stop is nil).
func (m *module) upTo(n, stop *sitter.Node) string {
	if stop == nil {
		return m.text(n)
	}
	return string(m.src[n.StartByte():stop.StartByte()])
}

func capRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return strings.TrimSpace(s[:pos]) + " ..."
		}
		i++
	}
	return s
}

// statementTypes wrap a declaration: its JSDoc comes before the wrapper.
var statementTypes = map[string]bool{
	"export_statement": true, "ambient_declaration": true, "lexical_declaration": true,
	"variable_declaration": true, "expression_statement": true, "assignment_expression": true,
}

// jsdoc is the /** ... */ comment right before n's statement, cleaned.
func (m *module) jsdoc(n *sitter.Node) string {
	stmt := n
	for p := stmt.Parent(); p != nil && statementTypes[p.Type()]; p = stmt.Parent() {
		stmt = p
	}
	prev := stmt.PrevNamedSibling()
	if prev == nil || prev.Type() != "comment" {
		return ""
	}
	text := m.text(prev)
	if !strings.HasPrefix(text, "/**") || text == "/**/" {
		return ""
	}
	// A blank line between comment and declaration: a file or section comment.
	if gap := string(m.src[prev.EndByte():stmt.StartByte()]); strings.Count(gap, "\n") > 1 {
		return ""
	}
	return cleanJSDoc(text)
}

// cleanJSDoc strips the comment markers and each line's leading "*".
func cleanJSDoc(text string) string {
	text = strings.TrimSuffix(strings.TrimPrefix(text, "/**"), "*/")
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "*"); ok {
			l = strings.TrimPrefix(rest, " ")
		}
		lines[i] = strings.TrimRight(l, " \t")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
