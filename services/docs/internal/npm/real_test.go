package npm

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// TestRealPackages installs packages no one here wrote, at pinned versions, with npm into a
// temporary repository: one that ships its own declarations beside an ESM entry
// (escape-string-regexp) and one documented by DefinitelyTyped (ms with @types/ms). It skips,
// saying why, without npm or the registry.
func TestRealPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no npm install")
	}
	npmBin, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed: the fixture tests cover the provider; install Node.js to run this one")
	}
	repo := t.TempDir()
	if err := os.WriteFile(repo+"/package.json", []byte(`{"private": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, npmBin, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock",
		"escape-string-regexp@5.0.0", "ms@2.1.3", "@types/ms@0.7.34")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_cache="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm install failed (is the registry reachable?): %v\n%s", err, out)
	}
	p := New(Options{})
	tests := []struct {
		api, signature, docPrefix, location, version string
	}{
		{"escape-string-regexp", "function escapeStringRegexp(string: string): string", "Escape RegExp special characters.",
			"node_modules/escape-string-regexp/index.d.ts", "5.0.0"},
		// Both overloads, the first one's JSDoc; the version is the package's, not @types/ms's.
		{"ms", "function ms(value: number, options?: { long: boolean }): string\nfunction ms(value: string): number",
			"Short/Long format for `value`.", "node_modules/@types/ms/index.d.ts", "2.1.3"},
	}
	for _, tt := range tests {
		d, err := p.Lookup(ctx, repo, tt.api)
		if err != nil {
			t.Errorf("%s: %v", tt.api, err)
			continue
		}
		if d.Signature != tt.signature || !strings.HasPrefix(d.Docstring, tt.docPrefix) || d.Location != tt.location ||
			d.Version != tt.version || d.Kind != apidoc.KindFunction {
			t.Errorf("%s = %s %q %q %s %s", tt.api, d.Kind, d.Signature, d.Docstring, d.Location, d.Version)
		}
	}
}
