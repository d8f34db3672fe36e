package llm

import (
	"regexp"
	"strings"
	"unicode"
)

// Chat models wrap answers in conversation: an opening line ("Sure! Here is
// the summary:"), a closing one ("Let me know if you need anything else."),
// markdown labels and quotes. None of it belongs in a dataset record, so
// the parsers strip it; what is left must still read as an answer, or the
// call fails as bad output and gets its one repair.

// interjectionRe is an opening word of chat filler, with its punctuation:
// "Sure!", "Certainly,", "Of course.".
var interjectionRe = regexp.MustCompile(`(?i)^(?:sure(?:\s+thing)?|certainly|of course|absolutely|okay|ok|alright|all right|great|no problem|gladly|happy to help|yes)(?:\s*[!.,:;]+|\s+[—–-])\s*`)

// leadInRe is a sentence announcing the answer, up to its colon: "Here is my
// answer:", "Here's a concise search query for this function:", "Below is
// the summary:". The announced noun must be a word for an answer, so prose
// that merely starts with "Here" ("Here documents are parsed ...") stays.
var leadInRe = regexp.MustCompile(`(?i)^(?:(?:here(?:'s|’s| is| are)|below is|this is|the following is|i(?:'d| would) (?:suggest|propose))\s+(?:[\w'’-]+\s+){0,6}?(?:answer|summary|summaries|query|queries|description|explanation|response|result|suggestion|version|output|json)\b[^:\n]{0,60}?:|here(?:'s|’s| is) one\b[^:\n]{0,40}:|here you go\s*[:!.]|here it is\s*[:!.])\s*`)

// signOffRe is a closing sentence of chat filler.
var signOffRe = regexp.MustCompile(`(?i)^(?:let me know\b|i hope (?:this|that|it) helps|hope (?:this|that|it) helps|feel free\b|is there anything else\b|if you (?:have|need) (?:any )?(?:more|other|further|additional)\b|happy coding|good luck\b|please let me know\b|i(?:'d| would) be happy to\b|thanks?(?:\s+(?:a lot|again))?[!.]*$|thank you(?:\s+(?:so much|very much|for \w+))?[!.]*$|cheers[!.]*$)`)

// refusalRe is the start of a refusal. A query such as "i can't import
// module python" is a real search, so "I can't" counts only with the verbs
// of a refusal.
var refusalRe = regexp.MustCompile(`(?i)^(?:i['’]?m sorry|i am sorry|sorry[,.!]|my apologies|i apologi[sz]e|as an ai\b|as a (?:large )?language model|i(?: am|['’]m) (?:not able|unable) to (?:help|assist|answer|provide|write|comply|do|fulfil|generate|summari[sz]e)|i (?:can(?:no|['’])t|cannot|won['’]?t) (?:help|assist|answer|provide|write|comply|do that|fulfil|generate|summari[sz]e|create|complete|determine)|unfortunately,? i\b)`)

// labelRe is a markdown or plain label before the answer: "**Query:**",
// "Summary:", "Search query - ". A hyphen counts only between spaces:
// "Query-string parser" is prose.
var labelRe = regexp.MustCompile(`(?i)^(?:#{1,6}\s*)?(?:\*\*|__)?(?:final\s+|concise\s+|short\s+)?(?:search\s+query|query|summary|answer|description)(?:\*\*|__)?(?:\s*:|\s+[—–-]\s)\s*(?:\*\*|__)?\s*`)

// labelLineRe is a label alone on its line: "### Summary", "**Query:**".
var labelLineRe = regexp.MustCompile(`(?i)^(?:#{1,6}\s*)?(?:\*\*|__)?(?:final\s+|concise\s+|short\s+)?(?:search\s+query|query|summary|answer|description)\s*:?\s*(?:\*\*|__)?\s*:?$`)

// listMarkerRe is a bullet, a number or a markdown quote before a one-item
// answer; each needs its space, so ">= operator" stays.
var listMarkerRe = regexp.MustCompile(`^(?:[-*•]\s+|\d+[.)]\s+|>\s+)`)

// stripChatter removes opening and closing chat filler, labels and wrapping
// quotes from an answer, line by line and sentence by sentence.
func stripChatter(s string) string {
	lines := nonEmptyLines(s)
	// Opening lines: filler at the start of the first line, and the line
	// itself when nothing else is on it.
	for len(lines) > 0 {
		l := stripLeadIn(lines[0])
		if l == "" {
			lines = lines[1:]
			continue
		}
		lines[0] = l
		break
	}
	// Closing lines: whole sign-off lines, then sign-off sentences at the
	// end of the last line.
	for len(lines) > 0 {
		l := stripSignOff(lines[len(lines)-1])
		if l == "" {
			lines = lines[:len(lines)-1]
			continue
		}
		lines[len(lines)-1] = l
		break
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// stripLeadIn removes interjections, lead-in sentences, labels and list
// markers from the start of a line.
func stripLeadIn(l string) string {
	for {
		before := l
		l = strings.TrimSpace(l)
		l = interjectionRe.ReplaceAllString(l, "")
		l = leadInRe.ReplaceAllString(l, "")
		l = labelLineRe.ReplaceAllString(l, "")
		l = labelRe.ReplaceAllString(l, "")
		l = listMarkerRe.ReplaceAllString(l, "")
		l = strings.TrimSpace(trimQuotes(strings.TrimSpace(l)))
		l = trimEmphasis(l)
		if l == before {
			return l
		}
	}
}

// stripSignOff removes a trailing sign-off from a line: from the first
// sentence that starts one ("... header. I hope this helps!", "`query` Let
// me know ...") to the end.
func stripSignOff(l string) string {
	for i := 0; i < len(l); i++ {
		if i > 0 && !sentenceStart(l, i) {
			continue
		}
		if signOffRe.MatchString(l[i:]) {
			return strings.TrimSpace(l[:i])
		}
	}
	return strings.TrimSpace(l)
}

// sentenceStart reports whether l[i] starts a sentence: it follows spaces
// after a full stop, a closing quote or emphasis.
func sentenceStart(l string, i int) bool {
	j := i - 1
	for j >= 0 && l[j] == ' ' {
		j--
	}
	return j < i-1 && j >= 0 && strings.IndexByte(".!?`'\")*", l[j]) >= 0
}

// trimEmphasis removes markdown bold or italics around a whole line.
func trimEmphasis(s string) string {
	for _, mark := range []string{"**", "__", "*", "_"} {
		if len(s) > 2*len(mark) && strings.HasPrefix(s, mark) && strings.HasSuffix(s, mark) {
			return strings.TrimSpace(s[len(mark) : len(s)-len(mark)])
		}
	}
	return s
}

// isRefusal reports whether a cleaned answer is the model declining.
func isRefusal(s string) bool {
	return refusalRe.MatchString(strings.TrimSpace(s))
}

var (
	// pythonCodeLineRe is text that starts as Python code: a def, a class,
	// an import, a decorator, a call returned, a lambda. Prose such as
	// "Return the mean of the values." does not match.
	pythonCodeLineRe = regexp.MustCompile(`^\s*(?:(?:async\s+)?def\s+\w+\s*\(|class\s+\w+\s*[(:]|from\s+[\w.]+\s+import\s|import\s+[\w.]+\s*(?:$|\n|as\s)|@[\w.]+\s*(?:$|\n|\()|return\s+[\w.]+\(|lambda\b[^:]*:)`)
	assignmentRe     = regexp.MustCompile(`^\s*[A-Za-z_][\w.]*\s*=[^=]`)
	// jsCodeLineRe is text that starts as JavaScript or TypeScript code: a
	// function, a binding, an import or require, an export assignment.
	jsCodeLineRe = regexp.MustCompile(`^\s*(?:(?:export\s+)?(?:default\s+)?(?:async\s+)?function\b\s*\*?\s*[\w$]*\s*\(|(?:export\s+)?(?:const|let|var)\s+[\w$]+\s*(?::[^=]+)?=[^=]|import\s+[^\n]*\bfrom\s+['"]|import\s*\(\s*['"]|require\s*\(\s*['"]|(?:module\.)?exports(?:\.[\w$]+)?\s*=[^=])`)
)

// looksLikeCode reports whether a query is a line of code rather than
// words.
func looksLikeCode(s string) bool {
	return isCodeLine(s) || assignmentRe.MatchString(s) || strings.ContainsAny(s, "{};") ||
		strings.Contains(s, "):") || strings.Contains(s, "=>")
}

// isCodeLine reports whether text starts as Python, JavaScript or
// TypeScript code; prose does not.
func isCodeLine(s string) bool {
	return pythonCodeLineRe.MatchString(s) || jsCodeLineRe.MatchString(s)
}

// stripJSDoc reads an answer written as a JSDoc or block comment, or as
// // line comments, as a model asked about JavaScript may give its summary,
// as the comment's description; other text is returned as it is.
func stripJSDoc(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "/*") && strings.HasSuffix(t, "*/") {
		return jsDocstring(t)
	}
	lines := nonEmptyLines(t)
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "//")
		if !ok {
			return s
		}
		lines[i] = strings.TrimSpace(rest)
	}
	return strings.Join(lines, "\n")
}

// isIdentifierLike reports whether a token is an identifier or a call
// rather than a word: snake_case, camelCase, dotted, with brackets, or
// with JavaScript's $ and # ($http, #field).
func isIdentifierLike(tok string) bool {
	tok = strings.Trim(tok, "`'\",.!?:")
	if tok == "" {
		return false
	}
	if strings.ContainsAny(tok, "_.()[]$#") {
		return true
	}
	runes := []rune(tok)
	for i := 1; i < len(runes); i++ {
		if unicode.IsUpper(runes[i]) && unicode.IsLower(runes[i-1]) {
			return true
		}
	}
	return false
}

// hasPlainWord reports whether text has at least one word of two or more
// letters that is not an identifier.
func hasPlainWord(s string) bool {
	for _, tok := range strings.Fields(s) {
		if isIdentifierLike(tok) {
			continue
		}
		letters := 0
		for _, r := range tok {
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if letters >= 2 {
			return true
		}
	}
	return false
}
