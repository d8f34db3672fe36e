// statements.go holds the builder for statements: assignments, control flow and __all__.

package extract

import (
	"github.com/query4code/query4code/services/parser/internal/pyast"
)

func (b *builder) block(i int32) {
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		b.stmt(c)
	}
}

func (b *builder) stmt(i int32) {
	if !b.enter() {
		b.leave()
		return
	}
	defer b.leave()
	switch b.kind(i) {
	case pyast.KindExpressionStatement:
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			b.exprStmt(c)
		}
	case pyast.KindReturnStatement:
		var vals []ExprID
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			v := b.expr(c)
			if v == NoExpr {
				v = b.newExpr(Expr{Kind: ExprOpaque, Line: b.line(c)})
			}
			vals = append(vals, v)
		}
		if v := b.tupleOf(vals, b.line(i)); v != NoExpr {
			s := b.scope()
			s.Returns = append(s.Returns, v)
		}
		b.emit(evExit, 0)
	case pyast.KindRaiseStatement:
		first := true
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			v := b.expr(c)
			if first && b.node(c).Field != pyast.FieldCause && v != NoExpr {
				b.newExpr(Expr{Kind: ExprRaise, X: v, Line: b.line(c)})
			}
			first = false
		}
		b.emit(evExit, 0)
	case pyast.KindBreakStatement:
		b.emit(evBreak, 0)
	case pyast.KindContinueStatement:
		b.emit(evContinue, 0)
	case pyast.KindPassStatement:
	case pyast.KindIfStatement:
		b.ifStmt(i)
	case pyast.KindForStatement:
		b.forStmt(i)
	case pyast.KindWhileStatement:
		b.whileStmt(i)
	case pyast.KindTryStatement:
		b.tryStmt(i)
	case pyast.KindWithStatement:
		b.withStmt(i)
	case pyast.KindFunctionDefinition:
		b.functionDef(i, i, nil)
	case pyast.KindClassDefinition:
		b.classDef(i, i, nil)
	case pyast.KindDecoratedDefinition:
		b.decorated(i)
	case pyast.KindImportStatement:
		b.importStmt(i)
	case pyast.KindImportFromStatement:
		b.importFrom(i)
	case pyast.KindFutureImportStatement, pyast.KindTypeAliasStatement:
	case pyast.KindGlobalStatement, pyast.KindNonlocalStatement:
		s := b.scope()
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			if b.kind(c) != pyast.KindIdentifier || b.cur == 0 {
				continue
			}
			name := b.ident(c)
			if b.kind(i) == pyast.KindGlobalStatement {
				if s.Globals == nil {
					s.Globals = map[string]bool{}
				}
				s.Globals[name] = true
			} else {
				if s.Nonlocals == nil {
					s.Nonlocals = map[string]bool{}
				}
				s.Nonlocals[name] = true
			}
		}
	case pyast.KindMatchStatement:
		b.matchStmt(i)
	case pyast.KindBlock, pyast.KindModule:
		b.block(i)
	default:
		// Other statements (assert, delete, print, exec) and error recovery
		// nodes: statements inside are walked as statements, anything else
		// as expressions for the calls they make.
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			if isStatement(b.kind(c)) {
				b.stmt(c)
			} else {
				b.exprStmt(c)
			}
		}
	}
}

func isStatement(k pyast.Kind) bool {
	switch k {
	case pyast.KindExpressionStatement, pyast.KindReturnStatement, pyast.KindDeleteStatement,
		pyast.KindRaiseStatement, pyast.KindPassStatement, pyast.KindBreakStatement,
		pyast.KindContinueStatement, pyast.KindIfStatement, pyast.KindForStatement,
		pyast.KindWhileStatement, pyast.KindTryStatement, pyast.KindWithStatement,
		pyast.KindFunctionDefinition, pyast.KindClassDefinition, pyast.KindDecoratedDefinition,
		pyast.KindImportStatement, pyast.KindImportFromStatement, pyast.KindFutureImportStatement,
		pyast.KindGlobalStatement, pyast.KindNonlocalStatement, pyast.KindMatchStatement,
		pyast.KindBlock, pyast.KindAssertStatement, pyast.KindPrintStatement,
		pyast.KindExecStatement, pyast.KindTypeAliasStatement:
		return true
	}
	return false
}

// exprStmt handles an expression in statement position, where assignments live.
func (b *builder) exprStmt(i int32) {
	switch b.kind(i) {
	case pyast.KindAssignment:
		b.assignment(i)
	case pyast.KindAugmentedAssignment:
		b.augAssignment(i)
	case pyast.KindString, pyast.KindConcatenatedString:
		// A string statement (a docstring) has no effect: only the
		// interpolations of an f-string can call anything.
		if b.interpolated(i) {
			b.expr(i)
		}
	default:
		b.expr(i)
	}
}

// interpolated reports whether the string literal at i has interpolations.
func (b *builder) interpolated(i int32) bool {
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		switch b.kind(c) {
		case pyast.KindInterpolation:
			return true
		case pyast.KindString:
			if b.interpolated(c) {
				return true
			}
		}
	}
	return false
}

// assignment handles `targets = value` (chained assignments nest in the
// right field) and returns the assigned value.
func (b *builder) assignment(i int32) ExprID {
	left, right := b.t.ChildByField(i, pyast.FieldLeft), b.t.ChildByField(i, pyast.FieldRight)
	if right < 0 {
		return NoExpr // annotation only
	}
	var v ExprID
	if b.kind(right) == pyast.KindAssignment {
		v = b.assignment(right)
	} else if b.kind(right) == pyast.KindAugmentedAssignment {
		v = b.augAssignment(right)
	} else {
		v = b.expr(right)
	}
	if left >= 0 {
		b.assignTarget(left, v)
	}
	if b.cur == 0 && left >= 0 && b.kind(left) == pyast.KindIdentifier && string(b.t.TextBytes(left)) == "__all__" {
		b.dunderAll(right)
	}
	return v
}

func (b *builder) augAssignment(i int32) ExprID {
	left, right := b.t.ChildByField(i, pyast.FieldLeft), b.t.ChildByField(i, pyast.FieldRight)
	if left < 0 || right < 0 {
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			b.expr(c)
		}
		return NoExpr
	}
	old := b.expr(left)
	v := b.expr(right)
	u := b.newExpr(Expr{Kind: ExprUnion, Args: b.spanOf(nonEmpty(old, v)...), Line: b.line(i)})
	b.assignTarget(left, u)
	return u
}

func nonEmpty(ids ...ExprID) []ExprID {
	out := ids[:0]
	for _, id := range ids {
		if id != NoExpr {
			out = append(out, id)
		}
	}
	return out
}

// assignTarget binds target (a name, attribute, subscript or pattern) to v.
func (b *builder) assignTarget(t int32, v ExprID) {
	if !b.enter() {
		b.leave()
		return
	}
	defer b.leave()
	switch b.kind(t) {
	case pyast.KindIdentifier:
		b.define(b.ident(t), DefValue, v, 0, b.line(t))
	case pyast.KindAttribute, pyast.KindSubscript:
		target := b.expr(t)
		if target != NoExpr {
			b.m.Stores = append(b.m.Stores, Store{Target: target, Value: v})
		}
	case pyast.KindPatternList, pyast.KindTuplePattern, pyast.KindListPattern,
		pyast.KindTuple, pyast.KindList, pyast.KindExpressionList:
		elems := b.children(t)
		star := -1
		for k, e := range elems {
			if b.kind(e) == pyast.KindListSplatPattern || b.kind(e) == pyast.KindListSplat {
				star = k
			}
		}
		for k, e := range elems {
			var part ExprID
			switch {
			case k == star:
				part = b.newExpr(Expr{Kind: ExprUnpack, X: v, Int: int32(k), Flag: true, Int2: int32(len(elems) - k - 1), Line: b.line(e)})
				e = b.t.FirstChild(e)
				if e < 0 {
					continue
				}
			case star >= 0 && k > star:
				part = b.newExpr(Expr{Kind: ExprUnpack, X: v, Int: int32(k - len(elems)), Line: b.line(e)})
			default:
				part = b.newExpr(Expr{Kind: ExprUnpack, X: v, Int: int32(k), Line: b.line(e)})
			}
			if v == NoExpr {
				part = NoExpr
			}
			b.assignTarget(e, part)
		}
	case pyast.KindParenthesizedExpression:
		if c := b.t.FirstChild(t); c >= 0 {
			b.assignTarget(c, v)
		}
	case pyast.KindListSplatPattern, pyast.KindListSplat:
		if c := b.t.FirstChild(t); c >= 0 {
			b.assignTarget(c, v)
		}
	case pyast.KindOther:
		// as_pattern_target wraps the alias of with/except clauses.
		if c := b.t.FirstChild(t); c >= 0 {
			b.assignTarget(c, v)
		}
	default:
		b.expr(t)
	}
}

func (b *builder) dunderAll(v int32) {
	switch b.kind(v) {
	case pyast.KindList, pyast.KindTuple:
	default:
		return
	}
	names := []string{}
	for c := b.t.FirstChild(v); c >= 0; c = b.t.NextSibling(v, c) {
		s, ok := b.stringValue(c)
		if !ok {
			return
		}
		names = append(names, s)
	}
	b.m.DunderAll = append(b.m.DunderAll, names...)
	b.m.HasAll = true
}

func (b *builder) ifStmt(i int32) {
	b.expr(b.t.ChildByField(i, pyast.FieldCondition))
	b.emit(evBranchBegin, 0)
	exhaustive := int32(0)
	if c := b.t.ChildByField(i, pyast.FieldConsequence); c >= 0 {
		b.block(c)
	}
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		switch b.kind(c) {
		case pyast.KindElifClause:
			b.emit(evBranchAlt, 0)
			b.expr(b.t.ChildByField(c, pyast.FieldCondition))
			if body := b.t.ChildByField(c, pyast.FieldConsequence); body >= 0 {
				b.block(body)
			}
		case pyast.KindElseClause:
			b.emit(evBranchAlt, 0)
			if body := b.t.ChildByField(c, pyast.FieldBody); body >= 0 {
				b.block(body)
			}
			exhaustive = 1
		}
	}
	b.emit(evBranchEnd, exhaustive)
}

func (b *builder) forStmt(i int32) {
	left, right := b.t.ChildByField(i, pyast.FieldLeft), b.t.ChildByField(i, pyast.FieldRight)
	it := NoExpr
	if right >= 0 {
		src := b.expr(right)
		if src != NoExpr {
			it = b.newExpr(Expr{Kind: ExprIter, X: src, Line: b.line(right)})
		}
	}
	b.emit(evLoopBegin, 0)
	if left >= 0 {
		b.assignTarget(left, it)
	}
	if body := b.t.ChildByField(i, pyast.FieldBody); body >= 0 {
		b.block(body)
	}
	b.emit(evLoopEnd, 0)
	if alt := b.t.ChildByField(i, pyast.FieldAlternative); alt >= 0 {
		if body := b.t.ChildByField(alt, pyast.FieldBody); body >= 0 {
			b.block(body)
		}
	}
}

func (b *builder) whileStmt(i int32) {
	b.emit(evLoopBegin, 0)
	b.expr(b.t.ChildByField(i, pyast.FieldCondition))
	if body := b.t.ChildByField(i, pyast.FieldBody); body >= 0 {
		b.block(body)
	}
	b.emit(evLoopEnd, 0)
	if alt := b.t.ChildByField(i, pyast.FieldAlternative); alt >= 0 {
		if body := b.t.ChildByField(alt, pyast.FieldBody); body >= 0 {
			b.block(body)
		}
	}
}

func (b *builder) tryStmt(i int32) {
	b.emit(evBranchBegin, 1)
	if body := b.t.ChildByField(i, pyast.FieldBody); body >= 0 {
		b.block(body)
	}
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		if b.kind(c) == pyast.KindElseClause {
			if body := b.t.ChildByField(c, pyast.FieldBody); body >= 0 {
				b.block(body)
			}
		}
	}
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		k := b.kind(c)
		if k != pyast.KindExceptClause && k != pyast.KindExceptGroupClause {
			continue
		}
		b.emit(evBranchAlt, 0)
		for d := b.t.FirstChild(c); d >= 0; d = b.t.NextSibling(c, d) {
			switch b.kind(d) {
			case pyast.KindBlock:
				b.block(d)
			case pyast.KindAsPattern:
				var alias int32 = -1
				for e := b.t.FirstChild(d); e >= 0; e = b.t.NextSibling(d, e) {
					if b.node(e).Field == pyast.FieldAlias {
						alias = e
					} else {
						b.expr(e)
					}
				}
				if alias >= 0 {
					b.assignTarget(alias, NoExpr)
				}
			default:
				b.expr(d)
			}
		}
	}
	b.emit(evBranchEnd, 1)
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		if b.kind(c) == pyast.KindFinallyClause {
			for d := b.t.FirstChild(c); d >= 0; d = b.t.NextSibling(c, d) {
				b.stmt(d)
			}
		}
	}
}

func (b *builder) withStmt(i int32) {
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		switch b.kind(c) {
		case pyast.KindWithClause:
			for item := b.t.FirstChild(c); item >= 0; item = b.t.NextSibling(c, item) {
				b.withItem(item)
			}
		case pyast.KindBlock:
			b.block(c)
		}
	}
}

func (b *builder) withItem(item int32) {
	v := b.t.FirstChild(item)
	if b.kind(item) != pyast.KindWithItem {
		v = item
	}
	if v < 0 {
		return
	}
	if b.kind(v) == pyast.KindAsPattern {
		var alias int32 = -1
		val := NoExpr
		for e := b.t.FirstChild(v); e >= 0; e = b.t.NextSibling(v, e) {
			if b.node(e).Field == pyast.FieldAlias {
				alias = e
			} else if val == NoExpr {
				val = b.expr(e)
			}
		}
		entered := NoExpr
		if val != NoExpr {
			entered = b.newExpr(Expr{Kind: ExprEnter, X: val, Line: b.line(v)})
		}
		if alias >= 0 {
			b.assignTarget(alias, entered)
		}
		return
	}
	if val := b.expr(v); val != NoExpr {
		b.newExpr(Expr{Kind: ExprEnter, X: val, Line: b.line(v)})
	}
}

func (b *builder) matchStmt(i int32) {
	if s := b.t.ChildByField(i, pyast.FieldSubject); s >= 0 {
		b.expr(s)
	}
	b.emit(evBranchBegin, 0)
	first := true
	var visit func(n int32)
	visit = func(n int32) {
		for c := b.t.FirstChild(n); c >= 0; c = b.t.NextSibling(n, c) {
			switch b.kind(c) {
			case pyast.KindCaseClause:
				if !first {
					b.emit(evBranchAlt, 0)
				}
				first = false
				for d := b.t.FirstChild(c); d >= 0; d = b.t.NextSibling(c, d) {
					if b.kind(d) == pyast.KindBlock {
						b.block(d)
					} else {
						b.expr(d)
					}
				}
			case pyast.KindBlock, pyast.KindOther:
				visit(c)
			}
		}
	}
	visit(i)
	b.emit(evBranchEnd, 0)
}
