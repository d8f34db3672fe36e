// jsstatements.go holds the JavaScript/TypeScript builder for statements:
// declarations, assignments and control flow.

package extract

import (
	sitter "github.com/smacker/go-tree-sitter"
)

func (j *jsBuilder) block(n *sitter.Node) {
	for _, c := range named(n) {
		j.stmt(c)
	}
}

func (j *jsBuilder) stmt(n *sitter.Node) {
	if !j.enter() {
		j.leave()
		return
	}
	defer j.leave()
	switch n.Type() {
	case "expression_statement":
		for _, c := range named(n) {
			j.exprStmt(c)
		}
	case "lexical_declaration", "variable_declaration":
		j.declaration(n, n)
	case "function_declaration", "generator_function_declaration":
		j.functionDecl(n, n)
	case "class_declaration", "abstract_class_declaration":
		j.classDecl(n, n)
	case "import_statement":
		j.importStmt(n)
	case "export_statement":
		j.exportStmt(n)
	case "return_statement":
		v := NoExpr
		for _, c := range named(n) {
			v = j.expr(c)
		}
		if v != NoExpr {
			s := j.scope()
			s.Returns = append(s.Returns, v)
		}
		j.emit(evExit, 0)
	case "throw_statement":
		for _, c := range named(n) {
			j.expr(c)
		}
		j.emit(evExit, 0)
	case "break_statement":
		j.emit(evBreak, 0)
	case "continue_statement":
		j.emit(evContinue, 0)
	case "if_statement":
		j.expr(field(n, "condition"))
		j.emit(evBranchBegin, 0)
		if c := field(n, "consequence"); c != nil {
			j.stmt(c)
		}
		exhaustive := int32(0)
		if alt := field(n, "alternative"); alt != nil {
			j.emit(evBranchAlt, 0)
			j.block(alt) // else_clause: its statement
			exhaustive = 1
		}
		j.emit(evBranchEnd, exhaustive)
	case "for_statement":
		for _, f := range []string{"initializer", "condition"} {
			if c := field(n, f); c != nil {
				j.stmt(c)
			}
		}
		j.emit(evLoopBegin, 0)
		if c := field(n, "body"); c != nil {
			j.stmt(c)
		}
		if c := field(n, "increment"); c != nil {
			j.expr(c)
		}
		j.emit(evLoopEnd, 0)
	case "for_in_statement":
		it := j.newExpr(Expr{Kind: ExprIter, X: j.expr(field(n, "right")), Line: jsLine(n)})
		j.emit(evLoopBegin, 0)
		if l := field(n, "left"); l != nil {
			j.bindPattern(l, it)
		}
		if c := field(n, "body"); c != nil {
			j.stmt(c)
		}
		j.emit(evLoopEnd, 0)
	case "while_statement", "do_statement":
		j.emit(evLoopBegin, 0)
		j.expr(field(n, "condition"))
		if c := field(n, "body"); c != nil {
			j.stmt(c)
		}
		j.emit(evLoopEnd, 0)
	case "try_statement":
		j.emit(evBranchBegin, 1)
		if c := field(n, "body"); c != nil {
			j.block(c)
		}
		if h := field(n, "handler"); h != nil {
			j.emit(evBranchAlt, 0)
			if p := field(h, "parameter"); p != nil {
				j.bindPattern(p, NoExpr)
			}
			if c := field(h, "body"); c != nil {
				j.block(c)
			}
		}
		j.emit(evBranchEnd, 1)
		if f := field(n, "finalizer"); f != nil {
			if c := field(f, "body"); c != nil {
				j.block(c)
			}
		}
	case "switch_statement":
		j.expr(field(n, "value"))
		j.emit(evBranchBegin, 0)
		exhaustive := int32(0)
		if body := field(n, "body"); body != nil {
			for k, c := range named(body) {
				if k > 0 {
					j.emit(evBranchAlt, 0)
				}
				if c.Type() == "switch_default" {
					exhaustive = 1
				}
				for _, s := range named(c) {
					if s == nil {
						continue
					}
					if v := field(c, "value"); v != nil && v.Equal(s) {
						j.expr(s)
						continue
					}
					j.stmt(s)
				}
			}
		}
		j.emit(evBranchEnd, exhaustive)
	case "statement_block", "program", "else_clause":
		j.block(n)
	case "labeled_statement":
		if c := field(n, "body"); c != nil {
			j.stmt(c)
		}
	case "internal_module", "module":
		// A TypeScript namespace: its code runs with the module's.
		if c := field(n, "body"); c != nil {
			j.block(c)
		}
	case "empty_statement", "comment", "debugger_statement", "interface_declaration",
		"type_alias_declaration", "ambient_declaration", "function_signature",
		"import_alias", "enum_declaration", "hash_bang_line":
	default:
		j.exprStmt(n)
	}
}

// exprStmt handles an expression in statement position.
func (j *jsBuilder) exprStmt(n *sitter.Node) {
	if j.cur == 0 && ((n.Type() == "assignment_expression" && j.exportAssignment(n)) || j.es5Member(n)) {
		return
	}
	j.expr(n)
}

// declaration binds the declarators of a let/const/var statement; stmt is
// the outermost statement (an export wraps the declaration).
func (j *jsBuilder) declaration(n, stmt *sitter.Node) {
	decls := named(n)
	for _, d := range decls {
		if d.Type() != "variable_declarator" {
			continue
		}
		name, value := field(d, "name"), field(d, "value")
		if name == nil {
			continue
		}
		if value == nil {
			if name.Type() == "identifier" {
				continue // `let x;`: no value yet
			}
			j.bindPattern(name, NoExpr)
			continue
		}
		span := d
		if len(decls) == 1 {
			span = stmt
		}
		var v ExprID
		if name.Type() == "identifier" && j.cur == 0 && j.es5Names[j.text(name)] && isFunctionNode(value) {
			v = j.es5Class(value, j.text(name), span, stmt)
		} else if name.Type() == "identifier" && j.cur == 0 {
			v = j.namedValue(value, j.text(name), span, stmt)
		} else {
			v = j.expr(value)
		}
		if name.Type() == "identifier" {
			j.declareDefType(j.defineName(j.text(name), v, jsLine(name)), field(d, "type"))
			continue
		}
		j.bindPattern(name, v)
	}
}

// bindPattern binds the names of a binding pattern to (parts of) v.
func (j *jsBuilder) bindPattern(p *sitter.Node, v ExprID) {
	if p == nil {
		return
	}
	line := jsLine(p)
	switch p.Type() {
	case "identifier", "shorthand_property_identifier_pattern":
		j.defineName(j.text(p), v, line)
	case "object_pattern":
		for _, c := range named(p) {
			switch c.Type() {
			case "shorthand_property_identifier_pattern":
				j.defineName(j.text(c), j.member(v, j.text(c), line), line)
			case "pair_pattern":
				key := field(c, "key")
				part := NoExpr
				if key != nil && key.Type() == "property_identifier" {
					part = j.member(v, j.text(key), line)
				}
				j.bindPattern(field(c, "value"), part)
			case "object_assignment_pattern":
				l := field(c, "left")
				part := NoExpr
				if l != nil && l.Type() == "shorthand_property_identifier_pattern" {
					part = j.member(v, j.text(l), line)
				}
				j.bindPattern(l, j.orValue(part, field(c, "right"), line))
			case "rest_pattern":
				j.bindPattern(lastNamed(c), NoExpr)
			}
		}
	case "assignment_pattern":
		j.bindPattern(field(p, "left"), j.orValue(v, field(p, "right"), line))
	case "array_pattern", "rest_pattern":
		for _, c := range named(p) {
			j.bindPattern(c, NoExpr)
		}
	case "member_expression", "subscript_expression":
		target := j.expr(p)
		if v != NoExpr {
			j.m.Stores = append(j.m.Stores, Store{Target: target, Value: v})
		}
	case "parenthesized_expression", "non_null_expression", "as_expression":
		j.bindPattern(lastNamed(p), v)
	}
}

// member is v.name, or nothing when v is.
func (j *jsBuilder) member(v ExprID, name string, line int32) ExprID {
	if v == NoExpr {
		return NoExpr
	}
	return j.attr(v, name, line)
}

// orValue is v, or the default d when v is undefined.
func (j *jsBuilder) orValue(v ExprID, d *sitter.Node, line int32) ExprID {
	if d == nil {
		return v
	}
	dv := j.expr(d)
	if v == NoExpr {
		return dv
	}
	return j.newExpr(Expr{Kind: ExprUnion, Args: j.spanOf(v, dv), Line: line})
}

func lastNamed(n *sitter.Node) *sitter.Node {
	c := named(n)
	if len(c) == 0 {
		return nil
	}
	return c[len(c)-1]
}
