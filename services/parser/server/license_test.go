package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/query4code/query4code/platform/gittest"
	platformserver "github.com/query4code/query4code/platform/server"
	"github.com/query4code/query4code/platform/servertest"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// TestParseStatsLicense: the parser names the licence of the tree it parsed, a git checkout as well
// as a local directory, and of a package installed in a Python environment from its distribution's
// metadata beside it.
func TestParseStatsLicense(t *testing.T) {
	mit, err := os.ReadFile(filepath.Join("..", "..", "..", "platform", "license", "testdata", "mit", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	code := "def area(width, height):\n    return width * height\n"
	srv := gittest.Serve(t, map[string]map[string]string{
		"mit":     {"LICENSE": string(mit), "geometry/area.py": code},
		"npm":     {"package.json": `{"name": "tool", "license": "ISC"}`, "tool.py": code},
		"nothing": {"tool.py": code},
	})
	site := writeRepo(t, map[string]string{
		"requests/__init__.py":              code,
		"requests-2.28.1.egg-info/PKG-INFO": "Metadata-Version: 2.1\nName: requests\nClassifier: License :: OSI Approved :: Apache Software License\n\n",
	})
	plain := writeRepo(t, map[string]string{"pyproject.toml": "[project]\nname = \"p\"\nlicense = \"BSD-3-Clause\"\n", "p.py": code})
	conn := servertest.Start(t, platformserver.DefaultConfig("parser", "bufconn"), register(Config{
		AllowedRoots: []string{site, plain}, GitAllowedHosts: []string{srv.Host}, GitCABundle: srv.CA, GitTempDir: t.TempDir(),
	}))
	git := func(name string) *parserv1.Source {
		return &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: srv.URL(name)}}}
	}
	local := func(dir string) *parserv1.Source {
		return &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: dir}}
	}
	tests := []struct {
		name string
		src  *parserv1.Source
		want string
	}{
		{"git checkout with a LICENSE", git("mit"), "MIT"},
		{"git checkout with package.json", git("npm"), "ISC"},
		{"git checkout naming none", git("nothing"), "unknown"},
		{"local directory with pyproject.toml", local(plain), "BSD-3-Clause"},
		{"installed package", local(filepath.Join(site, "requests")), "Apache-2.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			funcs, stats, err := parse(t, conn, &parserv1.ParseRepositoryRequest{Source: tc.src})
			if err != nil {
				t.Fatal(err)
			}
			if len(funcs) != 1 || stats.GetLicense() != tc.want {
				t.Errorf("%d functions, licence %q; want 1 function, licence %q", len(funcs), stats.GetLicense(), tc.want)
			}
		})
	}
}
