// Package redact removes secrets from text before it leaves the process.
//
// The rules aim at what shows up in real repositories: provider API keys,
// cloud credentials, bearer tokens, private key blocks, passwords in URLs and
// connection strings, and assignments whose name says the value is a secret.
// A redacted value becomes "[REDACTED:<kind>]"; running the redactor again on
// its own output finds nothing, so counts do not grow on a second pass.
package redact

import (
	"regexp"
	"sort"
	"strings"
)

// Placeholder prefix of every replacement. Values that already start with it
// are left alone.
const placeholderPrefix = "[REDACTED"

// Result is the redacted text with the number of secrets replaced, by kind.
type Result struct {
	Text   string
	Count  int
	ByKind map[string]int
}

// Kinds returns the kinds found, sorted, for logs and tests.
func (r Result) Kinds() []string {
	kinds := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// String redacts s and returns the new text and the number of replacements.
func String(s string) (string, int) {
	r := Text(s)
	return r.Text, r.Count
}

// Text redacts s and reports what it replaced.
func Text(s string) Result {
	res := Result{Text: s}
	lower := strings.ToLower(s)
	for _, rl := range rules {
		if rl.multiline && containsAny(lower, rl.hints) {
			res.Text = rl.apply(res.Text, &res)
		}
	}
	// The other rules run line by line, and only on lines holding one of
	// their hints, which keeps long files fast.
	var b strings.Builder
	changed := false
	rest := res.Text
	for len(rest) > 0 {
		end := strings.IndexByte(rest, '\n')
		line, next := rest, ""
		if end >= 0 {
			line, next = rest[:end+1], rest[end+1:]
		}
		out := line
		lowerLine := strings.ToLower(line)
		for _, rl := range rules {
			if rl.multiline || !containsAny(lowerLine, rl.hints) || !strings.Contains(lowerLine, rl.needs) {
				continue
			}
			if replaced := rl.apply(out, &res); replaced != out {
				out = replaced
				lowerLine = strings.ToLower(out)
			}
		}
		if out != line && !changed {
			changed = true
			b.Grow(len(res.Text) + 64)
			b.WriteString(res.Text[:len(res.Text)-len(rest)])
		}
		if changed {
			b.WriteString(out)
		}
		rest = next
	}
	if changed {
		res.Text = b.String()
	}
	return res
}

func (res *Result) add(kind string) string {
	if res.ByKind == nil {
		res.ByKind = map[string]int{}
	}
	res.ByKind[kind]++
	res.Count++
	return placeholder(kind)
}

func placeholder(kind string) string { return placeholderPrefix + ":" + kind + "]" }

// span is the byte range of a secret value inside the text searched.
type span struct{ start, end int }

// rule finds secret values of one kind.
type rule struct {
	kind string
	// hints are lower-case literals of which one must occur (case-insensitively)
	// for the rule to run at all: a cheap filter before the matcher.
	hints []string
	// multiline rules run on the whole text; the others line by line.
	multiline bool
	// needs is a literal that must also occur on the line.
	needs string
	// Either re (replacing sub-match group) or find.
	re    *regexp.Regexp
	group int
	find  func(s string) []span
	// keep reports whether a matched value is not a secret (a placeholder, an
	// expression, a template variable).
	keep func(value string) bool
	// accept, when set, sees the whole regexp match and decides whether it counts.
	accept func(s string, m []int) bool
}

func (rl rule) spans(s string) []span {
	if rl.find != nil {
		return rl.find(s)
	}
	matches := rl.re.FindAllStringSubmatchIndex(s, -1)
	out := make([]span, 0, len(matches))
	for _, m := range matches {
		if m[2*rl.group] < 0 || (rl.accept != nil && !rl.accept(s, m)) {
			continue
		}
		out = append(out, span{m[2*rl.group], m[2*rl.group+1]})
	}
	return out
}

func (rl rule) apply(s string, res *Result) string {
	spans := rl.spans(s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp.start < last {
			continue
		}
		value := s[sp.start:sp.end]
		if strings.HasPrefix(value, placeholderPrefix) || (rl.keep != nil && rl.keep(value)) {
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:sp.start])
		b.WriteString(res.add(rl.kind))
		last = sp.end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func containsAny(lower string, hints []string) bool {
	if len(hints) == 0 {
		return true
	}
	for _, h := range hints {
		if strings.Contains(lower, h) {
			return true
		}
	}
	return false
}

// secretNameRe matches identifiers whose LAST word names a secret:
// db_password, SECRET_KEY, apiKey, access_token, client_secret. Names such
// as token_type or sort_key are not secrets.
var secretNameRe = regexp.MustCompile(`(?i)(?:^|[_\-.])(?:password|passwd|passphrase|pwd|secret|credentials?|token|(?:api|secret|private|access|signing|encryption|master|auth)[_\-]?key)$|^(?:password|passwd|passphrase|pwd|secret|token|apikey)$`)

// secretCamelNameRe is the camelCase form: dbPassword, clientSecret, apiKey.
var secretCamelNameRe = regexp.MustCompile(`[a-z0-9](?:Password|Passwd|Passphrase|Secret|Token|ApiKey|APIKey|PrivateKey|AccessKey|SecretKey)$`)

func isSecretName(name string) bool {
	return secretNameRe.MatchString(name) || secretCamelNameRe.MatchString(name)
}

// templateRe matches values that are references, not secrets: ${VAR}, {name},
// %(name)s, %s, <your-key>, $VAR.
var templateRe = regexp.MustCompile(`^(?:\$\{[^}]*\}|\{[^}]*\}|%\([^)]*\)s|%s|<[^>]*>|\$[A-Za-z_][A-Za-z0-9_]*|\*+|x+|X+)$`)

func isReference(v string) bool {
	v = strings.TrimSpace(v)
	return templateRe.MatchString(v)
}

// looksLikeCode reports whether an unquoted assignment value is a Python
// expression (a name, attribute or call without digits) rather than a literal.
var codeValueRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*(?:\(.*\)?)?,?$|^(?:None|True|False|null|true|false)$|^[\[\({]`)

func looksLikeCode(v string) bool {
	if codeValueRe.MatchString(v) && !strings.ContainsAny(v, "0123456789") {
		return true
	}
	return strings.ContainsAny(v, "()[]")
}

var assignmentHints = []string{"pass", "pwd", "secret", "token", "key", "credential"}

var rules = []rule{
	// Private key blocks first: their body would otherwise trip other rules.
	{kind: "private_key", multiline: true, hints: []string{"private key"}, re: regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)`)},
	{kind: "anthropic_key", hints: []string{"sk-ant-"}, re: regexp.MustCompile(`\bsk-ant-[A-Za-z0-9_\-]{20,}`)},
	{kind: "openai_key", hints: []string{"sk-"}, re: regexp.MustCompile(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}`),
		// sk-learn-style words carry no digits; real keys always do.
		keep: func(v string) bool { return !strings.ContainsAny(v, "0123456789") }},
	{kind: "stripe_key", hints: []string{"_live_"}, re: regexp.MustCompile(`\b(?:sk|rk|pk)_live_[A-Za-z0-9]{16,}`)},
	{kind: "github_token", hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, re: regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`)},
	{kind: "slack_token", hints: []string{"xox"}, re: regexp.MustCompile(`\bxox[abposre]-[A-Za-z0-9\-]{10,}`)},
	{kind: "slack_webhook", hints: []string{"hooks.slack.com"}, re: regexp.MustCompile(`https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+`)},
	{kind: "google_api_key", hints: []string{"aiza"}, re: regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}`)},
	{kind: "huggingface_token", hints: []string{"hf_"}, re: regexp.MustCompile(`\bhf_[A-Za-z0-9]{30,}`)},
	{kind: "aws_access_key_id", hints: []string{"akia", "asia", "abia", "acca"}, re: regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`)},
	{kind: "aws_secret_access_key", hints: []string{"secret"}, re: regexp.MustCompile(`(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})\b`), group: 1},
	{kind: "jwt", hints: []string{"eyj"}, re: regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`)},
	{kind: "bearer_token", hints: []string{"bearer"}, re: regexp.MustCompile(`(?i)\bbearer\s+([A-Za-z0-9._~+/\-]{16,}=*)`), group: 1},
	{kind: "basic_auth", hints: []string{"basic"}, re: regexp.MustCompile(`(?i)\bauthorization["']?\s*[:=]\s*["']?basic\s+([A-Za-z0-9+/]{12,}=*)`), group: 1},
	// scheme://user:password@host: the password only, so the URL stays readable.
	{kind: "url_password", hints: []string{"://"}, re: regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@"'\x60]*:([^\s@/"'\x60]+)@`), group: 1, keep: isReference},
	// Key=value connection strings: Server=...;Password=...;
	{kind: "connection_string_password", hints: []string{"password", "pwd"}, needs: ";", re: regexp.MustCompile(`(?i)(?:^|[;"'\s])(?:password|pwd)\s*=\s*([^;"'\x60\s]+)\s*;`), group: 1, keep: isReference},
	{kind: "secret_assignment", hints: assignmentHints, find: quotedSecretAssignments},
	// Unquoted env-file or YAML lines: DB_PASSWORD=hunter2, api_key: abc123.
	{kind: "secret_assignment", hints: assignmentHints, re: regexp.MustCompile(`^[ \t#]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_\-.]*)(?:=|:[ \t]+)([^\s"'#,]{4,})[ \t]*\r?\n?\z`), group: 2,
		accept: secretAssignment(true, 2)},
}

// secretAssignment accepts a match of an assignment rule only when the name
// (sub-match 1) says the value is a secret and the value is a literal.
func secretAssignment(unquoted bool, valueGroup int) func(s string, m []int) bool {
	return func(s string, m []int) bool {
		if !isSecretName(s[m[2]:m[3]]) {
			return false
		}
		value := s[m[2*valueGroup]:m[2*valueGroup+1]]
		if isReference(value) {
			return false
		}
		return !unquoted || !looksLikeCode(value)
	}
}

// quotedSecretAssignments finds string literals assigned to (or compared
// with) a secret-named target: password = "x", "api_key": 'x', token=b"x",
// if passwd == "x". A hand scanner: the regexp equivalent backtracks over
// every identifier and was the slowest rule by far.
func quotedSecretAssignments(s string) []span {
	var out []span
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '=' && c != ':' {
			continue
		}
		opStart, opEnd := i, i+1
		// Two-character operators: ==, :=, =>. Others (<=, >=, !=) are not assignments.
		if opEnd < len(s) && (s[opEnd] == '=' || (c == '=' && s[opEnd] == '>')) {
			opEnd++
		}
		if opStart > 0 && strings.IndexByte("<>!=+-*/%&|^", s[opStart-1]) >= 0 {
			i = opEnd - 1
			continue
		}
		i = opEnd - 1
		name := nameBefore(s, opStart)
		if c == '=' && name != "" {
			// An annotation (`let secret: string = "x"`, `password: str = "x"`)
			// names the variable before the colon, not the type before the '='.
			if v := annotatedName(s, opStart, name); v != "" {
				name = v
			}
		}
		if name == "" || !isSecretName(name) {
			continue
		}
		if sp, ok := quotedValueAfter(s, opEnd); ok {
			value := s[sp.start:sp.end]
			if !isReference(value) {
				out = append(out, sp)
			}
			i = sp.end
		}
	}
	return out
}

// nameBefore returns the identifier (optionally quoted) ending just before
// the operator at op, skipping blanks.
func nameBefore(s string, op int) string {
	j := op
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
	}
	end := j
	for j > 0 && isNameByte(s[j-1]) {
		j--
	}
	if j == end {
		return ""
	}
	first := s[j]
	if first != '_' && (first|0x20 < 'a' || first|0x20 > 'z') {
		return ""
	}
	return s[j:end]
}

// annotatedName returns the variable of a `name: Type =` binding whose type
// (typ) ends just before the '=' at op; "" when there is no such annotation.
func annotatedName(s string, op int, typ string) string {
	j := strings.LastIndex(s[:op], typ)
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j == 0 || s[j-1] != ':' {
		return ""
	}
	return nameBefore(s, j-1)
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// quotedValueAfter returns the span of a string literal of 4 or more
// non-blank characters starting after blanks and an optional b/r/u prefix.
func quotedValueAfter(s string, from int) (span, bool) {
	j := from
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	for k := 0; k < 2 && j < len(s) && strings.IndexByte("bBrRuU", s[j]) >= 0; k++ {
		j++
	}
	// JavaScript template literals (`...`) hold secrets as often as quotes do.
	if j >= len(s) || (s[j] != '"' && s[j] != '\'' && s[j] != '`') {
		return span{}, false
	}
	start := j + 1
	end := start
	for end < len(s) && s[end] != '"' && s[end] != '\'' && s[end] != '`' && s[end] != ' ' && s[end] != '\t' && s[end] != '\n' && s[end] != '\r' {
		end++
	}
	if end >= len(s) || s[end] != s[j] || end-start < 4 {
		return span{}, false
	}
	return span{start, end}, true
}
