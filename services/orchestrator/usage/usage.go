// Package usage counts a repository's third-party API call sites in the form
// the docs service records them (RecordUsage keys are dotted identifier paths:
// Python names, and npm paths such as "lodash.get"; a scoped or hyphenated npm
// package does not fit the pattern and is not counted), so a job and the
// corpus-wide popularity pass (q4c popularity) count alike.
package usage

import parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"

// Add adds fn's third-party call counts to counts, skipping names the docs
// service would refuse.
func Add(counts map[string]int64, fn *parserv1.Function) {
	for _, call := range fn.GetApiCalls() {
		if ValidAPIName(call.GetApi()) && call.GetCount() > 0 {
			counts[call.GetApi()] += int64(call.GetCount())
		}
	}
}

// ValidAPIName reports whether s is a dotted identifier path of at most 512 bytes,
// the pattern docs.v1.RecordUsageRequest accepts.
func ValidAPIName(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if start {
				return false
			}
			start = true
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			start = false
		case c >= '0' && c <= '9':
			if start {
				return false
			}
		default:
			return false
		}
	}
	return !start
}
