package eval

import "strings"

// SplitDocstring returns the code of a Python function without its
// docstring, and the docstring's text (quotes removed, "" when there is
// none). It reads just enough Python to do so: the header up to the colon
// that ends it (outside brackets and strings), then the first statement if
// it is a string literal. Code it cannot read is returned unchanged.
func SplitDocstring(code string) (body, doc string) {
	i := headerEnd(code)
	if i < 0 {
		return code, ""
	}
	j := skipBlankAndComments(code, i)
	if j >= len(code) {
		return code, ""
	}
	start := j
	for j < len(code) && strings.ContainsRune("rRuUbBfF", rune(code[j])) && j-start < 2 {
		j++
	}
	if j >= len(code) || (code[j] != '"' && code[j] != '\'') {
		return code, ""
	}
	end, text, ok := stringLiteral(code, j)
	if !ok {
		return code, ""
	}
	// The literal must be the whole statement (not "x".join(...)).
	k := end
	for k < len(code) && (code[k] == ' ' || code[k] == '\t') {
		k++
	}
	if k < len(code) && code[k] != '\n' && code[k] != '\r' && code[k] != '#' && code[k] != ';' {
		return code, ""
	}
	return code[:start] + strings.TrimLeft(code[k:], ";"), strings.TrimSpace(text)
}

// skipBlankAndComments returns the index of the first character at or
// after i that is not whitespace, a line continuation or part of a comment.
func skipBlankAndComments(code string, i int) int {
	for i < len(code) {
		switch code[i] {
		case ' ', '\t', '\r', '\n', '\\':
			i++
		case '#':
			for i < len(code) && code[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// headerEnd is the index just past the colon ending a def header, or -1.
func headerEnd(code string) int {
	d := strings.Index(code, "def ")
	if d < 0 {
		return -1
	}
	depth := 0
	for i := d; i < len(code); i++ {
		switch c := code[i]; c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '"', '\'':
			end, _, ok := stringLiteral(code, i)
			if !ok {
				return -1
			}
			i = end - 1
		case '#':
			for i < len(code) && code[i] != '\n' {
				i++
			}
		case ':':
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// stringLiteral reads the string literal whose opening quote is at code[i]
// and returns the index past its closing quote and its raw contents.
func stringLiteral(code string, i int) (end int, text string, ok bool) {
	q := code[i]
	delim := string(q)
	if strings.HasPrefix(code[i:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	j := i + len(delim)
	for j < len(code) {
		switch {
		case code[j] == '\\':
			j += 2
			continue
		case len(delim) == 1 && code[j] == '\n':
			return 0, "", false
		case strings.HasPrefix(code[j:], delim):
			return j + len(delim), code[i+len(delim) : j], true
		}
		j++
	}
	return 0, "", false
}
