// Package prompt renders the versioned Query4Code prompts: a concise summary
// of a function, one search query for it, and a 0-3 relevance judgement of a
// query against the function.
//
// Templates are embedded files under prompts/<version>/. Every piece of text
// that comes from a repository or from an earlier model answer is quoted as
// data between fence lines whose id is derived from that text and does not
// occur in it, so the text cannot close its own block.
package prompt

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

// Version is the prompt version rendered by Default and recorded in every
// response and dataset record.
const Version = "v2"

//go:embed prompts
var promptFS embed.FS

// Stage names one of the three generation steps.
type Stage string

// The stages, in the order the pipeline runs them.
const (
	StageSummary  Stage = "summary"
	StageQuery    Stage = "query"
	StageValidate Stage = "validate"
)

// Function is the function to annotate.
type Function struct {
	Path      string // repository-relative file path
	Language  string // "python", "javascript" or "typescript"; "python" when empty
	Code      string
	Docstring string
}

// Callee is a repository function the target calls. Summary is set for
// callees already annotated; Code for members of the target's own call
// cycle, which have no summary yet.
type Callee struct {
	ID      string
	Summary string
	Code    string
}

// APIDoc is the documentation of one third-party API the target uses.
type APIDoc struct {
	API string
	Doc string
}

// Context is what the summary prompt carries besides the function, nearest
// first: callees in the order given, then API documentation.
type Context struct {
	Callees []Callee
	APIDocs []APIDoc
}

// Input is a function with its context.
type Input struct {
	Function Function
	Context  Context
}

// Prompt is a rendered chat prompt.
type Prompt struct {
	Stage   Stage
	Version string
	System  string
	User    string
	// Fence is the id of the data blocks in User.
	Fence string
}

// Renderer renders the prompts of one version.
type Renderer struct {
	version string
	stages  map[Stage]*template.Template
}

// ErrUnknownVersion is returned by New for a version with no templates.
var ErrUnknownVersion = errors.New("unknown prompt version")

// New loads the templates of version.
func New(version string) (*Renderer, error) {
	dir := "prompts/" + version
	if _, err := fs.Stat(promptFS, dir); err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownVersion, version)
	}
	r := &Renderer{version: version, stages: map[Stage]*template.Template{}}
	for _, stage := range []Stage{StageSummary, StageQuery, StageValidate} {
		t, err := template.New(string(stage)).
			Funcs(template.FuncMap{"comment": comment, "commentBlock": commentBlock}).
			Option("missingkey=error").
			ParseFS(promptFS, dir+"/common.tmpl", dir+"/"+string(stage)+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("parse %s prompt %s: %w", stage, version, err)
		}
		for _, name := range []string{"system", "user"} {
			if t.Lookup(name) == nil {
				return nil, fmt.Errorf("%s prompt %s: template %q missing", stage, version, name)
			}
		}
		r.stages[stage] = t
	}
	return r, nil
}

var loadDefault = sync.OnceValues(func() (*Renderer, error) { return New(Version) })

// Default returns the renderer of Version.
func Default() (*Renderer, error) { return loadDefault() }

// Version returns the version the renderer renders.
func (r *Renderer) Version() string { return r.version }

// Summary renders the summary prompt: the function with its context.
func (r *Renderer) Summary(in Input) (Prompt, error) {
	return r.render(StageSummary, in, "", "")
}

// Query renders the query prompt: the function and its summary.
func (r *Renderer) Query(in Input, summary string) (Prompt, error) {
	return r.render(StageQuery, in, summary, "")
}

// Validate renders the judge prompt: a query against the function.
func (r *Renderer) Validate(in Input, query string) (Prompt, error) {
	return r.render(StageValidate, in, "", query)
}

type templateData struct {
	Input
	Language     string // the language's name: "TypeScript"
	LanguageWord string // as people type it in a search: "typescript"
	Comment      string // what starts a line comment in the language: "#", "//"
	Fence        string
	Summary      string
	Query        string
}

func (r *Renderer) render(stage Stage, in Input, summary, query string) (Prompt, error) {
	t := r.stages[stage]
	in.Function.Code = strings.TrimRight(normalizeNewlines(in.Function.Code), "\n")
	lang := LanguageOf(in.Function.Language)
	data := templateData{
		Input:        in,
		Language:     lang.Name,
		LanguageWord: lang.Word,
		Comment:      lang.Comment,
		Summary:      strings.TrimSpace(oneBlock(summary)),
		Query:        strings.TrimSpace(oneBlock(query)),
	}
	data.Fence = Fence(dataTexts(stage, data)...)
	var system, user strings.Builder
	if err := t.ExecuteTemplate(&system, "system", data); err != nil {
		return Prompt{}, fmt.Errorf("render %s system prompt: %w", stage, err)
	}
	if err := t.ExecuteTemplate(&user, "user", data); err != nil {
		return Prompt{}, fmt.Errorf("render %s user prompt: %w", stage, err)
	}
	return Prompt{
		Stage:   stage,
		Version: r.version,
		System:  system.String(),
		User:    user.String(),
		Fence:   data.Fence,
	}, nil
}

// dataTexts lists every untrusted text a stage quotes.
func dataTexts(stage Stage, d templateData) []string {
	texts := []string{d.Function.Path, d.Function.Code}
	switch stage {
	case StageSummary:
		for _, c := range d.Context.Callees {
			texts = append(texts, c.ID, c.Summary, c.Code)
		}
		for _, a := range d.Context.APIDocs {
			texts = append(texts, a.API, a.Doc)
		}
	case StageQuery:
		texts = append(texts, d.Summary)
	case StageValidate:
		texts = append(texts, d.Query)
	}
	return texts
}

// Fence returns a data-block id that occurs in none of texts. It is derived
// from the texts, so the same input renders the same prompt (results can be
// cached by prompt), and text cannot predict the id of the block that
// quotes it without containing it.
func Fence(texts ...string) string {
	h := sha256.New()
	for _, t := range texts {
		h.Write([]byte(strconv.Itoa(len(t))))
		h.Write([]byte{0})
		h.Write([]byte(t))
	}
	seed := h.Sum(nil)
	for counter := 0; ; counter++ {
		sum := sha256.Sum256(append(seed, []byte(strconv.Itoa(counter))...))
		id := hex.EncodeToString(sum[:8])
		if !containedIn(id, texts) {
			return id
		}
	}
}

func containedIn(id string, texts []string) bool {
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), id) {
			return true
		}
	}
	return false
}

// Language is how the prompts speak of a programming language.
type Language struct {
	ID      string // as requests name it: "typescript"
	Name    string // as prose names it: "TypeScript"
	Word    string // as people type it into a search box: "typescript"
	Comment string // what starts a line comment, so context lines read as the language's comments
}

// Languages are the languages the prompts are written for, by id.
var Languages = map[string]Language{
	"python":     {ID: "python", Name: "Python", Word: "python", Comment: "#"},
	"javascript": {ID: "javascript", Name: "JavaScript", Word: "javascript", Comment: "//"},
	"typescript": {ID: "typescript", Name: "TypeScript", Word: "typescript", Comment: "//"},
}

// LanguageOf returns the language a request names (any case; empty is Python); for one the prompts
// are not written for (see Supported), Python's.
func LanguageOf(id string) Language {
	l, _ := lookupLanguage(id)
	return l
}

// Supported reports whether the prompts are written for the language a request names.
func Supported(id string) bool {
	_, ok := lookupLanguage(id)
	return ok
}

func lookupLanguage(id string) (Language, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		id = "python"
	}
	l, ok := Languages[id]
	if !ok {
		return Languages["python"], false
	}
	return l, true
}

func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// oneBlock keeps an earlier answer (a summary or a query) to plain lines.
func oneBlock(s string) string { return normalizeNewlines(s) }

// comment renders text for the right-hand side of a "# name: " comment
// (marker is the language's "#" or "//"): continuation lines are commented
// too, so no line of context escapes into code.
func comment(marker, s string) string {
	s = strings.TrimSpace(normalizeNewlines(s))
	return strings.ReplaceAll(s, "\n", "\n"+marker+"   ")
}

// commentBlock comments out every line of code, indented under its header.
func commentBlock(marker, s string) string {
	lines := strings.Split(strings.TrimRight(normalizeNewlines(s), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(marker+"     "+l, " ")
	}
	return strings.Join(lines, "\n")
}
