// Package callgraph resolves the calls of a Python, JavaScript and
// TypeScript repository: it names modules, resolves imports, and runs a
// points-to analysis over the IR of
// package extract that follows functions, classes, instances, modules and
// containers through assignments, arguments, returns and attributes. It is
// flow-insensitive across scopes and flow-sensitive inside one scope
// through the reaching definitions extract computes. The layout follows
// golang.org/x/tools/go/callgraph/vta: values, nodes, constraints, a
// worklist to a fixpoint, and the graph read off at the end.
//
// # Values
//
// An abstract value (value, values.go) is one of: a function or lambda
// (vFunc), a method bound to a receiver (vBound), a class (vClass), an
// instance of a repository class (vInst), a module (vModule), a dotted
// path outside the repository (vExternal) or an instance of one
// (vExtInst), a builtin (vBuiltin), a container allocated at a site
// (vContainer: list, tuple, set or dict, with per-key slots), a string or
// integer constant (vConst, used as container keys and getattr names),
// super() (vSuper), a method of a builtin container (vBuiltinMethod) and a
// generator (vGenerator). Values are interned to int32 ids.
//
// # Nodes
//
// A node (node, solver.go) holds a set of values and is one of: a name
// defined in a scope, an expression, a function's return or yield, an
// attribute of a class, instance or module (lookups, lookup.go), or a
// container slot. Nodes are linked by subset edges (values flow from one
// to the other unchanged) and watched by constraints.
//
// # Constraints
//
// A constraint (constraint and consKind, compile.go) is what happens when
// a new value reaches a watched node: load or store an attribute or a
// subscript, call, slice, iterate, unpack, enter a with block, recompute
// an MRO, bind a method, deliver through property getters, resolve
// super(), merge dicts, read all elements, or pass arguments on with
// external values filtered out. Each kind is documented at its constant;
// the cases of solver.fire (calls.go) carry them out.
//
// # Rounds
//
// Resolve compiles the IR into nodes and constraints (setup, compile.go,
// program.go), then solves: the worklist propagates values along edges
// and fires constraints until nothing changes. Some questions are only
// answered at the fixpoint: a decorator whose result stayed unknown is
// assumed to return what it decorates, and a subscript whose key never
// became a constant reads every slot. applyFallbacks makes those
// assumptions and the worklist runs again, for at most maxFallbackRounds
// rounds. Last, calls whose callee stayed unknown are matched by name to
// a single repository function or method (EdgeNameMatched), and the graph
// (graph.go) is read off: callees, external API paths and builtins per
// scope.
//
// # JavaScript and TypeScript
//
// Their modules share the solver; what differs is kept apart
// (jsmodules.go): imports are resolved by path (relative specifiers with
// extensions and index files, tsconfig paths and baseUrl), bare specifiers
// become external package paths (jsstd.PackagePath), exports are
// module-level names, require() yields module.exports when the module
// assigns it, classes are instantiated through `constructor`, globals
// (console, JSON) are builtins whose attributes are builtins too, and
// `this` is a method's first parameter, so Python's rules for self and
// super() apply. TypeScript's declared types of parameters, variables and
// fields, and of unnamed callbacks' parameters by the function types they
// are passed to, keep instances of unrelated repository classes out of
// them (jstypes.go). Name matching never crosses languages.
//
// testdata/*.py holds fixtures whose "# WANT: caller -> callee" lines are
// the expected edges, one or more per category of PyCG's micro-benchmark;
// jsfixtures holds "// WANT:" fixtures, one per JavaScript/TypeScript rule.
package callgraph
