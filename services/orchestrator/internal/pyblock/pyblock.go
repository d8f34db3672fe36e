// Package pyblock cuts Python source into its def blocks by indentation alone,
// without a parser. It serves code that never goes through the parser service:
// the files a user names with --decontaminate and test corpora. A block runs
// from a "def" (or "async def") line to the last line indented deeper than it,
// so a nested function is also part of its enclosing one and a block of its own;
// lines inside a triple-quoted string never end a block, whatever their indentation.
package pyblock

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Block is one function: its 1-based first line, and its code with the
// indentation of the def line removed from every line.
type Block struct {
	Name string
	Line int
	Code string
}

var defRe = regexp.MustCompile(`^([ \t]*)(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)`)

// Functions returns the def blocks of src in source order.
func Functions(src string) []Block {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var out []Block
	for i, line := range lines {
		m := defRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		indent := len(m[1])
		end := i + 1
		quote := tripleQuoteAfter("", lines[i])
		for j := i + 1; j < len(lines); j++ {
			l := lines[j]
			inString := quote != ""
			quote = tripleQuoteAfter(quote, l)
			if inString {
				// A docstring's lines may start at any column.
				end = j + 1
				continue
			}
			if strings.TrimSpace(l) == "" {
				continue
			}
			if indentOf(l) <= indent && !continuesSignature(lines[i:j]) {
				break
			}
			end = j + 1
		}
		var b strings.Builder
		for _, l := range lines[i:end] {
			if len(l) >= indent {
				l = l[indent:]
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		out = append(out, Block{Name: m[2], Line: i + 1, Code: b.String()})
	}
	return out
}

// tripleQuoteAfter returns the triple quote left open at the end of line,
// given the one open at its start ("" for none). Single-quoted strings and
// comments are skipped so their quote characters do not count.
func tripleQuoteAfter(open, line string) string {
	for i := 0; i < len(line); i++ {
		if open != "" {
			if strings.HasPrefix(line[i:], open) {
				i += len(open) - 1
				open = ""
			} else if line[i] == '\\' {
				i++
			}
			continue
		}
		switch c := line[i]; c {
		case '#':
			return ""
		case '"', '\'':
			if q := line[i:min(i+3, len(line))]; q == strings.Repeat(string(c), 3) {
				open = q
				i += 2
				continue
			}
			// A single-quoted string ends on its line.
			for i++; i < len(line) && line[i] != c; i++ {
				if line[i] == '\\' {
					i++
				}
			}
		}
	}
	return open
}

func indentOf(l string) int {
	return len(l) - len(strings.TrimLeft(l, " \t"))
}

// continuesSignature reports whether the lines so far leave a bracket open: a
// signature split over lines may put its closing parenthesis at the def's own
// indentation.
func continuesSignature(lines []string) bool {
	depth := 0
	for _, l := range lines {
		for _, c := range l {
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
		}
		if strings.HasSuffix(strings.TrimRight(l, " \t"), ":") && depth <= 0 {
			return false
		}
	}
	return depth > 0
}

// FileBlock is a block with the slash-separated path of its file, relative to
// the directory walked.
type FileBlock struct {
	Path string
	Block
}

// Dir returns the def blocks of every .py file under root, in path order.
// Unreadable files are an error; directories named __pycache__ are skipped.
func Dir(root string) ([]FileBlock, error) {
	var out []FileBlock
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "__pycache__" {
			return filepath.SkipDir
		}
		if d.IsDir() || !d.Type().IsRegular() || filepath.Ext(path) != ".py" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		for _, b := range Functions(string(src)) {
			out = append(out, FileBlock{Path: filepath.ToSlash(rel), Block: b})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pyblock: %w", err)
	}
	return out, nil
}
