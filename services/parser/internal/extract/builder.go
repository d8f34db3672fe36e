package extract

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

// maxDepth bounds recursion over deeply nested syntax (generated code,
// fuzzed input); deeper subtrees are skipped rather than overflowing the stack.
const maxDepth = 400

// ErrTooDeep reports syntax nested beyond what the extractor follows; the
// parts that were reached are still returned.
var ErrTooDeep = errors.New("syntax nested too deeply")

// Extract builds the module IR of a parsed file.
func Extract(t *pyast.Tree) *Module { return new(Extractor).Extract(t) }

// Extractor builds module IRs and keeps its working memory from one file to
// the next: the expression, use and definition tables grow in reused
// buffers and are copied out at their exact size, and names are interned
// across files. Use one per goroutine.
type Extractor struct {
	exprs   []Expr
	uses    []Use
	defs    []Def
	args    []ExprID
	strings []string
	useDefs []DefID
	// stack collects argument and element lists while their members are
	// built: a nested list pushes above and pops before the outer resumes.
	stack []ExprID
	// names interns identifiers across files: the same few names recur in
	// every scope, and one string each saves an allocation per occurrence.
	// names maps a name to its entry in interned.
	names    map[string]int32
	interned []internedName
	module   uint32 // count of modules extracted, for internedName.module
	rp       replayer
	// events are the per-scope event lists of earlier scopes, emptied
	// after their replay, for new scopes to append to.
	events [][]event
}

// takeEvents returns an empty event list, reusing an earlier scope's.
func (x *Extractor) takeEvents() []event {
	if n := len(x.events); n > 0 {
		ev := x.events[n-1]
		x.events = x.events[:n-1]
		return ev
	}
	return nil
}

// Extract builds the module IR of a parsed file.
func (x *Extractor) Extract(t *pyast.Tree) *Module {
	if x.names == nil {
		x.names = make(map[string]int32, 256)
	}
	x.module++
	x.stack = x.stack[:0]
	b := &builder{t: t, x: x, rp: &x.rp, m: &Module{
		ParseError: t.HasError,
		Exprs:      x.exprs[:0],
		Uses:       x.uses[:0],
		Defs:       x.defs[:0],
		Args:       x.args[:0],
		Strings:    x.strings[:0],
		UseDefs:    x.useDefs[:0],
	}}
	b.lineStarts()
	// One scope per definition and lambda (at most): sized up front, the
	// table of large scope records is not regrown.
	nScopes := 1
	for k := range t.Nodes {
		switch t.Nodes[k].Kind {
		case pyast.KindFunctionDefinition, pyast.KindClassDefinition, pyast.KindLambda:
			nScopes++
		}
	}
	b.m.Scopes = make([]Scope, 0, nScopes)
	b.m.Scopes = append(b.m.Scopes, Scope{
		Kind: ScopeModule, Parent: -1, StartLine: 1, EndLine: b.m.Lines,
		EndByte: uint32(len(t.Src)), DefOf: -1,
		events: x.takeEvents(),
	})
	if len(t.Nodes) > 0 {
		b.m.Scopes[0].Docstring = b.docstring(0)
		b.block(0)
	}
	x.rp.startModule(len(b.m.Uses))
	for s := range b.m.Scopes {
		b.replay(ScopeID(s))
		x.events = append(x.events, b.m.Scopes[s].events[:0])
		b.m.Scopes[s].events = nil
	}
	b.indexLocals()
	b.resolveTargets()
	// The lists were built in the Extractor's buffers: the module gets
	// copies of the exact size.
	x.exprs, x.uses, x.defs, x.args, x.strings, x.useDefs = b.m.Exprs, b.m.Uses, b.m.Defs, b.m.Args, b.m.Strings, b.m.UseDefs
	b.m.Exprs = exact(x.exprs)
	b.m.Uses = exact(x.uses)
	b.m.Defs = exact(x.defs)
	b.m.Args = exact(x.args)
	b.m.Strings = exact(x.strings)
	b.m.UseDefs = exact(x.useDefs)
	clear(x.strings) // let the collector have what the module no longer holds
	return b.m
}

// exact copies s into a slice of its length.
func exact[T any](s []T) []T { return append(make([]T, 0, len(s)), s...) }

type builder struct {
	t     *pyast.Tree
	m     *Module
	cur   ScopeID
	depth int
	rp    *replayer
	x     *Extractor
}

// internedName is a name an Extractor has seen, with its index in the
// Strings of the module being extracted when module is that module's number.
type internedName struct {
	s      string
	module uint32
	id     StrID
}

// name returns the interning entry of the text of node i (a name).
func (b *builder) name(i int32) *internedName {
	raw := b.t.TextBytes(i)
	k, ok := b.x.names[string(raw)]
	if !ok {
		s := string(raw)
		k = int32(len(b.x.interned))
		b.x.interned = append(b.x.interned, internedName{s: s})
		b.x.names[s] = k
	}
	return &b.x.interned[k]
}

// ident returns the text of node i (a name), interned.
func (b *builder) ident(i int32) string { return b.name(i).s }

// identID returns the index in the module's Strings of the name at node i.
func (b *builder) identID(i int32) StrID { return b.nameID(b.name(i)) }

func (b *builder) nameID(n *internedName) StrID {
	if n.module != b.x.module {
		n.module, n.id = b.x.module, b.addString(n.s)
	}
	return n.id
}

// addString appends s to the module's Strings.
func (b *builder) addString(s string) StrID {
	b.m.Strings = append(b.m.Strings, s)
	return StrID(len(b.m.Strings) - 1)
}

// mark starts an argument or element list on the stack; push adds to it
// and span moves what was pushed since the mark into the module's Args.
func (b *builder) mark() int                { return len(b.x.stack) }
func (b *builder) push(v ExprID)            { b.x.stack = append(b.x.stack, v) }
func (b *builder) pushed(mark int) []ExprID { return b.x.stack[mark:] }
func (b *builder) span(mark int) Span {
	sp := b.spanOf(b.x.stack[mark:]...)
	b.x.stack = b.x.stack[:mark]
	return sp
}

// spanOf appends vals to the module's Args.
func (b *builder) spanOf(vals ...ExprID) Span { return appendSpan(&b.m.Args, vals) }

func (b *builder) lineStarts() {
	n := 1
	for _, c := range b.t.Src {
		if c == '\n' {
			n++
		}
	}
	if len(b.t.Src) > 0 && b.t.Src[len(b.t.Src)-1] == '\n' {
		n--
	}
	b.m.Lines = max(n, 1)
}

func (b *builder) node(i int32) *pyast.Node { return &b.t.Nodes[i] }
func (b *builder) kind(i int32) pyast.Kind  { return b.t.Nodes[i].Kind }
func (b *builder) line(i int32) int32       { return int32(b.t.Nodes[i].StartRow) + 1 }

func (b *builder) scope() *Scope { return &b.m.Scopes[b.cur] }

func (b *builder) emit(op eventOp, id int32) {
	s := &b.m.Scopes[b.cur]
	s.events = append(s.events, event{op: op, id: id})
}

func (b *builder) newExpr(e Expr) ExprID {
	e.Scope = b.cur
	b.m.Exprs = append(b.m.Exprs, e)
	return ExprID(len(b.m.Exprs) - 1)
}

// define binds name in the current scope (or the module/enclosing scope for
// global/nonlocal names) and records the binding event.
func (b *builder) define(name string, kind DefKind, value ExprID, param int32, line int32) DefID {
	owner := b.cur
	s := b.scope()
	if s.Globals[name] {
		owner = 0
	} else if s.Nonlocals[name] {
		owner = b.enclosingFunctionWith(name)
	}
	b.m.Defs = append(b.m.Defs, Def{Name: name, Scope: owner, From: b.cur, Kind: kind, Value: value, Param: param, Line: line})
	id := DefID(len(b.m.Defs) - 1)
	if owner == b.cur {
		b.emit(evDef, id)
	}
	return id
}

// enclosingFunctionWith finds the nearest enclosing function that binds
// name (for nonlocal); the module when none does.
func (b *builder) enclosingFunctionWith(name string) ScopeID {
	for p := b.scope().Parent; p >= 0; p = b.m.Scopes[p].Parent {
		ps := &b.m.Scopes[p]
		if (ps.Kind == ScopeFunction || ps.Kind == ScopeLambda) && b.definedSoFar(p, name) {
			return p
		}
	}
	return 0
}

// definedSoFar reports whether scope s binds name in the code built so far
// (the Locals index is built at the end; nonlocal declarations, which ask
// this, are rare).
func (b *builder) definedSoFar(s ScopeID, name string) bool {
	for k := range b.m.Defs {
		if d := &b.m.Defs[k]; d.Scope == s && d.Name == name {
			return true
		}
	}
	return false
}

// indexLocals fills Module.Locals and every scope's span of it.
func (b *builder) indexLocals() {
	m := b.m
	counts := make([]int32, len(m.Scopes)+1)
	for k := range m.Defs {
		counts[m.Defs[k].Scope+1]++
	}
	for s := range m.Scopes {
		counts[s+1] += counts[s]
		m.Scopes[s].Locals = Span{Off: counts[s], Len: counts[s+1] - counts[s]}
	}
	m.Locals = make([]DefID, len(m.Defs))
	next := counts[:len(m.Scopes)]
	for k := range m.Defs {
		s := m.Defs[k].Scope
		m.Locals[next[s]] = DefID(k)
		next[s]++
	}
	for s := range m.Scopes {
		defs := spanned(m.Locals, m.Scopes[s].Locals)
		// Stable: definitions of a name stay in source order.
		slices.SortStableFunc(defs, func(a, c DefID) int { return strings.Compare(m.Defs[a].Name, m.Defs[c].Name) })
	}
}

// use reads the name at node i.
func (b *builder) use(i int32, line int32) ExprID {
	n := b.name(i)
	b.m.Uses = append(b.m.Uses, Use{Name: n.s, Scope: b.cur, Target: -1})
	u := UseID(len(b.m.Uses) - 1)
	b.emit(evUse, u)
	return b.newExpr(Expr{Kind: ExprName, Use: u, Str: b.nameID(n), Line: line})
}

// children returns the children of i; the slice is valid until the next call.
func (b *builder) children(i int32) []int32 {
	return b.t.Children(nil, i)
}

// ---- statements ----

func (b *builder) block(i int32) {
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		b.stmt(c)
	}
}

func (b *builder) enter() bool {
	b.depth++
	return b.depth <= maxDepth
}

func (b *builder) leave() { b.depth-- }

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

// ---- imports ----

func (b *builder) importStmt(i int32) {
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		switch b.kind(c) {
		case pyast.KindDottedName:
			mod := b.dotted(c)
			if mod == "" {
				continue
			}
			top, _, _ := strings.Cut(mod, ".")
			id := b.addImport(Import{Module: mod, BindsTop: true, Line: b.line(c)})
			b.define(top, DefValue, b.newExpr(Expr{Kind: ExprImport, Int: id, Line: b.line(c)}), 0, b.line(c))
		case pyast.KindAliasedImport:
			name, alias := b.t.ChildByField(c, pyast.FieldName), b.t.ChildByField(c, pyast.FieldAlias)
			if name < 0 || alias < 0 {
				continue
			}
			mod := b.dotted(name)
			id := b.addImport(Import{Module: mod, Line: b.line(c)})
			b.define(b.ident(alias), DefValue, b.newExpr(Expr{Kind: ExprImport, Int: id, Line: b.line(c)}), 0, b.line(c))
		}
	}
}

func (b *builder) importFrom(i int32) {
	modNode := b.t.ChildByField(i, pyast.FieldModuleName)
	if modNode < 0 {
		return
	}
	level := 0
	mod := ""
	if b.kind(modNode) == pyast.KindRelativeImport {
		for c := b.t.FirstChild(modNode); c >= 0; c = b.t.NextSibling(modNode, c) {
			switch b.kind(c) {
			case pyast.KindImportPrefix:
				level = strings.Count(b.t.Text(c), ".")
			case pyast.KindDottedName:
				mod = b.dotted(c)
			}
		}
	} else {
		mod = b.dotted(modNode)
	}
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		if c == modNode {
			continue
		}
		switch b.kind(c) {
		case pyast.KindWildcardImport:
			id := b.addImport(Import{Module: mod, Level: level, Star: true, Line: b.line(c)})
			s := b.scope()
			s.StarImports = append(s.StarImports, id)
		case pyast.KindDottedName:
			name := b.dotted(c)
			id := b.addImport(Import{Module: mod, Level: level, Name: name, Line: b.line(c)})
			b.define(lastDotted(name), DefValue, b.newExpr(Expr{Kind: ExprImport, Int: id, Line: b.line(c)}), 0, b.line(c))
		case pyast.KindAliasedImport:
			name, alias := b.t.ChildByField(c, pyast.FieldName), b.t.ChildByField(c, pyast.FieldAlias)
			if name < 0 || alias < 0 {
				continue
			}
			id := b.addImport(Import{Module: mod, Level: level, Name: b.dotted(name), Line: b.line(c)})
			b.define(b.ident(alias), DefValue, b.newExpr(Expr{Kind: ExprImport, Int: id, Line: b.line(c)}), 0, b.line(c))
		}
	}
}

func lastDotted(s string) string {
	if k := strings.LastIndexByte(s, '.'); k >= 0 {
		return s[k+1:]
	}
	return s
}

func (b *builder) addImport(im Import) ImportID {
	b.m.Imports = append(b.m.Imports, im)
	return ImportID(len(b.m.Imports) - 1)
}

func (b *builder) dotted(i int32) string {
	if b.kind(i) == pyast.KindIdentifier {
		return b.ident(i)
	}
	var parts []string
	for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
		if b.kind(c) == pyast.KindIdentifier {
			parts = append(parts, b.ident(c))
		}
	}
	return strings.Join(parts, ".")
}

// ---- definitions ----

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

func (b *builder) newScope(kind ScopeKind, name string, span, def int32) ScopeID {
	parent := b.cur
	ps := &b.m.Scopes[parent]
	qual := name
	if ps.QualName != "" {
		qual = ps.QualName + "." + name
	}
	sn := b.node(span)
	b.m.Scopes = append(b.m.Scopes, Scope{
		Kind: kind, Name: name, QualName: qual, Parent: parent,
		StartLine: int(sn.StartRow) + 1, EndLine: int(sn.EndRow) + 1,
		StartByte: sn.Start, EndByte: sn.End,
		DefLine: int(b.node(def).StartRow) + 1, DefOf: -1,
		SyntaxError: sn.Flags&pyast.FlagHasError != 0,
		events:      b.x.takeEvents(),
	})
	return ScopeID(len(b.m.Scopes) - 1)
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

// signature normalises the header of a def or class: everything before the
// body, without the trailing colon, with whitespace runs collapsed.
func signature(head []byte) string {
	s := strings.TrimSpace(string(head))
	s = strings.TrimSuffix(s, ":")
	return strings.Join(strings.Fields(s), " ")
}

// docstring returns the cleaned docstring of a module or body block.
func (b *builder) docstring(block int32) string {
	c := b.t.FirstChild(block)
	if c < 0 || b.kind(c) != pyast.KindExpressionStatement {
		return ""
	}
	s := b.t.FirstChild(c)
	if s < 0 || b.t.NextSibling(c, s) >= 0 {
		return ""
	}
	if b.kind(s) != pyast.KindString && b.kind(s) != pyast.KindConcatenatedString {
		return ""
	}
	v, ok := b.stringValue(s)
	if !ok {
		return ""
	}
	return cleanDoc(v)
}

// trivialBody reports a body that, docstrings aside, only passes (or
// `...`), returns nothing, a constant or one of the function's parameters,
// or raises: code with no behaviour worth a search query.
func (b *builder) trivialBody(block int32, params []Param) bool {
	for c := b.t.FirstChild(block); c >= 0; c = b.t.NextSibling(block, c) {
		switch b.kind(c) {
		case pyast.KindPassStatement, pyast.KindRaiseStatement:
		case pyast.KindExpressionStatement:
			e := b.t.FirstChild(c)
			if e < 0 {
				continue
			}
			switch b.kind(e) {
			case pyast.KindEllipsis, pyast.KindString, pyast.KindConcatenatedString:
			default:
				return false
			}
		case pyast.KindReturnStatement:
			e := b.t.FirstChild(c)
			if e >= 0 && !b.constant(e) && !isParam(params, b.t.TextBytes(e), b.kind(e)) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// constant reports a literal: a number (signed), a string without
// interpolation, True, False, None, ... or an empty list, tuple or dict.
func (b *builder) constant(e int32) bool {
	switch b.kind(e) {
	case pyast.KindInteger, pyast.KindFloat, pyast.KindTrue, pyast.KindFalse, pyast.KindNone, pyast.KindEllipsis:
		return true
	case pyast.KindString, pyast.KindConcatenatedString:
		for k := e + 1; k < int32(b.node(e).Next); k++ {
			if b.kind(k) == pyast.KindInterpolation {
				return false
			}
		}
		return true
	case pyast.KindUnaryOperator:
		arg := b.t.ChildByField(e, pyast.FieldArgument)
		return arg >= 0 && (b.kind(arg) == pyast.KindInteger || b.kind(arg) == pyast.KindFloat)
	case pyast.KindList, pyast.KindTuple, pyast.KindDictionary:
		return b.t.FirstChild(e) < 0
	case pyast.KindParenthesizedExpression:
		inner := b.t.FirstChild(e)
		return inner >= 0 && b.constant(inner)
	}
	return false
}

func isParam(params []Param, name []byte, kind pyast.Kind) bool {
	if kind != pyast.KindIdentifier {
		return false
	}
	for _, p := range params {
		if p.Name == string(name) {
			return true
		}
	}
	return false
}

// ---- expressions ----

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

// ---- name resolution targets ----

// resolveTargets points every use without a reaching definition at the
// scope whose bindings it sees under Python's scoping rules: the local scope
// when the name is bound there, else the nearest enclosing function that
// binds it (class bodies are skipped), else the module.
func (b *builder) resolveTargets() {
	nestedModuleDefs := map[string]bool{}
	for _, d := range b.m.Defs {
		if d.Scope == 0 && d.From != 0 {
			nestedModuleDefs[d.Name] = true
		}
	}
	for k := range b.m.Uses {
		u := &b.m.Uses[k]
		s := &b.m.Scopes[u.Scope]
		switch {
		case s.Globals[u.Name]:
			u.Defs = Span{}
			u.Target = 0
			continue
		case s.Nonlocals[u.Name]:
			u.Defs = Span{}
			u.Target = b.nonlocalTarget(u.Scope, u.Name)
			continue
		}
		if u.Defs.Len > 0 {
			if u.Scope == 0 && nestedModuleDefs[u.Name] {
				// Functions may rebind this global at any time.
				u.Defs = Span{}
				u.Target = 0
			}
			continue
		}
		if b.m.Binds(u.Scope, u.Name) {
			u.Target = u.Scope
			continue
		}
		u.Target = b.freeTarget(u.Scope, u.Name)
	}
}

func (b *builder) nonlocalTarget(from ScopeID, name string) ScopeID {
	for p := b.m.Scopes[from].Parent; p > 0; p = b.m.Scopes[p].Parent {
		ps := &b.m.Scopes[p]
		if ps.Kind == ScopeClass {
			continue
		}
		if b.m.Binds(p, name) {
			return p
		}
	}
	return 0
}

func (b *builder) freeTarget(from ScopeID, name string) ScopeID {
	for p := b.m.Scopes[from].Parent; p > 0; p = b.m.Scopes[p].Parent {
		ps := &b.m.Scopes[p]
		if ps.Kind == ScopeClass {
			continue
		}
		if b.m.Binds(p, name) {
			return p
		}
	}
	return 0
}
