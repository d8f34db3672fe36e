// jses5.go holds the JavaScript builder for ES5 classes: a module-level
// function whose prototype gets methods (`Foo.prototype.bar = function`,
// `Foo.prototype = {bar() {}}`, `Object.assign(Foo.prototype, {...})`) is
// a class named after it. The function keeps its name and id (`Foo`) and
// is the class's constructor; the prototype's functions are its methods
// (`Foo.bar`, `this` a Foo instance), functions assigned to `Foo.x` its
// static methods. The same statements add to a module-level ES6 class.

package extract

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// es5ClassNames lists the names whose prototype a module-level statement
// of program assigns to.
func (j *jsBuilder) es5ClassNames(program *sitter.Node) map[string]bool {
	var out map[string]bool
	for _, st := range named(program) {
		if st.Type() != "expression_statement" {
			continue
		}
		for _, e := range named(st) {
			var target *sitter.Node
			switch e.Type() {
			case "assignment_expression":
				target = field(e, "left")
				if p := j.prototypeOf(target); p != "" {
					target = nil
					out = addName(out, p)
				} else if target != nil && target.Type() == "member_expression" {
					target = field(target, "object")
				}
			case "call_expression":
				if args := j.objectAssignArgs(e); len(args) > 0 {
					target = args[0]
				} else if child := j.inheritsChild(e); child != "" {
					out = addName(out, child)
				}
			}
			if p := j.prototypeOf(target); p != "" {
				out = addName(out, p)
			}
		}
	}
	return out
}

func addName(m map[string]bool, name string) map[string]bool {
	if m == nil {
		m = map[string]bool{}
	}
	m[name] = true
	return m
}

// prototypeOf returns X when n is `X.prototype` (X an identifier).
func (j *jsBuilder) prototypeOf(n *sitter.Node) string {
	if n == nil || n.Type() != "member_expression" {
		return ""
	}
	obj, prop := field(n, "object"), field(n, "property")
	if obj == nil || prop == nil || obj.Type() != "identifier" || j.text(prop) != "prototype" {
		return ""
	}
	return j.text(obj)
}

// objectAssignArgs returns the arguments of a call of Object.assign, or nil.
func (j *jsBuilder) objectAssignArgs(call *sitter.Node) []*sitter.Node {
	fn, args := field(call, "function"), field(call, "arguments")
	if fn == nil || args == nil || fn.Type() != "member_expression" || args.Type() != "arguments" {
		return nil
	}
	obj, prop := field(fn, "object"), field(fn, "property")
	if obj == nil || prop == nil || j.text(obj) != "Object" || j.text(prop) != "assign" {
		return nil
	}
	return named(args)
}

// es5Class builds the module-level function fn named name as the
// constructor of an ES5 class and returns the class.
func (j *jsBuilder) es5Class(fn *sitter.Node, name string, span, doc *sitter.Node) ExprID {
	v := j.functionWith(fn, fnInfo{name: name, method: true, span: span, doc: doc, head: span})
	fs := j.m.Exprs[v].Int
	// The class scope comes after its constructor's, so that the function
	// keeps the plain id (scope ids number later namesakes #2).
	cs := j.newJSScope(ScopeClass, name, span, fn)
	j.m.Scopes[cs].Docstring = j.m.Scopes[fs].Docstring
	j.m.Scopes[fs].Parent = cs
	saved := j.cur
	j.cur = cs
	j.defineName("constructor", v, jsLine(fn))
	j.cur = saved
	j.addES5(name, cs)
	return j.newExpr(Expr{Kind: ExprClass, Int: cs, Line: jsLine(fn)})
}

// addES5 records the class scope cs bound to module-level name.
func (j *jsBuilder) addES5(name string, cs ScopeID) {
	if j.es5 == nil {
		j.es5 = map[string]ScopeID{}
	}
	j.es5[name] = cs
}

// es5Member handles module-level `Foo.prototype.m = v`, `Foo.m = v`,
// `Foo.prototype = {...}` and `Object.assign(Foo.prototype, {...})` for
// an ES5 class Foo; it reports false for any other statement.
func (j *jsBuilder) es5Member(n *sitter.Node) bool {
	if len(j.es5) == 0 {
		return false
	}
	stmt := n
	if p := n.Parent(); p != nil && p.Type() == "expression_statement" {
		stmt = p
	}
	if n.Type() == "call_expression" && j.inherits(n) {
		return true
	}
	if n.Type() == "call_expression" {
		args := j.objectAssignArgs(n)
		if len(args) < 2 {
			return false
		}
		cs, ok := j.es5[j.prototypeOf(args[0])]
		if !ok {
			return false
		}
		for _, a := range args[1:] {
			if a.Type() == "object" {
				j.properties(a, j.cur, cs, false)
			} else {
				j.expr(a)
			}
		}
		return true
	}
	left, right := field(n, "left"), field(n, "right")
	if left == nil || right == nil || left.Type() != "member_expression" {
		return false
	}
	if cs, ok := j.es5[j.prototypeOf(left)]; ok {
		if right.Type() == "call_expression" {
			// Foo.prototype = Object.create(Bar.prototype): Bar is a base.
			if fn, args := field(right, "function"), field(right, "arguments"); fn != nil && args != nil && j.text(fn) == "Object.create" {
				if a := named(args); len(a) > 0 {
					if base := j.prototypeOf(a[0]); base != "" {
						j.m.Scopes[cs].Bases = append(j.m.Scopes[cs].Bases, j.useName(base, jsLine(a[0])))
						return true
					}
				}
			}
		}
		if right.Type() != "object" {
			return false
		}
		j.properties(right, j.cur, cs, false)
		return true
	}
	obj, prop := field(left, "object"), field(left, "property")
	if obj == nil || prop == nil || prop.Type() != "property_identifier" {
		return false
	}
	static := obj.Type() == "identifier"
	cs, ok := j.es5[j.text(obj)]
	if !static {
		cs, ok = j.es5[j.prototypeOf(obj)]
	}
	if !ok {
		return false
	}
	name := j.text(prop)
	if name == "constructor" {
		j.expr(right) // Foo.prototype.constructor = Foo: the class already is
		return true
	}
	saved := j.cur
	var v ExprID
	if isFunctionNode(right) {
		j.cur = cs
		v = j.functionWith(right, fnInfo{name: name, method: true, static: static, span: stmt, doc: stmt, head: stmt})
	} else {
		v = j.expr(right)
	}
	j.cur = cs
	def := j.defineName(name, v, jsLine(prop))
	if isFunctionNode(right) {
		j.m.Scopes[j.m.Exprs[v].Int].DefOf = def
	}
	j.cur = saved
	return true
}

// inherits handles `util.inherits(Foo, Bar)` (or a bare `inherits`, as
// the inherits package exports it) for an ES5 class Foo: Bar is its base.
// The call itself is still built, for its callee's sake.
func (j *jsBuilder) inherits(call *sitter.Node) bool {
	cs, ok := j.es5[j.inheritsChild(call)]
	if !ok {
		return false
	}
	a := named(field(call, "arguments"))
	j.m.Scopes[cs].Bases = append(j.m.Scopes[cs].Bases, j.expr(a[1]))
	j.expr(call)
	return true
}

// inheritsChild returns Foo when call is `util.inherits(Foo, Bar)` or
// `inherits(Foo, Bar)`, else "".
func (j *jsBuilder) inheritsChild(call *sitter.Node) string {
	fn, args := field(call, "function"), field(call, "arguments")
	if fn == nil || args == nil || args.Type() != "arguments" {
		return ""
	}
	if name := j.text(fn); name != "inherits" && !strings.HasSuffix(name, ".inherits") {
		return ""
	}
	a := named(args)
	if len(a) != 2 || a[0].Type() != "identifier" {
		return ""
	}
	return j.text(a[0])
}
