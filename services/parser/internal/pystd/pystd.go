// Package pystd knows the names of Python's standard-library modules and
// builtins, to tell the standard library apart from third-party packages.
package pystd

//go:generate python3 gen.py

import (
	_ "embed"
	"strings"
)

//go:embed stdlib_modules.txt
var stdlibText string

//go:embed builtins.txt
var builtinsText string

var (
	stdlib   = lines(stdlibText)
	builtins = lines(builtinsText)
)

func lines(s string) map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m[l] = true
		}
	}
	return m
}

// IsStdlib reports whether a dotted module or API path belongs to the
// standard library (by its top-level package).
func IsStdlib(path string) bool {
	top, _, _ := strings.Cut(path, ".")
	return stdlib[top]
}

// IsBuiltin reports whether name is a builtin function, type or constant.
func IsBuiltin(name string) bool { return builtins[name] }
