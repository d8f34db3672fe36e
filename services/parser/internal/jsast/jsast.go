// Package jsast parses JavaScript and TypeScript with tree-sitter's
// JavaScript, TypeScript and TSX grammars (the binding the Python parser
// uses) and tells the dialect of a file from its extension.
package jsast

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// Dialect is the grammar a file is parsed with.
type Dialect uint8

// Dialects; NotJS is a file this package does not read.
const (
	NotJS      Dialect = iota
	JavaScript         // .js .mjs .cjs .jsx (the grammar covers JSX)
	TypeScript         // .ts .mts .cts
	TSX                // .tsx
)

// Language is the Function.language of a dialect.
func (d Dialect) Language() string {
	switch d {
	case JavaScript:
		return "javascript"
	case TypeScript, TSX:
		return "typescript"
	}
	return ""
}

// DialectOf returns the dialect of a file by its name. Declaration files
// (.d.ts) are TypeScript; the walker skips them before parsing.
func DialectOf(name string) Dialect {
	switch strings.ToLower(path.Ext(name)) {
	case ".js", ".mjs", ".cjs", ".jsx":
		return JavaScript
	case ".ts", ".mts", ".cts":
		return TypeScript
	case ".tsx":
		return TSX
	}
	return NotJS
}

// Extensions are the file extensions of the dialects, dot included, in
// the order an import without extension tries them: TypeScript sources
// before the JavaScript a compiler writes beside them.
var Extensions = []string{".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"}

// ExtensionRank is the position of name's extension in Extensions (lower
// is preferred), or len(Extensions) for a file of no dialect.
func ExtensionRank(name string) int {
	ext := strings.ToLower(path.Ext(name))
	for k, e := range Extensions {
		if e == ext {
			return k
		}
	}
	return len(Extensions)
}

// IsDeclaration reports a TypeScript declaration file (.d.ts, .d.mts, .d.cts).
func IsDeclaration(name string) bool {
	n := strings.ToLower(path.Base(name))
	for _, ext := range []string{".d.ts", ".d.mts", ".d.cts"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// parseTimeout bounds the time tree-sitter may spend on one file.
const parseTimeout = 20 * time.Second

// ErrParseAborted reports that tree-sitter gave up on a file (timeout).
var ErrParseAborted = errors.New("tree-sitter parse aborted")

// Parser parses files of every dialect; one per goroutine.
type Parser struct {
	parsers [TSX + 1]*sitter.Parser
}

// NewParser returns a parser.
func NewParser() *Parser { return &Parser{} }

// Parse parses src in dialect d. The tree must be closed.
func (p *Parser) Parse(src []byte, d Dialect) (*sitter.Tree, error) {
	if d == NotJS || d > TSX {
		return nil, fmt.Errorf("jsast: no grammar for dialect %d", d)
	}
	ps := p.parsers[d]
	if ps == nil {
		ps = sitter.NewParser()
		switch d {
		case JavaScript:
			ps.SetLanguage(javascript.GetLanguage())
		case TypeScript:
			ps.SetLanguage(typescript.GetLanguage())
		case TSX:
			ps.SetLanguage(tsx.GetLanguage())
		}
		// tree-sitter's own timeout: a cancelable context would leave a
		// cancellation flag set for the parser's next file.
		ps.SetOperationLimit(int(parseTimeout / time.Microsecond))
		p.parsers[d] = ps
	}
	tree, err := ps.ParseCtx(context.Background(), nil, src)
	if err != nil {
		ps.Reset()
		return nil, fmt.Errorf("%w: %w", ErrParseAborted, err)
	}
	if d == TypeScript && tree.RootNode().HasError() {
		// Not TSX: there a line starting with '<' is an element.
		if patched := endMembersBeforeAngles(src); patched != nil {
			if again, err := ps.ParseCtx(context.Background(), nil, patched); err == nil {
				if !again.RootNode().HasError() {
					tree.Close()
					return again, nil
				}
				again.Close()
			} else {
				ps.Reset()
			}
		}
	}
	return tree, nil
}

// Close frees the parsers.
func (p *Parser) Close() {
	for k, ps := range p.parsers {
		if ps != nil {
			ps.Close()
			p.parsers[k] = nil
		}
	}
}
