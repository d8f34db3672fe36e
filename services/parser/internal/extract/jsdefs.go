// jsdefs.go holds the JavaScript/TypeScript builder for functions,
// classes and object literals, and the naming rules: declarations keep
// their name, arrows and function expressions bound to a module-level name
// take it, so do the methods of an object literal so bound (`obj.method`);
// every other function expression is an unnamed callback whose calls
// belong to the nearest named enclosing scope (Scope.Inline).

package extract

import (
	"strconv"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// fnInfo says how a function is bound.
type fnInfo struct {
	name   string // "" for an unnamed callback
	method bool   // a class or object method: `this` is its first parameter
	static bool   // a static method or an object's method: `this` is the class or object
	getter bool
	span   *sitter.Node // the code of the function (the statement that binds it)
	doc    *sitter.Node // the node a JSDoc comment precedes
	head   *sitter.Node // where the signature starts
	decs   []string
}

func isFunctionNode(n *sitter.Node) bool {
	switch n.Type() {
	case "arrow_function", "function_expression", "function", "generator_function":
		return true
	}
	return false
}

// typeWrapped returns the expression inside TypeScript's type-only
// wrappers (`x as T`, `x satisfies T`, `x!`, `<T>x`) and parentheses: they
// do not change the value (`const f: F = function f() {} as any`).
func typeWrapped(n *sitter.Node) *sitter.Node {
	for {
		switch n.Type() {
		case "as_expression", "satisfies_expression", "non_null_expression", "parenthesized_expression":
			if inner := named(n); len(inner) >= 1 && (n.Type() != "parenthesized_expression" || len(inner) == 1) {
				n = inner[0]
				continue
			}
		case "type_assertion":
			if inner := named(n); len(inner) == 2 {
				n = inner[1]
				continue
			}
		}
		return n
	}
}

// namedValue builds value bound to a module-level name: functions,
// classes and object literals take the name.
func (j *jsBuilder) namedValue(value *sitter.Node, name string, span, doc *sitter.Node) ExprID {
	value = typeWrapped(value)
	switch {
	case isFunctionNode(value):
		return j.function(value, name, span, doc, false)
	case value.Type() == "class":
		if nm := field(value, "name"); nm != nil && name == "default" {
			name = j.text(nm)
		}
		return j.class(value, name, span)
	case value.Type() == "object":
		return j.object(value, name, span)
	}
	return j.expr(value)
}

// function builds a function value; name "" makes it an unnamed callback.
func (j *jsBuilder) function(n *sitter.Node, name string, span, doc *sitter.Node, method bool) ExprID {
	return j.functionWith(n, fnInfo{name: name, method: method, span: span, doc: doc, head: span})
}

func (j *jsBuilder) functionWith(n *sitter.Node, fi fnInfo) ExprID {
	kind := ScopeFunction
	name := fi.name
	if name == "" {
		kind = ScopeLambda
		ps := j.scope()
		ps.LambdaCount++
		name = "<lambda" + strconv.Itoa(ps.LambdaCount) + ">"
	}
	body := field(n, "body")
	fs := j.newJSScope(kind, name, fi.span, n)
	s := &j.m.Scopes[fs]
	s.Inline = fi.name == ""
	s.IsAsync = hasToken(n, "async")
	s.IsGenerator = hasToken(n, "*")
	s.IsClassMethod = fi.method && fi.static
	s.IsProperty = fi.getter
	s.Decorators = fi.decs
	if fi.name != "" {
		s.Signature = j.signature(fi.head, body)
		s.Docstring = j.jsdoc(fi.doc)
	}
	saved := j.cur
	j.cur = fs
	if fi.method {
		p := Param{Name: "this", Kind: ParamPositional, Default: NoExpr}
		j.m.Scopes[fs].Params = append(j.m.Scopes[fs].Params, p)
		j.m.Scopes[fs].Params[0].Def = j.define(j.intern([]byte("this")).s, DefParam, NoExpr, 0, jsLine(n))
	}
	if p := field(n, "parameter"); p != nil {
		j.param(p)
	}
	if ps := field(n, "parameters"); ps != nil {
		for _, p := range named(ps) {
			j.param(p)
		}
	}
	j.m.Scopes[fs].Trivial = j.trivialBody(body, j.m.Scopes[fs].Params)
	if body != nil {
		if body.Type() == "statement_block" {
			j.block(body)
		} else if v := j.expr(body); v != NoExpr {
			sc := j.scope()
			sc.Returns = append(sc.Returns, v)
		}
	}
	j.cur = saved
	return j.newExpr(Expr{Kind: ExprFunc, Int: fs, Line: jsLine(n)})
}

// param defines one formal parameter.
func (j *jsBuilder) param(p *sitter.Node) {
	var dflt *sitter.Node
	pat := p
	switch p.Type() {
	case "required_parameter", "optional_parameter":
		pat, dflt = field(p, "pattern"), field(p, "value")
	case "assignment_pattern":
		pat, dflt = field(p, "left"), field(p, "right")
	}
	if pat == nil || isTypeNode(pat) || pat.Type() == "comment" || pat.Type() == "decorator" {
		return
	}
	kind := ParamPositional
	if pat.Type() == "rest_pattern" {
		kind = ParamVarArgs
		pat = lastNamed(pat)
		if pat == nil {
			return
		}
	}
	if pat.Type() == "this" {
		return // a TypeScript `this` parameter only types this
	}
	pr := Param{Kind: kind, Default: NoExpr}
	if dflt != nil {
		pr.Default = j.expr(dflt)
	}
	if t := j.declaredClass(field(p, "type"), jsLine(p)); t != NoExpr && kind == ParamPositional {
		pr.Default = j.union(jsLine(p), pr.Default, t)
	}
	if pat.Type() != "identifier" {
		pr.Name = "<pattern>"
	} else {
		pr.Name = j.intern([]byte(j.text(pat))).s
	}
	s := j.scope()
	idx := int32(len(s.Params))
	s.Params = append(s.Params, pr)
	if pat.Type() != "identifier" {
		j.bindPattern(pat, NoExpr)
		return
	}
	def := j.define(pr.Name, DefParam, NoExpr, idx, jsLine(pat))
	j.m.Scopes[j.cur].Params[idx].Def = def
	if kind == ParamPositional {
		j.declareDefType(def, field(p, "type"))
	}
	if hasNamed(p, "accessibility_modifier") || hasToken(p, "readonly") || hasNamed(p, "override_modifier") {
		// A parameter property (`constructor(private svc: Service)`, often
		// filled by dependency injection) is this.svc of its declared
		// class, as tsc resolves it; the values callers pass are left out.
		line := jsLine(pat)
		if t := j.declaredClass(field(p, "type"), line); t != NoExpr {
			j.m.Stores = append(j.m.Stores, Store{Target: j.attr(j.useName("this", line), pr.Name, line), Value: t})
		}
	}
}

// functionDecl builds a function declaration; stmt is the statement to
// show as its code (an export wraps it).
func (j *jsBuilder) functionDecl(n, stmt *sitter.Node) ExprID {
	nm := field(n, "name")
	if nm == nil {
		return j.function(n, "default", stmt, stmt, false)
	}
	name := j.text(nm)
	if j.cur == 0 && j.es5Names[name] {
		v := j.es5Class(n, name, stmt, stmt)
		j.m.Scopes[j.m.Exprs[v].Int].DefOf = j.defineName(name, v, jsLine(nm))
		return v
	}
	v := j.function(n, name, stmt, stmt, false)
	def := j.defineName(name, v, jsLine(nm))
	j.m.Scopes[j.m.Exprs[v].Int].DefOf = def
	return v
}

// classDecl builds a class declaration.
func (j *jsBuilder) classDecl(n, stmt *sitter.Node) ExprID {
	name := "default"
	nm := field(n, "name")
	if nm != nil {
		name = j.text(nm)
	}
	v := j.class(n, name, stmt)
	if nm != nil {
		cs := j.m.Exprs[v].Int
		j.m.Scopes[cs].DefOf = j.defineName(name, v, jsLine(nm))
		if j.cur == 0 {
			// Later `C.prototype.m = function` and `C.s = function`
			// statements add to it (jses5.go).
			j.addES5(name, cs)
		}
	}
	return v
}

// class builds a class (declaration or expression) named name.
func (j *jsBuilder) class(n *sitter.Node, name string, span *sitter.Node) ExprID {
	var bases []ExprID
	var decs []string
	for _, c := range named(n) {
		switch c.Type() {
		case "class_heritage":
			for _, h := range named(c) {
				switch h.Type() {
				case "extends_clause":
					if v := j.expr(field(h, "value")); v != NoExpr {
						bases = append(bases, v)
					}
				case "implements_clause":
				default:
					if v := j.expr(h); v != NoExpr {
						bases = append(bases, v)
					}
				}
			}
		case "decorator":
			decs = append(decs, j.decorator(c))
		}
	}
	cs := j.newJSScope(ScopeClass, name, span, n)
	s := &j.m.Scopes[cs]
	s.Bases = bases
	s.Decorators = decs
	s.Docstring = j.jsdoc(span)
	if body := field(n, "body"); body != nil {
		s.Signature = j.signature(n, body)
		saved := j.cur
		j.cur = cs
		j.classBody(body)
		j.cur = saved
	}
	return j.newExpr(Expr{Kind: ExprClass, Int: cs, Line: jsLine(n)})
}

func (j *jsBuilder) classBody(body *sitter.Node) {
	var decs []string
	for _, c := range named(body) {
		switch c.Type() {
		case "decorator":
			decs = append(decs, j.decorator(c))
			continue
		case "method_definition":
			j.method(c, decs, false, true)
		case "field_definition", "public_field_definition":
			nm := field(c, "property")
			if nm == nil {
				nm = field(c, "name")
			}
			value := field(c, "value")
			if nm != nil && value == nil {
				// `sub: Subscriber<T>;`: instances of the declared class.
				if t := j.declaredClass(field(c, "type"), jsLine(c)); t != NoExpr {
					if name := j.propName(nm); name != "" {
						j.defineName(name, t, jsLine(nm))
					}
				}
			}
			if nm != nil && !hasToken(c, "static") {
				if name := j.propName(nm); name != "" {
					j.declareFieldType(j.cur, name, field(c, "type"))
				}
			}
			if nm == nil || value == nil {
				break
			}
			name := j.propName(nm)
			if name == "" {
				j.expr(nm)
			}
			var v ExprID
			if isFunctionNode(value) {
				v = j.functionWith(value, fnInfo{name: name, method: true, static: hasToken(c, "static"),
					span: c, doc: c, head: c, decs: decs})
			} else {
				v = j.expr(value)
			}
			if name != "" {
				j.declareDefType(j.defineName(name, v, jsLine(nm)), field(c, "type"))
			}
		case "class_static_block":
			if b := field(c, "body"); b != nil {
				j.block(b)
			}
		}
		decs = nil
	}
}

// method builds a method of a class or of an object literal bound to a
// name (object), or a plain function when isMethod is false.
func (j *jsBuilder) method(c *sitter.Node, decs []string, object, isMethod bool) {
	nm := field(c, "name")
	if nm == nil || field(c, "body") == nil {
		return
	}
	name := j.propName(nm)
	if name == "" {
		// `[key]() {}`: no static name, an unnamed callback.
		j.expr(nm)
		j.function(c, "", c, c, false)
		return
	}
	v := j.functionWith(c, fnInfo{name: name, method: isMethod, static: object || hasToken(c, "static"),
		getter: hasToken(c, "get"), span: c, doc: c, head: c, decs: decs})
	def := j.defineName(name, v, jsLine(nm))
	j.m.Scopes[j.m.Exprs[v].Int].DefOf = def
}

// propName is the name of a property key; a computed key is named only
// when it is a string (`['x']`) or a well-known symbol (`[Symbol.iterator]`
// is `@@iterator`, the specification's notation), else it is "".
func (j *jsBuilder) propName(n *sitter.Node) string {
	if s, ok := j.stringValue(n); ok {
		return s
	}
	if n.Type() != "computed_property_name" {
		return j.text(n)
	}
	k := lastNamed(n)
	if k == nil {
		return ""
	}
	if s, ok := j.stringValue(k); ok {
		return s
	}
	if k.Type() == "member_expression" {
		if obj, prop := field(k, "object"), field(k, "property"); obj != nil && prop != nil && j.text(obj) == "Symbol" {
			return "@@" + j.text(prop)
		}
	}
	return ""
}

func (j *jsBuilder) decorator(d *sitter.Node) string {
	for _, c := range named(d) {
		j.expr(c) // a decorator factory is called
	}
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(j.text(d)), "@"))
}

// object builds an object literal. Bound to a name, it is a class-like
// scope (Scope.IsObject) whose function-valued properties are its
// methods; unnamed, its values are evaluated for their calls.
func (j *jsBuilder) object(n *sitter.Node, name string, span *sitter.Node) ExprID {
	line := jsLine(n)
	if name == "" {
		m := j.mark()
		for _, c := range named(n) {
			var v ExprID
			switch c.Type() {
			case "pair":
				j.expr(computedKey(c))
				v = j.expr(field(c, "value"))
			case "method_definition":
				v = j.function(c, "", c, c, false)
			default:
				v = j.expr(c)
			}
			if v != NoExpr {
				j.push(v)
			}
		}
		return j.newExpr(Expr{Kind: ExprOpaque, Args: j.span(m), Line: line})
	}
	parent := j.cur
	os := j.newJSScope(ScopeClass, name, span, n)
	j.m.Scopes[os].IsObject = true
	j.properties(n, parent, os, true)
	return j.newExpr(Expr{Kind: ExprClass, Int: os, Line: line})
}

// properties binds the properties of object literal n in scope into; the
// values are evaluated in scope parent. Its functions are methods when into
// is not the module: of an object (static, `this` is the object) or of a
// prototype (instance, `this` an instance of the class into).
func (j *jsBuilder) properties(n *sitter.Node, parent, into ScopeID, static bool) {
	saved := j.cur
	defer func() { j.cur = saved }()
	for _, c := range named(n) {
		switch c.Type() {
		case "method_definition":
			// Under module.exports = {...} (into is the module) a method is
			// a plain exported function.
			j.cur = into
			j.method(c, nil, into != 0 && static, into != 0)
		case "pair":
			key, value := field(c, "key"), field(c, "value")
			if key == nil || value == nil {
				continue
			}
			value = typeWrapped(value)
			name := j.propName(key)
			j.cur = into
			var v ExprID
			switch {
			case key.Type() == "computed_property_name":
				j.cur = parent
				j.expr(key)
				v = j.expr(value)
			case isFunctionNode(value):
				v = j.functionWith(value, fnInfo{name: name, method: into != 0, static: static, span: c, doc: c, head: c})
			case value.Type() == "object":
				v = j.object(value, name, c)
			default:
				j.cur = parent
				v = j.expr(value)
			}
			if key.Type() != "computed_property_name" {
				j.cur = into
				j.defineName(name, v, jsLine(key))
			}
		case "shorthand_property_identifier":
			j.cur = parent
			v := j.expr(c)
			j.cur = into
			j.defineName(j.text(c), v, jsLine(c))
		default:
			j.cur = parent
			j.expr(c)
		}
	}
}

func computedKey(pair *sitter.Node) *sitter.Node {
	if k := field(pair, "key"); k != nil && k.Type() == "computed_property_name" {
		return k
	}
	return nil
}

// declaredClass is an instance of the class a parameter's type annotation
// names (`s: Subscriber<T>`, `r: http.IncomingMessage`), so that its
// method calls resolve where no caller passes a value; NoExpr for other
// types (unions, literals, arrays, functions).
func (j *jsBuilder) declaredClass(annotation *sitter.Node, line int32) ExprID {
	if annotation == nil || annotation.Type() != "type_annotation" {
		return NoExpr
	}
	t := lastNamed(annotation)
	if t != nil && t.Type() == "generic_type" {
		t = field(t, "name")
	}
	if t == nil {
		return NoExpr
	}
	var x ExprID
	switch t.Type() {
	case "type_identifier":
		x = j.useName(j.text(t), line)
	case "nested_type_identifier":
		// ns.Type: the module's (or namespace's) attribute.
		mod, name := field(t, "module"), field(t, "name")
		if mod == nil || name == nil || mod.Type() != "identifier" {
			return NoExpr
		}
		x = j.attr(j.useName(j.text(mod), line), j.text(name), line)
	default:
		return NoExpr
	}
	return j.newExpr(Expr{Kind: ExprInstance, X: x, Line: line})
}
