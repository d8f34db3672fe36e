package callgraph

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// TestLoadTSConfig follows extends chains as tsc does and refuses the
// ones it cannot follow with an error naming the file.
func TestLoadTSConfig(t *testing.T) {
	files := map[string]string{
		"a.json":            `{"compilerOptions": {"baseUrl": "x", "paths": {"a/*": ["a/*"]}}}`,
		"b.json":            `{"compilerOptions": {"baseUrl": "y"}}`,
		"two/tsconfig.json": `{"extends": ["../a.json", "../b"]}`,
		"own/tsconfig.json": `{"extends": "../a.json", "compilerOptions": {"paths": {"o": ["lib/o.ts"]}}}`,
		// Without a baseUrl anywhere, paths are relative to the file that sets them.
		"base/paths.json":                   `{"compilerOptions": {"paths": {"p/*": ["p/*"]}}}`,
		"nobase/tsconfig.json":              `{"extends": "../base/paths.json"}`,
		"loop/tsconfig.json":                `{"extends": "./other.json"}`,
		"loop/other.json":                   `{"extends": "./tsconfig.json"}`,
		"missing/tsconfig.json":             `{"extends": "@org/none"}`,
		"badtype/tsconfig.json":             `{"extends": 3}`,
		"outside/tsconfig.json":             `{"extends": "../../up.json"}`,
		"pkg/tsconfig.json":                 `{"extends": "@org/cfg/strict.json"}`,
		"node_modules/@org/cfg/strict.json": `{"compilerOptions": {"baseUrl": "."}}`,
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	for _, tt := range []struct {
		file string
		want TSConfig
		err  string
	}{
		{file: "two/tsconfig.json", want: TSConfig{Dir: "two", BaseURL: "y", HasBaseURL: true,
			Paths: []PathMapping{{Pattern: "a/*", Targets: []string{"y/a/*"}}}}},
		{file: "own/tsconfig.json", want: TSConfig{Dir: "own", BaseURL: "x", HasBaseURL: true,
			Paths: []PathMapping{{Pattern: "o", Targets: []string{"x/lib/o.ts"}}}}},
		{file: "nobase/tsconfig.json", want: TSConfig{Dir: "nobase",
			Paths: []PathMapping{{Pattern: "p/*", Targets: []string{"base/p/*"}}}}},
		{file: "pkg/tsconfig.json", want: TSConfig{Dir: "pkg", BaseURL: "node_modules/@org/cfg", HasBaseURL: true}},
		{file: "loop/tsconfig.json", err: "extends itself"},
		{file: "missing/tsconfig.json", err: "not installed"},
		{file: "badtype/tsconfig.json", err: "neither a string"},
		{file: "outside/tsconfig.json", err: "no such file"},
	} {
		got, err := LoadTSConfig(tt.file, read)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("%s: err = %v, want one naming the file and %q", tt.file, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %+v, want %+v", tt.file, got, tt.want)
		}
	}
}
