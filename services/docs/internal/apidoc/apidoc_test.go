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
