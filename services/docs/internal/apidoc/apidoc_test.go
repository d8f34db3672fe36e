package apidoc

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name   string
		ok     bool
		reason string
	}{
		{"requests.get", true, ""},
		{"numpy", true, ""},
		{"pkg.mod.Class.__init__", true, ""},
		{"_private._x1", true, ""},
		{"café.naïve", true, ""},
		{"", false, "empty"},
		{"requests..get", false, "component 2 is empty"},
		{".requests", false, "component 1 is empty"},
		{"requests.", false, "component 2 is empty"},
		{"1pkg.f", false, `"1pkg" is not a Python identifier`},
		{"my-pkg.f", false, `"my-pkg" is not a Python identifier`},
		{"pkg.f()", false, "not a Python identifier"},
		{"pkg f", false, "not a Python identifier"},
		{"\xff.f", false, "not valid UTF-8"},
		{strings.Repeat("a", MaxNameLength+1), false, "longer than"},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if tt.ok {
			if err != nil {
				t.Errorf("ValidateName(%q) = %v", tt.name, err)
			}
			continue
		}
		var ne *NameError
		if !errors.As(err, &ne) || !errors.Is(err, ErrMalformedName) || !strings.Contains(ne.Reason, tt.reason) {
			t.Errorf("ValidateName(%q) = %v, want a NameError with %q", tt.name, err, tt.reason)
		}
	}
}

func TestTopLevel(t *testing.T) {
	for in, want := range map[string]string{"requests.api.get": "requests", "numpy": "numpy"} {
		if got := TopLevel(in); got != want {
			t.Errorf("TopLevel(%q) = %q", in, got)
		}
	}
}

func TestTrim(t *testing.T) {
	long := "First paragraph explains.\n\nSecond paragraph goes on and on about details nobody needs."
	tests := []struct {
		name      string
		doc       Doc
		budget    int
		want      string
		truncated bool
	}{
		{"no budget", Doc{Docstring: long}, 0, long, false},
		{"fits exactly", Doc{Signature: "def f()", Docstring: "abc"}, 10, "abc", false},
		{"cut at paragraph", Doc{Docstring: long}, 50, "First paragraph explains. [...]", true},
		{"cut at word", Doc{Docstring: "alpha beta gamma delta epsilon"}, 24, "alpha beta gamma [...]", true},
		{"signature takes the room", Doc{Signature: strings.Repeat("x", 30), Docstring: "doc"}, 31, "", true},
		{"runes not bytes", Doc{Docstring: "ééééé ééééé ééééé"}, 17, "ééééé ééééé ééééé", false},
		{"runes cut", Doc{Docstring: "ééééé ééééé ééééé"}, 16, "ééééé [...]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Trim(tt.doc, tt.budget)
			if got.Docstring != tt.want || got.Truncated != tt.truncated {
				t.Errorf("Trim = %q (truncated %v), want %q (%v)", got.Docstring, got.Truncated, tt.want, tt.truncated)
			}
			if got.Signature != tt.doc.Signature {
				t.Errorf("signature changed to %q", got.Signature)
			}
			if tt.budget > 0 && tt.truncated && utf8.RuneCountInString(got.Signature)+utf8.RuneCountInString(got.Docstring) > max(tt.budget, utf8.RuneCountInString(got.Signature)) {
				t.Errorf("result over budget: %d", utf8.RuneCountInString(got.Signature)+utf8.RuneCountInString(got.Docstring))
			}
		})
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"requests.get", "a..b", "", "é.x", "1a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateName(s) == nil && (s == "" || strings.Contains(s, "..") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".")) {
			t.Fatalf("ValidateName accepted %q", s)
		}
	})
}

func TestValidateNPMName(t *testing.T) {
	for name, ok := range map[string]bool{
		"lodash.get": true, "@scope/pkg.sub.fn": true, "left-pad": true, "date-fns.format": true,
		"jquery.$": true, "@types/node.fs": true, "pkg.sub.x_1": true, "lodash.debounce.default": true,
		"": false, "@scope": false, "@/pkg": false, "@scope/": false, "a..b": false, ".a": false, "a.": false,
		"a/b.c": false, "../etc.passwd": false, "a b": false, "@sc/ope/pkg.x": false, "pkg.\x00": false,
	} {
		err := ValidateNPMName(name)
		if (err == nil) != ok {
			t.Errorf("ValidateNPMName(%q) = %v, want ok=%v", name, err, ok)
		}
		if err != nil && !errors.Is(err, ErrMalformedName) {
			t.Errorf("ValidateNPMName(%q) = %v, not a malformed name", name, err)
		}
	}
	// Python names keep Python's rules: a hyphen is no identifier there.
	if ValidateNameFor(LanguagePython, "left-pad.x") == nil || ValidateNameFor(LanguageNPM, "left-pad.x") != nil {
		t.Error("ValidateNameFor does not follow the language")
	}
}

func TestParseLanguageAndHead(t *testing.T) {
	for in, want := range map[string]Language{"": LanguagePython, "python": LanguagePython, "javascript": LanguageNPM, "typescript": LanguageNPM} {
		if got, err := ParseLanguage(in); err != nil || got != want {
			t.Errorf("ParseLanguage(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseLanguage("rust"); err == nil {
		t.Error("ParseLanguage accepted rust")
	}
	for in, want := range map[string][2]string{
		"lodash.get": {"lodash", "get"}, "@scope/pkg.sub.fn": {"@scope/pkg", "sub.fn"}, "left-pad": {"left-pad", ""},
	} {
		if h, r := NPMPackageHead(in); h != want[0] || r != want[1] {
			t.Errorf("NPMPackageHead(%q) = %q, %q", in, h, r)
		}
	}
}
