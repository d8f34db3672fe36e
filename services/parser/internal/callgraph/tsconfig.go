package callgraph

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
)

// ParseTSConfig reads the module settings of a tsconfig.json or
// jsconfig.json found in directory dir (a slash path relative to the
// root, "" for the root). The file may hold comments and trailing commas,
// as TypeScript allows; `extends` is not followed.
func ParseTSConfig(dir string, data []byte) (TSConfig, error) {
	var raw struct {
		CompilerOptions struct {
			BaseURL *string             `json:"baseUrl"`
			Paths   map[string][]string `json:"paths"`
		} `json:"compilerOptions"`
	}
	if err := json.Unmarshal(stripJSONC(data), &raw); err != nil {
		return TSConfig{}, fmt.Errorf("tsconfig %s: %w", path.Join(dir, "tsconfig.json"), err)
	}
	c := TSConfig{Dir: dir}
	base := dir
	if b := raw.CompilerOptions.BaseURL; b != nil {
		c.HasBaseURL = true
		c.BaseURL = cleanRel(path.Join(dir, *b))
		base = c.BaseURL
	}
	patterns := make([]string, 0, len(raw.CompilerOptions.Paths))
	for p := range raw.CompilerOptions.Paths {
		patterns = append(patterns, p)
	}
	// TypeScript prefers the longest prefix before the '*'.
	sort.Slice(patterns, func(a, b int) bool {
		if la, lb := prefixLen(patterns[a]), prefixLen(patterns[b]); la != lb {
			return la > lb
		}
		return patterns[a] < patterns[b]
	})
	for _, p := range patterns {
		pm := PathMapping{Pattern: p}
		for _, t := range raw.CompilerOptions.Paths[p] {
			pm.Targets = append(pm.Targets, cleanRel(path.Join(base, t)))
		}
		c.Paths = append(c.Paths, pm)
	}
	return c, nil
}

func prefixLen(pattern string) int {
	for k := range pattern {
		if pattern[k] == '*' {
			return k
		}
	}
	return len(pattern)
}

func cleanRel(p string) string {
	p = path.Clean(p)
	if p == "." {
		return ""
	}
	return p
}

// stripJSONC removes // and /* */ comments and trailing commas outside
// strings, so encoding/json can read the rest.
func stripJSONC(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(in) && in[j] != '"' {
				if in[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(in))
			out = append(out, in[i:end]...)
			i = end - 1
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
			i--
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			i += 2
			for i+1 < len(in) && (in[i] != '*' || in[i+1] != '/') {
				i++
			}
			i++
		case c == ']' || c == '}':
			// Drop a comma that only whitespace separates from the closer.
			k := len(out) - 1
			for k >= 0 && (out[k] == ' ' || out[k] == '\n' || out[k] == '\t' || out[k] == '\r') {
				k--
			}
			if k >= 0 && out[k] == ',' {
				out = append(out[:k], out[k+1:]...)
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}
