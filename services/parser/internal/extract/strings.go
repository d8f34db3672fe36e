package extract

import (
	"strconv"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

// stringValue returns the value of a constant string literal (implicit
// concatenations included); f-strings with interpolations are not constant.
func (b *builder) stringValue(i int32) (string, bool) {
	switch b.kind(i) {
	case pyast.KindConcatenatedString:
		var sb strings.Builder
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			v, ok := b.stringValue(c)
			if !ok {
				return "", false
			}
			sb.WriteString(v)
		}
		return sb.String(), true
	case pyast.KindString:
		for c := b.t.FirstChild(i); c >= 0; c = b.t.NextSibling(i, c) {
			if b.kind(c) == pyast.KindInterpolation {
				return "", false
			}
		}
		return literalValue(b.t.Text(i))
	}
	return "", false
}

// literalValue decodes the text of a Python string literal.
func literalValue(text string) (string, bool) {
	q := strings.IndexAny(text, `"'`)
	if q < 0 {
		return "", false
	}
	prefix := strings.ToLower(text[:q])
	body := text[q:]
	var quote string
	switch {
	case strings.HasPrefix(body, `"""`), strings.HasPrefix(body, `'''`):
		quote = body[:3]
	default:
		quote = body[:1]
	}
	if len(body) < 2*len(quote) || !strings.HasSuffix(body, quote) {
		// Unterminated literal (error recovery): take what is there.
		return strings.TrimPrefix(body, quote), true
	}
	content := body[len(quote) : len(body)-len(quote)]
	if strings.Contains(prefix, "r") || !strings.Contains(content, `\`) {
		return content, true
	}
	return unescape(content), true
}

// unescape decodes backslash escapes, keeping unknown ones as written.
func unescape(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for len(s) > 0 {
		k := strings.IndexByte(s, '\\')
		if k < 0 || k == len(s)-1 {
			sb.WriteString(s)
			break
		}
		sb.WriteString(s[:k])
		s = s[k:]
		switch s[1] {
		case '\n':
			s = s[2:] // line continuation inside the literal
		case '\'', '"', '\\':
			sb.WriteByte(s[1])
			s = s[2:]
		case 'n', 't', 'r', 'a', 'b', 'f', 'v', 'x', 'u', 'U', '0', '1', '2', '3', '4', '5', '6', '7':
			r, _, tail, err := strconv.UnquoteChar(s, 0)
			if err != nil {
				sb.WriteString(s[:2])
				s = s[2:]
				continue
			}
			sb.WriteRune(r)
			s = tail
		default:
			sb.WriteString(s[:2])
			s = s[2:]
		}
	}
	return sb.String()
}

// cleanDoc mirrors inspect.cleandoc: strip the first line, dedent the rest
// by their common indentation, drop blank lines at both ends.
func cleanDoc(doc string) string {
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(doc, "\r\n", "\n"), "\t", "        "), "\n")
	indent := -1
	for _, l := range lines[1:] {
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" {
			continue
		}
		if n := len(l) - len(trimmed); indent < 0 || n < indent {
			indent = n
		}
	}
	lines[0] = strings.TrimSpace(lines[0])
	if indent > 0 {
		for k := 1; k < len(lines); k++ {
			if len(lines[k]) >= indent {
				lines[k] = lines[k][indent:]
			} else {
				lines[k] = strings.TrimLeft(lines[k], " ")
			}
		}
	}
	for k := range lines {
		lines[k] = strings.TrimRight(lines[k], " ")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
