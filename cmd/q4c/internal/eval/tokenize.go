package eval

import (
	"strings"
	"unicode"
)

// Tokenize splits text into lower-case terms for retrieval: runs of letters
// and digits, with identifiers broken at snake_case underscores and at
// camelCase and letter/digit boundaries ("parseHTTPHeader2" -> parse, http,
// header, 2). Everything else (punctuation, operators, whitespace) separates
// terms. No stemming and no stop words: BM25's idf already discounts
// frequent terms.
func Tokenize(text string) []string {
	var terms []string
	runes := []rune(text)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			terms = append(terms, strings.ToLower(string(runes[start:end])))
		}
		start = -1
	}
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		if wordBoundary(runes, i) {
			flush(i)
			start = i
		}
	}
	flush(len(runes))
	return terms
}

// wordBoundary reports whether a new sub-word starts at runes[i] inside an
// identifier: lower->Upper ("fooBar"), the last capital of an acronym before
// a lower-case letter ("HTTPServer" -> HTTP|Server), and letter<->digit.
func wordBoundary(runes []rune, i int) bool {
	prev, cur := runes[i-1], runes[i]
	switch {
	case unicode.IsLower(prev) && unicode.IsUpper(cur):
		return true
	case unicode.IsUpper(prev) && unicode.IsUpper(cur) && i+1 < len(runes) && unicode.IsLower(runes[i+1]):
		return true
	case unicode.IsDigit(prev) != unicode.IsDigit(cur):
		return true
	}
	return false
}
