package analysis

import (
	"strings"

	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/repowalk"
)

// The traits below are what the dataset filters use (the orchestrator
// leaves out tests, dunder methods and trivial functions by default);
// q4c callgraph's --skip-* options apply the same definitions.

// isDunder: a __name__ method or function.
func isDunder(name string) bool {
	return len(name) > 4 && strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__")
}

// minUsefulLines: a function of fewer lines in all (decorators included)
// is trivial, whatever it does.
const minUsefulLines = 3

// isTrivial: under minUsefulLines lines, or a body that, docstrings
// aside, only passes, returns a constant or a parameter, or raises
// (extract.Scope.Trivial).
func isTrivial(sc *extract.Scope) bool {
	return sc.EndLine-sc.StartLine+1 < minUsefulLines || sc.Trivial
}

// testCaseBaseSuffix ends the names of unittest's test case classes and of
// the frameworks' that derive from them (TestCase, IsolatedAsyncioTestCase,
// django.test.TransactionTestCase, ...).
const testCaseBaseSuffix = "TestCase"

// testCaseClasses returns the class scopes (by file and local scope) that
// derive from a *TestCase base, directly or through classes of the
// repository (their MRO).
func (p *program) testCaseClasses() map[[2]int32]bool {
	g := p.graph
	names := func(k int32) bool {
		sc := p.scope(k)
		m := p.fileOf(k).module
		for _, b := range sc.Bases {
			if b < 0 || int(b) >= len(m.Exprs) {
				continue
			}
			e := &m.Exprs[b]
			if (e.Kind == extract.ExprName || e.Kind == extract.ExprAttr) && strings.HasSuffix(m.Str(e), testCaseBaseSuffix) {
				return true
			}
		}
		return false
	}
	out := map[[2]int32]bool{}
	for _, gs := range g.Scopes {
		for _, c := range gs.MRO {
			if names(c) {
				out[[2]int32{int32(g.Modules[gs.Module].File), gs.Local}] = true
				break
			}
		}
	}
	return out
}

// isTest reports a test by convention: a function in a test file
// (repowalk.IsTestFile), named test_*, or a method of a test case class,
// or nested in one of those.
func (p *program) isTest(k int32, testCases map[[2]int32]bool) bool {
	gs := p.graph.Scopes[k]
	file := p.graph.Modules[gs.Module].File
	f := &p.files[file]
	if repowalk.IsTestFile(f.path) {
		return true
	}
	for j := gs.Local; j > 0; j = f.module.Scopes[j].Parent {
		sc := &f.module.Scopes[j]
		switch sc.Kind {
		case extract.ScopeFunction:
			if strings.HasPrefix(sc.Name, "test_") {
				return true
			}
		case extract.ScopeClass:
			if testCases[[2]int32{int32(file), j}] {
				return true
			}
		}
	}
	return false
}
