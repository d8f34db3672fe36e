package dataset

import (
	"fmt"
	"io"
	"slices"
	"strings"

	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
)

func writeCard(w io.Writer, records []*orchestratorv1.Record, excluded []Excluded, files []dataFile, card Card) error {
	var (
		kept, rejected         int
		promptTok, complTok    int64
		cost                   float64
		histogram              [4]int
		models, promptVersions = map[string]bool{}, map[string]bool{}
		keptByRepo, recsByRepo = map[string]int{}, map[string]int{}
		exclByRepo, byReason   = map[string]int{}, map[string]int{}
	)
	for _, e := range excluded {
		exclByRepo[sourceOfID(e.ID)]++
		byReason[e.Reason]++
	}
	for _, r := range records {
		source := sourceOfID(r.GetId())
		if r.GetKept() {
			kept++
			keptByRepo[source]++
		} else {
			rejected++
		}
		recsByRepo[source]++
		if s := r.GetScore(); s >= 0 && s <= 3 {
			histogram[s]++
		}
		promptTok += r.GetPromptTokens()
		complTok += r.GetCompletionTokens()
		cost += r.GetCostUsd()
		if r.GetModel() != "" {
			models[r.GetModel()] = true
		}
		if r.GetPromptVersion() != "" {
			promptVersions[r.GetPromptVersion()] = true
		}
	}
	total := len(records)
	var b strings.Builder
	b.WriteString("# Query4Code dataset\n\n")
	langs := countLanguages(records, excluded)
	fmt.Fprintf(&b, "Pairs of natural-language search queries and %s, annotated with the Query4Code method:\n", functionsIn(langs.order))
	b.WriteString("callee-first summaries with API documentation for unpopular APIs, a query written from code and summary,\n")
	b.WriteString("and reverse validation that scores how well the code answers the query (0 to 3).\n\n")
	if card.Note != "" {
		fmt.Fprintf(&b, "> **Note:** %s\n\n", card.Note)
	}
	writeFunnel(&b, card, byReason, len(excluded), total, kept, rejected)
	writeLanguages(&b, langs)

	writeSplits(&b, records, excluded, card, files)
	writeReasons(&b)
	b.WriteString("## Counts\n\n| | |\n|---|---:|\n")
	fmt.Fprintf(&b, "| Functions annotated | %d |\n", total)
	fmt.Fprintf(&b, "| Pairs kept (score >= %d) | %d |\n", card.KeepThreshold, kept)
	fmt.Fprintf(&b, "| Pairs rejected | %d |\n", rejected)
	fmt.Fprintf(&b, "| Filter rate | %s |\n", percent(rejected, total))
	fmt.Fprintf(&b, "| Functions that failed annotation | %d |\n\n", card.FunctionsFailed)

	b.WriteString("## Score histogram\n\n| Score | Pairs | Share | |\n|---:|---:|---:|---|\n")
	for s := 3; s >= 0; s-- {
		bar := ""
		if total > 0 {
			bar = strings.Repeat("#", (histogram[s]*40+total-1)/total)
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %s |\n", s, histogram[s], percent(histogram[s], total), bar)
	}

	b.WriteString("\n## Tokens and cost\n\n| | |\n|---|---:|\n")
	fmt.Fprintf(&b, "| Prompt tokens | %d |\n", promptTok)
	fmt.Fprintf(&b, "| Completion tokens | %d |\n", complTok)
	fmt.Fprintf(&b, "| Cost (USD) | %.6f |\n", cost)
	if kept > 0 {
		fmt.Fprintf(&b, "| Cost per kept pair (USD) | %.6f |\n", cost/float64(kept))
	}
	fmt.Fprintf(&b, "| LLM requests sent | %d |\n", card.LLMRequests)
	b.WriteString("\nTokens and cost are counted over every record (summary, query and validation calls), including results\n")
	b.WriteString("reused from the cache. LLM requests are every request sent for this dataset, in every run of the job:\n")
	b.WriteString("first tries, retries, repairs of unreadable answers and failed calls; results reused from the cache sent none.\n\n")

	b.WriteString("## Model\n\n")
	fmt.Fprintf(&b, "- Model: %s\n", joinKeys(models))
	fmt.Fprintf(&b, "- Prompt version: %s\n\n", joinKeys(promptVersions))

	b.WriteString("## Source repositories\n\n| Repository | Commit | Licence | Skipped files | Functions | Left out | Records | Kept |\n|---|---|---|---:|---:|---:|---:|---:|\n")
	for _, s := range card.Sources {
		commit := s.Commit
		if commit == "" {
			commit = "unknown"
		}
		license := s.License
		if license == "" {
			license = "unknown"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d | %d |\n", cell(s.Repo), cell(commit), cell(license), s.SkippedFiles,
			s.Functions, exclByRepo[s.Repo], recsByRepo[s.Repo], keptByRepo[s.Repo])
	}
	b.WriteString("\nSkipped files (too large, binary, undecodable) are named with the reason in `manifest.json`.\n")

	b.WriteString("\n")
	writeRedaction(&b, card.Redactions)

	b.WriteString("## Files\n\n")
	fmt.Fprintf(&b, "- `%s/<split>-NNNNN-of-NNNNN.parquet`: kept pairs of each split as Parquet (zstd), one column per record field\n", DataDir)
	fmt.Fprintf(&b, "- `%s`: kept pairs, one JSON record a line\n", PairsFile)
	fmt.Fprintf(&b, "- `%s`: pairs below the threshold, same format\n", RejectedFile)
	fmt.Fprintf(&b, "- `%s`: functions left out of the dataset, with the reason\n", ExcludedFile)
	fmt.Fprintf(&b, "- `%s`: the run's parameters\n", ManifestFile)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFunnel shows how the functions found became pairs: left out by each reason, then annotated,
// then kept, rejected or failed. Functions neither left out nor finished were stopped by the budget.
func writeFunnel(b *strings.Builder, card Card, byReason map[string]int, excluded, annotated, kept, rejected int) {
	found := 0
	for _, s := range card.Sources {
		found += s.Functions
	}
	b.WriteString("## From functions found to pairs kept\n\n| | Functions |\n|---|---:|\n")
	fmt.Fprintf(b, "| Found | %d |\n", found)
	reasons := slices.Clone(Reasons)
	var others []string
	for reason := range byReason {
		if !slices.Contains(reasons, reason) {
			others = append(others, reason)
		}
	}
	slices.Sort(others)
	for _, reason := range append(reasons, others...) {
		fmt.Fprintf(b, "| Left out: %s | %d |\n", cell(reason), byReason[reason])
	}
	fmt.Fprintf(b, "| Annotated | %d |\n", annotated)
	fmt.Fprintf(b, "| Kept (score >= %d) | %d |\n", card.KeepThreshold, kept)
	fmt.Fprintf(b, "| Rejected | %d |\n", rejected)
	fmt.Fprintf(b, "| Failed | %d |\n", card.FunctionsFailed)
	if rest := int64(found-excluded-annotated) - card.FunctionsFailed; rest > 0 {
		fmt.Fprintf(b, "| Not annotated (stopped early) | %d |\n", rest)
	}
	b.WriteString("\nFunctions left out are listed in `" + ExcludedFile + "`; one left out is still summarised when a kept caller needs its summary.\n\n")
}

// languageCounts are the functions of each language left out, annotated, kept and rejected.
type languageCounts struct {
	order []string // languages present, in card order
	by    map[string]*[4]int
}

// The columns of languageCounts.by.
const (
	langExcluded = iota
	langAnnotated
	langKept
	langRejected
)

func countLanguages(records []*orchestratorv1.Record, excluded []Excluded) languageCounts {
	lc := languageCounts{by: map[string]*[4]int{}}
	add := func(lang string, col int) {
		lang = recordLanguage(lang)
		c, ok := lc.by[lang]
		if !ok {
			c = &[4]int{}
			lc.by[lang] = c
			lc.order = append(lc.order, lang)
		}
		c[col]++
	}
	for _, e := range excluded {
		add(e.Language, langExcluded)
	}
	for _, r := range records {
		add(r.GetLanguage(), langAnnotated)
		if r.GetKept() {
			add(r.GetLanguage(), langKept)
		} else {
			add(r.GetLanguage(), langRejected)
		}
	}
	sortLanguages(lc.order)
	return lc
}

// functionsIn names the functions of the languages present: "Python and TypeScript functions".
func functionsIn(langs []string) string {
	if len(langs) == 0 {
		return "functions"
	}
	names := make([]string, len(langs))
	for i, l := range langs {
		names[i] = languageName(l)
	}
	if len(names) == 1 {
		return names[0] + " functions"
	}
	return "functions in " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// writeLanguages shows the funnel of each programming language present.
func writeLanguages(b *strings.Builder, lc languageCounts) {
	b.WriteString("## Programming languages\n\n| Language | Left out | Annotated | Kept | Rejected |\n|---|---:|---:|---:|---:|\n")
	if len(lc.order) == 0 {
		b.WriteString("| none | 0 | 0 | 0 | 0 |\n")
	}
	for _, l := range lc.order {
		c := lc.by[l]
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d |\n", cell(languageName(l)), c[langExcluded], c[langAnnotated], c[langKept], c[langRejected])
	}
	b.WriteString("\nEach record's `language` field says its language: python (.py), javascript (.js .mjs .cjs .jsx) or\ntypescript (.ts .mts .cts .tsx).\n\n")
}

// sourceOfID is the source name of a record or excluded function: its id up to the last colon.
func sourceOfID(id string) string {
	if i := strings.LastIndex(id, ":"); i >= 0 {
		return id[:i]
	}
	return id
}

func percent(n, total int) string {
	if total == 0 {
		return "0.0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}

func joinKeys(m map[string]bool) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// cell escapes a value for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
