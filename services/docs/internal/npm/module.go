package npm

import (
	"context"
	"fmt"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// module is one parsed file and the names its top level binds.
type module struct {
	file string
	// location names file in answers ("node_modules/pkg/index.d.ts").
	location string
	src      []byte
	tree     *sitter.Tree
	top      *scope
}

// scope is what one statement list binds: the top level of a file, a
// namespace body, or an ambient module ("declare module 'x' { ... }").
type scope struct {
	parent *scope
	// decls are the declarations of each local name; several for overloads
	// and merged declarations (a function and a namespace of one name).
	decls   map[string][]*sitter.Node
	imports map[string]importRef
	exports map[string]exportRef
	// stars are the specifiers of "export * from".
	stars []string
	// defaults are what "export default", "export =" and
	// "module.exports =" bind.
	defaults []*sitter.Node
	// ambient are the bodies of "declare module 'name'" blocks.
	ambient []*scope
}

type importRef struct {
	spec string
	// orig is the imported name; "default" for a default import, "" for a
	// namespace import (import * as ns).
	orig string
}

type exportRef struct {
	local string       // export { local } or an exported declaration
	node  *sitter.Node // exports.x = <node> (CommonJS)
	from  string       // export { orig } from "from"
	orig  string       // "*" for export * as ns from
}

func isTypeScript(file string) bool {
	for _, ext := range []string{".ts", ".mts", ".cts"} {
		if strings.HasSuffix(file, ext) {
			return true
		}
	}
	return false
}

func parseModule(ctx context.Context, file string, src []byte) (*module, error) {
	parser := sitter.NewParser()
	defer parser.Close()
	if isTypeScript(file) {
		parser.SetLanguage(typescript.GetLanguage())
	} else {
		parser.SetLanguage(javascript.GetLanguage())
	}
	tree, err := parser.ParseCtx(ctx, nil, src)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	m := &module{file: file, src: src, tree: tree}
	m.top = m.collect(tree.RootNode(), nil)
	return m, nil
}

func (m *module) text(n *sitter.Node) string { return n.Content(m.src) }

// collect reads the bindings of a statement list.
func (m *module) collect(block *sitter.Node, parent *scope) *scope {
	s := &scope{
		parent:  parent,
		decls:   map[string][]*sitter.Node{},
		imports: map[string]importRef{},
		exports: map[string]exportRef{},
	}
	for i := 0; i < int(block.NamedChildCount()); i++ {
		c := block.NamedChild(i)
		switch c.Type() {
		case "export_statement":
			m.export(s, c)
		case "ambient_declaration":
			for j := 0; j < int(c.NamedChildCount()); j++ {
				m.declare(s, c.NamedChild(j))
			}
		case "expression_statement":
			if c.NamedChildCount() > 0 {
				m.commonJS(s, c.NamedChild(0))
			}
		case "import_statement":
			m.importStatement(s, c)
		default:
			m.declare(s, c)
		}
	}
	return s
}

// declare binds the names a declaration introduces and returns them.
func (m *module) declare(s *scope, d *sitter.Node) []string {
	switch d.Type() {
	case "function_declaration", "generator_function_declaration", "function_signature",
		"class_declaration", "abstract_class_declaration", "interface_declaration",
		"enum_declaration", "type_alias_declaration", "internal_module":
		if name := d.ChildByFieldName("name"); name != nil {
			s.decls[m.text(name)] = append(s.decls[m.text(name)], d)
			return []string{m.text(name)}
		}
	case "module":
		// declare module "name" { ... }: an ambient module, searched as a
		// fallback; "declare module Foo" is a namespace.
		name, body := d.ChildByFieldName("name"), d.ChildByFieldName("body")
		if name != nil && body != nil && name.Type() == "string" {
			s.ambient = append(s.ambient, m.collect(body, s))
		} else if name != nil {
			s.decls[m.text(name)] = append(s.decls[m.text(name)], d)
			return []string{m.text(name)}
		}
	case "lexical_declaration", "variable_declaration":
		var names []string
		for j := 0; j < int(d.NamedChildCount()); j++ {
			v := d.NamedChild(j)
			if name := v.ChildByFieldName("name"); v.Type() == "variable_declarator" && name != nil && name.Type() == "identifier" {
				s.decls[m.text(name)] = append(s.decls[m.text(name)], v)
				names = append(names, m.text(name))
			}
		}
		return names
	}
	return nil
}

// hasToken reports whether n has an anonymous child token tok ("default", "=").
func hasToken(n *sitter.Node, tok string) bool {
	for i := 0; i < int(n.ChildCount()); i++ {
		if c := n.Child(i); !c.IsNamed() && c.Type() == tok {
			return true
		}
	}
	return false
}

func (m *module) export(s *scope, c *sitter.Node) {
	source := ""
	if src := c.ChildByFieldName("source"); src != nil {
		source = stringValue(m.text(src))
	}
	decl := c.ChildByFieldName("declaration")
	switch {
	case hasToken(c, "default"):
		v := decl
		if v == nil {
			v = c.ChildByFieldName("value")
		}
		if v != nil {
			m.declare(s, v)
			s.defaults = append(s.defaults, v)
		}
		return
	case hasToken(c, "="): // export = X (TypeScript's CommonJS export)
		for i := 0; i < int(c.NamedChildCount()); i++ {
			if v := c.NamedChild(i); v.Type() != "comment" {
				s.defaults = append(s.defaults, v)
				break
			}
		}
		return
	case decl != nil:
		target := decl
		if decl.Type() == "ambient_declaration" && decl.NamedChildCount() > 0 {
			target = decl.NamedChild(0)
		}
		for _, name := range m.declare(s, target) {
			s.exports[name] = exportRef{local: name}
		}
		return
	}
	clauseFound := false
	for i := 0; i < int(c.NamedChildCount()); i++ {
		n := c.NamedChild(i)
		switch n.Type() {
		case "export_clause":
			clauseFound = true
			for j := 0; j < int(n.NamedChildCount()); j++ {
				name, exported, ok := m.specifier(n.NamedChild(j))
				switch {
				case !ok:
				case source != "":
					s.exports[exported] = exportRef{from: source, orig: name}
				default:
					s.exports[exported] = exportRef{local: name}
				}
			}
		case "namespace_export":
			clauseFound = true
			if n.NamedChildCount() > 0 && source != "" {
				s.exports[m.text(n.NamedChild(0))] = exportRef{from: source, orig: "*"}
			}
		}
	}
	if !clauseFound && source != "" {
		s.stars = append(s.stars, source)
	}
}

// commonJS binds module.exports = X, module.exports.x = X and exports.x = X.
func (m *module) commonJS(s *scope, e *sitter.Node) {
	if e.Type() != "assignment_expression" {
		return
	}
	left, right := e.ChildByFieldName("left"), e.ChildByFieldName("right")
	if left == nil || right == nil || left.Type() != "member_expression" {
		return
	}
	target := m.text(left)
	if target == "module.exports" {
		s.defaults = append(s.defaults, right)
		return
	}
	obj, prop := left.ChildByFieldName("object"), left.ChildByFieldName("property")
	if obj == nil || prop == nil {
		return
	}
	if o := m.text(obj); o == "module.exports" || o == "exports" {
		s.exports[m.text(prop)] = exportRef{node: right}
	}
}

func (m *module) importStatement(s *scope, c *sitter.Node) {
	source := c.ChildByFieldName("source")
	for i := 0; i < int(c.NamedChildCount()); i++ {
		n := c.NamedChild(i)
		switch n.Type() {
		case "import_require_clause": // import x = require("y")
			src := n.ChildByFieldName("source")
			if n.NamedChildCount() > 0 && src != nil {
				s.imports[m.text(n.NamedChild(0))] = importRef{spec: stringValue(m.text(src))}
			}
		case "import_clause":
			if source == nil {
				continue
			}
			spec := stringValue(m.text(source))
			for j := 0; j < int(n.NamedChildCount()); j++ {
				b := n.NamedChild(j)
				switch b.Type() {
				case "identifier":
					s.imports[m.text(b)] = importRef{spec: spec, orig: "default"}
				case "namespace_import":
					if b.NamedChildCount() > 0 {
						s.imports[m.text(b.NamedChild(0))] = importRef{spec: spec}
					}
				case "named_imports":
					for k := 0; k < int(b.NamedChildCount()); k++ {
						if name, local, ok := m.specifier(b.NamedChild(k)); ok {
							s.imports[local] = importRef{spec: spec, orig: name}
						}
					}
				}
			}
		}
	}
}

// specifier reads "name" or "name as alias" of an import or export list.
func (m *module) specifier(n *sitter.Node) (name, bound string, ok bool) {
	nameNode, alias := n.ChildByFieldName("name"), n.ChildByFieldName("alias")
	if nameNode == nil {
		return "", "", false
	}
	name, bound = m.text(nameNode), m.text(nameNode)
	if alias != nil {
		bound = m.text(alias)
	}
	return name, bound, true
}

// stringValue strips the quotes of a string literal.
func stringValue(lit string) string {
	if len(lit) >= 2 && (lit[0] == '"' || lit[0] == '\'' || lit[0] == '`') {
		return lit[1 : len(lit)-1]
	}
	return lit
}

// lookupLocal finds name's declarations or import in s or an enclosing scope.
func (s *scope) lookupLocal(name string) ([]*sitter.Node, *importRef, *scope) {
	for sc := s; sc != nil; sc = sc.parent {
		if d := sc.decls[name]; len(d) > 0 {
			return d, nil, sc
		}
		if imp, ok := sc.imports[name]; ok {
			return nil, &imp, sc
		}
	}
	return nil, nil, nil
}
