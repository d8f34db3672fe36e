package extract

import (
	"errors"

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

// newBuilder starts a module in the Extractor's buffers; both front ends
// build through it and end with finish.
func (x *Extractor) newBuilder(parseError bool, language string) *builder {
	if x.names == nil {
		x.names = make(map[string]int32, 256)
	}
	x.module++
	x.stack = x.stack[:0]
	return &builder{x: x, rp: &x.rp, m: &Module{
		ParseError: parseError,
		Language:   language,
		Exprs:      x.exprs[:0],
		Uses:       x.uses[:0],
		Defs:       x.defs[:0],
		Args:       x.args[:0],
		Strings:    x.strings[:0],
		UseDefs:    x.useDefs[:0],
	}}
}

// finish replays the name events of every scope into reaching definitions,
// indexes the locals and returns the module.
func (b *builder) finish() *Module {
	x := b.x
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

// Extract builds the module IR of a parsed Python file.
func (x *Extractor) Extract(t *pyast.Tree) *Module {
	b := x.newBuilder(t.HasError, "")
	b.t = t
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
	return b.finish()
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
func (b *builder) name(i int32) *internedName { return b.intern(b.t.TextBytes(i)) }

// intern returns the interning entry of a name.
func (b *builder) intern(raw []byte) *internedName {
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

// children returns the children of i; the slice is valid until the next call.
func (b *builder) children(i int32) []int32 {
	return b.t.Children(nil, i)
}

func (b *builder) enter() bool {
	b.depth++
	return b.depth <= maxDepth
}

func (b *builder) leave() { b.depth-- }
