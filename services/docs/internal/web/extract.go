package web

import (
	"bytes"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// resultLinks returns up to limit distinct result links of a search page
// that allow accepts. DuckDuckGo wraps results in a redirect
// (//duckduckgo.com/l/?uddg=<target>); the target is unwrapped.
func resultLinks(page []byte, base *url.URL, allow func(*url.URL) bool, limit int) []*url.URL {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil
	}
	var links []*url.URL
	seen := map[string]bool{}
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			if u := resultTarget(attr(n, "href"), base); u != nil && allow(u) {
				u.Fragment = ""
				if key := u.String(); !seen[key] {
					seen[key] = true
					links = append(links, u)
					if len(links) == limit {
						return false
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	walk(doc)
	return links
}

func resultTarget(href string, base *url.URL) *url.URL {
	if href == "" {
		return nil
	}
	u, err := base.Parse(href)
	if err != nil {
		return nil
	}
	if target := u.Query().Get("uddg"); target != "" && strings.HasPrefix(u.Path, "/l") {
		if u, err = url.Parse(target); err != nil {
			return nil
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	return u
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// extract finds api on a documentation page. Sphinx (and so Read the Docs
// and docs.python.org) anchors each documented object with its full dotted
// name: <dt id="requests.get">signature</dt><dd>description</dd>. Without
// such an anchor, the page's text blocks are searched for the name and the
// text from the first mention on is kept, up to limit characters.
func extract(page []byte, api string, limit int) (signature, text string, ok bool) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return "", "", false
	}
	if anchor := findByID(doc, api); anchor != nil {
		if anchor.DataAtom == atom.Dt {
			signature = cleanSignature(textOf(anchor))
			if dd := nextElement(anchor); dd != nil && dd.DataAtom == atom.Dd {
				text = clip(blocksText(dd), limit)
			}
			if signature != "" || text != "" {
				return signature, text, true
			}
		}
		if t := clip(blocksText(anchor), limit); t != "" {
			return "", t, true
		}
	}
	var blocks []string
	collectBlocks(doc, &blocks)
	needles := []string{api}
	if _, rest, ok := strings.Cut(api, "."); ok && strings.Contains(rest, ".") {
		needles = append(needles, rest) // "Session.get" for requests.Session.get
	}
	for _, needle := range needles {
		for i, b := range blocks {
			if !containsName(b, needle) {
				continue
			}
			var sb strings.Builder
			for _, next := range blocks[i:] {
				if sb.Len() > 0 {
					sb.WriteString("\n\n")
				}
				sb.WriteString(next)
				if utf8.RuneCountInString(sb.String()) >= limit {
					break
				}
			}
			return "", clip(sb.String(), limit), true
		}
	}
	return "", "", false
}

// containsName reports whether name occurs in s as a whole dotted name, not
// as part of a longer identifier.
func containsName(s, name string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], name)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(name)
		before := start == 0 || !isNameByte(s[start-1])
		// A '.' after the name continues it only when an identifier follows;
		// otherwise it ends a sentence.
		after := end == len(s) || !isNameByte(s[end]) ||
			s[end] == '.' && (end+1 == len(s) || !isNameByte(s[end+1]) || s[end+1] == '.')
		if before && after {
			return true
		}
		from = start + 1
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func findByID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode && attr(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if found := findByID(c, id); found != nil {
			return found
		}
	}
	return nil
}

func nextElement(n *html.Node) *html.Node {
	for s := n.NextSibling; s != nil; s = s.NextSibling {
		if s.Type == html.ElementNode {
			return s
		}
	}
	return nil
}

// skipped elements hold navigation, scripts and chrome, not documentation.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Nav: true, atom.Header: true,
	atom.Footer: true, atom.Form: true, atom.Svg: true, atom.Button: true, atom.Template: true,
	atom.Iframe: true, atom.Aside: true, atom.Head: true,
}

// blockElements end a run of text.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Ul: true, atom.Ol: true, atom.Li: true,
	atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Blockquote: true, atom.Br: true, atom.Hr: true,
	atom.Body: true, atom.Td: true, atom.Th: true,
}

func isSkipped(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if skipped[n.DataAtom] {
		return true
	}
	role := attr(n, "role")
	class := " " + attr(n, "class") + " "
	return role == "navigation" || role == "search" || strings.Contains(class, " headerlink ") ||
		strings.Contains(class, " sphinxsidebar ") || strings.Contains(class, " related ")
}

// collectBlocks appends the text of n's blocks, whitespace collapsed
// (kept inside <pre>), skipping chrome.
func collectBlocks(n *html.Node, blocks *[]string) {
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			*blocks = append(*blocks, s)
		}
		cur.Reset()
	}
	var walk func(n *html.Node, pre bool)
	walk = func(n *html.Node, pre bool) {
		if isSkipped(n) {
			return
		}
		switch n.Type {
		case html.TextNode:
			t := strings.ReplaceAll(n.Data, "¶", "")
			if !pre {
				t = collapse(t)
			}
			cur.WriteString(t)
			return
		case html.ElementNode:
			if n.DataAtom == atom.Pre {
				pre = true
			}
		}
		block := n.Type == html.ElementNode && blockElements[n.DataAtom]
		if block {
			flush()
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, pre)
		}
		if block {
			flush()
		}
	}
	walk(n, false)
	flush()
}

// collapse turns runs of whitespace into one space, keeping a single
// leading or trailing space so words of adjacent inline elements stay apart.
func collapse(s string) string {
	if s == "" {
		return ""
	}
	lead := isSpace(s[0])
	trail := isSpace(s[len(s)-1])
	body := strings.Join(strings.Fields(s), " ")
	if body == "" {
		return " "
	}
	if lead {
		body = " " + body
	}
	if trail {
		body += " "
	}
	return body
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' }

func blocksText(n *html.Node) string {
	var blocks []string
	collectBlocks(n, &blocks)
	return strings.Join(blocks, "\n\n")
}

func textOf(n *html.Node) string {
	var blocks []string
	collectBlocks(n, &blocks)
	return strings.Join(blocks, " ")
}

// cleanSignature drops what Sphinx appends to a signature: "[source]".
func cleanSignature(s string) string {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "[source]"))
	return strings.Join(strings.Fields(s), " ")
}

func clip(s string, limit int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	n := 0
	for i := range s {
		if n == limit {
			return strings.TrimSpace(s[:i])
		}
		n++
	}
	return s
}
