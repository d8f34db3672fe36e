// jstraits.go holds what a JavaScript/TypeScript definition's text says
// of it: signature, JSDoc, triviality.

package extract

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// signature is the declaration head from node head up to the body, with
// whitespace runs collapsed.
func (j *jsBuilder) signature(head, body *sitter.Node) string {
	if head == nil {
		return ""
	}
	start, end := head.StartByte(), head.EndByte()
	if body != nil && body.StartByte() >= start {
		end = body.StartByte()
	}
	s := strings.Join(strings.Fields(string(j.src[start:end])), " ")
	return strings.TrimSpace(strings.TrimSuffix(s, "{"))
}

// jsdoc returns the JSDoc block right before node n (only whitespace
// between), with the comment markers and `*` gutters stripped.
func (j *jsBuilder) jsdoc(n *sitter.Node) string {
	if n == nil {
		return ""
	}
	prev := n.PrevSibling()
	if prev == nil || prev.Type() != "comment" {
		return ""
	}
	if strings.TrimSpace(string(j.src[prev.EndByte():n.StartByte()])) != "" {
		return ""
	}
	return cleanJSDoc(j.text(prev))
}

// cleanJSDoc strips /** */ and the leading `*` of each line, then dedents.
func cleanJSDoc(c string) string {
	if !strings.HasPrefix(c, "/**") || !strings.HasSuffix(c, "*/") || len(c) < 5 {
		return ""
	}
	body := c[3 : len(c)-2]
	lines := strings.Split(body, "\n")
	for k, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, "*") {
			t = strings.TrimPrefix(t, "*")
			t = strings.TrimPrefix(t, " ")
			lines[k] = t
		} else if k > 0 {
			lines[k] = t
		} else {
			lines[k] = strings.TrimSpace(l)
		}
	}
	for k := range lines {
		lines[k] = strings.TrimRight(lines[k], " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// trivialBody reports a body that is empty, only throws, or returns
// nothing, a constant or a parameter (an expression body likewise).
func (j *jsBuilder) trivialBody(body *sitter.Node, params []Param) bool {
	if body == nil {
		return true
	}
	if body.Type() != "statement_block" {
		return j.jsConstant(body) || j.isJSParam(body, params)
	}
	for _, c := range named(body) {
		switch c.Type() {
		case "throw_statement", "empty_statement":
		case "return_statement":
			v := named(c)
			if len(v) > 0 && !j.jsConstant(v[0]) && !j.isJSParam(v[0], params) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (j *jsBuilder) jsConstant(n *sitter.Node) bool {
	switch n.Type() {
	case "number", "string", "true", "false", "null", "undefined":
		return true
	case "identifier":
		return j.text(n) == "undefined"
	case "template_string":
		_, ok := j.stringValue(n)
		return ok
	case "parenthesized_expression":
		v := named(n)
		return len(v) == 1 && j.jsConstant(v[0])
	}
	return false
}

func (j *jsBuilder) isJSParam(n *sitter.Node, params []Param) bool {
	if n.Type() != "identifier" {
		return false
	}
	name := j.text(n)
	for _, p := range params {
		if p.Name == name && name != "this" {
			return true
		}
	}
	return false
}
