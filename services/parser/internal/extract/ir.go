// Package extract turns one Python, JavaScript or TypeScript file into a
// small intermediate representation for call resolution: scopes (module, classes, functions,
// lambdas), definitions, imports and expressions, with the reaching
// definitions of every name use inside its scope.
package extract

import "sort"

// ScopeKind tells what a scope is.
type ScopeKind uint8

// Scope kinds.
const (
	ScopeModule ScopeKind = iota
	ScopeClass
	ScopeFunction
	ScopeLambda
)

// ParamKind tells how a parameter receives arguments.
type ParamKind uint8

// Parameter kinds.
const (
	ParamPositional  ParamKind = iota // positional or keyword
	ParamKeywordOnly                  // after * or *args
	ParamVarArgs                      // *args
	ParamKwArgs                       // **kwargs
)

// Param is one parameter of a function or lambda.
type Param struct {
	Name    string
	Kind    ParamKind
	Default ExprID // NoExpr when there is none
	Def     DefID
}

// Scope is a module, class, function or lambda.
type Scope struct {
	Kind      ScopeKind
	Name      string // "" for the module, "<lambdaN>" for lambdas
	QualName  string // dotted path inside the module ("" for the module)
	Parent    ScopeID
	StartLine int // 1-based; decorators included
	EndLine   int
	StartByte uint32 // code span, decorators included
	EndByte   uint32
	// DefLine is the line of the def/class keyword (after decorators).
	DefLine    int
	Docstring  string
	Signature  string
	Decorators []string // decorator expressions as written, without '@'
	Bases      []ExprID // class bases, in order
	Params     []Param
	Returns    []ExprID
	Yields     []ExprID
	// IsGenerator: the body yields, so a call returns an iterator of Yields.
	IsGenerator   bool
	IsAsync       bool
	IsStatic      bool // @staticmethod
	IsClassMethod bool // @classmethod
	IsProperty    bool // @property or @cached_property
	// Trivial: the body, docstrings aside, only passes (or `...`), returns
	// nothing, a constant or a parameter, or raises.
	Trivial bool
	// SyntaxError: tree-sitter recovered from a syntax error inside the
	// scope's span (decorators included), so its code is not what was meant.
	SyntaxError bool
	// Inline: an unnamed JavaScript callback (a lambda scope) whose calls
	// belong to the nearest named enclosing scope, called or not.
	Inline bool
	// IsObject: a JavaScript object literal bound to a name, modelled as a
	// class scope whose methods see the object as `this`.
	IsObject bool
	// DefOf is the definition that binds this function or class in its parent.
	DefOf DefID
	// Locals are this scope's definitions (all of them, of every name it
	// binds) in Module.Locals, sorted by name; Module.LocalDefs looks them up.
	Locals      Span
	Globals     map[string]bool
	Nonlocals   map[string]bool
	StarImports []ImportID
	// LambdaCount numbers lambdas defined directly in this scope.
	LambdaCount int
	events      []event
}

// ScopeID indexes Module.Scopes; the module scope is 0.
type ScopeID = int32

// DefID indexes Module.Defs.
type DefID = int32

// ExprID indexes Module.Exprs; NoExpr means absent or valueless.
type ExprID = int32

// UseID indexes Module.Uses.
type UseID = int32

// ImportID indexes Module.Imports.
type ImportID = int32

// NoExpr is the ExprID of an absent expression.
const NoExpr ExprID = -1

// DefKind says where a definition's value comes from.
type DefKind uint8

// Definition kinds.
const (
	DefValue DefKind = iota // Value
	DefParam                // a parameter: values come from call sites
)

// Def binds Name in Scope.
type Def struct {
	Name  string
	Scope ScopeID // scope that owns the variable (after global/nonlocal)
	From  ScopeID // scope whose code performs the binding
	Kind  DefKind
	Value ExprID // DefValue
	Param int32  // DefParam: index into the function's Params
	Line  int32
}

// Use is one read of a name.
type Use struct {
	Name  string
	Scope ScopeID // where the read happens
	// Defs are the reaching definitions in the reading scope (a range of
	// Module.UseDefs, sorted), when the name is bound there and a
	// definition reaches the read.
	Defs Span
	// Target is the scope whose definitions of Name (all of them) the read
	// sees when Defs does not settle it; -1 when Defs does.
	Target ScopeID
}

// Import is one imported name.
type Import struct {
	Module string // dotted module as written, without leading dots
	Level  int    // number of leading dots of a relative import
	Name   string // `from Module import Name`; "" for `import Module`
	// BindsTop: `import a.b.c` without alias binds the top package a.
	BindsTop bool
	Star     bool
	Line     int32
	// Specifier: a JavaScript/TypeScript import; Module is the specifier
	// as written ('./util', 'lodash/get', 'node:fs') and Name the imported
	// export ("default" for default imports, "" for the whole module).
	Specifier bool
	// Require: a CommonJS require(), which yields module.exports.
	Require bool
}

// ExprKind is the shape of an expression.
type ExprKind uint8

// Expression kinds.
const (
	ExprOpaque        ExprKind = iota // unknown value; Args are evaluated for their effects
	ExprName                          // Use
	ExprAttr                          // X.Str
	ExprCall                          // X(Args...); Flag marks a decorator application
	ExprSubscript                     // X[Y]
	ExprSlice                         // X[Int:...]; Flag marks an unknown start
	ExprTuple                         // Args (ExprStarred elements allowed)
	ExprList                          // Args
	ExprSet                           // Args
	ExprDict                          // Args of ExprPair and ExprDoubleStarred
	ExprPair                          // X: Y
	ExprFunc                          // the function or lambda scope Int
	ExprClass                         // the class scope Int
	ExprStr                           // constant Str
	ExprInt                           // constant Int
	ExprUnion                         // any of Args (a or b, a if c else b)
	ExprStarred                       // *X
	ExprDoubleStarred                 // **X
	ExprKeyword                       // Str=X in a call
	ExprUnpack                        // element Int of X; Flag: starred target taking the rest, Int2 elements after it
	ExprIter                          // elements produced by iterating X (for loops, comprehensions)
	ExprEnter                         // value bound by `with X as ...`
	ExprComp                          // comprehension building a container of X (Int: ExprList, ExprSet, ExprDict or ExprIter)
	ExprImport                        // the value of import Int
	ExprRaise                         // raise X (a class is instantiated)
	ExprInstance                      // an instance of class X, nothing called (a TypeScript parameter's declared type)
)

// Expr is one expression. It holds no pointers and fits in 44 bytes: a
// large code base has hundreds of thousands, and every page of them is
// memory the analysis must fault in.
type Expr struct {
	Kind  ExprKind
	Flag  bool
	Scope ScopeID
	Line  int32
	X     ExprID
	Y     ExprID
	Use   UseID
	Int   int32 // per kind; ExprInt constants outside int32 are not tracked
	Int2  int32
	Str   StrID // ExprName, ExprAttr, ExprKeyword, ExprStr: index into Module.Strings
	Args  Span  // into Module.Args
}

// StrID indexes Module.Strings.
type StrID = int32

// Span is a range of one of a Module's lists (Args, Locals, UseDefs).
type Span struct{ Off, Len int32 }

// spanned returns the part of list that sp covers.
func spanned[T any](list []T, sp Span) []T {
	end := sp.Off + sp.Len
	return list[sp.Off:end:end]
}

// appendSpan appends vals to *list and returns where they went.
func appendSpan[T any](list *[]T, vals []T) Span {
	sp := Span{Off: int32(len(*list)), Len: int32(len(vals))}
	*list = append(*list, vals...)
	return sp
}

// Module is the extracted content of one file.
type Module struct {
	Scopes []Scope
	Defs   []Def
	Uses   []Use
	Exprs  []Expr
	// Args holds the argument and element lists of Exprs; Strings the
	// names and string constants they mention, each once.
	Args    []ExprID
	Strings []string
	// Locals lists every scope's definitions, scope by scope, sorted by
	// name and then by DefID (source order).
	Locals  []DefID
	UseDefs []DefID // the Defs of the Uses
	Imports []Import
	// Stores are assignments to attributes and subscripts: Target is an
	// ExprAttr or ExprSubscript, Value what is stored.
	Stores []Store
	// Types are TypeScript's declared types that may name a class.
	Types []DeclType
	// DunderAll lists the names in a literal __all__, if any.
	DunderAll []string
	HasAll    bool
	// ParseError: tree-sitter recovered from syntax errors in this file.
	ParseError bool
	// Language is "" for Python, else "javascript" or "typescript".
	Language string
	// ExportsValue: a JavaScript module assigns module.exports a value,
	// bound to the module-level name "default", which require() yields.
	ExportsValue bool
	Lines        int
}

// ArgsOf returns the argument or element list of e.
func (m *Module) ArgsOf(e *Expr) []ExprID { return spanned(m.Args, e.Args) }

// LocalDefs returns the definitions of name in scope s, in source order;
// none when s does not bind name.
func (m *Module) LocalDefs(s ScopeID, name string) []DefID {
	defs := spanned(m.Locals, m.Scopes[s].Locals)
	lo := sort.Search(len(defs), func(k int) bool { return m.Defs[defs[k]].Name >= name })
	hi := lo
	for hi < len(defs) && m.Defs[defs[hi]].Name == name {
		hi++
	}
	return defs[lo:hi:hi]
}

// DefsOf returns the reaching definitions of u.
func (m *Module) DefsOf(u *Use) []DefID { return spanned(m.UseDefs, u.Defs) }

// Binds reports whether scope s binds name.
func (m *Module) Binds(s ScopeID, name string) bool { return len(m.LocalDefs(s, name)) > 0 }

// Str returns the name or string constant of e.
func (m *Module) Str(e *Expr) string { return m.Strings[e.Str] }

// DeclType is a TypeScript binding's declared type: Type evaluates to the
// classes it names (a name, a dotted name, or a union of them). The
// binding is Def, or, when Def is -1, field Field of the instances of
// class Class. Arg > 0: Def's type is a function type, and Type is that
// of its parameter Arg-1, which an unnamed callback bound to Def takes
// when it declares none.
type DeclType struct {
	Def   DefID
	Class ScopeID
	Field string
	Type  ExprID
	Arg   int32
}

// Store is an assignment to an attribute or a subscript.
type Store struct {
	Target ExprID
	Value  ExprID
}
