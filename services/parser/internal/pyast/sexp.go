package pyast

import "strings"

// SExpr renders node i and its named descendants as an S-expression with
// field names, for tests and debugging.
func (t *Tree) SExpr(i int32) string {
	var b strings.Builder
	t.sexpr(&b, i)
	return b.String()
}

var fieldNames = func() map[Field]string {
	m := make(map[Field]string, len(fieldByName))
	for name, f := range fieldByName {
		m[f] = name
	}
	return m
}()

func (t *Tree) sexpr(b *strings.Builder, i int32) {
	n := &t.Nodes[i]
	if n.Field != FieldNone {
		b.WriteString(fieldNames[n.Field])
		b.WriteString(": ")
	}
	b.WriteByte('(')
	b.WriteString(KindName(n.Kind))
	if n.Flags&FlagMissing != 0 {
		b.WriteString(" MISSING")
	}
	if n.Kind == KindIdentifier || n.Kind == KindInteger {
		b.WriteByte(' ')
		b.WriteString(t.Text(i))
	}
	for c := t.FirstChild(i); c >= 0; c = t.NextSibling(i, c) {
		b.WriteByte(' ')
		t.sexpr(b, c)
	}
	b.WriteByte(')')
}
