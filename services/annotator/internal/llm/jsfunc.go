package llm

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// The offline back-end's light reader of JavaScript and TypeScript: like
// parsePython, it finds the name, parameters, JSDoc and body of the one
// function a request holds, as the parser cut it out (a declaration, a
// class method or accessor, an arrow or function expression bound to a
// name, an object-literal method, an exports.x assignment), and returns
// what it found on code it does not understand.

var (
	// jsHeaderRes name the function in its header, tried in order; the
	// first group is the name (empty for an anonymous function).
	jsHeaderRes = []*regexp.Regexp{
		// function f(, export default async function* f(, function (
		regexp.MustCompile(`^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:async\s+)?function\b\s*\*?\s*([A-Za-z_$][\w$]*)?`),
		// export default (a) => , export default async x => (anonymous)
		regexp.MustCompile(`^export\s+default\s+()`),
		// const f = (, export let f: T = async function (, var f = x =>
		regexp.MustCompile(`^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*`),
		// exports.f = , module.exports.f = , module.exports = (anonymous)
		regexp.MustCompile(`^(?:module\.)?exports(?:\.([A-Za-z_$][\w$]*))?\s*=\s*`),
		// Class.prototype.f = function (
		regexp.MustCompile(`^[A-Za-z_$][\w$.]*\.prototype\.([A-Za-z_$][\w$]*)\s*=\s*`),
		// object-literal property: f: function (, 'f': (a) =>
		regexp.MustCompile(`^['"]?([A-Za-z_$][\w$]*)['"]?\s*:\s*`),
		// class member or object-literal method: static async *f(, get f(, #f(, public override f<T>(
		regexp.MustCompile(`^(?:(?:public|private|protected|static|async|override|abstract|readonly|declare)\s+)*(?:(?:get|set)\s+)?\*?\s*#?([A-Za-z_$][\w$]*)\s*[<(]`),
	}
	jsGetterRe     = regexp.MustCompile(`^(?:(?:public|private|protected|static|override|abstract)\s+)*get\s+#?[A-Za-z_$][\w$]*\s*\(`)
	jsDecoratorRe  = regexp.MustCompile(`^@[\w$.]+`)
	jsFunctionRe   = regexp.MustCompile(`^(?:async\s+)?function\b\s*\*?\s*[\w$]*\s*`)
	jsAsyncRe      = regexp.MustCompile(`^async\s+`)
	jsArrowParamRe = regexp.MustCompile(`^([A-Za-z_$][\w$]*)\s*=>`)
	jsDocTagRe     = regexp.MustCompile(`(?m)^@[A-Za-z]`)
	jsInlineTagRe  = regexp.MustCompile(`\{@(?:link|linkcode|linkplain|code)\s+([^}|\s]+)[^}]*\}`)
	jsModifierRe   = regexp.MustCompile(`^(?:(?:public|private|protected|readonly|override)\s+)+`)
	jsIdentifierRe = regexp.MustCompile(`^[A-Za-z_$][\w$]*$`)
)

// parseJS reads the function of JavaScript or TypeScript code.
func parseJS(code string) sourceFunction {
	var fn sourceFunction
	rest, doc := skipJSPreamble(code)
	fn.Docstring = doc
	header := rest
	named := false
	for i, re := range jsHeaderRes {
		m := re.FindStringSubmatchIndex(header)
		if m == nil {
			continue
		}
		if m[2] >= 0 {
			fn.Name = header[m[2]:m[3]]
		}
		named = true
		rest = header[m[1]:]
		if i == len(jsHeaderRes)-1 {
			// A member's parameters start at its own bracket (or type parameters).
			rest = header[m[1]-1:]
			fn.Method = true
			fn.Property = jsGetterRe.MatchString(header)
		} else if i > 0 {
			// A name bound to a function expression: skip to its parameters.
			rest = jsAsyncRe.ReplaceAllString(rest, "")
			rest = jsFunctionRe.ReplaceAllString(rest, "")
		}
		break
	}
	if !named {
		fn.Body = code
		return fn
	}
	rest = skipTypeParams(rest)
	if m := jsArrowParamRe.FindStringSubmatchIndex(rest); m != nil {
		fn.Params = []string{rest[m[2]:m[3]]}
		fn.Body = strings.TrimSpace(rest[m[1]:])
		return fn
	}
	if !strings.HasPrefix(rest, "(") {
		fn.Body = rest
		return fn
	}
	end := closingBracket(rest)
	if end < 0 {
		fn.Body = rest
		return fn
	}
	fn.Params = parseJSParams(rest[1:end])
	fn.Body = jsBody(rest[end+1:])
	return fn
}

// skipJSPreamble drops the comments and decorators before a function's
// header and returns the rest, with the last JSDoc block cleaned.
func skipJSPreamble(code string) (rest, doc string) {
	rest = strings.TrimSpace(code)
	for {
		switch {
		case strings.HasPrefix(rest, "/*"):
			end := strings.Index(rest, "*/")
			if end < 0 {
				return rest, doc
			}
			if strings.HasPrefix(rest, "/**") {
				doc = cleanJSDoc(rest[:end+2])
			}
			rest = strings.TrimSpace(rest[end+2:])
		case strings.HasPrefix(rest, "//"):
			_, after, _ := strings.Cut(rest, "\n")
			rest = strings.TrimSpace(after)
		case jsDecoratorRe.MatchString(rest):
			rest = rest[len(jsDecoratorRe.FindString(rest)):]
			if strings.HasPrefix(rest, "(") {
				if end := closingBracket(rest); end >= 0 {
					rest = rest[end+1:]
				}
			}
			rest = strings.TrimSpace(rest)
		default:
			return rest, doc
		}
	}
}

// cleanJSDoc turns a JSDoc comment (or the text of one) into the docstring
// form: its description lines without the comment markers, inline links
// as their target, block tags (@param, @returns, ...) after the
// description kept on lines of their own so firstSentence stops at them.
func cleanJSDoc(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "/**")
	s = strings.TrimPrefix(s, "/*")
	s = strings.TrimSuffix(s, "*/")
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "*")
		lines[i] = strings.TrimSpace(l)
	}
	doc := strings.TrimSpace(strings.Join(lines, "\n"))
	return jsInlineTagRe.ReplaceAllString(doc, "$1")
}

// jsDocstring is the description of a JSDoc docstring: the text before its
// first block tag.
func jsDocstring(doc string) string {
	doc = cleanJSDoc(doc)
	if loc := jsDocTagRe.FindStringIndex(doc); loc != nil {
		doc = doc[:loc[0]]
	}
	return strings.TrimSpace(doc)
}

// skipTypeParams drops TypeScript type parameters before a parameter list.
func skipTypeParams(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "<") {
		return s
	}
	depth := 0
	for i, r := range s {
		switch r {
		case '<':
			depth++
		case '>':
			depth--
			if depth == 0 {
				return strings.TrimSpace(s[i+1:])
			}
		}
	}
	return s
}

// closingBracket returns the index of the bracket closing the one s starts
// with, skipping strings and nested brackets; -1 if it is not closed.
func closingBracket(s string) int {
	depth, end := 0, -1
	outsideStrings(s, func(i int, r rune) bool {
		switch r {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				end = i
				return false
			}
		}
		return true
	})
	return end
}

// outsideStrings calls visit with each character of s outside string and
// template literals and comments, in order, until visit returns false.
func outsideStrings(s string, visit func(i int, r rune) bool) {
	var quote rune
	escaped := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case quote != 0:
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == quote:
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case strings.HasPrefix(s[i:], "//"):
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				return
			}
			i += end
			continue
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return
			}
			i += end + 4
			continue
		case !visit(i, r):
			return
		}
		i += size
	}
}

// parseJSParams names the parameters of a parameter list: defaults, types,
// rest dots, TypeScript's parameter properties and the this parameter
// aside; a destructured parameter gives the names it binds.
func parseJSParams(list string) []string {
	var params []string
	for _, p := range splitTopLevel(list) {
		p = strings.TrimSpace(p)
		p = jsModifierRe.ReplaceAllString(p, "")
		p = strings.TrimPrefix(p, "...")
		if strings.HasPrefix(p, "{") || strings.HasPrefix(p, "[") {
			if end := closingBracket(p); end > 0 {
				for _, inner := range splitTopLevel(p[1:end]) {
					if name := jsParamName(inner); name != "" {
						params = append(params, name)
					}
				}
			}
			continue
		}
		if name := jsParamName(p); name != "" && name != "this" {
			params = append(params, name)
		}
	}
	return params
}

// jsParamName is the name a parameter (or a destructured property) binds:
// "a" of "a?: T = 1", "b" of "key: b = 2" inside braces is read as "key".
func jsParamName(p string) string {
	p = strings.TrimPrefix(strings.TrimSpace(p), "...")
	if i := strings.IndexAny(p, ":=?"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSpace(p)
	if !jsIdentifierRe.MatchString(p) {
		return ""
	}
	return p
}

// splitTopLevel splits a list at the commas outside brackets and strings.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	outsideStrings(s, func(i int, r rune) bool {
		switch r {
		case '(', '[', '{', '<':
			depth++
		case ')', ']', '}', '>':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
		return true
	})
	return append(parts, s[start:])
}

// jsBody is the code after a parameter list: past a return type, from the
// block's brace or the arrow.
func jsBody(s string) string {
	arrow := strings.Index(s, "=>")
	brace := strings.IndexByte(s, '{')
	switch {
	case arrow >= 0 && (brace < 0 || arrow < brace):
		return strings.TrimSpace(s[arrow+2:])
	case brace >= 0:
		return strings.TrimSpace(s[brace:])
	}
	return strings.TrimSpace(s)
}
