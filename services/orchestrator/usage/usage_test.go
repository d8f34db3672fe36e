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
