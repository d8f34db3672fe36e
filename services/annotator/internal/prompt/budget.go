package prompt

import (
	"unicode"
	"unicode/utf8"
)

// Dropped names one piece of context left out to fit the token budget.
type Dropped struct {
	Kind   string // "api_doc" or "callee"
	Name   string // API name or callee id
	Tokens int    // estimated tokens it would have cost
}

// Drop kinds.
const (
	DroppedAPIDoc = "api_doc"
	DroppedCallee = "callee"
)

// Fit keeps ctx within budget estimated tokens, dropping the farthest
// context first: API documentation from the last entry backwards, then
// callees from the last backwards (callers list the nearest first). A
// budget <= 0 means no limit. The input is not modified.
func Fit(ctx Context, budget int) (Context, []Dropped) {
	if budget <= 0 {
		return ctx, nil
	}
	callees := append([]Callee(nil), ctx.Callees...)
	docs := append([]APIDoc(nil), ctx.APIDocs...)
	total := 0
	for _, c := range callees {
		total += calleeTokens(c)
	}
	for _, d := range docs {
		total += apiDocTokens(d)
	}
	var dropped []Dropped
	for total > budget && len(docs) > 0 {
		last := docs[len(docs)-1]
		docs = docs[:len(docs)-1]
		n := apiDocTokens(last)
		total -= n
		dropped = append(dropped, Dropped{Kind: DroppedAPIDoc, Name: last.API, Tokens: n})
	}
	for total > budget && len(callees) > 0 {
		last := callees[len(callees)-1]
		callees = callees[:len(callees)-1]
		n := calleeTokens(last)
		total -= n
		dropped = append(dropped, Dropped{Kind: DroppedCallee, Name: last.ID, Tokens: n})
	}
	if len(docs) == 0 {
		docs = nil
	}
	if len(callees) == 0 {
		callees = nil
	}
	return Context{Callees: callees, APIDocs: docs}, dropped
}

// The rendered comment header of each entry ("# callee ...: ", or "//" for
// JavaScript and TypeScript) costs a few tokens on top of its text.
const entryOverheadTokens = 4

func calleeTokens(c Callee) int {
	return entryOverheadTokens + EstimateTokens(c.ID) + EstimateTokens(c.Summary) + EstimateTokens(c.Code)
}

func apiDocTokens(d APIDoc) int {
	return entryOverheadTokens + EstimateTokens(d.API) + EstimateTokens(d.Doc)
}

// EstimateTokens approximates the number of BPE tokens (cl100k-like) in s
// without a vocabulary: a word costs one token per five characters, each
// punctuation mark one, a run of blanks or newlines one unless it is a
// single space (which BPE merges into the next word). On source code it
// tends to over-count slightly, which is the safe side for budgets and
// rate limits.
func EstimateTokens(s string) int {
	tokens := 0
	word := 0
	space := 0
	flushWord := func() {
		if word > 0 {
			tokens += (word + 4) / 5
			word = 0
		}
	}
	flushSpace := func() {
		if space > 1 {
			tokens++
		}
		space = 0
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == ' ':
			flushWord()
			space++
		case unicode.IsSpace(r):
			flushWord()
			space += 2
		case r < utf8.RuneSelf && (r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)):
			flushSpace()
			word++
		case r >= utf8.RuneSelf:
			// Non-ASCII text costs about a token per character.
			flushSpace()
			flushWord()
			tokens++
		default:
			flushSpace()
			flushWord()
			tokens++
		}
	}
	flushWord()
	flushSpace()
	return tokens
}
