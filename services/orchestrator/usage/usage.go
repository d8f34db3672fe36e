// Package usage counts a repository's third-party API call sites in the form
// the docs service records them (RecordUsage keys are dotted Python names or npm paths), so
// a job and the corpus-wide popularity pass (q4c popularity) count alike.
package usage

import (
	"strings"

	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// Add adds fn's third-party call counts to counts, skipping names the docs
// service would refuse.
func Add(counts map[string]int64, fn *parserv1.Function) {
	for _, call := range fn.GetApiCalls() {
		if ValidAPIName(call.GetApi()) && call.GetCount() > 0 {
			counts[call.GetApi()] += int64(call.GetCount())
		}
	}
}

// ValidAPIName reports whether s is a name docs.v1.RecordUsageRequest accepts, at most 512 bytes:
// a dotted path whose parts hold letters, digits, '_', '$', '~' and '-', optionally after an npm
// scope ("numpy.mean", "left-pad", "@scope/pkg.sub.fn").
func ValidAPIName(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		scope, after, ok := strings.Cut(rest, "/")
		if !ok || !validPart(scope) {
			return false
		}
		s = after
	}
	for _, part := range strings.Split(s, ".") {
		if !validPart(part) {
			return false
		}
	}
	return true
}

func validPart(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '_', c == '$', c == '~', c == '-', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return true
}
