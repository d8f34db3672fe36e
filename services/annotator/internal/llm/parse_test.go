package llm

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseJudgement(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		score       int
		explanation string
		wantErr     bool
	}{
		{"clean", `{"explanation": "Does it.", "score": 3}`, 3, "Does it.", false},
		{"fenced", "```json\n{\"explanation\": \"Partly.\", \"score\": 2}\n```", 2, "Partly.", false},
		{"prose around", "Sure! Here is my answer:\n{\"explanation\": \"Close.\", \"score\": 1}\nHope it helps.", 1, "Close.", false},
		{"score as word", `{"explanation": "x", "score": "two"}`, 2, "x", false},
		{"score word capitalised", `{"explanation": "x", "score": "Three"}`, 3, "x", false},
		{"score as string", `{"explanation": "x", "score": "1"}`, 1, "x", false},
		{"score as float", `{"explanation": "x", "score": 2.0}`, 2, "x", false},
		{"score as fraction", `{"explanation": "x", "score": "3/3"}`, 3, "x", false},
		{"keys differ in case", `{"Explanation": "x", "Score": 0}`, 0, "x", false},
		{"reason key", `{"reason": "because", "score": 2}`, 2, "because", false},
		{"braces in explanation", `{"explanation": "uses {} and \"quotes\"", "score": 2}`, 2, `uses {} and "quotes"`, false},
		{"first object lacks score", `{"note": 1} then {"explanation": "y", "score": 1}`, 1, "y", false},
		{"prose score", "The code mostly answers it.\nScore: 2", 2, "The code mostly answers it", false},
		{"prose score word", "score is three, it does everything", 3, "it does everything", false},
		{"out of range", `{"explanation": "x", "score": 5}`, 0, "", true},
		{"fractional", `{"explanation": "x", "score": 2.5}`, 0, "", true},
		{"negative", `{"explanation": "x", "score": -1}`, 0, "", true},
		{"no score", `I cannot judge this.`, 0, "", true},
		{"empty", ``, 0, "", true},
		{"truncated json", `{"explanation": "x", "sco`, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			score, expl, err := ParseJudgement(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errUnparsable) {
					t.Fatalf("err = %v, want errUnparsable (score %d)", err, score)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if score != tt.score || expl != tt.explanation {
				t.Fatalf("got (%d, %q), want (%d, %q)", score, expl, tt.score, tt.explanation)
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"clean", `{"query": "python read csv into dict"}`, "python read csv into dict", false},
		{"fenced", "```json\n{\"query\": \"sort list of tuples\"}\n```", "sort list of tuples", false},
		{"unclosed fence", "```json\n{\"query\": \"sort dict by value\"}", "sort dict by value", false},
		{"json after a lead-in", "Here you go: {\"query\": \"merge two dicts python\"} — good luck", "merge two dicts python", false},
		{"json in chat", "Sure! Here is my answer:\n{\"query\": \"how to parse http date header python\"}\nLet me know if you need anything else.", "how to parse http date header python", false},
		{"fenced json in chat", "Certainly! Here's the JSON you asked for:\n\n```json\n{\"query\": \"python read config file into dict\"}\n```\n\nI hope this helps!", "python read config file into dict", false},
		{"json value with a lead-in", `{"query": "Here is a concise query: check if port is open python"}`, "check if port is open python", false},
		{"plain line", "how to flatten a nested list in python", "how to flatten a nested list in python", false},
		{"quoted line", `"remove duplicates from list"`, "remove duplicates from list", false},
		{"prefixed line", "Query: check if file exists python", "check if file exists python", false},
		{"bold label", "**Query:** convert bytes to hex string python", "convert bytes to hex string python", false},
		{"bold label and quotes", "**Search query:** \"download file with progress bar python\"", "download file with progress bar python", false},
		{"prefixed among prose", "I thought about it.\nSearch query: parse iso date string\nThanks", "parse iso date string", false},
		{"preamble line", "Here is a concise query:\n\nparse http date header python", "parse http date header python", false},
		{"preamble and sign-off lines", "Sure! Here's a search query for this function:\n`python retry request with exponential backoff`\nLet me know if you'd like alternatives.", "python retry request with exponential backoff", false},
		{"same line preamble", "Certainly, here's the query: strip html tags from string python.", "strip html tags from string python", false},
		{"sign-off after a quoted query", "Sure. `python parse cookie header` I hope this helps!", "python parse cookie header", false},
		{"here is one", "Here's one: python wait for subprocess with timeout", "python wait for subprocess with timeout", false},
		{"thank you as a topic", "thank you email template python", "thank you email template python", false},
		{"operator, not a quote", ">= operator on sets python", ">= operator on sets python", false},
		{"first of a list", "Here are some queries:\n1. python send email with attachment\n2. smtp attachment python", "python send email with attachment", false},
		{"markdown quote", "> python list files in directory recursively", "python list files in directory recursively", false},
		{"starts with here as a word", "here document syntax in python", "here document syntax in python", false},
		{"sure as a word", "make sure directory exists python", "make sure directory exists python", false},
		{"i can't in a real search", "i can't import module from parent directory python", "i can't import module from parent directory python", false},
		{"return in a real search", "return multiple values from function python", "return multiple values from function python", false},
		{"dotted api in a real query", "how to use os.path.join in python", "how to use os.path.join in python", false},
		{"extra spaces", `{"query": "  read   json  file "}`, "read json file", false},
		{"wrong key", `{"search": "x"}`, "", true},
		{"empty query", `{"query": ""}`, "", true},
		{"empty answer", "  \n", "", true},
		{"long prose", "This function is used to do many things.\nIt has several lines.", "", true},
		{"refusal", "I'm sorry, but I can't help with that request.", "", true},
		{"refusal in json", `{"query": "I cannot provide a query for this code."}`, "", true},
		{"as an ai", "As an AI language model, I do not have the ability to search the web.", "", true},
		{"refusal after preamble", "Sure!\nUnfortunately, I am unable to write a query without more context.", "", true},
		{"bare function name", `{"query": "parse_http_date"}`, "", true},
		{"dotted identifier", "werkzeug.http.parse_date", "", true},
		{"camel case name", `{"query": "parseDateHeader"}`, "", true},
		{"name with python", `{"query": "parse_date python"}`, "", true},
		{"call", `{"query": "parse_date(value)"}`, "", true},
		{"code", `{"query": "def parse_date(value): return value"}`, "", true},
		{"assignment", "result = parse(value)", "", true},
		{"one plain word", `{"query": "redirect"}`, "", true},
		{"over long", `{"query": "` + strings.Repeat("word ", 30) + `"}`, "", true},
		// JavaScript and TypeScript.
		{"javascript query", `{"query": "how to debounce a function in javascript"}`, "how to debounce a function in javascript", false},
		{"dotted js api in a real query", "use Array.prototype.reduce to sum values typescript", "use Array.prototype.reduce to sum values typescript", false},
		{"npm package in a real query", "lodash get nested property default value js", "lodash get nested property default value js", false},
		{"camel case name with javascript", `{"query": "parseDate javascript"}`, "", true},
		{"name with typescript and function", `{"query": "formatDuration function typescript"}`, "", true},
		{"dollar identifier", `{"query": "$http js"}`, "", true},
		{"js function", `{"query": "function debounce(fn, wait)"}`, "", true},
		{"js binding", "const value = get(obj, key)", "", true},
		{"typed binding", "let total: number = 0", "", true},
		{"require", `{"query": "require('left-pad')"}`, "", true},
		{"es import", "import { get } from 'lodash'", "", true},
		{"exports assignment", "module.exports = debounce", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errUnparsable) {
					t.Fatalf("err = %v (got %q), want errUnparsable", err, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"plain", "Reads a config file and validates it.", "Reads a config file and validates it.", false},
		{"prefixed", "Summary: Reads a file.", "Reads a file.", false},
		{"bold prefix", "**Summary:** Reads a file.", "Reads a file.", false},
		{"heading", "### Summary\nReads a file.", "Reads a file.", false},
		{"fenced", "```\nReads a file.\n```", "Reads a file.", false},
		{"json", `{"summary": "Reads a file."}`, "Reads a file.", false},
		{"json in prose", "Sure, here is the JSON:\n{\"summary\": \"Reads a file.\"}\nHope this helps!", "Reads a file.", false},
		{"quoted", `"Reads a file."`, "Reads a file.", false},
		{"fakellm prose", "Sure! Here is my answer:\nParses an HTTP date header into a datetime.\nLet me know if you need anything else.",
			"Parses an HTTP date header into a datetime.", false},
		{"preamble on the same line", "Certainly, here's the summary: Parses an HTTP date header into a datetime.", "Parses an HTTP date header into a datetime.", false},
		{"concise summary lead-in", "Here is a concise summary of the function:\n\nIt opens the file, reads it as JSON and returns a dict.",
			"It opens the file, reads it as JSON and returns a dict.", false},
		{"sign-off sentence on the last line", "Reads a config file into a dict. I hope this helps!", "Reads a config file into a dict.", false},
		{"sign-off after two spaces", "Reads a config file into a dict.  Let me know if you'd like more detail.", "Reads a config file into a dict.", false},
		{"thank you sign-off", "Reads a config file into a dict.\nThank you!", "Reads a config file into a dict.", false},
		{"two sign-offs", "Reads a config file into a dict.\n\nI hope this helps! Let me know if you have any other questions.", "Reads a config file into a dict.", false},
		{"several paragraphs kept", "Reads a config file.\nIt falls back to defaults when the file is missing.",
			"Reads a config file.\nIt falls back to defaults when the file is missing.", false},
		{"fenced in chat", "Of course! Here's the summary:\n```text\nSorts the rows by date.\n```\nFeel free to ask for changes.", "Sorts the rows by date.", false},
		{"starts with here as a word", "Here documents are expanded before the command runs.", "Here documents are expanded before the command runs.", false},
		{"here with a colon inside", "Here the parser splits on colons: each part becomes a key.", "Here the parser splits on colons: each part becomes a key.", false},
		{"this is with a colon", "This is one of the core helpers: it parses arguments and runs the command.", "This is one of the core helpers: it parses arguments and runs the command.", false},
		{"sure with a hyphen", "Sure-fire check that the lock file is released.", "Sure-fire check that the lock file is released.", false},
		{"interjection with a dash", "Certainly — here is the summary: Parses a cookie header.", "Parses a cookie header.", false},
		{"label word with a hyphen", "Query-string parser that keeps blank values.", "Query-string parser that keeps blank values.", false},
		{"label with a dash", "Summary - Parses a cookie header.", "Parses a cookie header.", false},
		{"return as a verb", "Return the mean of the values.", "Return the mean of the values.", false},
		{"sure as a word", "Makes sure the cache directory exists, creating it if needed.", "Makes sure the cache directory exists, creating it if needed.", false},
		{"thanks inside a sentence", "Sends a thanks email to each new user.", "Sends a thanks email to each new user.", false},
		{"empty", "  \n ", "", true},
		{"only chatter", "Sure! Here is my answer:\nLet me know if you need anything else.", "", true},
		{"refusal", "I'm sorry, but I can't summarize this code.", "", true},
		{"refusal after interjection", "Sure. As an AI language model, I cannot run code, but ...", "", true},
		{"apology", "My apologies, I cannot determine what this function does.", "", true},
		{"identifier only", "parse_http_date", "", true},
		{"dotted identifier", "`werkzeug.http.parse_date`", "", true},
		{"code echoed", "def parse_date(value):\n    return value", "", true},
		{"one word", "Parser", "", true},
		// JavaScript and TypeScript.
		{"jsdoc answer", "/**\n * Formats a duration in milliseconds as text.\n * @param {number} ms\n */", "Formats a duration in milliseconds as text.", false},
		{"jsdoc on one line in chat", "Sure! Here is the summary:\n/** Debounces {@link save} calls. */", "Debounces save calls.", false},
		{"prose about constructors", "Constructor that stores the width and fills with spaces.", "Constructor that stores the width and fills with spaces.", false},
		{"prose naming a js api", "Reads the file with fs.readFile and parses it as JSON.", "Reads the file with fs.readFile and parses it as JSON.", false},
		{"line comments", "// Formats a duration as text.\n// Negative durations read as zero.", "Formats a duration as text.\nNegative durations read as zero.", false},
		{"jsdoc with only tags", "/**\n * @returns {string}\n */", "", true},
		{"js function echoed", "function formatDate(d) {\n  return d.toISOString();\n}", "", true},
		{"ts arrow echoed", "export const pad = (s: string): string => s.padStart(2)", "", true},
		{"camel case only", "`formatDuration`", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSummary(tt.in)
			if tt.wantErr {
				if !errors.Is(err, errUnparsable) {
					t.Fatalf("err = %v (got %q), want errUnparsable", err, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add("Sure! Here is a concise query:\n`python parse date`\nLet me know if you need anything else.")
	f.Add(`{"query": "parse_date"}`)
	f.Add("> how to x")
	f.Fuzz(func(t *testing.T, in string) {
		q, err := ParseQuery(in)
		if err == nil && (checkQuery(q) != nil || signOffRe.MatchString(q)) {
			t.Fatalf("accepted %q from %q", q, in)
		}
	})
}

func FuzzParseSummary(f *testing.F) {
	f.Add("Sure! Here is my answer:\nReads a file.\nLet me know if you need anything else.")
	f.Add("**Summary:** `x`")
	f.Add("I'm sorry")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSummary(in)
		if err == nil && (strings.TrimSpace(s) == "" || signOffRe.MatchString(s) || isRefusal(s)) {
			t.Fatalf("accepted %q from %q", s, in)
		}
	})
}

func FuzzParseJudgement(f *testing.F) {
	f.Add(`{"explanation": "x", "score": 2}`)
	f.Add("```json\n{\"score\": \"two\"}\n```")
	f.Add("Score: 3")
	f.Fuzz(func(t *testing.T, in string) {
		score, _, err := ParseJudgement(in)
		if err == nil && (score < 0 || score > MaxScore) {
			t.Fatalf("score %d out of range for %q", score, in)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"fractional seconds", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{"milliseconds win", map[string]string{"Retry-After": "1", "retry-after-ms": "250"}, 250 * time.Millisecond},
		{"http date", map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
		{"negative", map[string]string{"Retry-After": "-4"}, 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.header {
			h.Set(k, v)
		}
		if got := parseRetryAfter(h, now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPrices(t *testing.T) {
	table := DefaultPrices()
	tests := []struct {
		model      string
		wantPriced bool
		wantCost   float64 // for 1M prompt + 1M completion tokens
	}{
		{"gpt-4o-mini", true, 0.75},
		{"gpt-4o-mini-2024-07-18", true, 0.75},
		{"gpt-4o-2024-08-06", true, 12.5},
		{"llama3:8b", false, 0},
	}
	for _, tt := range tests {
		cost, priced := table.Cost(tt.model, 1_000_000, 1_000_000)
		if priced != tt.wantPriced || cost != tt.wantCost {
			t.Errorf("%s: cost %v priced %v, want %v %v", tt.model, cost, priced, tt.wantCost, tt.wantPriced)
		}
	}
	custom, err := ParsePrices("llama3:8b=0.1/0.2, gpt-4o-mini=1/2", table)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := custom.Cost("llama3:8b", 1_000_000, 1_000_000); !ok || c < 0.3-1e-9 || c > 0.3+1e-9 {
		t.Errorf("custom llama cost %v %v", c, ok)
	}
	if c, _ := custom.Cost("gpt-4o-mini", 1_000_000, 0); c != 1 {
		t.Errorf("override not applied: %v", c)
	}
	if c, _ := table.Cost("gpt-4o-mini", 1_000_000, 0); c != 0.15 {
		t.Errorf("ParsePrices modified its base: %v", c)
	}
	for _, bad := range []string{"nomodel", "m=1", "m=x/1", "m=1/-2", "=1/2"} {
		if _, err := ParsePrices(bad, nil); err == nil {
			t.Errorf("ParsePrices(%q): want an error", bad)
		}
	}
}
