package npm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// maxDepth bounds chains of re-exports, imports and members.
const maxDepth = 16

// resolver follows one lookup through the files of node_modules.
type resolver struct {
	ctx     context.Context
	nm      *nodeModules
	modules map[string]*module
	visited map[string]bool
	// problems are the reasons files could not be read, for the answer
	// when nothing was found.
	problems []string
}

// found is what a path resolved to: declarations of one name in one file.
type found struct {
	m     *module
	nodes []*sitter.Node
}

func (r *resolver) close() {
	for _, m := range r.modules {
		m.tree.Close()
	}
}

// resolvePackage finds member in pk: first through the longest subpath
// ("pkg.sub.fn" may be fn of the file pkg/sub, or sub.fn of pkg's entry),
// in declaration files before JavaScript.
func (r *resolver) resolvePackage(pk pkg, member []string) (found, error) {
	var read []string
	// Declarations of every reading before any JavaScript: date-fns.format is
	// better read from the .d.ts of the package than from date-fns/format.js.
	for _, declarations := range []bool{true, false} {
		for j := len(member); j >= 0; j-- {
			sub := "."
			if j > 0 {
				sub = "./" + strings.Join(member[:j], "/")
			}
			for _, file := range r.entries(pk, sub) {
				if isDeclarationFile(file) != declarations {
					continue
				}
				read = append(read, r.nm.rel(file))
				f, ok := r.resolveIn(file, member[j:], 0)
				if !ok && j == len(member) && j > 0 {
					// import {format} from "date-fns/format" names it date-fns.format too.
					f, ok = r.resolveIn(file, member[j-1:j], 0)
				}
				if err := r.ctx.Err(); err != nil {
					return found{}, err
				}
				if ok {
					return f, nil
				}
			}
		}
	}
	what := "has no default export"
	if len(member) > 0 {
		what = fmt.Sprintf("exports no %q", strings.Join(member, "."))
	}
	reason := fmt.Sprintf("package %q", pk.name)
	if v := pk.version(); v != "" {
		reason += "@" + v
	}
	switch {
	case len(read) == 0:
		reason += " has neither declaration files nor a JavaScript entry"
	default:
		reason += " " + what + " (read " + strings.Join(firstN(read, 4), ", ") + ")"
	}
	if len(r.problems) > 0 {
		reason += "; " + strings.Join(firstN(r.problems, 3), "; ")
	}
	return found{}, fmt.Errorf("%w: %s", apidoc.ErrNotFound, reason)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("%d more", len(s)-n))
	}
	return s
}

// entries lists the existing files that may document subpath sub ("." or
// "./x/y") of pk, best first: the package's own declarations, @types, the
// declaration beside its JavaScript entry, then the JavaScript entry.
func (r *resolver) entries(pk pkg, sub string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(dir, rel string) {
		if rel == "" {
			return
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if !within(dir, p) || seen[p] {
			return
		}
		seen[p] = true
		if r.exists(p) {
			out = append(out, p)
		}
	}
	addTypes := func(dir, base string) {
		base = strings.TrimSuffix(base, "/")
		for _, ext := range []string{".d.ts", ".d.mts", ".d.cts", "/index.d.ts"} {
			add(dir, base+ext)
		}
	}
	declared := func(p pkg) {
		if t, ok, err := exportTarget(p.json.Exports, sub, true); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("package %q: %v", p.name, err))
		} else if ok {
			add(p.dir, t)
		}
		if sub == "." {
			for _, t := range []string{p.json.Types, p.json.Typings} {
				add(p.dir, t)
				if t != "" && !isDeclarationFile(t) {
					addTypes(p.dir, t)
				}
			}
			addTypes(p.dir, "index")
		} else {
			addTypes(p.dir, sub)
		}
	}
	var js []string
	if !pk.typesOnly {
		js = r.jsEntries(pk, sub)
		declared(pk)
	}
	if pk.types != nil {
		declared(*pk.types)
	}
	for _, f := range js {
		if d := declarationOf(f); !seen[d] && r.exists(d) {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, f := range js {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// jsEntries are the existing JavaScript files of subpath sub of pk.
func (r *resolver) jsEntries(pk pkg, sub string) []string {
	var cands []string
	if t, ok, err := exportTarget(pk.json.Exports, sub, false); err == nil && ok {
		cands = append(cands, t)
	}
	if sub == "." {
		for _, t := range []string{pk.json.Module, pk.json.Main} {
			if t != "" {
				cands = append(cands, t, t+".js", t+"/index.js")
			}
		}
		cands = append(cands, "index.js")
	} else {
		for _, ext := range []string{"", ".js", ".mjs", ".cjs", "/index.js"} {
			cands = append(cands, sub+ext)
		}
	}
	var out []string
	for _, c := range cands {
		p := filepath.Join(pk.dir, filepath.FromSlash(c))
		if within(pk.dir, p) && !isDeclarationFile(p) && !contains(out, p) && r.exists(p) {
			out = append(out, p)
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// load parses file once per lookup.
func (r *resolver) load(file string) (*module, bool) {
	if m, ok := r.modules[file]; ok {
		return m, true
	}
	if len(r.modules) >= maxFiles {
		return nil, false
	}
	src, err := r.nm.read(file, r.nm.p.opts.MaxFileBytes)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.problems = append(r.problems, err.Error())
		}
		return nil, false
	}
	m, err := parseModule(r.ctx, file, src)
	if err != nil {
		r.problems = append(r.problems, err.Error())
		return nil, false
	}
	m.location = r.nm.rel(file)
	r.modules[file] = m
	return m, true
}

// resolveIn finds path among the exports of file (its default export when
// path is empty).
func (r *resolver) resolveIn(file string, path []string, depth int) (found, bool) {
	key := file + "\x00" + strings.Join(path, ".")
	if depth > maxDepth || r.visited[key] || r.ctx.Err() != nil {
		return found{}, false
	}
	r.visited[key] = true
	m, ok := r.load(file)
	if !ok {
		return found{}, false
	}
	if f, ok := r.exportOf(m, m.top, path, depth); ok {
		return f, true
	}
	for _, amb := range m.top.ambient {
		if f, ok := r.exportOf(m, amb, path, depth); ok {
			return f, true
		}
	}
	return found{}, false
}

func (r *resolver) exportOf(m *module, s *scope, path []string, depth int) (found, bool) {
	if len(path) == 0 || (path[0] == "default" && !hasExport(s, "default")) {
		rest := path
		if len(path) > 0 {
			rest = path[1:]
		}
		for _, d := range s.defaults {
			if f, ok := r.value(m, s, d, rest, depth+1); ok {
				return f, true
			}
		}
		return found{}, false
	}
	name, rest := path[0], path[1:]
	if e, ok := s.exports[name]; ok {
		switch {
		case e.from != "":
			if target := r.resolveSpec(m.file, e.from); target != "" {
				next := append([]string{e.orig}, rest...)
				if e.orig == "*" {
					next = rest
				}
				if f, ok := r.resolveIn(target, next, depth+1); ok {
					return f, true
				}
			}
		case e.local != "":
			if f, ok := r.local(m, s, e.local, rest, depth+1); ok {
				return f, true
			}
		case e.node != nil:
			if f, ok := r.value(m, s, e.node, rest, depth+1); ok {
				return f, true
			}
		}
	}
	for _, spec := range s.stars {
		if target := r.resolveSpec(m.file, spec); target != "" {
			if f, ok := r.resolveIn(target, path, depth+1); ok {
				return f, true
			}
		}
	}
	// The members of what the module exports as a whole: export = _ with
	// namespace _ { ... }, module.exports = { a, b }, export default obj.
	for _, d := range s.defaults {
		if f, ok := r.value(m, s, d, path, depth+1); ok {
			return f, true
		}
	}
	return found{}, false
}

func hasExport(s *scope, name string) bool {
	_, ok := s.exports[name]
	return ok
}

// local resolves a name bound in s (a declaration or an import), then path
// inside it.
func (r *resolver) local(m *module, s *scope, name string, path []string, depth int) (found, bool) {
	decls, imp, sc := s.lookupLocal(name)
	switch {
	case len(decls) > 0:
		return r.members(m, sc, decls, path, depth)
	case imp != nil:
		target := r.resolveSpec(m.file, imp.spec)
		if target == "" {
			return found{}, false
		}
		if imp.orig == "" {
			return r.resolveIn(target, path, depth+1)
		}
		return r.resolveIn(target, append([]string{imp.orig}, path...), depth+1)
	}
	return found{}, false
}

// value resolves path inside an expression a module binds.
func (r *resolver) value(m *module, s *scope, v *sitter.Node, path []string, depth int) (found, bool) {
	if depth > maxDepth {
		return found{}, false
	}
	switch v.Type() {
	case "identifier":
		return r.local(m, s, m.text(v), path, depth)
	case "call_expression": // require("./x")
		if spec, ok := requireSpec(m, v); ok {
			if target := r.resolveSpec(m.file, spec); target != "" {
				return r.resolveIn(target, path, depth+1)
			}
		}
		return found{}, false
	case "parenthesized_expression":
		if v.NamedChildCount() > 0 {
			return r.value(m, s, v.NamedChild(0), path, depth+1)
		}
		return found{}, false
	}
	return r.members(m, s, []*sitter.Node{v}, path, depth)
}

func requireSpec(m *module, call *sitter.Node) (string, bool) {
	fn, args := call.ChildByFieldName("function"), call.ChildByFieldName("arguments")
	if fn == nil || args == nil || m.text(fn) != "require" || args.NamedChildCount() != 1 || args.NamedChild(0).Type() != "string" {
		return "", false
	}
	return stringValue(m.text(args.NamedChild(0))), true
}

// members walks path down through the members of decls (all declarations
// of one name: merged functions, classes and namespaces).
func (r *resolver) members(m *module, s *scope, decls []*sitter.Node, path []string, depth int) (found, bool) {
	if len(path) == 0 {
		return found{m: m, nodes: decls}, true
	}
	if depth > maxDepth {
		return found{}, false
	}
	name, rest := path[0], path[1:]
	var next []*sitter.Node
	for _, d := range decls {
		switch d.Type() {
		case "class_declaration", "abstract_class_declaration", "class", "interface_declaration", "enum_declaration":
			next = append(next, m.bodyMembers(d, name)...)
		case "internal_module", "module":
			if body := d.ChildByFieldName("body"); body != nil {
				inner := m.collect(body, s)
				if f, ok := r.exportOf(m, inner, path, depth+1); ok {
					return f, true
				}
				// An ambient namespace exports every member.
				if nd := inner.decls[name]; len(nd) > 0 {
					if f, ok := r.members(m, inner, nd, rest, depth+1); ok {
						return f, true
					}
				}
			}
		case "object":
			for _, p := range m.objectMembers(d, name) {
				if p.Type() == "shorthand_property_identifier" {
					if f, ok := r.local(m, s, name, rest, depth+1); ok {
						return f, true
					}
					continue
				}
				next = append(next, p)
			}
		case "variable_declarator", "pair":
			if v := d.ChildByFieldName("value"); v != nil {
				if f, ok := r.value(m, s, v, path, depth+1); ok {
					return f, true
				}
			}
			if t := d.ChildByFieldName("type"); t != nil {
				if f, ok := r.typeMembers(m, s, t, path, depth+1); ok {
					return f, true
				}
			}
		}
	}
	if len(next) == 0 {
		// Inherited: class A extends B, interface AxiosStatic extends AxiosInstance.
		for _, d := range decls {
			for _, base := range m.bases(d) {
				if f, ok := r.local(m, s, base, path, depth+1); ok {
					return f, true
				}
			}
		}
		return found{}, false
	}
	if len(rest) == 0 {
		return found{m: m, nodes: next}, true
	}
	// A member's own members: a field holding an object or typed by an interface.
	return r.members(m, s, next, rest, depth+1)
}

// typeMembers follows a type annotation (const _: _.LoDashStatic) to the
// interface or class it names in this file.
func (r *resolver) typeMembers(m *module, s *scope, annotation *sitter.Node, path []string, depth int) (found, bool) {
	if annotation.NamedChildCount() == 0 {
		return found{}, false
	}
	t := annotation.NamedChild(0)
	switch t.Type() {
	case "type_identifier":
		return r.local(m, s, m.text(t), path, depth)
	case "nested_type_identifier":
		mod, name := t.ChildByFieldName("module"), t.ChildByFieldName("name")
		if mod == nil || name == nil {
			return found{}, false
		}
		return r.local(m, s, m.text(mod), append([]string{m.text(name)}, path...), depth)
	}
	return found{}, false
}

// bases names the classes and interfaces d extends that are bound by a
// plain name (generic arguments dropped; mod.Base and implemented
// interfaces are not followed).
func (m *module) bases(d *sitter.Node) []string {
	var out []string
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		for i := 0; i < int(n.NamedChildCount()); i++ {
			c := n.NamedChild(i)
			switch c.Type() {
			case "class_heritage", "extends_clause", "extends_type_clause":
				walk(c)
			case "identifier", "type_identifier":
				out = append(out, m.text(c))
			case "generic_type":
				if c.NamedChildCount() > 0 && c.NamedChild(0).Type() == "type_identifier" {
					out = append(out, m.text(c.NamedChild(0)))
				}
			}
		}
	}
	for i := 0; i < int(d.NamedChildCount()); i++ {
		if c := d.NamedChild(i); c.Type() == "class_heritage" || c.Type() == "extends_type_clause" {
			walk(c)
		}
	}
	return out
}

// bodyMembers are the members of a class, interface or enum called name.
func (m *module) bodyMembers(d *sitter.Node, name string) []*sitter.Node {
	body := d.ChildByFieldName("body")
	if body == nil {
		return nil
	}
	var out []*sitter.Node
	for i := 0; i < int(body.NamedChildCount()); i++ {
		c := body.NamedChild(i)
		var n *sitter.Node
		switch c.Type() {
		case "method_definition", "method_signature", "abstract_method_signature", "property_signature",
			"public_field_definition", "field_definition":
			n = c.ChildByFieldName("name")
			if n == nil {
				n = c.ChildByFieldName("property")
			}
		case "property_identifier": // enum member
			n = c
		case "enum_assignment":
			n = c.ChildByFieldName("name")
		}
		if n != nil && stringValue(m.text(n)) == name {
			out = append(out, c)
		}
	}
	return out
}

// objectMembers are the properties of an object literal called name.
func (m *module) objectMembers(obj *sitter.Node, name string) []*sitter.Node {
	var out []*sitter.Node
	for i := 0; i < int(obj.NamedChildCount()); i++ {
		c := obj.NamedChild(i)
		var key *sitter.Node
		switch c.Type() {
		case "pair":
			key = c.ChildByFieldName("key")
		case "method_definition":
			key = c.ChildByFieldName("name")
		case "shorthand_property_identifier":
			key = c
		}
		if key != nil && stringValue(m.text(key)) == name {
			out = append(out, c)
		}
	}
	return out
}

// resolveSpec finds the file a relative specifier names from file: in a
// declaration file the .d.ts TypeScript would read, else the JavaScript
// file Node would load. Bare specifiers (other packages) are not followed.
func (r *resolver) resolveSpec(from, spec string) string {
	if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") && spec != "." && spec != ".." {
		return ""
	}
	base := filepath.Join(filepath.Dir(from), filepath.FromSlash(spec))
	var cands []string
	switch {
	case !isTypeScript(from):
		cands = []string{base, base + ".js", base + ".cjs", base + ".mjs", filepath.Join(base, "index.js")}
	case isJSFile(base): // import "./x.js" in a .d.ts means ./x.d.ts
		cands = []string{declarationOf(base), strings.TrimSuffix(base, filepath.Ext(base)) + ".ts"}
	default:
		cands = []string{base + ".d.ts", base + ".ts", base + ".d.mts", base + ".d.cts",
			filepath.Join(base, "index.d.ts"), filepath.Join(base, "index.ts")}
		if isTypeScript(base) {
			cands = append([]string{base}, cands...)
		}
	}
	for _, c := range cands {
		if r.exists(c) {
			return c
		}
	}
	return ""
}

// exists reports whether path may be read, noting why not unless it is
// simply absent.
func (r *resolver) exists(path string) bool {
	_, err := r.nm.check(path)
	// ENOTDIR: a candidate below a file (index.js/index.js), as absent as any.
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) && !contains(r.problems, err.Error()) {
		r.problems = append(r.problems, err.Error())
	}
	return err == nil
}
