// expressions.go holds the builder for expressions: calls, subscripts, lambdas, comprehensions.

package extract

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

// tupleOf turns a list of values (return a, b) into one expression.
func (b *builder) tupleOf(vals []ExprID, line int32) ExprID {
	switch len(vals) {
	case 0:
		return NoExpr
	case 1:
		return vals[0]
	}
	return b.newExpr(Expr{Kind: ExprTuple, Args: b.spanOf(vals...), Line: line})
}

// expr builds the expression rooted at node i and returns its id; NoExpr
// for expressions without a value worth tracking (their calls are still built).
func (b *builder) expr(i int32) ExprID {
	if i < 0 {
		return NoExpr
	}
	if !b.enter() {
		b.leave()
		return NoExpr
	}
	defer b.leave()
	n := b.node(i)
	line := int32(n.StartRow) + 1
	switch n.Kind {
	case pyast.KindIdentifier:
		return b.use(i, line)
	case pyast.KindInteger:
		if v, err := strconv.ParseInt(strings.ReplaceAll(b.t.Text(i), "_", ""), 0, 32); err == nil {
			return b.newExpr(Expr{Kind: ExprInt, Int: int32(v), Line: line})
		}
		return NoExpr
	case pyast.KindString, pyast.KindConcatenatedString:
		if s, ok := b.stringValue(i); ok {
			return b.newExpr(Expr{Kind: ExprStr, Str: b.addString(s), Line: line})
		}
		return b.opaque(i, line)
	case pyast.KindTrue, pyast.KindFalse, pyast.KindNone, pyast.KindEllipsis, pyast.KindFloat,
		pyast.KindType, pyast.KindKeywordSeparator, pyast.KindPositionalSeparator:
		return NoExpr
	case pyast.KindAttribute:
		obj, attr := b.t.ChildByField(i, pyast.FieldObject), b.t.ChildByField(i, pyast.FieldAttribute)
		x := b.expr(obj)
		if attr < 0 || x == NoExpr {
			return NoExpr
		}
		return b.newExpr(Expr{Kind: ExprAttr, X: x, Str: b.identID(attr), Line: line})
	case pyast.KindCall:
		return b.call(i, line)
	case pyast.KindSubscript:
		return b.subscript(i, line)
	case pyast.KindList, pyast.KindTuple, pyast.KindSet, pyast.KindExpressionList, pyast.KindPatternList:
		kind := ExprList
		switch n.Kind {
		case pyast.KindTuple, pyast.KindExpressionList, pyast.KindPatternList:
			kind = ExprTuple
		case pyast.KindSet:
			kind = ExprSet
		}
		elems := b.mark()
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			v := b.expr(c)
			if v == NoExpr {
				// Keep positions: an untracked element still occupies its index.
				v = b.newExpr(Expr{Kind: ExprOpaque, Line: b.line(c)})
			}
			b.push(v)
		}
		return b.newExpr(Expr{Kind: kind, Args: b.span(elems), Line: line})
	case pyast.KindDictionary:
		items := b.mark()
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			switch b.kind(c) {
			case pyast.KindPair:
				k, v := b.expr(b.t.ChildByField(c, pyast.FieldKey)), b.expr(b.t.ChildByField(c, pyast.FieldValue))
				b.push(b.newExpr(Expr{Kind: ExprPair, X: k, Y: v, Line: b.line(c)}))
			default:
				if v := b.expr(c); v != NoExpr {
					b.push(v)
				}
			}
		}
		return b.newExpr(Expr{Kind: ExprDict, Args: b.span(items), Line: line})
	case pyast.KindListSplat, pyast.KindParenthesizedListSplat, pyast.KindListSplatPattern:
		x := b.expr(b.t.FirstChild(i))
		if x == NoExpr {
			return NoExpr
		}
		return b.newExpr(Expr{Kind: ExprStarred, X: x, Line: line})
	case pyast.KindDictionarySplat, pyast.KindDictionarySplatPattern:
		x := b.expr(b.t.FirstChild(i))
		if x == NoExpr {
			return NoExpr
		}
		return b.newExpr(Expr{Kind: ExprDoubleStarred, X: x, Line: line})
	case pyast.KindKeywordArgument:
		name, val := b.t.ChildByField(i, pyast.FieldName), b.t.ChildByField(i, pyast.FieldValue)
		v := b.expr(val)
		if name < 0 || v == NoExpr {
			return NoExpr
		}
		return b.newExpr(Expr{Kind: ExprKeyword, Str: b.identID(name), X: v, Line: line})
	case pyast.KindParenthesizedExpression:
		last := NoExpr
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			last = b.expr(c)
		}
		return last
	case pyast.KindAwait:
		return b.expr(b.t.FirstChild(i))
	case pyast.KindConditionalExpression:
		vals := b.mark()
		k := 0
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			// Children are: value if condition else value.
			if v := b.expr(c); k != 1 && v != NoExpr {
				b.push(v)
			}
			k++
		}
		return b.union(vals, line)
	case pyast.KindBooleanOperator:
		vals := b.mark()
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			if v := b.expr(c); v != NoExpr {
				b.push(v)
			}
		}
		return b.union(vals, line)
	case pyast.KindUnaryOperator:
		c := b.t.FirstChild(i)
		if c >= 0 && b.kind(c) == pyast.KindInteger && strings.HasPrefix(b.t.Text(i), "-") {
			if v, err := strconv.ParseInt(strings.ReplaceAll(b.t.Text(c), "_", ""), 0, 32); err == nil {
				return b.newExpr(Expr{Kind: ExprInt, Int: -int32(v), Line: line})
			}
		}
		return b.opaque(i, line)
	case pyast.KindLambda:
		return b.lambda(i, line)
	case pyast.KindListComprehension, pyast.KindSetComprehension, pyast.KindGeneratorExpression, pyast.KindDictionaryComprehension:
		return b.comprehension(i, line)
	case pyast.KindYield:
		return b.yield(i, line)
	case pyast.KindNamedExpression:
		name, val := b.t.ChildByField(i, pyast.FieldName), b.t.ChildByField(i, pyast.FieldValue)
		v := b.expr(val)
		if name >= 0 {
			b.define(b.ident(name), DefValue, v, 0, line)
		}
		return v
	case pyast.KindAssignment:
		// Only reachable through error recovery.
		b.assignment(i)
		return NoExpr
	default:
		if isStatement(n.Kind) {
			b.stmt(i)
			return NoExpr
		}
		return b.opaque(i, line)
	}
}

// union is any of the values pushed since mark.
func (b *builder) union(mark int, line int32) ExprID {
	switch vals := b.pushed(mark); len(vals) {
	case 0:
		return NoExpr
	case 1:
		v := vals[0]
		b.x.stack = b.x.stack[:mark]
		return v
	}
	return b.newExpr(Expr{Kind: ExprUnion, Args: b.span(mark), Line: line})
}

// opaque builds the children of i for their effects; the value is unknown.
func (b *builder) opaque(i int32, line int32) ExprID {
	sub := b.mark()
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		if isStatement(b.kind(c)) {
			b.stmt(c)
			continue
		}
		if v := b.expr(c); v != NoExpr {
			b.push(v)
		}
	}
	if len(b.pushed(sub)) == 0 {
		return NoExpr
	}
	return b.newExpr(Expr{Kind: ExprOpaque, Args: b.span(sub), Line: line})
}

func (b *builder) call(i int32, line int32) ExprID {
	fn := b.expr(b.t.ChildByField(i, pyast.FieldFunction))
	args := b.mark()
	if a := b.t.ChildByField(i, pyast.FieldArguments); a >= 0 {
		if b.kind(a) == pyast.KindArgumentList {
			for c := b.t.FirstChild(a); c >= 0; c = b.t.NextSibling(a, c) {
				v := b.expr(c)
				if v == NoExpr && b.kind(c) != pyast.KindKeywordArgument {
					v = b.newExpr(Expr{Kind: ExprOpaque, Line: b.line(c)})
				}
				if v != NoExpr {
					b.push(v)
				}
			}
		} else if v := b.expr(a); v != NoExpr {
			b.push(v)
		}
	}
	if fn == NoExpr {
		if len(b.pushed(args)) == 0 {
			return NoExpr
		}
		return b.newExpr(Expr{Kind: ExprOpaque, Args: b.span(args), Line: line})
	}
	return b.newExpr(Expr{Kind: ExprCall, X: fn, Args: b.span(args), Line: line})
}

func (b *builder) subscript(i int32, line int32) ExprID {
	x := b.expr(b.t.ChildByField(i, pyast.FieldValue))
	var keys []int32
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		if b.node(c).Field == pyast.FieldSubscript {
			keys = append(keys, c)
		}
	}
	if len(keys) == 1 && b.kind(keys[0]) == pyast.KindSlice {
		sl := keys[0]
		start := int32(0)
		unknown := false
		first := b.t.FirstChild(sl)
		// A slice's children are its bounds; a leading ':' means no start.
		if first >= 0 && b.node(first).Start == b.node(sl).Start {
			v := b.expr(first)
			if v != NoExpr && b.m.Exprs[v].Kind == ExprInt {
				start = b.m.Exprs[v].Int
			} else {
				unknown = true
			}
			for c := b.t.NextSibling(sl, first); c >= 0; c = b.t.NextSibling(sl, c) {
				b.expr(c)
			}
		} else {
			for c := first; c >= 0; c = b.t.NextSibling(sl, c) {
				b.expr(c)
			}
		}
		if x == NoExpr {
			return NoExpr
		}
		return b.newExpr(Expr{Kind: ExprSlice, X: x, Int: start, Flag: unknown, Line: line})
	}
	key := NoExpr
	for _, k := range keys {
		key = b.expr(k)
	}
	if len(keys) != 1 {
		key = NoExpr
	}
	if x == NoExpr {
		return NoExpr
	}
	return b.newExpr(Expr{Kind: ExprSubscript, X: x, Y: key, Line: line})
}

func (b *builder) lambda(i int32, line int32) ExprID {
	params := b.t.ChildByField(i, pyast.FieldParameters)
	defaults := b.paramDefaults(params)
	parent := b.scope()
	parent.LambdaCount++
	name := fmt.Sprintf("<lambda%d>", parent.LambdaCount)
	ls := b.newScope(ScopeLambda, name, i, i)
	s := &b.m.Scopes[ls]
	s.Signature = "lambda"
	if params >= 0 {
		s.Signature = "lambda " + strings.Join(strings.Fields(b.t.Text(params)), " ")
	}
	saved := b.cur
	b.cur = ls
	b.params(params, defaults)
	if body := b.t.ChildByField(i, pyast.FieldBody); body >= 0 {
		if v := b.expr(body); v != NoExpr {
			s := b.scope()
			s.Returns = append(s.Returns, v)
		}
	}
	b.cur = saved
	return b.newExpr(Expr{Kind: ExprFunc, Int: ls, Line: line})
}

func (b *builder) comprehension(i int32, line int32) ExprID {
	var body int32 = -1
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		switch b.kind(c) {
		case pyast.KindForInClause:
			left, right := b.t.ChildByField(c, pyast.FieldLeft), b.t.ChildByField(c, pyast.FieldRight)
			it := NoExpr
			if src := b.expr(right); src != NoExpr {
				it = b.newExpr(Expr{Kind: ExprIter, X: src, Line: b.line(c)})
			}
			if left >= 0 {
				b.assignTarget(left, it)
			}
		case pyast.KindIfClause:
			for d := b.t.FirstChild(c); d >= 0; d = b.t.NextSibling(c, d) {
				b.expr(d)
			}
		default:
			if body < 0 {
				body = c
			}
		}
	}
	elem := NoExpr
	if body >= 0 {
		if b.kind(body) == pyast.KindPair {
			k, v := b.expr(b.t.ChildByField(body, pyast.FieldKey)), b.expr(b.t.ChildByField(body, pyast.FieldValue))
			elem = b.newExpr(Expr{Kind: ExprPair, X: k, Y: v, Line: b.line(body)})
		} else {
			elem = b.expr(body)
		}
	}
	kind := ExprList
	switch b.kind(i) {
	case pyast.KindSetComprehension:
		kind = ExprSet
	case pyast.KindGeneratorExpression:
		kind = ExprIter
	case pyast.KindDictionaryComprehension:
		kind = ExprDict
	}
	return b.newExpr(Expr{Kind: ExprComp, X: elem, Int: int32(kind), Line: line})
}

func (b *builder) yield(i int32, line int32) ExprID {
	s := b.scope()
	if s.Kind == ScopeFunction || s.Kind == ScopeLambda {
		s.IsGenerator = true
	}
	isFrom := bytes.HasPrefix(bytes.TrimSpace(bytes.TrimPrefix(b.t.TextBytes(i), []byte("yield"))), []byte("from"))
	v := NoExpr
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		v = b.expr(c)
	}
	if v != NoExpr {
		if isFrom {
			v = b.newExpr(Expr{Kind: ExprIter, X: v, Line: line})
		}
		s := b.scope()
		s.Yields = append(s.Yields, v)
	}
	return NoExpr
}
