// jsexpressions.go holds the JavaScript/TypeScript builder for expressions.

package extract

import (
	"strconv"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// expr builds the IR of an expression and returns it (NoExpr for nil).
func (j *jsBuilder) expr(n *sitter.Node) ExprID {
	if n == nil {
		return NoExpr
	}
	if !j.enter() {
		j.leave()
		return NoExpr
	}
	defer j.leave()
	line := jsLine(n)
	switch n.Type() {
	case "identifier", "shorthand_property_identifier":
		if name := j.text(n); name != "undefined" {
			return j.useName(name, line)
		}
		return NoExpr
	case "this", "super":
		return j.useName(n.Type(), line)
	case "member_expression":
		obj, prop := field(n, "object"), field(n, "property")
		x := j.callee(obj)
		if prop == nil {
			return x
		}
		return j.attr(x, j.text(prop), line)
	case "subscript_expression":
		x := j.expr(field(n, "object"))
		idx := field(n, "index")
		if s, ok := j.stringValue(idx); ok {
			return j.attr(x, s, line)
		}
		return j.newExpr(Expr{Kind: ExprSubscript, X: x, Y: j.expr(idx), Line: line})
	case "call_expression":
		return j.call(n, line)
	case "new_expression":
		return j.callWith(j.expr(field(n, "constructor")), field(n, "arguments"), line)
	case "arrow_function", "function_expression", "function", "generator_function":
		return j.function(n, "", n, n, false)
	case "class":
		name := "<class>"
		if nm := field(n, "name"); nm != nil {
			name = j.text(nm)
		}
		return j.class(n, name, n)
	case "string":
		s, _ := j.stringValue(n)
		return j.str(s, line)
	case "number":
		if v, err := strconv.ParseInt(j.text(n), 10, 32); err == nil {
			return j.newExpr(Expr{Kind: ExprInt, Int: int32(v), Line: line})
		}
		return j.newExpr(Expr{Kind: ExprOpaque, Line: line})
	case "parenthesized_expression", "sequence_expression":
		v := NoExpr
		for _, c := range named(n) {
			v = j.expr(c)
		}
		return v
	case "await_expression", "non_null_expression", "as_expression", "satisfies_expression",
		"type_assertion", "spread_element":
		v := NoExpr
		for _, c := range named(n) {
			if !isTypeNode(c) {
				v = j.expr(c)
			}
		}
		return v
	case "ternary_expression":
		j.expr(field(n, "condition"))
		return j.union(line, j.expr(field(n, "consequence")), j.expr(field(n, "alternative")))
	case "binary_expression":
		l, r := j.expr(field(n, "left")), j.expr(field(n, "right"))
		switch op := field(n, "operator"); {
		case op != nil && (op.Type() == "||" || op.Type() == "??" || op.Type() == "&&"):
			return j.union(line, l, r)
		}
		return j.opaqueOf(line, l, r)
	case "assignment_expression":
		v := j.expr(field(n, "right"))
		j.bindPattern(field(n, "left"), v)
		return v
	case "augmented_assignment_expression":
		l, r := field(n, "left"), field(n, "right")
		v := j.union(line, j.expr(l), j.expr(r))
		if l != nil && l.Type() == "identifier" {
			j.bindPattern(l, v)
		}
		return v
	case "array":
		m := j.mark()
		for _, c := range named(n) {
			if v := j.expr(c); v != NoExpr {
				j.push(v)
			}
		}
		return j.newExpr(Expr{Kind: ExprList, Args: j.span(m), Line: line})
	case "object":
		return j.object(n, "", n)
	case "yield_expression":
		v := NoExpr
		for _, c := range named(n) {
			v = j.expr(c)
		}
		s := j.scope()
		s.IsGenerator = true
		if v != NoExpr {
			s.Yields = append(s.Yields, v)
		}
		return j.newExpr(Expr{Kind: ExprOpaque, Line: line})
	case "comment", "regex", "true", "false", "null", "template_string_fragment", "property_identifier":
		return NoExpr
	}
	if isTypeNode(n) {
		return NoExpr
	}
	// Anything else (operators, templates, JSX, error recovery): the
	// value is unknown, the parts are evaluated for their calls.
	m := j.mark()
	for _, c := range named(n) {
		if isJSStatement(c.Type()) {
			j.stmt(c)
			continue
		}
		if v := j.expr(c); v != NoExpr {
			j.push(v)
		}
	}
	return j.newExpr(Expr{Kind: ExprOpaque, Args: j.span(m), Line: line})
}

// callee builds the object of a member expression; `super.m` reads m
// from super(), as Python's super().m does.
func (j *jsBuilder) callee(obj *sitter.Node) ExprID {
	if obj != nil && obj.Type() == "super" {
		return j.newExpr(Expr{Kind: ExprCall, X: j.useName("super", jsLine(obj)), Line: jsLine(obj)})
	}
	return j.expr(obj)
}

func (j *jsBuilder) call(n *sitter.Node, line int32) ExprID {
	fn, args := field(n, "function"), field(n, "arguments")
	if fn == nil {
		return j.opaqueOf(line)
	}
	switch fn.Type() {
	case "identifier":
		if j.text(fn) == "require" && args != nil {
			if a := named(args); len(a) == 1 {
				if spec, ok := j.stringValue(a[0]); ok {
					im := j.addJSImport(Import{Module: spec, Specifier: true, Require: true, Line: line})
					return j.newExpr(Expr{Kind: ExprImport, Int: im, Line: line})
				}
			}
		}
	case "super":
		// super(...) runs the base class's constructor.
		return j.callWith(j.attr(j.callee(fn), "constructor", line), args, line)
	case "import":
		j.callWith(NoExpr, args, line)
		return j.opaqueOf(line)
	}
	return j.callWith(j.expr(fn), args, line)
}

// callWith builds a call of x with the arguments node (nil: none).
func (j *jsBuilder) callWith(x ExprID, args *sitter.Node, line int32) ExprID {
	m := j.mark()
	if args != nil && args.Type() == "arguments" {
		for _, c := range named(args) {
			v := j.expr(c)
			if v == NoExpr {
				v = j.newExpr(Expr{Kind: ExprOpaque, Line: jsLine(c)})
			}
			j.push(v)
		}
	} else if args != nil {
		j.expr(args) // a tagged template
	}
	if x == NoExpr {
		j.span(m)
		return NoExpr
	}
	return j.newExpr(Expr{Kind: ExprCall, X: x, Args: j.span(m), Line: line})
}

// union is any of vals (absent ones left out).
func (j *jsBuilder) union(line int32, vals ...ExprID) ExprID {
	m := j.mark()
	for _, v := range vals {
		if v != NoExpr {
			j.push(v)
		}
	}
	switch got := j.pushed(m); len(got) {
	case 0:
		j.span(m)
		return NoExpr
	case 1:
		v := got[0]
		j.span(m)
		return v
	}
	return j.newExpr(Expr{Kind: ExprUnion, Args: j.span(m), Line: line})
}

func (j *jsBuilder) opaqueOf(line int32, vals ...ExprID) ExprID {
	m := j.mark()
	for _, v := range vals {
		if v != NoExpr {
			j.push(v)
		}
	}
	return j.newExpr(Expr{Kind: ExprOpaque, Args: j.span(m), Line: line})
}

// stringValue returns the value of a string literal or of a template
// without substitutions.
func (j *jsBuilder) stringValue(n *sitter.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.Type() {
	case "string":
		var sb strings.Builder
		for _, c := range named(n) {
			switch c.Type() {
			case "string_fragment":
				sb.WriteString(j.text(c))
			case "escape_sequence":
				if s, err := strconv.Unquote(`"` + j.text(c) + `"`); err == nil {
					sb.WriteString(s)
				}
			}
		}
		return sb.String(), true
	case "template_string":
		var sb strings.Builder
		for _, c := range named(n) {
			if c.Type() != "string_fragment" {
				return "", false
			}
			sb.WriteString(j.text(c))
		}
		return sb.String(), true
	}
	return "", false
}

// isTypeNode reports TypeScript type syntax, which has no runtime value.
func isTypeNode(n *sitter.Node) bool {
	t := n.Type()
	return strings.HasSuffix(t, "_type") || strings.HasPrefix(t, "type_") ||
		t == "type_annotation" || t == "type_arguments" || t == "type_parameters" ||
		t == "predefined_type" || t == "type_identifier" || t == "accessibility_modifier"
}

func isJSStatement(t string) bool {
	return strings.HasSuffix(t, "_statement") || strings.HasSuffix(t, "_declaration") ||
		t == "statement_block"
}
