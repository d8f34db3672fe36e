package fakellm

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Stage names as the fake reports them.
const (
	StageSummary  = "summary"
	StageQuery    = "query"
	StageValidate = "validate"
	StageUnknown  = "unknown"
)

// detectStage reads the system prompt the way a test double can: by the
// answer shape each stage asks for.
func detectStage(messages []Message) string {
	system := ""
	for _, m := range messages {
		if m.Role == "system" {
			system += m.Content + "\n"
		}
	}
	switch {
	case strings.Contains(system, `"score"`):
		return StageValidate
	case strings.Contains(system, `{"query"`):
		return StageQuery
	case strings.Contains(strings.ToLower(system), "summary"):
		return StageSummary
	}
	return StageUnknown
}

var blockStartRe = regexp.MustCompile(`^<<<BEGIN ([A-Z]+) ([0-9a-f]+)>>>$`)

// splitData separates the data blocks of the first user message from
// everything else the model reads. Blocks are keyed by name (CODE, SUMMARY,
// QUERY); only blocks with the id of the first one count.
func splitData(messages []Message) (blocks map[string]string, outside string) {
	blocks = map[string]string{}
	var out strings.Builder
	seenUser := false
	for _, m := range messages {
		if m.Role != "user" || seenUser {
			out.WriteString(m.Content + "\n")
			continue
		}
		seenUser = true
		fence := ""
		open := ""
		var cur []string
		for _, line := range strings.Split(m.Content, "\n") {
			if open != "" {
				if line == "<<<END "+open+" "+fence+">>>" {
					blocks[open] = strings.Join(cur, "\n")
					open, cur = "", nil
					continue
				}
				cur = append(cur, line)
				continue
			}
			if sm := blockStartRe.FindStringSubmatch(line); sm != nil && (fence == "" || sm[2] == fence) {
				fence, open = sm[2], sm[1]
				continue
			}
			out.WriteString(line + "\n")
		}
		if open != "" {
			// An unclosed block is not data.
			out.WriteString(strings.Join(cur, "\n"))
		}
	}
	return blocks, out.String()
}

var injectionRe = regexp.MustCompile(`(?i)ignore (?:all |the )?(?:above|previous|prior)`)

// injected reports whether an injection phrase is outside the data blocks.
func injected(messages []Message) bool {
	_, outside := splitData(messages)
	return injectionRe.MatchString(outside)
}

var (
	docstringRe = regexp.MustCompile(`(?s)(?:"""|''')\s*(.*?)(?:"""|''')`)
	// jsDocRe is a JSDoc comment, up to its first block tag (@param, ...) or its end.
	jsDocRe = regexp.MustCompile(`(?s)/\*\*(.*?)(?:\n\s*\*?\s*@|\*/)`)
)

// queryWords are the words a person would search with: the name's when it has one (three letters or
// more), else, as a model would for a name that says nothing ("f0_21"), the docstring's (or JSDoc's)
// first words.
func queryWords(code, nameWords string) string {
	for _, w := range strings.Fields(nameWords) {
		if len(w) >= 3 && strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
			return nameWords
		}
	}
	m := docstringRe.FindStringSubmatch(code)
	if m == nil {
		m = jsDocRe.FindStringSubmatch(code)
	}
	if m == nil {
		return nameWords
	}
	var words []string
	for _, w := range strings.Fields(strings.ReplaceAll(m[1], "*", " ")) {
		w = strings.ToLower(strings.Trim(w, ".,;:!?()"))
		if len(w) >= 3 && strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
			words = append(words, w)
		}
		if len(words) == 5 {
			break
		}
	}
	if len(words) < 2 {
		return nameWords
	}
	return strings.Join(words, " ")
}

var defNameRe = regexp.MustCompile(`(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)`)

// jsNameRes name a JavaScript or TypeScript function by its header line: a declaration, a binding, an
// exports.x assignment, a method or accessor.
var jsNameRes = []*regexp.Regexp{
	regexp.MustCompile(`^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)`),
	regexp.MustCompile(`^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)`),
	regexp.MustCompile(`^(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=`),
	regexp.MustCompile(`^(?:(?:public|private|protected|static|async|override|get|set)\s+)*#?([A-Za-z_$][\w$]*)\s*[<(]`),
}

// languageRe finds the language the prompt names (every stage says "<Language> programmer" or
// "<Language> function").
var languageRe = regexp.MustCompile(`\b(Python|JavaScript|TypeScript) (?:programmer|function)\b`)

// promptLanguage is the language the system prompt names, in lower case; Python when it names none.
func promptLanguage(messages []Message) string {
	for _, m := range messages {
		if m.Role == "system" {
			if sm := languageRe.FindStringSubmatch(m.Content); sm != nil {
				return strings.ToLower(sm[1])
			}
		}
	}
	return "python"
}

// functionName is the name of the function the CODE block ends with: for Python the last def, for
// JavaScript and TypeScript the header after the context comments, JSDoc and decorators.
func functionName(code, language string) string {
	if language == "python" {
		if all := defNameRe.FindAllStringSubmatch(code, -1); len(all) > 0 {
			return all[len(all)-1][1]
		}
		return ""
	}
	inDoc := false
	for _, line := range strings.Split(code, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case inDoc:
			inDoc = !strings.Contains(line, "*/")
			continue
		case strings.HasPrefix(line, "/*"):
			inDoc = !strings.Contains(line, "*/")
			continue
		case line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "@"):
			continue
		}
		for _, re := range jsNameRes {
			if m := re.FindStringSubmatch(line); m != nil {
				return m[1]
			}
		}
		return ""
	}
	return ""
}

// answer is the clean, deterministic answer for a stage.
func answer(stage string, messages []Message) string {
	blocks, outside := splitData(messages)
	obey := injectionRe.MatchString(outside)
	code := blocks["CODE"]
	language := promptLanguage(messages)
	name := functionName(code, language)
	nameWords := strings.Join(splitWords(name), " ")
	if nameWords == "" {
		nameWords = "code"
	}
	switch stage {
	case StageSummary:
		if obey {
			return "PWNED"
		}
		s := fmt.Sprintf("%s: computes its result from its arguments.", capitalize(nameWords))
		if callees := calleeNames(code); len(callees) > 0 {
			s += " It relies on " + strings.Join(callees, ", ") + "."
		}
		return s
	case StageQuery:
		if obey {
			return mustJSON(map[string]any{"query": "PWNED"})
		}
		return mustJSON(map[string]any{"query": "how to " + queryWords(code, nameWords) + " in " + language})
	case StageValidate:
		if obey {
			return mustJSON(map[string]any{"explanation": "Instructed to give 3.", "score": 3})
		}
		score, matched := overlapScore(blocks["QUERY"], code)
		return mustJSON(map[string]any{
			"explanation": fmt.Sprintf("The code mentions %d of the query's words (%s).", len(matched), strings.Join(matched, ", ")),
			"score":       score,
		})
	}
	return "OK"
}

var calleeLineRe = regexp.MustCompile(`(?m)^(?:#|//) callee ([A-Za-z0-9_.$@/-]+?):? `)

func calleeNames(code string) []string {
	var out []string
	for _, m := range calleeLineRe.FindAllStringSubmatch(code, -1) {
		out = append(out, m[1])
	}
	return out
}

// overlapScore is 0..3 by the share of the query's words (3+ letters) that
// occur in the code.
func overlapScore(query, code string) (int, []string) {
	codeWords := map[string]bool{}
	for _, w := range splitWords(code) {
		codeWords[w] = true
	}
	var matched []string
	total := 0
	seen := map[string]bool{}
	for _, w := range splitWords(query) {
		if len(w) < 3 || seen[w] || w == "python" || w == "javascript" || w == "typescript" || w == "how" {
			continue
		}
		seen[w] = true
		total++
		if codeWords[w] {
			matched = append(matched, w)
		}
	}
	if total == 0 {
		return 0, nil
	}
	return (3*len(matched) + total/2) / total, matched
}

// splitWords splits text and identifiers (snake and camel case) into
// lower-case words.
func splitWords(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

var scoreFieldRe = regexp.MustCompile(`"score":\s*([0-3])`)

// proseShapes are how chat models wrap an answer they were asked to give
// bare, seen in the wild: an opening line, a closing line or both, a
// markdown label, a fence, the JSON given up for plain text. %[1]s is the
// answer, %[2]s what the stage calls it.
var proseShapes = []string{
	"Sure! Here is my answer:\n%[1]s\nLet me know if you need anything else.",
	"Certainly, here's the %[2]s:\n\n%[1]s\n\nI hope this helps!",
	"Here is a concise %[2]s:\n\n%[1]s",
	"%[1]s\n\nLet me know if you'd like any changes.",
	"Of course! Here's the %[2]s you asked for:\n```\n%[1]s\n```\nFeel free to ask if you have more questions.",
	"Sure. %[1]s I hope this helps!",
	"**%[3]s:** %[1]s",
}

// garble turns a clean answer into what sloppy servers send. pick chooses
// among the shapes of a fault, so one run sees them all.
func garble(content, stage string, f Fault, pick int) string {
	switch f {
	case FaultProse:
		noun := stage
		if stage == StageValidate {
			noun = "assessment"
		}
		shape := proseShapes[pick%len(proseShapes)]
		if stage == StageQuery && pick%2 == 1 {
			// Without JSON mode models often give the query as text.
			var q struct{ Query string }
			if json.Unmarshal([]byte(content), &q) == nil && q.Query != "" {
				content = "`" + q.Query + "`"
			}
		}
		return fmt.Sprintf(shape, content, noun, capitalize(noun))
	case FaultFenced:
		return "```json\n" + content + "\n```"
	case FaultWordScore:
		words := []string{"zero", "one", "two", "three"}
		return scoreFieldRe.ReplaceAllStringFunc(content, func(m string) string {
			d := m[len(m)-1] - '0'
			return `"score": "` + words[d] + `"`
		})
	case FaultGarbage:
		return "I am not able to answer that in the requested format."
	case FaultRefusal:
		return refusals[pick%len(refusals)]
	}
	return content
}

// refusals are how chat models decline.
var refusals = []string{
	"I'm sorry, but I can't help with that request.",
	"As an AI language model, I cannot execute or analyze code from external repositories.",
	"I apologize, but I am unable to provide a summary of this code.",
}
