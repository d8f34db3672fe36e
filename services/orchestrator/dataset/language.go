package dataset

import (
	"cmp"
	"path"
	"slices"
	"strings"
)

// The source languages records carry, as the parser names them.
const (
	LanguagePython     = "python"
	LanguageJavaScript = "javascript"
	LanguageTypeScript = "typescript"
)

// Languages lists the languages the suite reads, in the order the card shows them.
var Languages = []string{LanguagePython, LanguageJavaScript, LanguageTypeScript}

// languageExtensions are the file extensions the parser reads per language (parser.proto).
var languageExtensions = map[string]string{
	".py":  LanguagePython,
	".js":  LanguageJavaScript,
	".mjs": LanguageJavaScript,
	".cjs": LanguageJavaScript,
	".jsx": LanguageJavaScript,
	".ts":  LanguageTypeScript,
	".mts": LanguageTypeScript,
	".cts": LanguageTypeScript,
	".tsx": LanguageTypeScript,
}

// LanguageOfPath is the language of a source file by its extension, for functions the parser names
// without one (those left out for a syntax error); a path it does not know is Python, the language
// of the parser before it read others.
func LanguageOfPath(p string) string {
	return cmp.Or(languageExtensions[strings.ToLower(path.Ext(p))], LanguagePython)
}

// languageName is how the card writes a language.
func languageName(lang string) string {
	switch lang {
	case LanguagePython:
		return "Python"
	case LanguageJavaScript:
		return "JavaScript"
	case LanguageTypeScript:
		return "TypeScript"
	}
	return lang
}

// recordLanguage is a record's language; records stored before records said it are Python.
func recordLanguage(lang string) string { return cmp.Or(lang, LanguagePython) }

// sortLanguages orders languages as Languages lists them, unknown ones after, by name.
func sortLanguages(langs []string) []string {
	slices.SortFunc(langs, func(a, b string) int {
		ia, ib := slices.Index(Languages, a), slices.Index(Languages, b)
		if ia < 0 {
			ia = len(Languages)
		}
		if ib < 0 {
			ib = len(Languages)
		}
		return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a, b))
	})
	return langs
}
