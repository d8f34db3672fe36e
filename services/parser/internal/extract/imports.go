// imports.go holds the builder for import statements.

package extract

import (
	"strings"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

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
