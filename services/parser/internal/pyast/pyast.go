// Package pyast parses Python source with tree-sitter and hands back the
// named nodes of the syntax tree as a flat preorder array.
//
// A file costs three cgo calls: parse, flatten, delete. go-tree-sitter's
// node-by-node API costs a cgo crossing and a heap allocation per visited
// node; flatten.c walks the tree in one call against tree-sitter's own
// header, and walking the flat array is plain Go. BenchmarkFlatten compares
// the two (docs/BENCHMARKS.md). tree-sitter allocates with its default
// allocator (malloc); the package changes no process-wide state.
package pyast

/*
#include "flatten.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	// The tree-sitter runtime and the Python grammar are compiled by these
	// packages; flatten.c links against their C symbols.
	_ "github.com/smacker/go-tree-sitter"
	_ "github.com/smacker/go-tree-sitter/python"
)

// MaxSourceBytes is the largest input tree-sitter accepts (its offsets are 32-bit).
const MaxSourceBytes = 1<<32 - 1

// parseTimeoutMicros bounds the time tree-sitter may spend on one file, so a
// pathological input cannot stall a worker.
const parseTimeoutMicros = 20_000_000

// ErrParseAborted reports that tree-sitter gave up on a file (timeout).
var ErrParseAborted = errors.New("tree-sitter parse aborted")

// Node flags.
const (
	FlagMissing uint8 = 1 << iota // zero-width node inserted by error recovery
	FlagError                     // an ERROR node
	// FlagHasError: the node's subtree holds an ERROR or MISSING node,
	// unnamed ones included (which are not in Nodes).
	FlagHasError
)

// Node is one named syntax node. Children of node i start at i+1 and are
// chained through Next, which is the index just past a node's subtree.
type Node struct {
	Kind     Kind
	Field    Field
	Flags    uint8
	Start    uint32 // byte offset
	End      uint32
	StartRow uint32 // 0-based
	EndRow   uint32
	Next     uint32
}

// Tree is a parsed file.
type Tree struct {
	Src      []byte
	Nodes    []Node
	HasError bool // tree-sitter had to recover from syntax errors
}

// Text returns the source text of node i.
func (t *Tree) Text(i int32) string {
	n := &t.Nodes[i]
	return string(t.Src[n.Start:n.End])
}

// TextBytes returns the source bytes of node i without copying.
func (t *Tree) TextBytes(i int32) []byte {
	n := &t.Nodes[i]
	return t.Src[n.Start:n.End]
}

// FirstChild returns the first child of node i, or -1.
func (t *Tree) FirstChild(i int32) int32 {
	if t.Nodes[i].Next > uint32(i)+1 {
		return i + 1
	}
	return -1
}

// NextSibling returns the sibling after child c of parent p, or -1.
func (t *Tree) NextSibling(p, c int32) int32 {
	n := int32(t.Nodes[c].Next)
	if n < int32(t.Nodes[p].Next) {
		return n
	}
	return -1
}

// Children appends the children of node i to dst.
func (t *Tree) Children(dst []int32, i int32) []int32 {
	end := int32(t.Nodes[i].Next)
	for c := i + 1; c < end; c = int32(t.Nodes[c].Next) {
		dst = append(dst, c)
	}
	return dst
}

// ChildByField returns the first child of i with field f, or -1.
func (t *Tree) ChildByField(i int32, f Field) int32 {
	end := int32(t.Nodes[i].Next)
	for c := i + 1; c < end; c = int32(t.Nodes[c].Next) {
		if t.Nodes[c].Field == f {
			return c
		}
	}
	return -1
}

// Parser parses files; it is not safe for concurrent use (one per worker).
type Parser struct {
	ts    *C.TSParser
	nodes []Node // reused: a Tree's Nodes live until the next Parse
}

// NewParser returns a parser; Close releases it.
func NewParser() (*Parser, error) {
	p := C.q4c_parser_new(C.uint64_t(parseTimeoutMicros))
	if p == nil {
		return nil, errors.New("tree-sitter: cannot create Python parser")
	}
	return &Parser{ts: p}, nil
}

// Close releases the parser's memory.
func (p *Parser) Close() {
	if p.ts != nil {
		C.ts_parser_delete(p.ts)
		p.ts = nil
	}
}

// Parse parses src. Syntax errors are not errors: tree-sitter recovers and
// the tree says so in HasError. The returned tree references src, and its
// Nodes are only valid until the parser's next Parse: the node buffer is
// reused, which spares an allocation the size of the tree per file. The
// tree-sitter tree itself is deleted before Parse returns.
func (p *Parser) Parse(src []byte) (*Tree, error) {
	if p.ts == nil {
		return nil, errors.New("tree-sitter: parser is closed")
	}
	if int64(len(src)) > MaxSourceBytes {
		return nil, fmt.Errorf("tree-sitter: source of %d bytes is too large", len(src))
	}
	var srcPtr *C.char
	if len(src) > 0 {
		srcPtr = (*C.char)(unsafe.Pointer(&src[0]))
	} else {
		srcPtr = (*C.char)(unsafe.Pointer(&emptySource[0]))
	}
	tree := C.ts_parser_parse_string(p.ts, nil, srcPtr, C.uint32_t(len(src)))
	if tree == nil {
		// A parse that timed out leaves the parser mid-way; reset it so the
		// next file starts afresh.
		C.ts_parser_reset(p.ts)
		return nil, ErrParseAborted
	}
	defer C.ts_tree_delete(tree)
	if len(p.nodes) == 0 {
		// About one named node per 8 bytes of typical Python.
		p.nodes = make([]Node, max(1024, len(src)/6))
	}
	for {
		n := C.q4c_flatten(tree, srcPtr, C.uint16_t(commentSymbol), C.uint16_t(stringSymbol),
			(*C.uint8_t)(unsafe.Pointer(&symbolKind[0])), (*C.uint8_t)(unsafe.Pointer(&fieldKind[0])), C.uint32_t(len(fieldKind)),
			(*C.q4c_node)(unsafe.Pointer(&p.nodes[0])), C.long(len(p.nodes)))
		if n < 0 {
			return nil, errors.New("tree-sitter: out of memory while flattening")
		}
		if int(n) <= len(p.nodes) {
			return &Tree{Src: src, Nodes: p.nodes[:n:n], HasError: bool(C.q4c_tree_has_error(tree))}, nil
		}
		p.nodes = make([]Node, int(n)+int(n)/4)
	}
}

// The C flattener writes Nodes directly: the layouts must agree.
var _ = [1]struct{}{}[unsafe.Sizeof(Node{})-C.sizeof_q4c_node]
var _ = [1]struct{}{}[unsafe.Offsetof(Node{}.Start)-C.q4c_node_start_offset]
var _ = [1]struct{}{}[unsafe.Offsetof(Node{}.Next)-C.q4c_node_next_offset]

var emptySource = []byte{0}

// symbolKind maps grammar symbols to Kind; fieldKind maps grammar fields to Field.
var (
	symbolKind    []Kind
	fieldKind     []Field
	commentSymbol uint16 = 0xFFFE
	stringSymbol  uint16 = 0xFFFE
)

func init() { buildTables() }

func buildTables() {
	nsym := int(C.q4c_symbol_count())
	symbolKind = make([]Kind, 1<<16)
	for s := 0; s < nsym; s++ {
		name := C.GoString(C.q4c_symbol_name(C.uint16_t(s)))
		if k, ok := kindByName[name]; ok {
			symbolKind[s] = k
		}
		switch name {
		case "comment":
			commentSymbol = uint16(s)
		case "string":
			if stringSymbol == 0xFFFE {
				stringSymbol = uint16(s)
			}
		}
	}
	symbolKind[0xFFFF] = KindError
	nf := int(C.q4c_field_count())
	fieldKind = make([]Field, nf+1)
	for f := 1; f <= nf; f++ {
		name := C.GoString(C.q4c_field_name(C.uint16_t(f)))
		if fk, ok := fieldByName[name]; ok {
			fieldKind[f] = fk
		}
	}
}
