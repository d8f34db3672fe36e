package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
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

var summaryPrefixRe = regexp.MustCompile(`(?i)^\s*(?:\*\*)?(?:summary|answer)(?:\*\*)?\s*:\s*(?:\*\*)?\s*`)

// ParseSummary reads a summary answer: plain prose, possibly fenced,
// prefixed with "Summary:", quoted, or wrapped in {"summary": ...}.
func ParseSummary(content string) (string, error) {
	s := stripFences(content)
	for _, obj := range jsonObjects(s) {
		if v, ok := fieldFold(obj, "summary"); ok {
			if str, ok := v.(string); ok && strings.TrimSpace(str) != "" {
				return strings.TrimSpace(str), nil
			}
		}
	}
	s = summaryPrefixRe.ReplaceAllString(s, "")
	s = strings.TrimSpace(trimQuotes(s))
	if s == "" {
		return "", fmt.Errorf("%w: empty summary", errUnparsable)
	}
	return s, nil
}

var queryPrefixRe = regexp.MustCompile(`(?i)^\s*(?:\*\*)?(?:search\s+)?query(?:\*\*)?\s*:\s*(?:\*\*)?\s*`)

// ParseQuery reads a query answer: {"query": ...} anywhere in the text
// (fenced, after prose), or a single short line of plain text.
func ParseQuery(content string) (string, error) {
	s := stripFences(content)
	for _, obj := range jsonObjects(s) {
		if v, ok := fieldFold(obj, "query"); ok {
			if str, ok := v.(string); ok {
				if q := cleanQuery(str); q != "" {
					return q, nil
				}
			}
		}
	}
	if strings.ContainsAny(s, "{}") {
		return "", fmt.Errorf("%w: no \"query\" string in JSON answer", errUnparsable)
	}
	lines := nonEmptyLines(s)
	if len(lines) == 1 {
		if q := cleanQuery(queryPrefixRe.ReplaceAllString(lines[0], "")); q != "" && len(strings.Fields(q)) <= 20 {
			return q, nil
		}
	}
	for _, l := range lines {
		if queryPrefixRe.MatchString(l) {
			if q := cleanQuery(queryPrefixRe.ReplaceAllString(l, "")); q != "" {
				return q, nil
			}
		}
	}
	return "", fmt.Errorf("%w: no query found", errUnparsable)
}

func cleanQuery(s string) string {
	s = strings.TrimSpace(trimQuotes(strings.TrimSpace(s)))
	return strings.Join(strings.Fields(s), " ")
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
