// jsmodules.go holds the JavaScript/TypeScript builder for imports and
// exports, ES and CommonJS. Exports are module-level names: `export
// {a as b}` binds b, `exports.x = v` binds x, an anonymous default export
// and `module.exports = v` bind "default" (Module.ExportsValue marks the
// latter, which require() yields).

package extract

import (
	sitter "github.com/smacker/go-tree-sitter"
)

func (j *jsBuilder) addJSImport(im Import) ImportID {
	j.m.Imports = append(j.m.Imports, im)
	return ImportID(len(j.m.Imports) - 1)
}

// importValue is the value of an import of name from spec.
func (j *jsBuilder) importValue(spec, name string, line int32) ExprID {
	im := j.addJSImport(Import{Module: spec, Name: name, Specifier: true, Line: line})
	return j.newExpr(Expr{Kind: ExprImport, Int: im, Line: line})
}

func (j *jsBuilder) importStmt(n *sitter.Node) {
	if hasToken(n, "type") {
		return // import type: no value
	}
	spec, ok := j.stringValue(field(n, "source"))
	for _, c := range named(n) {
		switch c.Type() {
		case "import_clause":
			if ok {
				j.importClause(c, spec)
			}
		case "import_require_clause":
			// TypeScript's import x = require('m').
			id, src := lastIdent(c), field(c, "source")
			if s, ok := j.stringValue(src); ok && id != nil {
				im := j.addJSImport(Import{Module: s, Specifier: true, Require: true, Line: jsLine(c)})
				j.defineName(j.text(id), j.newExpr(Expr{Kind: ExprImport, Int: im, Line: jsLine(c)}), jsLine(id))
			}
		}
	}
}

func lastIdent(n *sitter.Node) *sitter.Node {
	for _, c := range named(n) {
		if c.Type() == "identifier" {
			return c
		}
	}
	return nil
}

func (j *jsBuilder) importClause(c *sitter.Node, spec string) {
	for _, part := range named(c) {
		line := jsLine(part)
		switch part.Type() {
		case "identifier":
			j.defineName(j.text(part), j.importValue(spec, "default", line), line)
		case "namespace_import":
			if id := lastIdent(part); id != nil {
				j.defineName(j.text(id), j.importValue(spec, "", line), line)
			}
		case "named_imports":
			for _, s := range named(part) {
				if s.Type() != "import_specifier" || hasToken(s, "type") {
					continue
				}
				name, alias := field(s, "name"), field(s, "alias")
				if name == nil {
					continue
				}
				if alias == nil {
					alias = name
				}
				imported, _ := j.stringValue(name)
				if imported == "" {
					imported = j.text(name)
				}
				j.defineName(j.text(alias), j.importValue(spec, imported, line), line)
			}
		}
	}
}

func (j *jsBuilder) exportStmt(n *sitter.Node) {
	if hasToken(n, "type") {
		return
	}
	line := jsLine(n)
	isDefault := hasToken(n, "default")
	if d := field(n, "declaration"); d != nil {
		v := NoExpr
		switch d.Type() {
		case "function_declaration", "generator_function_declaration":
			v = j.functionDecl(d, n)
		case "class_declaration", "abstract_class_declaration":
			v = j.classDecl(d, n)
		case "lexical_declaration", "variable_declaration":
			j.declaration(d, n)
		default:
			j.stmt(d)
		}
		if isDefault && v != NoExpr {
			j.defineName("default", v, line)
		}
		return
	}
	if v := field(n, "value"); v != nil {
		j.defineName("default", j.namedValue(v, "default", n, n), line)
		return
	}
	spec, hasSource := j.stringValue(field(n, "source"))
	for _, c := range named(n) {
		switch c.Type() {
		case "export_clause":
			for _, s := range named(c) {
				if s.Type() != "export_specifier" || hasToken(s, "type") {
					continue
				}
				name, alias := field(s, "name"), field(s, "alias")
				if name == nil {
					continue
				}
				local := j.propName(name)
				exported := local
				if alias != nil {
					exported = j.propName(alias)
				}
				switch {
				case hasSource:
					j.defineName(exported, j.importValue(spec, local, line), line)
				case exported != local:
					j.defineName(exported, j.useName(local, line), line)
				}
			}
		case "namespace_export":
			if id := lastIdent(c); id != nil && hasSource {
				j.defineName(j.text(id), j.importValue(spec, "", line), line)
			}
		}
	}
	if hasSource && hasToken(n, "*") && !hasNamed(n, "namespace_export") {
		im := j.addJSImport(Import{Module: spec, Specifier: true, Star: true, Line: line})
		j.m.Scopes[0].StarImports = append(j.m.Scopes[0].StarImports, im)
	}
}

func hasNamed(n *sitter.Node, typ string) bool {
	for _, c := range named(n) {
		if c.Type() == typ {
			return true
		}
	}
	return false
}

// exportAssignment handles module-level `module.exports = v`,
// `module.exports.x = v` and `exports.x = v`; it reports false for any
// other assignment.
func (j *jsBuilder) exportAssignment(n *sitter.Node) bool {
	left, right := field(n, "left"), field(n, "right")
	if left == nil || right == nil || left.Type() != "member_expression" {
		return false
	}
	obj, prop := field(left, "object"), field(left, "property")
	if obj == nil || prop == nil {
		return false
	}
	stmt := n
	if p := n.Parent(); p != nil && p.Type() == "expression_statement" {
		stmt = p
	}
	line := jsLine(n)
	switch {
	case j.isModuleExports(left):
		if right.Type() == "object" {
			j.properties(right, 0, 0, true)
			return true
		}
		j.defineName("default", j.namedValue(right, "default", stmt, stmt), line)
		j.m.ExportsValue = true
		return true
	case j.isModuleExports(obj) || (obj.Type() == "identifier" && j.text(obj) == "exports"):
		name := j.text(prop)
		j.defineName(name, j.namedValue(right, name, stmt, stmt), line)
		return true
	}
	return false
}

func (j *jsBuilder) isModuleExports(n *sitter.Node) bool {
	if n.Type() != "member_expression" {
		return false
	}
	obj, prop := field(n, "object"), field(n, "property")
	return obj != nil && prop != nil && obj.Type() == "identifier" && j.text(obj) == "module" && j.text(prop) == "exports"
}
