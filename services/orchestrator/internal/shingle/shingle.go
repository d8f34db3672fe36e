// Package shingle turns source code into hashed token n-grams (shingles), the
// common ground of near-duplicate detection (package neardup) and
// decontamination against evaluation sets (package decontam).
//
// The tokeniser is deliberately layout-blind: a token is a run of letters,
// digits and underscores, or one punctuation character; whitespace, line
// breaks, quote characters and backslashes separate tokens and are dropped.
// So reindenting, joining or splitting lines, switching ' for " (or adding
// triple quotes) and flattening every line break to a space, as the
// WebQueryTest publishers did, all give the same token sequence. Comments and
// string contents are tokenised like code rather than skipped: on code whose
// line breaks were flattened a "#" comment has no end, and skipping it would
// drop the rest of the function. Two formatter habits are erased as well: a
// ";" between statements (Python's equivalent of a line break, and what
// JavaScript formatters add or remove) is dropped, and so is a trailing comma
// before a closing bracket (black's "magic trailing comma").
package shingle

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// Size is the number of tokens in a shingle: 5, as in BigCode's near-deduplication
// of The Stack.
const Size = 5

// Tokens splits code into tokens (see the package doc).
func Tokens(code string) []string {
	tokens := make([]string, 0, len(code)/4)
	for i := 0; i < len(code); {
		r, width := utf8.DecodeRuneInString(code[i:])
		switch {
		case isWord(r):
			j := i + width
			for j < len(code) {
				r2, w2 := utf8.DecodeRuneInString(code[j:])
				if !isWord(r2) {
					break
				}
				j += w2
			}
			tokens = append(tokens, code[i:j])
			i = j
		case unicode.IsSpace(r) || r == '"' || r == '\'' || r == '`' || r == '\\' || r == ';' || r == utf8.RuneError:
			i += width
		case (r == ')' || r == ']' || r == '}') && len(tokens) > 0 && tokens[len(tokens)-1] == ",":
			tokens[len(tokens)-1] = code[i : i+width]
			i += width
		default:
			tokens = append(tokens, code[i:i+width])
			i += width
		}
	}
	return tokens
}

func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Hashes returns the 64-bit hashes of the code's token shingles, one per
// position (with repeats), in order. Code of fewer than Size tokens gives one
// shingle of all its tokens; code with no token gives none.
func Hashes(code string) []uint64 {
	tokens := Tokens(code)
	if len(tokens) == 0 {
		return nil
	}
	n := len(tokens) - Size + 1
	if n < 1 {
		n = 1
	}
	out := make([]uint64, 0, n)
	var d xxhash.Digest
	for i := 0; i < n; i++ {
		d.Reset()
		end := min(i+Size, len(tokens))
		for j := i; j < end; j++ {
			// The separator keeps ("ab", "c") apart from ("a", "bc").
			_, _ = d.WriteString(tokens[j])
			_, _ = d.Write([]byte{0})
		}
		out = append(out, d.Sum64())
	}
	return out
}

// Set returns the distinct shingle hashes of code, sorted ascending: the form
// Jaccard and Containment take.
func Set(code string) []uint64 {
	h := Hashes(code)
	slices.Sort(h)
	return slices.Compact(h)
}

// Intersection counts the hashes two sorted sets share.
func Intersection(a, b []uint64) int {
	n := 0
	for len(a) > 0 && len(b) > 0 {
		if a[0] == b[0] {
			n++
			a, b = a[1:], b[1:]
		} else if a[0] < b[0] {
			a = a[1:]
		} else {
			b = b[1:]
		}
	}
	return n
}

// Jaccard is |a ∩ b| / |a ∪ b| of two sorted sets; two empty sets give 0, so
// code without tokens never counts as a duplicate.
func Jaccard(a, b []uint64) float64 {
	inter := Intersection(a, b)
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}
