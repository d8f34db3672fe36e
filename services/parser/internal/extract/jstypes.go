// jstypes.go reads TypeScript's declared types of parameters, variables
// and fields, for the call graph to rule out instances of unrelated
// classes (Module.Types). Only names can name a class; any other type
// (object literal types, functions, arrays, any) imposes nothing.

package extract

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// typeExpr evaluates the class names of type annotation ann in the
// current scope: a name, a dotted name, or a union of them (null,
// undefined and primitives left out). NoExpr when the type may be
// something else.
func (j *jsBuilder) typeExpr(ann *sitter.Node) ExprID {
	if ann == nil || ann.Type() != "type_annotation" {
		return NoExpr
	}
	parts := named(ann)
	if len(parts) != 1 {
		return NoExpr
	}
	var names []ExprID
	if !j.typeNames(parts[0], &names) || len(names) == 0 {
		return NoExpr
	}
	return j.union(jsLine(ann), names...)
}

// typeNames appends the names type t may be to names; false when t may be
// something a name does not describe.
func (j *jsBuilder) typeNames(t *sitter.Node, names *[]ExprID) bool {
	switch t.Type() {
	case "type_identifier":
		*names = append(*names, j.useName(j.text(t), jsLine(t)))
		return true
	case "nested_type_identifier":
		parts := strings.Split(strings.Join(strings.Fields(j.text(t)), ""), ".")
		x := j.useName(parts[0], jsLine(t))
		for _, p := range parts[1:] {
			x = j.attr(x, p, jsLine(t))
		}
		*names = append(*names, x)
		return true
	case "generic_type":
		if nm := field(t, "name"); nm != nil {
			return j.typeNames(nm, names)
		}
		return false
	case "parenthesized_type":
		if inner := named(t); len(inner) == 1 {
			return j.typeNames(inner[0], names)
		}
		return false
	case "union_type":
		for _, m := range named(t) {
			if !j.typeNames(m, names) {
				return false
			}
		}
		return true
	case "literal_type":
		return true // null, undefined, a string or number literal: no instance
	case "predefined_type":
		switch j.text(t) {
		case "any", "unknown", "object":
			return false
		}
		return true
	}
	return false
}

// declareDefType records that definition def has the declared type of
// annotation ann.
func (j *jsBuilder) declareDefType(def DefID, ann *sitter.Node) {
	if t := j.typeExpr(ann); t != NoExpr {
		j.m.Types = append(j.m.Types, DeclType{Def: def, Class: -1, Type: t})
		return
	}
	// A function type types the parameters of the callbacks passed.
	if ann == nil || ann.Type() != "type_annotation" {
		return
	}
	fn := lastNamed(ann)
	for fn != nil && fn.Type() == "parenthesized_type" {
		fn = lastNamed(fn)
	}
	if fn == nil || fn.Type() != "function_type" {
		return
	}
	ps := field(fn, "parameters")
	if ps == nil {
		return
	}
	arg := int32(0)
	for _, p := range named(ps) {
		if p.Type() != "required_parameter" && p.Type() != "optional_parameter" {
			break // a rest parameter ends what positions say
		}
		if pat := field(p, "pattern"); pat != nil && pat.Type() == "this" {
			continue
		}
		arg++
		if t := j.typeExpr(field(p, "type")); t != NoExpr {
			j.m.Types = append(j.m.Types, DeclType{Def: def, Class: -1, Type: t, Arg: arg})
		}
	}
}

// declareFieldType records that field name of class's instances has the
// declared type of annotation ann.
func (j *jsBuilder) declareFieldType(class ScopeID, name string, ann *sitter.Node) {
	if t := j.typeExpr(ann); t != NoExpr {
		j.m.Types = append(j.m.Types, DeclType{Def: -1, Class: class, Field: name, Type: t})
	}
}
