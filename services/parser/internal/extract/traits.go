// traits.go holds what a definition's text says of it: signature, docstring, triviality.

package extract

import (
	"strings"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

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
