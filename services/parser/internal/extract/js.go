// js.go is the JavaScript/TypeScript front end: it builds the same IR as
// the Python builder from tree-sitter's JavaScript, TypeScript and TSX
// trees, with JavaScript's naming rules for functions (see jsdefs.go).

package extract

import (
	sitter "github.com/smacker/go-tree-sitter"
)

// ExtractJS builds the module IR of a parsed JavaScript or TypeScript file;
// language is "javascript" or "typescript".
func (x *Extractor) ExtractJS(root *sitter.Node, src []byte, language string) *Module {
	b := x.newBuilder(root.HasError(), language)
	j := &jsBuilder{builder: b, src: src}
	j.es5Names = j.es5ClassNames(root)
	b.m.Lines = lineCount(src)
	b.m.Scopes = append(b.m.Scopes, Scope{
		Kind: ScopeModule, Parent: -1, StartLine: 1, EndLine: b.m.Lines,
		EndByte: uint32(len(src)), DefOf: -1,
		events: x.takeEvents(),
	})
	j.block(root)
	return b.finish()
}

// lineCount counts the lines of src as the Python builder does.
func lineCount(src []byte) int {
	n := 1
	for _, c := range src {
		if c == '\n' {
			n++
		}
	}
	if len(src) > 0 && src[len(src)-1] == '\n' {
		n--
	}
	return max(n, 1)
}

// jsBuilder walks a JavaScript/TypeScript tree; the shared builder holds
// the module under construction, the scopes and the name events.
type jsBuilder struct {
	*builder
	src []byte
	// es5Names are the module-level names whose prototype is assigned to;
	// es5 maps those built so far to their class scope (jses5.go).
	es5Names map[string]bool
	es5      map[string]ScopeID
}

func (j *jsBuilder) text(n *sitter.Node) string { return n.Content(j.src) }

func jsLine(n *sitter.Node) int32 { return int32(n.StartPoint().Row) + 1 }

// named returns the named children of n, comments left out.
func named(n *sitter.Node) []*sitter.Node {
	cnt := int(n.NamedChildCount())
	out := make([]*sitter.Node, 0, cnt)
	for i := 0; i < cnt; i++ {
		if c := n.NamedChild(i); c.Type() != "comment" {
			out = append(out, c)
		}
	}
	return out
}

// hasToken reports whether n has an unnamed child token tok (a keyword
// such as static, get, async, default).
func hasToken(n *sitter.Node, tok string) bool {
	for i := 0; i < int(n.ChildCount()); i++ {
		if c := n.Child(i); !c.IsNamed() && c.Type() == tok {
			return true
		}
	}
	return false
}

// field returns the child of n in field f, or nil.
func field(n *sitter.Node, f string) *sitter.Node {
	if n == nil {
		return nil
	}
	return n.ChildByFieldName(f)
}

// useName reads a name (identifiers, and `this` and `super`).
func (j *jsBuilder) useName(name string, line int32) ExprID {
	n := j.intern([]byte(name))
	j.m.Uses = append(j.m.Uses, Use{Name: n.s, Scope: j.cur, Target: -1})
	u := UseID(len(j.m.Uses) - 1)
	j.emit(evUse, u)
	return j.newExpr(Expr{Kind: ExprName, Use: u, Str: j.nameID(n), Line: line})
}

// attr builds x.name.
func (j *jsBuilder) attr(x ExprID, name string, line int32) ExprID {
	return j.newExpr(Expr{Kind: ExprAttr, X: x, Str: j.nameID(j.intern([]byte(name))), Line: line})
}

// str builds a string constant.
func (j *jsBuilder) str(s string, line int32) ExprID {
	return j.newExpr(Expr{Kind: ExprStr, Str: j.addString(s), Line: line})
}

// defineName binds name in the current scope.
func (j *jsBuilder) defineName(name string, v ExprID, line int32) DefID {
	return j.define(j.intern([]byte(name)).s, DefValue, v, 0, line)
}

// newJSScope opens a scope spanning node span, its header at node def.
func (j *jsBuilder) newJSScope(kind ScopeKind, name string, span, def *sitter.Node) ScopeID {
	parent := j.cur
	// Unnamed callbacks do not show in the names of what they hold.
	q := parent
	for q > 0 && j.m.Scopes[q].Inline {
		q = j.m.Scopes[q].Parent
	}
	qual := name
	if pq := j.m.Scopes[q].QualName; pq != "" {
		qual = pq + "." + name
	}
	j.m.Scopes = append(j.m.Scopes, Scope{
		Kind: kind, Name: name, QualName: qual, Parent: parent,
		StartLine: int(span.StartPoint().Row) + 1, EndLine: int(span.EndPoint().Row) + 1,
		StartByte: span.StartByte(), EndByte: span.EndByte(),
		DefLine: int(def.StartPoint().Row) + 1, DefOf: -1,
		SyntaxError: span.HasError(),
		events:      j.x.takeEvents(),
	})
	return ScopeID(len(j.m.Scopes) - 1)
}
