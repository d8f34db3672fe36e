package usage

import (
	"reflect"
	"strings"
	"testing"

	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

func TestValidAPIName(t *testing.T) {
	tests := map[string]bool{
		"numpy.mean": true, "requests": true, "_x.y_2": true, "a.B.c": true,
		"": false, ".a": false, "a.": false, "a..b": false, "2a.b": false, "a.2b": false,
		"a b": false, "a-b.c": false, "é.x": false, strings.Repeat("a", 513): false,
	}
	for name, want := range tests {
		if got := ValidAPIName(name); got != want {
			t.Errorf("ValidAPIName(%.20q) = %v, want %v", name, got, want)
		}
	}
}

func TestAdd(t *testing.T) {
	counts := map[string]int64{"numpy.mean": 1}
	Add(counts, &parserv1.Function{ApiCalls: []*parserv1.APICall{
		{Api: "numpy.mean", Count: 2}, {Api: "bad name", Count: 5}, {Api: "requests.get", Count: 0}, {Api: "click.option", Count: 1},
	}})
	want := map[string]int64{"numpy.mean": 3, "click.option": 1}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
}

// TestAddNpmAPIs: a JavaScript function's npm paths that the docs service's RecordUsage key pattern
// takes are counted; those it refuses (scoped or hyphenated packages) are skipped, so one such API
// does not get the whole repository's counts refused.
func TestAddNpmAPIs(t *testing.T) {
	counts := map[string]int64{}
	Add(counts, &parserv1.Function{Language: "javascript", ApiCalls: []*parserv1.APICall{
		{Api: "lodash.get", Count: 2}, {Api: "fs.readFile", Count: 1}, {Api: "@scope/pkg.fn", Count: 1},
		{Api: "left-pad.default", Count: 1}, {Api: "jquery.$", Count: 1},
	}})
	want := map[string]int64{"lodash.get": 2, "fs.readFile": 1}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
}
