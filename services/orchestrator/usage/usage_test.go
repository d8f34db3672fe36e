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
		// npm paths: hyphens, digits first, scopes, '$'.
		"a-b.c": true, "left-pad": true, "@scope/pkg.sub.fn": true, "jquery.$": true, "2a.b": true,
		"": false, ".a": false, "a.": false, "a..b": false, "@scope": false, "@/x": false, "@a/": false, "a/b.c": false,
		"a b": false, "é.x": false, strings.Repeat("a", 513): false,
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

// TestAddNpmAPIs: a JavaScript function's npm paths, scoped and hyphenated packages included, are
// counted as the docs service's RecordUsage key pattern takes them.
func TestAddNpmAPIs(t *testing.T) {
	counts := map[string]int64{}
	Add(counts, &parserv1.Function{Language: "javascript", ApiCalls: []*parserv1.APICall{
		{Api: "lodash.get", Count: 2}, {Api: "fs.readFile", Count: 1}, {Api: "@scope/pkg.fn", Count: 1},
		{Api: "left-pad.default", Count: 1}, {Api: "jquery.$", Count: 1},
	}})
	want := map[string]int64{"lodash.get": 2, "fs.readFile": 1, "@scope/pkg.fn": 1, "left-pad.default": 1, "jquery.$": 1}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
}
