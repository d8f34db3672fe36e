package pipeline

import (
	"testing"

	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

func TestSubtreeHashes(t *testing.T) {
	fn := func(id, code string, scc int32, callees ...string) *parserv1.Function {
		f := &parserv1.Function{Id: id, Code: code, SccId: scc}
		for _, c := range callees {
			f.Callees = append(f.Callees, &parserv1.Callee{Id: c})
		}
		return f
	}
	// leaf <- mid <- top; ping <-> pong -> leaf; other alone.
	repo := func(leafCode string) []*parserv1.Function {
		return []*parserv1.Function{
			fn("leaf", leafCode, 0),
			fn("other", "def other(): pass", 1),
			fn("mid", "def mid(): leaf()", 2, "leaf"),
			fn("ping", "def ping(): pong()", 3, "pong"),
			fn("pong", "def pong(): ping(); leaf()", 3, "ping", "leaf"),
			fn("top", "def top(): mid()", 4, "mid"),
		}
	}
	before := subtreeHashes(repo("def leaf(): return 1"))
	after := subtreeHashes(repo("def leaf(): return 2"))
	changed := map[string]bool{"leaf": true, "mid": true, "top": true, "ping": true, "pong": true}
	for id := range before {
		if (before[id] != after[id]) != changed[id] {
			t.Errorf("%s: hash changed = %v, want %v", id, before[id] != after[id], changed[id])
		}
	}
	if again := subtreeHashes(repo("def leaf(): return 1")); again["top"] != before["top"] {
		t.Error("subtree hashes are not deterministic")
	}
	if before["ping"] == before["pong"] {
		t.Error("members of one cycle must still differ by their own code")
	}
}
