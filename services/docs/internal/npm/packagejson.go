package npm

import (
	"encoding/json"
	"fmt"
	"strings"
)

// packageJSON holds the fields of a package.json that locate documentation.
type packageJSON struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Types   string          `json:"types"`
	Typings string          `json:"typings"`
	Main    string          `json:"main"`
	Module  string          `json:"module"`
	Exports json.RawMessage `json:"exports"`
}

func parsePackageJSON(data []byte) (packageJSON, error) {
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return packageJSON{}, err
	}
	return pj, nil
}

// Condition orders: Go maps lose the file's key order, so each kind of file
// is picked by a fixed preference, close to what TypeScript ("types" first)
// and Node (import before require) pick.
var (
	typesConditions = []string{"types", "typings", "import", "module", "require", "node", "default"}
	jsConditions    = []string{"import", "module", "require", "node", "default"}
)

// exportTarget resolves subpath ("." or "./sub") through the package's
// "exports" map to a file path relative to the package ("./dist/sub.d.ts"),
// taking only declaration files when types is set and only JavaScript
// otherwise. ok is false when exports is absent or names no such file.
func exportTarget(raw json.RawMessage, subpath string, types bool) (string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	var exports any
	if err := json.Unmarshal(raw, &exports); err != nil {
		return "", false, fmt.Errorf("exports: %w", err)
	}
	entries, isMap := exports.(map[string]any)
	if !isMap || !hasSubpathKeys(entries) {
		// A string, array or conditions object is the "." entry alone.
		entries = map[string]any{".": exports}
	}
	value, star, found := matchSubpath(entries, subpath)
	if !found {
		return "", false, nil
	}
	conds := jsConditions
	if types {
		conds = typesConditions
	}
	target := pick(value, conds, types)
	if target == "" {
		return "", false, nil
	}
	if star != "" {
		target = strings.ReplaceAll(target, "*", star)
	}
	return target, true, nil
}

func hasSubpathKeys(m map[string]any) bool {
	for k := range m {
		if strings.HasPrefix(k, ".") {
			return true
		}
	}
	return false
}

// matchSubpath finds subpath's entry: an exact key, else the pattern key
// ("./*", "./lib/*.js") with the longest prefix that matches; star is what
// the "*" stood for.
func matchSubpath(entries map[string]any, subpath string) (value any, star string, ok bool) {
	if v, ok := entries[subpath]; ok {
		return v, "", true
	}
	bestPrefix := -1
	for key, v := range entries {
		prefix, suffix, isPattern := strings.Cut(key, "*")
		if !isPattern || strings.Contains(suffix, "*") {
			continue
		}
		if strings.HasPrefix(subpath, prefix) && strings.HasSuffix(subpath, suffix) &&
			len(subpath) >= len(prefix)+len(suffix) && len(prefix) > bestPrefix {
			bestPrefix = len(prefix)
			value, star, ok = v, subpath[len(prefix):len(subpath)-len(suffix)], true
		}
	}
	return value, star, ok
}

// pick descends a conditions value (a string, an array of fallbacks, or an
// object of conditions) in the order of conds and returns the first file of
// the wanted kind.
func pick(v any, conds []string, types bool) string {
	switch v := v.(type) {
	case string:
		if isDeclarationFile(v) == types && (types || isJSFile(v)) {
			return v
		}
	case []any:
		for _, alt := range v {
			if t := pick(alt, conds, types); t != "" {
				return t
			}
		}
	case map[string]any:
		for _, c := range conds {
			if sub, ok := v[c]; ok {
				if t := pick(sub, conds, types); t != "" {
					return t
				}
			}
		}
	}
	return ""
}

var declarationSuffixes = []string{".d.ts", ".d.mts", ".d.cts"}

func isDeclarationFile(p string) bool {
	for _, s := range declarationSuffixes {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

func isJSFile(p string) bool {
	for _, s := range []string{".js", ".mjs", ".cjs"} {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

// declarationOf is the declaration file TypeScript looks for beside a
// JavaScript file (dist/a.js -> dist/a.d.ts, a.mjs -> a.d.mts).
func declarationOf(js string) string {
	for _, pair := range [][2]string{{".mjs", ".d.mts"}, {".cjs", ".d.cts"}, {".js", ".d.ts"}} {
		if base, ok := strings.CutSuffix(js, pair[0]); ok {
			return base + pair[1]
		}
	}
	return js + ".d.ts"
}
