// Package report renders benchmark results as Markdown and PNG charts.
package report

import (
	"fmt"
	"io"
	"strings"
)

// Report is docs/BENCHMARKS.md.
type Report struct {
	Title    string
	Preamble []string // paragraphs before the sections
	Facts    [][2]string
	Sections []Section
}

// Section is one measured thing.
type Section struct {
	Title string
	// Text paragraphs before the table.
	Text []string
	// Commands that produced the numbers, shown as a code block.
	Commands []string
	Table    *Table
	// Charts are image paths relative to the report.
	Charts []Chart
	// Notes after the table.
	Notes []string
	// Err, when set, says why the section has no numbers.
	Err string
}

// Chart is an image in a section.
type Chart struct {
	Alt, Path string
}

// Table is a Markdown table.
type Table struct {
	Header []string
	Rows   [][]string
	// Right aligns every column but the first.
	Right bool
}

// Write renders the report.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	for _, p := range r.Preamble {
		fmt.Fprintf(&b, "%s\n\n", p)
	}
	if len(r.Facts) > 0 {
		writeTable(&b, &Table{Header: []string{"", ""}, Rows: factRows(r.Facts)})
		b.WriteString("\n")
	}
	for _, s := range r.Sections {
		writeSection(&b, s)
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

// WriteSection renders one section alone, as Write renders it inside a report.
func WriteSection(w io.Writer, s Section) error {
	var b strings.Builder
	writeSection(&b, s)
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

// ReplaceSection returns the report doc with the section titled like s
// replaced by s (up to the next "## " heading), or s appended when the
// report has no such section yet.
func ReplaceSection(doc []byte, s Section) []byte {
	var b strings.Builder
	writeSection(&b, s)
	text := strings.TrimRight(b.String(), "\n") + "\n"
	heading := "## " + s.Title + "\n"
	d := string(doc)
	start := strings.Index(d, heading)
	if start < 0 || (start > 0 && d[start-1] != '\n') {
		return []byte(strings.TrimRight(d, "\n") + "\n\n" + text)
	}
	rest := d[start+len(heading):]
	if next := strings.Index(rest, "\n## "); next >= 0 {
		return []byte(d[:start] + text + rest[next:])
	}
	return []byte(d[:start] + text)
}

func writeSection(b *strings.Builder, s Section) {
	fmt.Fprintf(b, "## %s\n\n", s.Title)
	for _, p := range s.Text {
		fmt.Fprintf(b, "%s\n\n", p)
	}
	if s.Err != "" {
		fmt.Fprintf(b, "**Not measured:** %s\n\n", oneLine(s.Err))
	}
	if len(s.Commands) > 0 {
		b.WriteString("```sh\n")
		for _, c := range s.Commands {
			b.WriteString(c + "\n")
		}
		b.WriteString("```\n\n")
	}
	if s.Table != nil && len(s.Table.Rows) > 0 {
		writeTable(b, s.Table)
		b.WriteString("\n")
	}
	for _, c := range s.Charts {
		fmt.Fprintf(b, "![%s](%s)\n\n", c.Alt, c.Path)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "%s\n\n", n)
	}
}

func factRows(facts [][2]string) [][]string {
	rows := make([][]string, len(facts))
	for i, f := range facts {
		rows[i] = []string{f[0], f[1]}
	}
	return rows
}

func writeTable(b *strings.Builder, t *Table) {
	cell := func(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }
	b.WriteString("|")
	for _, h := range t.Header {
		fmt.Fprintf(b, " %s |", cell(h))
	}
	b.WriteString("\n|")
	for i := range t.Header {
		if t.Right && i > 0 {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for i := range t.Header {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			fmt.Fprintf(b, " %s |", cell(v))
		}
		b.WriteString("\n")
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
