// definitions.go holds the builder for def and class statements, decorators and parameters.

package extract

import (
	"bytes"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

func (b *builder) decorated(i int32) {
	var decs []int32
	def := int32(-1)
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		switch b.kind(c) {
		case pyast.KindDecorator:
			decs = append(decs, c)
		case pyast.KindFunctionDefinition, pyast.KindClassDefinition:
			def = c
		}
	}
	if def < 0 {
		for _, d := range decs {
			b.decoratorExpr(d)
		}
		return
	}
	if b.kind(def) == pyast.KindFunctionDefinition {
		b.functionDef(def, i, decs)
	} else {
		b.classDef(def, i, decs)
	}
}

func (b *builder) decoratorExpr(d int32) ExprID {
	c := b.t.FirstChild(d)
	if c < 0 {
		return NoExpr
	}
	return b.expr(c)
}

func (b *builder) decoratorTexts(decs []int32) []string {
	if len(decs) == 0 {
		return nil
	}
	out := make([]string, 0, len(decs))
	for _, d := range decs {
		txt := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(b.t.Text(d)), "@"))
		out = append(out, txt)
	}
	return out
}

// applyDecorators wraps v in the calls that decorators make, innermost first.
func (b *builder) applyDecorators(v ExprID, decExprs []ExprID, decs []int32) ExprID {
	for k := len(decExprs) - 1; k >= 0; k-- {
		if decExprs[k] == NoExpr {
			continue
		}
		v = b.newExpr(Expr{Kind: ExprCall, X: decExprs[k], Args: b.spanOf(v), Flag: true, Line: b.line(decs[k])})
	}
	return v
}

func (b *builder) functionDef(i, span int32, decs []int32) {
	nameNode := b.t.ChildByField(i, pyast.FieldName)
	if nameNode < 0 {
		return
	}
	name := b.ident(nameNode)
	decExprs := make([]ExprID, len(decs))
	for k, d := range decs {
		decExprs[k] = b.decoratorExpr(d)
	}
	params := b.t.ChildByField(i, pyast.FieldParameters)
	defaults := b.paramDefaults(params)
	body := b.t.ChildByField(i, pyast.FieldBody)

	fs := b.newScope(ScopeFunction, name, span, i)
	s := &b.m.Scopes[fs]
	s.Decorators = b.decoratorTexts(decs)
	for _, d := range s.Decorators {
		switch decoratorName(d) {
		case "staticmethod":
			s.IsStatic = true
		case "classmethod":
			s.IsClassMethod = true
		case "property", "cached_property":
			s.IsProperty = true
		}
	}
	s.IsAsync = bytes.HasPrefix(b.t.TextBytes(i), []byte("async"))
	if body >= 0 {
		s.Signature = signature(b.t.Src[b.node(i).Start:b.node(body).Start])
		s.Docstring = b.docstring(body)
	} else {
		s.Signature = signature(b.t.TextBytes(i))
	}

	saved := b.cur
	b.cur = fs
	b.params(params, defaults)
	b.m.Scopes[fs].Trivial = body < 0 || b.trivialBody(body, b.m.Scopes[fs].Params)
	if body >= 0 {
		b.block(body)
	}
	b.cur = saved

	v := b.newExpr(Expr{Kind: ExprFunc, Int: fs, Line: b.line(i)})
	v = b.applyDecorators(v, decExprs, decs)
	def := b.define(name, DefValue, v, 0, b.line(nameNode))
	b.m.Scopes[fs].DefOf = def
}

func decoratorName(d string) string {
	if k := strings.IndexByte(d, '('); k >= 0 {
		d = d[:k]
	}
	return lastDotted(strings.TrimSpace(d))
}

// paramDefaults evaluates default values in the defining scope, in order.
func (b *builder) paramDefaults(params int32) map[int32]ExprID {
	if params < 0 {
		return nil
	}
	var out map[int32]ExprID
	for c := b.t.FirstChild(params); c >= 0; c = b.t.NextSibling(params, c) {
		switch b.kind(c) {
		case pyast.KindDefaultParameter, pyast.KindTypedDefaultParameter:
			if v := b.t.ChildByField(c, pyast.FieldValue); v >= 0 {
				if out == nil {
					out = map[int32]ExprID{}
				}
				out[c] = b.expr(v)
			}
		}
	}
	return out
}

// params defines the parameters in the current (function or lambda) scope.
func (b *builder) params(params int32, defaults map[int32]ExprID) {
	if params < 0 {
		return
	}
	kwOnly := false
	for c := b.t.FirstChild(params); c >= 0; c = b.t.NextSibling(params, c) {
		p := Param{Kind: ParamPositional, Default: NoExpr}
		if kwOnly {
			p.Kind = ParamKeywordOnly
		}
		n := c
		switch b.kind(c) {
		case pyast.KindIdentifier:
		case pyast.KindDefaultParameter, pyast.KindTypedDefaultParameter:
			n = b.t.ChildByField(c, pyast.FieldName)
			if d, ok := defaults[c]; ok {
				p.Default = d
			}
		case pyast.KindTypedParameter:
			n = b.t.FirstChild(c)
			if n >= 0 {
				switch b.kind(n) {
				case pyast.KindListSplatPattern:
					p.Kind = ParamVarArgs
					kwOnly = true
					n = b.t.FirstChild(n)
				case pyast.KindDictionarySplatPattern:
					p.Kind = ParamKwArgs
					n = b.t.FirstChild(n)
				}
			}
		case pyast.KindListSplatPattern:
			p.Kind = ParamVarArgs
			kwOnly = true
			n = b.t.FirstChild(c)
		case pyast.KindDictionarySplatPattern:
			p.Kind = ParamKwArgs
			n = b.t.FirstChild(c)
		case pyast.KindKeywordSeparator:
			kwOnly = true
			continue
		default:
			continue
		}
		if n < 0 || b.kind(n) != pyast.KindIdentifier {
			continue
		}
		p.Name = b.ident(n)
		s := b.scope()
		idx := int32(len(s.Params))
		s.Params = append(s.Params, p)
		def := b.define(p.Name, DefParam, NoExpr, idx, b.line(n))
		b.m.Scopes[b.cur].Params[idx].Def = def
	}
}

func (b *builder) classDef(i, span int32, decs []int32) {
	nameNode := b.t.ChildByField(i, pyast.FieldName)
	if nameNode < 0 {
		return
	}
	name := b.ident(nameNode)
	decExprs := make([]ExprID, len(decs))
	for k, d := range decs {
		decExprs[k] = b.decoratorExpr(d)
	}
	var bases []ExprID
	if sup := b.t.ChildByField(i, pyast.FieldSuperclasses); sup >= 0 {
		for c := b.t.FirstChild(sup); c >= 0; c = b.t.NextSibling(sup, c) {
			switch b.kind(c) {
			case pyast.KindKeywordArgument, pyast.KindListSplat, pyast.KindDictionarySplat:
				b.expr(c)
			default:
				if v := b.expr(c); v != NoExpr {
					bases = append(bases, v)
				}
			}
		}
	}
	body := b.t.ChildByField(i, pyast.FieldBody)
	cs := b.newScope(ScopeClass, name, span, i)
	s := &b.m.Scopes[cs]
	s.Bases = bases
	s.Decorators = b.decoratorTexts(decs)
	if body >= 0 {
		s.Signature = signature(b.t.Src[b.node(i).Start:b.node(body).Start])
		s.Docstring = b.docstring(body)
	}
	saved := b.cur
	b.cur = cs
	if body >= 0 {
		b.block(body)
	}
	b.cur = saved
	v := b.newExpr(Expr{Kind: ExprClass, Int: cs, Line: b.line(i)})
	v = b.applyDecorators(v, decExprs, decs)
	def := b.define(name, DefValue, v, 0, b.line(nameNode))
	b.m.Scopes[cs].DefOf = def
}
