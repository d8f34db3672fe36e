package callgraph

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// ParseTSConfig reads the module settings of a tsconfig.json or
// jsconfig.json found in directory dir (a slash path relative to the
// root, "" for the root). The file may hold comments and trailing commas,
// as TypeScript allows; `extends` is not followed (LoadTSConfig does).
func ParseTSConfig(dir string, data []byte) (TSConfig, error) {
	raw, err := parseRawTSConfig(path.Join(dir, "tsconfig.json"), data)
	if err != nil {
		return TSConfig{}, err
	}
	return raw.settings(dir).config(dir), nil
}

// LoadTSConfig reads the config file at slash path file (relative to the
// root) with read, following `extends` as tsc does: a relative path from
// the extending file's directory (".json" added when missing), else a
// package under the nearest node_modules directory up from it (its
// tsconfig.json, or the file its package.json "tsconfig" field names).
// Each baseUrl is relative to the file that sets it, and so are paths when
// no baseUrl applies; a file's own baseUrl and paths replace the inherited
// ones, and of several configs extended, later ones win.
func LoadTSConfig(file string, read func(rel string) ([]byte, error)) (TSConfig, error) {
	dir := cleanRel(path.Dir(file))
	st, err := loadSettings(file, read, map[string]bool{})
	if err != nil {
		return TSConfig{}, err
	}
	return st.config(dir), nil
}

// maxExtendsDepth bounds a chain of extends.
const maxExtendsDepth = 16

// tsSettings are the module options in force after a chain of extends,
// each resolved against the directory of the file that set it.
type tsSettings struct {
	baseURL    string
	hasBaseURL bool
	paths      map[string][]string
	pathsDir   string // the directory paths are relative to without a baseUrl
	hasPaths   bool
}

type rawTSConfig struct {
	Extends         json.RawMessage `json:"extends"`
	CompilerOptions struct {
		BaseURL *string             `json:"baseUrl"`
		Paths   map[string][]string `json:"paths"`
	} `json:"compilerOptions"`
}

func parseRawTSConfig(file string, data []byte) (*rawTSConfig, error) {
	var raw rawTSConfig
	if err := json.Unmarshal(stripJSONC(data), &raw); err != nil {
		return nil, fmt.Errorf("tsconfig %s: %w", file, err)
	}
	return &raw, nil
}

// settings are the options raw sets itself, raw being in directory dir.
func (raw *rawTSConfig) settings(dir string) tsSettings {
	var st tsSettings
	if b := raw.CompilerOptions.BaseURL; b != nil {
		st.hasBaseURL = true
		st.baseURL = cleanRel(path.Join(dir, *b))
	}
	if raw.CompilerOptions.Paths != nil {
		st.hasPaths = true
		st.paths = raw.CompilerOptions.Paths
		st.pathsDir = dir
	}
	return st
}

// over returns st with the options that child sets replacing its own.
func (st tsSettings) over(child tsSettings) tsSettings {
	if child.hasBaseURL {
		st.baseURL, st.hasBaseURL = child.baseURL, true
	}
	if child.hasPaths {
		st.paths, st.pathsDir, st.hasPaths = child.paths, child.pathsDir, true
	}
	return st
}

func loadSettings(file string, read func(string) ([]byte, error), seen map[string]bool) (tsSettings, error) {
	if seen[file] {
		return tsSettings{}, fmt.Errorf("tsconfig %s: extends itself", file)
	}
	if len(seen) >= maxExtendsDepth {
		return tsSettings{}, fmt.Errorf("tsconfig %s: extends chain over %d files", file, maxExtendsDepth)
	}
	seen[file] = true
	defer delete(seen, file)
	data, err := read(file)
	if err != nil {
		return tsSettings{}, fmt.Errorf("tsconfig %s: %w", file, err)
	}
	raw, err := parseRawTSConfig(file, data)
	if err != nil {
		return tsSettings{}, err
	}
	var bases []string
	if len(raw.Extends) > 0 {
		var one string
		if err := json.Unmarshal(raw.Extends, &one); err == nil {
			bases = []string{one}
		} else if err := json.Unmarshal(raw.Extends, &bases); err != nil {
			return tsSettings{}, fmt.Errorf("tsconfig %s: extends is neither a string nor a list of strings", file)
		}
	}
	dir := cleanRel(path.Dir(file))
	var st tsSettings
	for _, spec := range bases {
		base, err := resolveExtends(dir, spec, read)
		if err != nil {
			return tsSettings{}, fmt.Errorf("tsconfig %s: %w", file, err)
		}
		bs, err := loadSettings(base, read, seen)
		if err != nil {
			return tsSettings{}, err
		}
		st = st.over(bs)
	}
	return st.over(raw.settings(dir)), nil
}

// resolveExtends finds the file an `extends` value names from directory dir.
func resolveExtends(dir, spec string, read func(string) ([]byte, error)) (string, error) {
	exists := func(p string) bool {
		if p == ".." || strings.HasPrefix(p, "../") {
			return false
		}
		_, err := read(p)
		return err == nil
	}
	if strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || spec == "." || spec == ".." {
		p := cleanRel(path.Join(dir, spec))
		if exists(p) {
			return p, nil
		}
		if !strings.HasSuffix(p, ".json") && exists(p+".json") {
			return p + ".json", nil
		}
		return "", fmt.Errorf("extends %q: no such file in the repository", spec)
	}
	if strings.HasPrefix(spec, "/") {
		return "", fmt.Errorf("extends %q: an absolute path", spec)
	}
	for d := dir; ; d = path.Dir(d) {
		if d == "." {
			d = ""
		}
		nm := path.Join(d, "node_modules", spec)
		if exists(nm) && strings.HasSuffix(nm, ".json") {
			return nm, nil
		}
		if exists(nm + ".json") {
			return nm + ".json", nil
		}
		if data, err := read(path.Join(nm, "package.json")); err == nil {
			var pkg struct {
				TSConfig string `json:"tsconfig"`
			}
			if json.Unmarshal(data, &pkg) == nil && pkg.TSConfig != "" && exists(path.Join(nm, pkg.TSConfig)) {
				return path.Join(nm, pkg.TSConfig), nil
			}
		}
		if exists(path.Join(nm, "tsconfig.json")) {
			return path.Join(nm, "tsconfig.json"), nil
		}
		if d == "" {
			return "", fmt.Errorf("extends %q: not installed in a node_modules directory", spec)
		}
	}
}

// config is the TSConfig of settings st for the files under dir.
func (st tsSettings) config(dir string) TSConfig {
	c := TSConfig{Dir: dir, BaseURL: st.baseURL, HasBaseURL: st.hasBaseURL}
	base := st.pathsDir
	if st.hasBaseURL {
		base = st.baseURL
	}
	patterns := make([]string, 0, len(st.paths))
	for p := range st.paths {
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
		for _, t := range st.paths[p] {
			pm.Targets = append(pm.Targets, cleanRel(path.Join(base, t)))
		}
		c.Paths = append(c.Paths, pm)
	}
	return c
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

// PackageMain returns the file that package.json data, found in directory
// dir (a slash path relative to the root, "" for the root), names as its
// "main", relative to the root; "" when it names none in the repository.
func PackageMain(dir string, data []byte) string {
	var pkg struct {
		Main string `json:"main"`
	}
	if json.Unmarshal(data, &pkg) != nil || pkg.Main == "" {
		return ""
	}
	main := path.Clean(path.Join(dir, pkg.Main))
	if main == "." || main == ".." || strings.HasPrefix(main, "../") || strings.HasPrefix(main, "/") {
		return ""
	}
	return main
}
