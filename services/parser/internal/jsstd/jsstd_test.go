package jsstd

import "testing"

func TestPackagePath(t *testing.T) {
	for spec, want := range map[string]string{
		"lodash": "lodash", "pkg/sub": "pkg.sub", "@scope/pkg": "@scope/pkg",
		"@scope/pkg/sub/x.js": "@scope/pkg.sub.x", "node:fs/promises": "fs.promises",
		"./local": "", "../up": "", "/abs": "", "https://x.y/z": "", "@scope": "",
	} {
		if got := PackagePath(spec); got != want {
			t.Errorf("PackagePath(%q) = %q, want %q", spec, got, want)
		}
	}
}

func TestIsStdlib(t *testing.T) {
	for api, want := range map[string]bool{
		"fs.readFileSync": true, "fs/promises": true, "node:test": true, "path": true,
		"lodash.get": false, "@scope/pkg.fn": false, "fsevents.watch": false,
	} {
		if got := IsStdlib(api); got != want {
			t.Errorf("IsStdlib(%q) = %v, want %v", api, got, want)
		}
	}
	if !IsGlobal("console") || IsGlobal("lodash") {
		t.Error("IsGlobal")
	}
}
