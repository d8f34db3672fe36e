package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errUnparsable marks an answer the tolerant parsers could not read; it
// triggers the repair request.
var errUnparsable = errors.New("unparsable answer")

var fenceRe = regexp.MustCompile("(?s)```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?```")

// stripFences returns the content of the first fenced block, or s.
func stripFences(s string) string {
	if m := fenceRe.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1])
	}
	// An unclosed fence (a truncated answer): drop the opening line.
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "```") {
		if _, rest, ok := strings.Cut(t, "\n"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return strings.TrimSpace(s)
}

// jsonObjects returns the top-level {...} objects in s that decode, in
// order, skipping braces inside strings.
func jsonObjects(s string) []map[string]any {
	var out []map[string]any
	for start := strings.IndexByte(s, '{'); start >= 0 && start < len(s); {
		end := matchBrace(s, start)
		if end < 0 {
			break
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(s[start:end+1]), &obj); err == nil {
			out = append(out, obj)
			next := strings.IndexByte(s[end+1:], '{')
			if next < 0 {
				break
			}
			start = end + 1 + next
			continue
		}
		next := strings.IndexByte(s[start+1:], '{')
		if next < 0 {
			break
		}
		start = start + 1 + next
	}
	return out
}

// matchBrace returns the index of the brace closing the one at open, or -1.
func matchBrace(s string, open int) int {
	depth := 0
	inString := false
	escaped := false
	for i := open; i < len(s); i++ {
		c := s[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// fieldFold finds key in obj case-insensitively.
func fieldFold(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v, true
		}
	}
	return nil, false
}

// ParseSummary reads a summary answer: plain prose, possibly fenced,
// labelled ("Summary:"), quoted, wrapped in {"summary": ...} or in chat
// filler. A refusal, an empty answer or one that is only code or
// identifiers is unparsable: the prompt asks for prose.
func ParseSummary(content string) (string, error) {
	s := stripFences(content)
	text := ""
	for _, obj := range jsonObjects(s) {
		if v, ok := fieldFold(obj, "summary"); ok {
			if str, ok := v.(string); ok && strings.TrimSpace(str) != "" {
				text = str
				break
			}
		}
	}
	if text == "" {
		text = s
	}
	text = stripJSDoc(stripChatter(text))
	if err := checkSummary(text); err != nil {
		return "", err
	}
	return text, nil
}

// minSummaryWords is the shortest summary that can say what a function
// does ("Parses dates.").
const minSummaryWords = 2

func checkSummary(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty summary", errUnparsable)
	case isRefusal(s):
		return fmt.Errorf("%w: the model declined: %q", errUnparsable, clip(s, 80))
	case isCodeLine(s):
		return fmt.Errorf("%w: the summary is code, not prose: %q", errUnparsable, clip(s, 80))
	case !hasPlainWord(s) || len(strings.Fields(s)) < minSummaryWords:
		return fmt.Errorf("%w: the summary is not a sentence: %q", errUnparsable, clip(s, 80))
	}
	return nil
}

var queryLabelRe = regexp.MustCompile(`(?i)^\s*(?:\*\*)?(?:search\s+)?query(?:\*\*)?\s*:`)

// ParseQuery reads a query answer: {"query": ...} anywhere in the text
// (fenced, after prose), a single line of plain text, or a labelled line
// ("Search query: ...") among prose. The query must read as a search: a
// refusal, code, a bare identifier or a single word is unparsable.
func ParseQuery(content string) (string, error) {
	s := stripFences(content)
	for _, obj := range jsonObjects(s) {
		if v, ok := fieldFold(obj, "query"); ok {
			if str, ok := v.(string); ok {
				if q := cleanQuery(str); q != "" {
					return q, checkQuery(q)
				}
			}
		}
	}
	if strings.ContainsAny(s, "{}") {
		return "", fmt.Errorf("%w: no \"query\" string in JSON answer", errUnparsable)
	}
	s = stripChatter(s)
	if isRefusal(s) {
		return "", fmt.Errorf("%w: the model declined: %q", errUnparsable, clip(s, 80))
	}
	lines := nonEmptyLines(s)
	if len(lines) == 1 || (len(lines) > 1 && allListItems(lines[1:])) {
		// One line, or the first of a list of alternatives.
		q := cleanQuery(lines[0])
		return q, checkQuery(q)
	}
	for _, l := range lines {
		if queryLabelRe.MatchString(l) {
			if q := cleanQuery(l); q != "" {
				return q, checkQuery(q)
			}
		}
	}
	return "", fmt.Errorf("%w: no query found", errUnparsable)
}

// maxQueryWords bounds a query: longer text is a sentence of prose.
const maxQueryWords = 20

// queryFillerWords do not make a query out of an identifier:
// "parse_date function python" and "parseDate js" are still only names.
var queryFillerWords = toSet(`python python3 py javascript typescript js ts node nodejs how to in the a an of for
function method code def class const`)

func checkQuery(q string) error {
	var content []string
	for _, w := range strings.Fields(q) {
		if !queryFillerWords[strings.ToLower(w)] {
			content = append(content, w)
		}
	}
	switch {
	case q == "":
		return fmt.Errorf("%w: empty query", errUnparsable)
	case isRefusal(q):
		return fmt.Errorf("%w: the model declined: %q", errUnparsable, clip(q, 80))
	case len(strings.Fields(q)) > maxQueryWords:
		return fmt.Errorf("%w: %d words is prose, not a search query", errUnparsable, len(strings.Fields(q)))
	case looksLikeCode(q):
		return fmt.Errorf("%w: the query is code: %q", errUnparsable, clip(q, 80))
	case !hasPlainWord(strings.Join(content, " ")):
		return fmt.Errorf("%w: the query is only an identifier: %q", errUnparsable, q)
	case len(strings.Fields(q)) < 2:
		return fmt.Errorf("%w: a single word is not a search query: %q", errUnparsable, q)
	}
	return nil
}

func allListItems(lines []string) bool {
	for _, l := range lines {
		if !listMarkerRe.MatchString(l) {
			return false
		}
	}
	return true
}

// cleanQuery strips labels, quotes, emphasis and a final full stop, and
// collapses white space.
func cleanQuery(s string) string {
	s = stripLeadIn(s)
	s = strings.TrimRight(s, ".")
	s = strings.TrimSpace(trimQuotes(strings.TrimSpace(s)))
	return strings.Join(strings.Fields(s), " ")
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

var (
	scoreWordRe = regexp.MustCompile(`(?i)\bscore\b["'*\s]*(?:is|of|:|=)?["'*\s]*([0-3](?:\.0+)?|zero|one|two|three)\b`)
	numberWords = map[string]int{"zero": 0, "one": 1, "two": 2, "three": 3, "none": 0}
)

// ParseJudgement reads a validation answer: {"explanation": ..., "score":
// ...} where the score may be a number, a numeric string or a word, or
// prose naming "score: N".
func ParseJudgement(content string) (int, string, error) {
	s := stripFences(content)
	for _, obj := range jsonObjects(s) {
		v, ok := fieldFold(obj, "score")
		if !ok {
			continue
		}
		score, err := scoreValue(v)
		if err != nil {
			return 0, "", err
		}
		explanation := ""
		for _, key := range []string{"explanation", "reason", "reasoning", "rationale"} {
			if e, ok := fieldFold(obj, key); ok {
				if str, ok := e.(string); ok {
					explanation = strings.TrimSpace(str)
					break
				}
			}
		}
		return score, explanation, nil
	}
	if m := scoreWordRe.FindStringSubmatchIndex(s); m != nil {
		score, err := scoreValue(s[m[2]:m[3]])
		if err != nil {
			return 0, "", err
		}
		explanation := strings.TrimSpace(s[:m[0]] + " " + s[m[1]:])
		explanation = strings.Trim(explanation, " \n\t.,;:-")
		return score, explanation, nil
	}
	return 0, "", fmt.Errorf("%w: no score found", errUnparsable)
}

func scoreValue(v any) (int, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		t := strings.ToLower(strings.TrimSpace(x))
		if n, ok := numberWords[t]; ok {
			return n, nil
		}
		// "2/3" or "2 out of 3": the numerator.
		if i := strings.IndexAny(t, "/ "); i > 0 {
			t = t[:i]
		}
		parsed, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: score %q is not a number", errUnparsable, x)
		}
		f = parsed
	default:
		return 0, fmt.Errorf("%w: score of type %T", errUnparsable, v)
	}
	if f != math.Trunc(f) || f < 0 || f > MaxScore {
		return 0, fmt.Errorf("%w: score %v outside 0..%d", errUnparsable, f, MaxScore)
	}
	return int(f), nil
}

func trimQuotes(s string) string {
	for len(s) >= 2 {
		first, last := s[0], s[len(s)-1]
		if (first == '"' && last == '"') || (first == '\'' && last == '\'') || (first == '`' && last == '`') {
			s = strings.TrimSpace(s[1 : len(s)-1])
			continue
		}
		break
	}
	return s
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" {
			out = append(out, t)
		}
	}
	return out
}
