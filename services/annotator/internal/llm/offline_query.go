package llm

import (
	"context"
	"hash/fnv"
	"regexp"
	"strings"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// GenerateQuery writes a short query as people type it: a task (the
// summary's first sentence, else the docstring's, else the name read as a
// verb phrase) and up to three words the task lacks that tell this
// function from others whose summaries start alike: its name, parameters,
// attributes set, calls, returns. The shape ("how to ... in python",
// "python ...", "... python", with the function's language) is chosen by a
// hash of the code, so a dataset gets all three. Everything comes from the function's own code
// and summary, so the query is deterministic and stable in the cache.
func (Offline) GenerateQuery(ctx context.Context, in prompt.Input, summary string) (Query, error) {
	if err := ctx.Err(); err != nil {
		return Query{}, err
	}
	fn := parseFunction(in.Function.Code, in.Function.Language)
	doc := fn.Docstring
	if fn.Language != "python" {
		doc = description(fn, in.Function.Docstring)
	}
	task := taskWords(firstSentence(summary))
	if len(contentWords(task)) == 0 {
		task = taskWords(firstSentence(doc))
	}
	if len(contentWords(task)) == 0 {
		task = taskWords(functionPhrase(fn))
	}
	if len(task) == 0 {
		task = []string{"run", "code"}
	}
	task = trimTrailingStopwords(limitWords(task, maxTaskWords))
	extras := specificWords(fn, task)
	word := prompt.LanguageOf(fn.Language).Word
	h := fnv.New32a()
	h.Write([]byte(in.Function.Code))
	var q string
	switch h.Sum32() % 3 {
	case 0:
		q = "how to " + strings.Join(task, " ")
		if len(extras.name) > 0 {
			q += " " + strings.Join(extras.name, " ")
		}
		if len(extras.params) > 0 {
			q += " with " + joinAnd(extras.params)
		}
		if len(extras.uses) > 0 {
			q += " using " + joinAnd(extras.uses)
		}
		q += " in " + word
	case 1:
		q = word + " " + strings.Join(append(keywordsOnly(task), extras.all()...), " ")
	default:
		q = strings.Join(append(keywordsOnly(task), extras.all()...), " ") + " " + word
	}
	return Query{Text: q, Model: OfflineModel, Usage: Usage{Priced: true}}, nil
}

// maxTaskWords keeps the task part of a query search-sized.
const maxTaskWords = 7

var (
	// rstRoleRe is a reStructuredText role (":meth:", ":class:`~").
	rstRoleRe = regexp.MustCompile(`:[a-z]+:`)
	// parenRe is a parenthesised aside, often code: "(a WSGI app)".
	parenRe = regexp.MustCompile(`\([^()]*\)`)
	// selfDescriptionRe is how docstrings introduce themselves: "Utility
	// method to", "A helper that". Nobody searches for it.
	// kindSuffixRe is what the offline summary adds to a one-word name
	// ("Close method of the object."): not what anyone searches for.
	kindSuffixRe      = regexp.MustCompile(`\s+(?:method of the object|function)\.?$`)
	selfDescriptionRe = regexp.MustCompile(`^(?:(?:a|an|the|this)\s+)?(?:(?:small|simple|internal|private|convenience|utility|helper|little)\s+)*(?:function|method|helper|utility|wrapper|shortcut|decorator|classmethod)s?\s+(?:to|that|which|for)\s+`)
)

// taskWords turns a summary sentence into a lower-case task phrase: the
// leading verb back to its base form ("Returns" -> "get", "Splits" ->
// "split"), articles, markup and asides dropped, identifiers read as words.
func taskWords(sentence string) []string {
	// "Load config given path": the parameters are not the task.
	sentence, _, _ = strings.Cut(sentence, " given ")
	sentence = rstRoleRe.ReplaceAllString(sentence, " ")
	sentence = parenRe.ReplaceAllString(sentence, " ")
	sentence = strings.TrimSpace(sentence)
	sentence = selfDescriptionRe.ReplaceAllString(strings.ToLower(sentence[:min(len(sentence), 1)])+sentence[min(len(sentence), 1):], "")
	sentence = kindSuffixRe.ReplaceAllString(sentence, "")
	var out []string
	for i, w := range strings.Fields(sentence) {
		w = strings.Trim(w, ".,;:!?()[]{}\"'`*~<>=")
		lower := strings.ToLower(w)
		if i == 0 && (lower == "a" || lower == "an" || lower == "the") {
			// A noun phrase, as property docstrings are: "The port of the URL".
			out = append(out, "get")
			continue
		}
		if w == "" || lower == "a" || lower == "an" || lower == "the" {
			continue
		}
		if strings.ContainsAny(w, "()=<>{}[]") {
			continue
		}
		if strings.ContainsAny(w, "_`") || strings.Contains(w, ".") || isIdentifierLike(w) {
			// An identifier: its words, as people type them; of a dotted
			// path only the last name ("werkzeug.datastructures.Headers").
			if i := strings.LastIndexByte(w, '.'); i >= 0 && i+1 < len(w) {
				w = w[i+1:]
			}
			out = append(out, splitIdentifier(w)...)
			continue
		}
		w = lower
		if len(out) == 0 {
			w = baseVerb(w)
		}
		if len(out) == 1 && out[0] == "get" && (w == "true" || w == "whether") {
			// "Returns True if ...": a check.
			out[0] = "check"
			if w == "true" {
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

// baseVerb undoes the third person of a docstring's leading verb.
func baseVerb(w string) string {
	switch w {
	case "returns", "return", "gets":
		return "get"
	case "does":
		return "do"
	case "is", "checks", "tests":
		return "check"
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 3:
		return w[:len(w)-1]
	}
	return w
}

// queryStopwords are dropped from keyword queries; verbs such as "get"
// stay, people type them.
var queryStopwords = toSet(`a an the of to in on at by for from with into onto as is are be been it its this
that these those and or if then else which whose when where given using via based all each every any`)

// keywordsOnly drops the function words of a task phrase.
func keywordsOnly(ws []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range ws {
		if queryStopwords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	if len(out) == 0 {
		return ws
	}
	return out
}

// contentWords are the words of a phrase that say what it is about.
func contentWords(ws []string) []string {
	var out []string
	for _, w := range ws {
		if !stopwords[w] && !queryStopwords[w] && !isNumber(w) {
			out = append(out, w)
		}
	}
	return out
}

// trimTrailingStopwords drops what a cut left dangling: "parse headers into".
func trimTrailingStopwords(ws []string) []string {
	for len(ws) > 1 && (queryStopwords[ws[len(ws)-1]] || stopwords[ws[len(ws)-1]]) {
		ws = ws[:len(ws)-1]
	}
	return ws
}

func limitWords(ws []string, n int) []string {
	if len(ws) > n {
		return ws[:n]
	}
	return ws
}

// functionPhrase reads a function's name as a verb phrase (namePhrase);
// JavaScript's special methods by what they are for.
func functionPhrase(fn sourceFunction) string {
	if p, ok := jsSpecialPhrases[fn.Name]; ok && fn.Language != "python" {
		return p
	}
	return namePhrase(fn.Name)
}

// jsSpecialPhrases say what the methods JavaScript calls by convention do,
// as __init__ and __str__ are read in Python.
var jsSpecialPhrases = map[string]string{
	"constructor": "initialize object", "toString": "convert object to string", "toJSON": "convert object to json",
	"valueOf": "convert object to primitive value", "render": "render component", "componentDidMount": "run code after component mounts",
}

// namePhrase reads a function name as a verb phrase; special methods by
// what they are for.
func namePhrase(name string) string {
	if p, ok := dunderPhrases[strings.Trim(name, "_")]; ok && strings.HasPrefix(name, "__") {
		return p
	}
	ws := splitIdentifier(name)
	if len(ws) > 0 {
		if full, ok := nameVerbs[ws[0]]; ok {
			ws[0] = full
		}
	}
	return strings.Join(ws, " ")
}

// dunderPhrases say what a special method does, as one would search for
// it; its name alone ("repr", "init") is not a task.
var dunderPhrases = map[string]string{
	"init": "initialize object", "new": "create new instance", "repr": "custom repr string of object",
	"str": "convert object to str", "bytes": "convert object to bytes", "format": "format object",
	"eq": "compare objects for equality eq", "ne": "compare objects for inequality ne", "lt": "compare objects order lt",
	"le": "compare objects order le", "gt": "compare objects order gt", "ge": "compare objects order ge",
	"hash": "compute object hash", "bool": "bool truth value of object", "len": "get len of container",
	"iter": "iterate over items", "next": "get next item of iterator", "reversed": "iterate in reverse",
	"getitem": "get item by key", "setitem": "set item by key", "delitem": "delete item by key",
	"contains": "check if item is contained", "missing": "handle missing key", "call": "call object",
	"enter": "enter context manager", "exit": "exit context manager", "aenter": "enter async context manager",
	"aexit": "exit async context manager", "getattr": "getattr dynamic attribute lookup",
	"getattribute": "getattribute attribute lookup", "setattr": "setattr set attribute", "delattr": "delattr delete attribute",
	"get": "descriptor get value", "set": "descriptor set value", "delete": "descriptor delete value",
	"copy": "copy object", "deepcopy": "deep copy object", "reduce": "reduce object for pickle",
	"reduce_ex": "reduce object for pickle", "getstate": "getstate for pickle", "setstate": "setstate restore pickled state",
	"getnewargs": "getnewargs for pickle", "add": "add objects", "radd": "add objects", "iadd": "iadd add in place",
	"sub": "subtract objects", "mul": "multiply objects", "truediv": "divide objects", "or": "merge objects with or",
	"ior": "merge in place with or", "and": "intersect objects", "class_getitem": "parametrize generic class",
	"init_subclass": "initialize subclass", "set_name": "set descriptor name", "del": "del finalizer cleanup",
	"await": "await object", "aiter": "iterate asynchronously", "anext": "get next item asynchronously",
	"dir": "list attributes with dir", "sizeof": "get object size", "index": "convert to integer index",
	"int": "convert object to int", "float": "convert object to float", "html": "render html",
}

var (
	callRe       = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.]*)\s*\(`)
	selfAssignRe = regexp.MustCompile(`(?m)^\s*self\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:=[^=]|:)`)
	returnRe     = regexp.MustCompile(`(?m)^\s*return\s+([^\n#]+)`)
	raiseRe      = regexp.MustCompile(`(?m)^\s*raise\s+([A-Za-z_][A-Za-z0-9_.]*)`)
	// The same for JavaScript and TypeScript: this.x = ..., throw new Error(...).
	jsCallRe        = regexp.MustCompile(`([A-Za-z_$][\w$.]*)\s*(?:<[\w$.,\s]*>)?\(`)
	thisAssignRe    = regexp.MustCompile(`(?m)^\s*this\.#?([A-Za-z_$][\w$]*)\s*=[^=]`)
	jsReturnRe      = regexp.MustCompile(`(?m)^\s*return\s+([^\n;]+)`)
	throwRe         = regexp.MustCompile(`(?m)^\s*throw\s+(?:new\s+)?([A-Za-z_$][\w$.]*)`)
	jsLineCommentRe = regexp.MustCompile(`(?m)//.*$`)
)

// codePatterns are the patterns specificWords reads a language's code with.
type codePatterns struct {
	call, selfAssign, ret, raise *regexp.Regexp
	plainCalls                   map[string]bool
}

var (
	pythonPatterns = codePatterns{call: callRe, selfAssign: selfAssignRe, ret: returnRe, raise: raiseRe, plainCalls: plainCalls}
	jsPatterns     = codePatterns{call: jsCallRe, selfAssign: thisAssignRe, ret: jsReturnRe, raise: throwRe, plainCalls: jsPlainCalls}
)

// jsPlainCalls are JavaScript calls too common to say anything about a
// function, and the keywords a call pattern takes for calls (if (...)).
var jsPlainCalls = toSet(`push pop shift unshift slice splice concat indexOf lastIndexOf includes forEach map filter
reduce some every find findIndex keys values entries assign freeze toString valueOf log error warn info debug then
require String Number Boolean Array Object Promise Symbol Error isArray from has set get delete add call apply bind
trim split join replace toLowerCase toUpperCase startsWith endsWith charAt substring substr parseInt parseFloat isNaN
setTimeout clearTimeout super if for while switch catch function return typeof await new`)

// plainCalls are calls too common to say anything about a function.
var plainCalls = toSet(`len isinstance issubclass str int float bool list dict set tuple frozenset bytes
super print range enumerate zip map filter sorted reversed type iter next getattr setattr hasattr delattr
repr hash id min max sum any all abs callable vars append extend insert pop get items keys values update
join split strip lstrip rstrip startswith endswith format encode decode lower upper replace copy add
object cast warn`)

// plainWords are parameter and attribute words that name nothing in
// particular.
var plainWords = toSet(`self cls args kwargs kw kwds arg obj value values val x y i j k v n s d f fn func
other item data result rv ret tmp default key name cb callback options opts`)

// maxExtraWords bounds the words a query takes from the code.
const maxExtraWords = 3

// codeWords are the phrases a query takes from the code, by where they come
// from; each phrase is the words of one identifier.
type codeWords struct {
	name   []string // the function's own name
	params []string
	uses   []string // attributes set, functions called, values returned, exceptions raised
}

func (c codeWords) all() []string {
	return append(append(append([]string(nil), c.name...), c.params...), c.uses...)
}

// specificWords picks phrases from the code that the task lacks: the name's
// own words, the parameters, the attributes it sets, the functions it
// calls, what it returns and raises. They tell apart functions whose
// summaries start alike.
func specificWords(fn sourceFunction, task []string) codeWords {
	pat, body := pythonPatterns, fn.Body
	if fn.Language != "python" {
		// Comments are not what the code does.
		pat, body = jsPatterns, jsLineCommentRe.ReplaceAllString(fn.Body, "")
	}
	have := map[string]bool{}
	for _, w := range task {
		have[stem(w)] = true
	}
	budget := maxExtraWords
	if n := len(contentWords(task)); n >= 4 {
		budget = 2
	}
	used := 0
	var out codeWords
	add := func(to *[]string, ws []string) {
		var phrase []string
		for _, w := range ws {
			if used+len(phrase) >= budget {
				break
			}
			if len(w) < 3 || stopwords[w] || plainWords[w] || isNumber(w) || have[stem(w)] {
				continue
			}
			have[stem(w)] = true
			phrase = append(phrase, w)
		}
		if len(phrase) > 0 {
			used += len(phrase)
			*to = append(*to, strings.Join(phrase, " "))
		}
	}
	python := fn.Language == "python"
	_, special := jsSpecialPhrases[fn.Name]
	if !strings.HasPrefix(fn.Name, "__") && (python || !special) {
		add(&out.name, splitIdentifier(fn.Name))
	}
	for _, p := range fn.Params {
		add(&out.params, splitIdentifier(p))
	}
	for _, m := range pat.selfAssign.FindAllStringSubmatch(body, -1) {
		add(&out.uses, splitIdentifier(m[1]))
	}
	for _, m := range pat.call.FindAllStringSubmatch(body, -1) {
		call := m[1]
		if i := strings.LastIndexByte(call, '.'); i >= 0 {
			call = call[i+1:]
		}
		if pat.plainCalls[call] || strings.HasPrefix(call, "__") {
			continue
		}
		add(&out.uses, splitIdentifier(call))
	}
	for _, m := range pat.ret.FindAllStringSubmatch(body, -1) {
		var ws []string
		for _, w := range words(m[1]) {
			if !pat.plainCalls[w] && (python || !jsKeywords[w]) {
				ws = append(ws, w)
			}
		}
		add(&out.uses, ws)
	}
	for _, m := range pat.raise.FindAllStringSubmatch(body, -1) {
		add(&out.uses, splitIdentifier(m[1]))
	}
	return out
}
