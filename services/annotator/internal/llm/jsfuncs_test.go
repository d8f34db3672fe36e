package llm

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// npmSourceFunctions returns the functions of npm's own JavaScript sources, from the npm every
// machine of the project has (Node.js 20 and npm are on every machine, CI too), skipping the test
// when npm is absent.
func npmSourceFunctions(t *testing.T, language string) []prompt.Function {
	t.Helper()
	out, err := exec.Command("npm", "root", "-g").Output()
	if err != nil {
		t.Skipf("npm root -g: %v (install Node.js and npm)", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "npm", "lib")
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		t.Skipf("%s is absent", dir)
	}
	return sourceFunctions(t, dir, ".js", language, splitJSFunctions)
}

// jsHeaderLineRe is a line that starts a function as npm's sources write them: a declaration, a
// method or accessor, an arrow bound to a name.
var jsHeaderLineRe = regexp.MustCompile(`^[ \t]*(?:(?:export[ \t]+)?(?:async[ \t]+)?function[ \t]*\*?[ \t]*[A-Za-z_$][\w$]*[ \t]*\(|` +
	`(?:static[ \t]+)?(?:async[ \t]+)?(?:get[ \t]+|set[ \t]+)?#?[A-Za-z_$][\w$]*[ \t]*\(.*\)[ \t]*\{[ \t]*$|` +
	`(?:const|let|var)[ \t]+[A-Za-z_$][\w$]*[ \t]*=[ \t]*(?:async[ \t]+)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)[ \t]*=>[ \t]*\{)`)

// splitJSFunctions cuts JavaScript source into its functions: from a header line (with the JSDoc
// just above it) to the brace closing its body. Functions nested in one already cut are left inside
// it. It is a test helper, not a parser: enough to feed the back-end real code.
func splitJSFunctions(src string) []string {
	var out []string
	lines := strings.SplitAfter(src, "\n")
	offsets := make([]int, len(lines)+1)
	for i, l := range lines {
		offsets[i+1] = offsets[i] + len(l)
	}
	for i := 0; i < len(lines); i++ {
		header := strings.TrimSpace(lines[i])
		if !jsHeaderLineRe.MatchString(strings.TrimRight(lines[i], "\r\n")) || slices.Contains([]string{"if", "for", "while", "switch", "catch", "return"}, strings.FieldsFunc(header, func(r rune) bool { return r == ' ' || r == '(' })[0]) {
			continue
		}
		brace := strings.IndexByte(src[offsets[i]:], '{')
		if brace < 0 {
			continue
		}
		start := offsets[i] + brace
		end := closingBracket(src[start:])
		if end < 0 {
			continue
		}
		first := i
		if i > 0 && strings.HasSuffix(strings.TrimSpace(lines[i-1]), "*/") {
			for j := i - 1; j >= 0; j-- {
				if t := strings.TrimSpace(lines[j]); strings.HasPrefix(t, "/*") {
					if strings.HasPrefix(t, "/**") {
						first = j
					}
					break
				}
			}
		}
		code := src[offsets[first] : start+end+1]
		out = append(out, dedent(code))
		for i < len(lines) && offsets[i+1] <= start+end {
			i++
		}
	}
	return out
}

// dedent removes the indentation of the first line from every line, as the parser's code is.
func dedent(code string) string {
	indent := len(code) - len(strings.TrimLeft(code, " \t"))
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}

// TestOfflineOnNpmSources runs the offline back-end over npm's own sources, read as JavaScript and as
// TypeScript: the reader names nearly every function, and the queries name the language and meet
// what checkOfflineRecords asks of Python's.
func TestOfflineOnNpmSources(t *testing.T) {
	for _, lang := range []string{"javascript", "typescript"} {
		t.Run(lang, func(t *testing.T) {
			fns := npmSourceFunctions(t, lang)
			if len(fns) < 200 {
				t.Fatalf("%d functions read from npm's sources: the splitter is broken", len(fns))
			}
			named := 0
			for _, fn := range fns {
				if parseFunction(fn.Code, fn.Language).Name != "" {
					named++
				}
			}
			if share := float64(named) / float64(len(fns)); share < 0.98 {
				t.Errorf("the reader named %d of %d functions (%.3f)", named, len(fns), share)
			}
			records := annotateOffline(t, fns)
			for _, r := range records {
				if !slices.Contains(strings.Fields(r.query), lang) {
					t.Errorf("query %q does not name %s", r.query, lang)
				}
			}
			checkOfflineRecords(t, "npm as "+lang, lang, records)
		})
	}
}
