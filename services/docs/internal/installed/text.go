package installed

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// cleandoc normalises a docstring the way inspect.cleandoc does: tabs
// expanded, the first line stripped, the common indentation of the other
// lines removed, blank lines at both ends dropped.
func cleandoc(doc string) string {
	if doc == "" {
		return ""
	}
	lines := strings.Split(strings.ReplaceAll(expandTabs(doc), "\r\n", "\n"), "\n")
	margin := -1
	for _, line := range lines[1:] {
		content := strings.TrimLeft(line, " ")
		if content == "" {
			continue
		}
		if indent := len(line) - len(content); margin < 0 || indent < margin {
			margin = indent
		}
	}
	lines[0] = strings.TrimLeft(lines[0], " ")
	if margin > 0 {
		for i := 1; i < len(lines); i++ {
			if len(lines[i]) >= margin {
				lines[i] = lines[i][margin:]
			} else {
				lines[i] = strings.TrimLeft(lines[i], " ")
			}
		}
	}
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch r {
		case '\t':
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case '\n':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}

// unescape decodes the backslash escapes of a non-raw Python str literal.
// Unknown escapes stay as written, as Python keeps them.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n': // line continuation
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if r, ok := hexRune(s, i+1, width); ok {
				b.WriteRune(r)
				i += width
			} else {
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s[i:j], 8, 32)
			b.WriteRune(rune(n))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

func hexRune(s string, at, width int) (rune, bool) {
	if at+width > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[at:at+width], 16, 32)
	if err != nil || !utf8.ValidRune(rune(n)) {
		return 0, false
	}
	return rune(n), true
}
