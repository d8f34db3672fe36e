package llm

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// OfflineModel is the model name records of the offline back-end carry.
const OfflineModel = "offline"

// Offline is the built-in back-end: deterministic, no network, no cost. It
// writes a summary from the docstring, the name and the context, a query
// the way people search, and a score from the lexical overlap of query and
// code. It keeps the pipeline running anywhere; it does not replace an LLM.
type Offline struct{}

var _ Generator = Offline{}

// NewOffline returns the offline back-end.
func NewOffline() Offline { return Offline{} }

// Model returns "offline".
func (Offline) Model() string { return OfflineModel }

// Summarize writes one to three sentences: what the function does (its
// docstring's first sentence, or its name read as a phrase), then what it
// relies on (callee summaries and documented APIs).
func (Offline) Summarize(ctx context.Context, in prompt.Input) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	fn := parseFunction(in.Function.Code, in.Function.Language)
	doc := description(fn, in.Function.Docstring)
	var sentences []string
	if first := firstSentence(doc); first != "" {
		sentences = append(sentences, ensurePeriod(first))
	} else {
		sentences = append(sentences, nameSentence(fn, in.Function.Code))
	}
	if deps := dependencySentence(in.Context); deps != "" {
		sentences = append(sentences, deps)
	}
	return Summary{Text: strings.Join(sentences, " "), Model: OfflineModel, Usage: Usage{Priced: true}}, nil
}

// description is a function's docstring: the one given with the request,
// else the one in its code; of JSDoc, the description without block tags.
func description(fn sourceFunction, given string) string {
	doc := given
	if doc == "" {
		doc = fn.Docstring
	}
	if fn.Language != "python" {
		doc = jsDocstring(doc)
	}
	return doc
}

// nameSentence reads a function name as a verb phrase: load_config(path)
// becomes "Load config from path."
func nameSentence(fn sourceFunction, code string) string {
	name := fn.Name
	if name == "" {
		return "Code from " + firstLine(code) + "."
	}
	phrase := functionPhrase(fn)
	if phrase == "" {
		return "Function " + name + "."
	}
	if fn.Property {
		return "Return the " + phrase + " property."
	}
	if len(fn.Params) == 0 && !strings.Contains(phrase, " ") {
		// One word is a name, not a sentence: say what kind of thing it is.
		if fn.Method {
			return capitalize(phrase) + " method of the object."
		}
		return capitalize(phrase) + " function."
	}
	if len(fn.Params) > 0 {
		params := fn.Params
		if len(params) > 3 {
			params = params[:3]
		}
		readable := make([]string, len(params))
		for i, p := range params {
			readable[i] = strings.Join(splitIdentifier(p), " ")
		}
		phrase += " given " + joinAnd(readable)
	}
	return capitalize(phrase) + "."
}

var (
	// propertyRe and methodRe tell Python properties and methods apart.
	propertyRe = regexp.MustCompile(`(?m)^[ \t]*@(?:[\w.]*\.)?(?:property|cached_property)\b`)
	methodRe   = regexp.MustCompile(`def[ \t]+\w+[ \t]*\([ \t]*(?:self|cls)\b`)
)

// nameVerbs spell out the clipped verbs that start function names.
var nameVerbs = map[string]string{
	"init": "initialize", "calc": "calculate", "gen": "generate", "del": "delete", "rm": "remove",
	"mk": "make", "cmp": "compare", "conv": "convert", "eval": "evaluate", "exec": "execute",
	"fmt": "format", "iter": "iterate", "norm": "normalize", "proc": "process", "upd": "update",
	"to": "convert to", "as": "convert to", "is": "check if", "has": "check if it has", "can": "check if it can",
	"should": "decide whether to", "on": "handle",
}

// dependencySentence names up to two callees with the gist of their
// summaries and up to two documented APIs.
func dependencySentence(c prompt.Context) string {
	var parts []string
	for i, callee := range c.Callees {
		if i == 2 {
			break
		}
		name := lastComponent(callee.ID)
		if gist := firstSentence(callee.Summary); gist != "" {
			parts = append(parts, fmt.Sprintf("%s (%s)", name, lowerFirst(strings.TrimSuffix(gist, "."))))
		} else {
			parts = append(parts, name)
		}
	}
	var apis []string
	for i, d := range c.APIDocs {
		if i == 2 {
			break
		}
		apis = append(apis, d.API)
	}
	switch {
	case len(parts) > 0 && len(apis) > 0:
		return fmt.Sprintf("It relies on %s and uses %s.", joinAnd(parts), joinAnd(apis))
	case len(parts) > 0:
		return fmt.Sprintf("It relies on %s.", joinAnd(parts))
	case len(apis) > 0:
		return fmt.Sprintf("It uses %s.", joinAnd(apis))
	}
	return ""
}

// Validate scores the query against the code by weighted lexical overlap.
func (Offline) Validate(ctx context.Context, in prompt.Input, query string) (Judgement, error) {
	if err := ctx.Err(); err != nil {
		return Judgement{}, err
	}
	m := LexicalMatch(query, in.Function)
	return Judgement{
		Score:       m.Score(),
		Explanation: m.Explain(),
		Relevance:   m.Similarity,
		Model:       OfflineModel,
		Usage:       Usage{Priced: true},
	}, nil
}

// Match is the lexical comparison of a query with code.
type Match struct {
	Similarity float64 // 0..1
	Matched    []string
	Missing    []string
}

// Score thresholds on Similarity, tuned on the CoSQA development split
// (see BenchmarkOfflineJudgeCoSQA); 2 is the paper's keep threshold.
const (
	threshold3 = 0.70
	threshold2 = 0.45
	threshold1 = 0.25
)

// Score maps the similarity onto the 0..3 rubric.
func (m Match) Score() int {
	switch {
	case m.Similarity >= threshold3:
		return 3
	case m.Similarity >= threshold2:
		return 2
	case m.Similarity >= threshold1:
		return 1
	}
	return 0
}

// Explain says which query terms the code has and which it lacks.
func (m Match) Explain() string {
	switch {
	case len(m.Matched) == 0 && len(m.Missing) == 0:
		return "The query has no content words to compare with the code."
	case len(m.Matched) == 0:
		return fmt.Sprintf("None of the query's terms (%s) occur in the code.", strings.Join(m.Missing, ", "))
	case len(m.Missing) == 0:
		return fmt.Sprintf("Every query term occurs in the code: %s.", strings.Join(m.Matched, ", "))
	}
	return fmt.Sprintf("The code has %s but not %s (lexical similarity %.2f).",
		strings.Join(m.Matched, ", "), strings.Join(m.Missing, ", "), m.Similarity)
}

// Where a term is found in the function, and how much that counts.
const (
	weightName      = 1.0
	weightDocstring = 0.8
	weightParam     = 0.6
	weightBody      = 0.5
	// A prefix match ("concat" for "concatenate") counts this fraction.
	partialFactor = 0.75
	// Share of the similarity that comes from the other direction: how much
	// of the function's name and first docstring sentence the query covers.
	// Query coverage alone rates a query that names one small part of a big
	// function as highly as one that describes it.
	headlineShare = 0.25
)

// genericTerms weigh less in a query: they occur in most code.
var genericTerms = stemSet(`value list data object function item file string number result name new
make create set line check type input output element key`)

// queryFiller are words of search queries that say how the person asks,
// not what they want.
var queryFiller = stemSet(`see find determine tell know want need script program method function python3
another one two three whether do make write built way possible simple easy quick best proper properly`)

// partialMatch scores a query term that no code term equals: a prefix
// ("concat" for "concatenate"), a part of a compound ("superset" in
// "issuperset"), or a compound of two code terms ("textfile").
func partialMatch(q string, all []string) float64 {
	if len(q) < 4 {
		return 0
	}
	for _, c := range all {
		if len(c) >= 4 && (strings.HasPrefix(c, q) || strings.HasPrefix(q, c)) {
			return partialFactor * weightBody
		}
		if len(c) >= len(q)+2 && strings.Contains(c, q) {
			return partialFactor * weightBody
		}
	}
	if len(q) >= 6 {
		set := make(map[string]bool, len(all))
		for _, c := range all {
			set[c] = true
		}
		for i := 3; i <= len(q)-3; i++ {
			if set[stem(q[:i])] && set[stem(q[i:])] {
				return partialFactor * weightBody
			}
		}
	}
	return 0
}

func stemSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[stem(w)] = true
	}
	return m
}

// LexicalMatch compares a query with a function's code (and docstring, if
// given separately), read in the function's language.
func LexicalMatch(query string, function prompt.Function) Match {
	fn := parseFunction(function.Code, function.Language)
	docstring := description(fn, function.Docstring)
	fields := []struct {
		weight float64
		terms  map[string]bool
	}{
		{weightName, termSet(strings.Join(splitIdentifier(fn.Name), " "))},
		{weightDocstring, termSet(docstring)},
		{weightParam, termSet(strings.Join(fn.Params, " "))},
		{weightBody, codeTermSet(fn.Body, fn.Language)},
	}
	var all []string
	seenAll := map[string]bool{}
	for _, f := range fields {
		for t := range f.terms {
			if !seenAll[t] {
				seenAll[t] = true
				all = append(all, t)
			}
		}
	}
	sort.Strings(all)

	var m Match
	seen := map[string]bool{}
	var total, got float64
	for _, word := range words(query) {
		if stopwords[word] || isNumber(word) || (fn.Language != "python" && jsQueryWords[word]) {
			continue
		}
		q := stem(word)
		if seen[q] {
			continue
		}
		seen[q] = true
		w := 1.0
		switch {
		case queryFiller[q]:
			w = 0.3
		case genericTerms[q] || len(q) <= 2:
			w = 0.5
		}
		best := 0.0
		for _, f := range fields {
			if f.terms[q] && f.weight > best {
				best = f.weight
			}
		}
		if best == 0 {
			best = partialMatch(q, all)
		}
		total += w
		got += w * best
		// Explanations show the words as typed, not their stems.
		if best > 0 {
			m.Matched = append(m.Matched, word)
		} else {
			m.Missing = append(m.Missing, word)
		}
	}
	if total > 0 {
		recall := got / total
		sim := (1-headlineShare)*recall + headlineShare*headlineCoverage(fn, docstring, seen)
		m.Similarity = math.Round(sim*1000) / 1000
	}
	return m
}

// headlineCoverage is the share of the terms of the function's name and
// first docstring sentence that the query has (exactly or partially).
func headlineCoverage(fn sourceFunction, docstring string, query map[string]bool) float64 {
	head := termSet(strings.Join(splitIdentifier(fn.Name), " ") + " " + firstSentence(docstring))
	if len(head) == 0 {
		return 0
	}
	queryTerms := make([]string, 0, len(query))
	for q := range query {
		queryTerms = append(queryTerms, q)
	}
	sort.Strings(queryTerms)
	hit := 0
	for h := range head {
		if query[h] || partialMatch(h, queryTerms) > 0 {
			hit++
		}
	}
	return float64(hit) / float64(len(head))
}

func termSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, t := range terms(s) {
		set[t] = true
	}
	return set
}

// codeTermSet is termSet of code: of JavaScript and TypeScript without the
// keywords that only say how the code is written (Python's are stopwords).
func codeTermSet(s, language string) map[string]bool {
	if language == "python" {
		return termSet(s)
	}
	set := map[string]bool{}
	for _, w := range words(s) {
		if stopwords[w] || jsKeywords[w] || isNumber(w) {
			continue
		}
		set[stem(w)] = true
	}
	return set
}

// jsKeywords are JavaScript and TypeScript keywords that say nothing of
// what code does; those Python shares (return, if, class, ...) are
// stopwords already.
var jsKeywords = toSet(`function const let var typeof instanceof undefined null void switch case catch throw
export extends super static yield debugger readonly declare of`)

// jsQueryWords name the language in a query about JavaScript or TypeScript
// code, as "python" does for Python: they say nothing of the task.
var jsQueryWords = toSet(`javascript typescript js ts node nodejs es6`)

func ensurePeriod(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if len(s) < 2 || strings.ToUpper(s[:2]) == s[:2] {
		// Keep acronyms: "HTTP client" stays as is.
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func lastComponent(id string) string {
	if i := strings.LastIndexByte(id, '.'); i >= 0 && i+1 < len(id) {
		return id[i+1:]
	}
	return id
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
