package npm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// FuzzLookup: whatever a package's files hold, a lookup answers a doc or an error, never a panic
// or a hang.
func FuzzLookup(f *testing.F) {
	for _, file := range []string{"testdata/repo/node_modules/typed-pkg/dist/index.d.ts", "testdata/repo/node_modules/js-only/index.js",
		"testdata/repo/node_modules/@types/untyped-lib/index.d.ts"} {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src), `{"name": "p", "version": "1.0.0", "exports": {"./*": "./*.js"}}`)
	}
	f.Add("export = x; declare namespace x { export = x }; export * from './index';", `{"exports": ["./a", {"types": 3}]}`)
	repo := f.TempDir()
	dir := filepath.Join(repo, "node_modules", "p")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	p := New(Options{})
	f.Fuzz(func(t *testing.T, src, packageJSON string) {
		for name, data := range map[string]string{"index.d.ts": src, "index.js": src, "package.json": packageJSON} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for _, api := range []string{"p", "p.formatDate", "p.Client.send", "p.default", "p.index.x", "p.helpers.trim"} {
			if _, err := p.Lookup(context.Background(), repo, api); err != nil && !errors.Is(err, apidoc.ErrNotFound) {
				t.Fatalf("%s: %v", api, err)
			}
		}
	})
}
