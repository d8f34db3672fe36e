// Package apidoc holds what every documentation provider shares: the rules
// for a well-formed API name and the documentation record they return.
package apidoc

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength bounds an API name; real dotted paths are far shorter.
const MaxNameLength = 512

// ErrMalformedName is matched (errors.Is) by every *NameError.
var ErrMalformedName = errors.New("malformed API name")

// ErrNotFound reports that a provider looked and the API does not exist there.
// It is a per-item answer, not a failure of the lookup.
var ErrNotFound = errors.New("API not found")

// NameError says why a name is not a dotted Python path such as
// "pkg.mod.Class.method".
type NameError struct {
	Name   string
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("malformed API name %q: %s", e.Name, e.Reason)
}

// Is makes errors.Is(err, ErrMalformedName) true.
func (e *NameError) Is(target error) bool { return target == ErrMalformedName }

// ValidateName checks that name is a dotted path of Python identifiers.
func ValidateName(name string) error {
	if err := checkLength(name); err != nil {
		return err
	}
	for i, part := range strings.Split(name, ".") {
		if part == "" {
			return &NameError{Name: name, Reason: fmt.Sprintf("component %d is empty", i+1)}
		}
		if !isIdentifier(part) {
			return &NameError{Name: name, Reason: fmt.Sprintf("component %q is not a Python identifier", part)}
		}
	}
	return nil
}

// checkLength rejects what no language's name can be: empty, too long, not UTF-8.
func checkLength(name string) error {
	switch {
	case name == "":
		return &NameError{Name: name, Reason: "empty"}
	case len(name) > MaxNameLength:
		return &NameError{Name: name[:32] + "...", Reason: fmt.Sprintf("longer than %d bytes", MaxNameLength)}
	case !utf8.ValidString(name):
		return &NameError{Name: name, Reason: "not valid UTF-8"}
	}
	return nil
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) {
			continue
		}
		if i > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)) {
			continue
		}
		return false
	}
	return true
}

// TopLevel returns the first component of a dotted name ("requests" for
// "requests.api.get").
func TopLevel(name string) string {
	top, _, _ := strings.Cut(name, ".")
	return top
}

// Source says where a documentation record came from.
type Source string

const (
	SourceNone      Source = "none"
	SourceInstalled Source = "installed"
	SourceWeb       Source = "web"
	SourceCache     Source = "cache"
)

// Kind is what the name resolved to.
type Kind string

const (
	KindModule    Kind = "module"
	KindClass     Kind = "class"
	KindFunction  Kind = "function"
	KindMethod    Kind = "method"
	KindAttribute Kind = "attribute"
	KindWebPage   Kind = "web_page"
)

// Doc is the documentation of one API.
type Doc struct {
	API       string `json:"api"`
	Kind      Kind   `json:"kind,omitempty"`
	Signature string `json:"signature,omitempty"`
	Docstring string `json:"docstring,omitempty"`
	// Source is the provider that produced the text (installed or web); a
	// cached record keeps the provider that first produced it.
	Source Source `json:"source"`
	// Location is a file path (installed) or a URL (web).
	Location string `json:"location,omitempty"`
	Line     int    `json:"line,omitempty"`
	// Package is the import name the API belongs to, Distribution the
	// installed distribution that provides it, Version its version.
	Package      string `json:"package,omitempty"`
	Distribution string `json:"distribution,omitempty"`
	Version      string `json:"version,omitempty"`
	// Truncated is set when Trim cut the docstring.
	Truncated bool `json:"truncated,omitempty"`
}

// truncationMark ends a docstring that Trim cut.
const truncationMark = " [...]"

// Trim returns d with signature and docstring fitted into budget characters
// (runes). The signature is kept whole because a cut signature misleads; the
// docstring is cut at the last paragraph, line or word boundary that fits.
// A budget <= 0 means no limit.
func Trim(d Doc, budget int) Doc {
	if budget <= 0 {
		return d
	}
	room := budget - utf8.RuneCountInString(d.Signature)
	if utf8.RuneCountInString(d.Docstring) <= room {
		return d
	}
	d.Truncated = true
	room -= utf8.RuneCountInString(truncationMark)
	if room <= 0 {
		d.Docstring = ""
		return d
	}
	cut := runePrefix(d.Docstring, room)
	for _, sep := range []string{"\n\n", "\n", " "} {
		// Only back off to a boundary that keeps at least half of the room.
		if i := strings.LastIndex(cut, sep); i > 0 && utf8.RuneCountInString(cut[:i]) >= room/2 {
			cut = cut[:i]
			break
		}
	}
	d.Docstring = strings.TrimRightFunc(cut, unicode.IsSpace) + truncationMark
	return d
}

func runePrefix(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// Language is the family of names an API belongs to: Python import paths,
// or npm package paths (JavaScript and TypeScript share the npm registry).
type Language int

const (
	LanguagePython Language = iota
	LanguageNPM
)

// ParseLanguage maps the request's language field ("" and "python",
// "javascript" and "typescript") to the family of names it uses.
func ParseLanguage(s string) (Language, error) {
	switch s {
	case "", "python":
		return LanguagePython, nil
	case "javascript", "typescript":
		return LanguageNPM, nil
	}
	return LanguagePython, fmt.Errorf("unknown language %q (want python, javascript or typescript)", s)
}

// ValidateNameFor checks name under the rules of lang.
func ValidateNameFor(lang Language, name string) error {
	if lang == LanguageNPM {
		return ValidateNPMName(name)
	}
	return ValidateName(name)
}

// ValidateNPMName checks that name is an npm API path as the parser writes
// it: an optional "@scope/" then dotted components ("lodash.get",
// "@scope/pkg.sub.fn", "left-pad", "date-fns.format"). A component holds
// the characters of npm package names and JavaScript identifiers; none is
// empty, so no path can climb out of a package ("..").
func ValidateNPMName(name string) error {
	if err := checkLength(name); err != nil {
		return err
	}
	rest := name
	if strings.HasPrefix(name, "@") {
		scope, after, ok := strings.Cut(name[1:], "/")
		if !ok || scope == "" || after == "" {
			return &NameError{Name: name, Reason: `a scoped name is "@scope/pkg..."`}
		}
		if !isNPMComponent(scope) {
			return &NameError{Name: name, Reason: fmt.Sprintf("scope %q is not an npm scope", scope)}
		}
		rest = after
	}
	for i, part := range strings.Split(rest, ".") {
		if part == "" {
			return &NameError{Name: name, Reason: fmt.Sprintf("component %d is empty", i+1)}
		}
		if !isNPMComponent(part) {
			return &NameError{Name: name, Reason: fmt.Sprintf("component %q is neither an npm package name part nor a JavaScript identifier", part)}
		}
	}
	return nil
}

func isNPMComponent(s string) bool {
	for _, r := range s {
		switch {
		case r == '_' || r == '$' || r == '-' || r == '~' || unicode.IsLetter(r) || unicode.IsDigit(r):
		case r > unicode.MaxASCII && (unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)):
		default:
			return false
		}
	}
	return true
}

// NPMPackageHead splits an npm API path into its first package-name
// component, with the scope kept ("@scope/pkg" of "@scope/pkg.sub.fn"), and
// the dotted rest. name must be valid (ValidateNPMName).
func NPMPackageHead(name string) (head, rest string) {
	prefix := ""
	if strings.HasPrefix(name, "@") {
		i := strings.IndexByte(name, '/')
		prefix, name = name[:i+1], name[i+1:]
	}
	head, rest, _ = strings.Cut(name, ".")
	return prefix + head, rest
}
