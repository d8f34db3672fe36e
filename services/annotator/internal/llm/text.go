package llm

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// splitIdentifier splits snake_case, camelCase, PascalCase, kebab-case and
// digit boundaries into lower-case words: "parseHTTPResponse2" -> parse,
// http, response, 2.
func splitIdentifier(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	runes := []rune(s)
	for i, r := range runes {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case len(cur) == 0:
			cur = append(cur, r)
		default:
			prev := cur[len(cur)-1]
			boundary := false
			switch {
			case unicode.IsDigit(r) != unicode.IsDigit(prev):
				boundary = true
			case unicode.IsUpper(r) && unicode.IsLower(prev):
				boundary = true
			case unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(runes) && unicode.IsLower(runes[i+1]):
				// The last capital of an acronym starts the next word: HTTPResponse.
				boundary = true
			}
			if boundary {
				flush()
			}
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// words returns the split, lower-case words of free text or code.
func words(s string) []string {
	var out []string
	for _, field := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}) {
		out = append(out, splitIdentifier(field)...)
	}
	return out
}

// stem reduces a lower-case word to a light stem so that "splits",
// "splitting" and "split" meet. It is deliberately conservative: a wrong
// merge costs more than a missed one for a relevance score.
func stem(w string) string {
	if canonical, ok := abbreviations[w]; ok {
		w = canonical
	}
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		w = w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "sses"):
		w = w[:n-2]
	case n > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes")):
		w = w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
	}
	n = len(w)
	switch {
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = undouble(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		w = undouble(w[:n-2])
	case n > 5 && strings.HasSuffix(w, "ation"):
		w = w[:n-5]
	}
	n = len(w)
	if n > 3 && strings.HasSuffix(w, "e") {
		w = w[:n-1]
	}
	return w
}

// undouble turns "splitt" (from "splitting") back into "split".
func undouble(w string) string {
	n := len(w)
	if n > 2 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// abbreviations maps the short forms programmers write in code to the words
// people type into a search box.
var abbreviations = map[string]string{
	"str": "string", "strs": "string", "int": "integer", "ints": "integer", "dict": "dictionary",
	"dicts": "dictionary", "len": "length", "num": "number", "nums": "number", "arr": "array",
	"fn": "function", "func": "function", "funcs": "function", "dir": "directory", "dirs": "directory",
	"cwd": "directory", "img": "image", "imgs": "image", "msg": "message", "msgs": "message",
	"idx": "index", "cnt": "count", "tmp": "temporary", "temp": "temporary", "env": "environment",
	"cfg": "config", "conf": "config", "configuration": "config", "param": "parameter", "params": "parameter",
	"arg": "argument", "args": "argument", "kwargs": "argument", "db": "database", "btn": "button",
	"col": "column", "cols": "column", "row": "row", "lst": "list", "req": "request", "resp": "response",
	"res": "result", "val": "value", "vals": "value", "obj": "object", "objs": "object", "elem": "element",
	"elems": "element", "pos": "position", "prev": "previous", "cur": "current", "curr": "current",
	"src": "source", "dst": "destination", "dest": "destination", "ts": "timestamp", "dt": "datetime",
	"fname": "filename", "filepath": "path", "pathname": "path", "ext": "extension", "pwd": "password",
	"regex": "regular", "re": "regular", "rx": "regular", "regexp": "regular", "np": "numpy", "pd": "pandas",
	"df": "dataframe", "plt": "matplotlib", "json": "json", "os": "os", "sys": "system", "cmd": "command",
	"exe": "execute", "exec": "execute", "proc": "process", "fmt": "format", "iter": "iterate",
	"seq": "sequence", "char": "character", "chars": "character", "ch": "character", "doc": "document",
	"docs": "document", "dt64": "datetime", "utc": "utc", "max": "maximum", "min": "minimum",
	"avg": "average", "mean": "average", "sqrt": "square", "abs": "absolute", "del": "delete",
	"rm": "delete", "remove": "delete", "mkdir": "directory", "makedirs": "directory", "listdir": "list",
	"isfile": "file", "isdir": "directory", "getcwd": "directory", "uniq": "unique", "dedup": "duplicate",
	"lowercase": "lower", "uppercase": "upper", "concat": "concatenate", "init": "initialize",
	"rand": "random", "randint": "random", "os.path": "path", "url": "url", "urls": "url",
	"http": "http", "https": "http", "sec": "second", "secs": "second", "ms": "millisecond",
	"bool": "boolean", "float": "float", "nan": "nan", "xml": "xml", "csv": "csv", "txt": "text",
	"stdout": "output", "stdin": "input", "stderr": "error", "err": "error", "exc": "exception",
	"ret": "return", "tup": "tuple", "tpl": "template", "sock": "socket", "conn": "connection",
	"mat": "matrix", "vec": "vector", "dim": "dimension", "dims": "dimension", "lib": "library",
	"pkg": "package", "mod": "module", "attr": "attribute", "attrs": "attribute", "prop": "property",
	"cls": "class", "bytes": "byte", "buf": "buffer", "async": "asynchronous", "sync": "synchronous",
	"dup": "duplicate", "dups": "duplicate", "ascii": "ascii", "utf": "unicode", "unicode": "unicode",
	"kwarg": "argument", "dataframes": "dataframe",
	// Synonyms people type for what code names otherwise.
	"folder": "directory", "folders": "directory", "subfolder": "subdirectory", "subdir": "subdirectory",
	"subdirs": "subdirectory", "randomly": "random", "record": "row", "records": "row",
	"choose": "select", "pick": "select", "size": "length", "verify": "validate", "erase": "delete",
	"ndarray": "array", "arrays": "array", "eq": "equal", "equals": "equal", "whitespace": "space",
	"lowercased": "lower", "uppercased": "upper", "substring": "substr", "filename": "filename",
}

// stopwords are words that carry no meaning for matching a query to code:
// English function words, the filler of search queries, and Python
// keywords.
var stopwords = toSet(`a an the of to in on at by for from with without into onto as is are was were be been
being am do does did doing have has had having it its this that these those there here what which who whom
whose when where why how i me my we our you your he she they them their and or but if then else not no nor so
than too very can could should would will shall may might must just only also any all each every some such
own same other both few more most python py python3 python2 use using used way code example get
def return self none true false elif except finally try raise pass lambda yield import while break continue
global nonlocal assert class`)

func toSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// terms returns the stemmed content words of s, in order, with repeats.
func terms(s string) []string {
	var out []string
	for _, w := range words(s) {
		if stopwords[w] || isNumber(w) {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

var (
	defRe          = regexp.MustCompile(`(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(`)
	classRe        = regexp.MustCompile(`(?m)^[ \t]*class[ \t]+([A-Za-z_][A-Za-z0-9_]*)`)
	docstringRe    = regexp.MustCompile(`(?s)^[ \t]*(?:[rRuU]?)("""|''')(.*?)("""|''')`)
	singleDocRe    = regexp.MustCompile(`^[ \t]*[rRuU]?("|')((?:\\.|[^\\\n])*?)("|')[ \t]*$`)
	sentenceEndRe  = regexp.MustCompile(`[.!?](?:\s|$)`)
	docFieldLineRe = regexp.MustCompile(`(?m)^\s*(?::param|:type|:return|:rtype|:raises|@param|@return|Args:|Arguments:|Parameters|Returns:|Return:|Raises:|Yields:|Example|>>>)`)
)

// sourceFunction is what the offline back-end reads from source code.
type sourceFunction struct {
	Language  string // "python", "javascript" or "typescript"
	Name      string
	Params    []string
	Docstring string
	Body      string // code after the signature and docstring
	Method    bool   // a method of a class or object (Python: one taking self or cls)
	Property  bool   // a property getter (Python: @property, JavaScript: get x())
}

// parseFunction reads the function of code in its language (a prompt
// language id; empty is Python).
func parseFunction(code, language string) sourceFunction {
	var fn sourceFunction
	lang := prompt.LanguageOf(language).ID
	if lang == "python" {
		fn = parsePython(code)
	} else {
		fn = parseJS(code)
	}
	fn.Language = lang
	return fn
}

// parsePython extracts the first function's name, parameters and docstring.
// It is a light reader for the offline back-end, not a parser: on code it
// does not understand it returns what it found.
func parsePython(code string) sourceFunction {
	var fn sourceFunction
	fn.Property = propertyRe.MatchString(code)
	fn.Method = methodRe.MatchString(code)
	loc := defRe.FindStringSubmatchIndex(code)
	if loc == nil {
		if m := classRe.FindStringSubmatch(code); m != nil {
			fn.Name = m[1]
		}
		fn.Body = code
		return fn
	}
	fn.Name = code[loc[2]:loc[3]]
	rest := code[loc[1]:]
	// Parameters: up to the bracket closing the signature.
	depth, end := 1, -1
	for i, r := range rest {
		if r == '(' || r == '[' || r == '{' {
			depth++
		} else if r == ')' || r == ']' || r == '}' {
			depth--
			if depth == 0 {
				end = i
				break
			}
		}
	}
	if end < 0 {
		fn.Body = rest
		return fn
	}
	fn.Params = parseParams(rest[:end])
	rest = rest[end+1:]
	// Skip the return annotation and the colon ending the signature.
	if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[nl+1:]
	} else {
		rest = ""
	}
	if m := docstringRe.FindStringSubmatchIndex(rest); m != nil {
		fn.Docstring = cleanDocstring(rest[m[4]:m[5]])
		rest = rest[m[1]:]
	} else if line, after, _ := strings.Cut(rest, "\n"); singleDocRe.MatchString(line) {
		sm := singleDocRe.FindStringSubmatch(line)
		fn.Docstring = cleanDocstring(sm[2])
		rest = after
	}
	fn.Body = rest
	return fn
}

func parseParams(sig string) []string {
	var params []string
	depth := 0
	start := 0
	emit := func(p string) {
		p = strings.TrimSpace(p)
		p = strings.TrimLeft(p, "*")
		if i := strings.IndexAny(p, ":="); i >= 0 {
			p = p[:i]
		}
		p = strings.TrimSpace(p)
		if p != "" && p != "self" && p != "cls" && p != "/" {
			params = append(params, p)
		}
	}
	for i, r := range sig {
		switch r {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				emit(sig[start:i])
				start = i + 1
			}
		}
	}
	emit(sig[start:])
	return params
}

func cleanDocstring(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// firstSentence returns the first sentence of a docstring, without the
// parameter sections that follow it, on one line.
func firstSentence(doc string) string {
	// A blank line ends the summary paragraph.
	if i := strings.Index(doc, "\n\n"); i >= 0 {
		doc = doc[:i]
	}
	if loc := docFieldLineRe.FindStringIndex(doc); loc != nil {
		doc = doc[:loc[0]]
	}
	doc = strings.Join(strings.Fields(doc), " ")
	if loc := sentenceEndRe.FindStringIndex(doc); loc != nil {
		doc = doc[:loc[0]+1]
	}
	return strings.TrimSpace(doc)
}
