// Command decontamfp derives the fingerprints the orchestrator carries
// (fingerprints.bin.gz) from the evaluation sets' files, so the project never
// carries their code. Run by go generate in the decontam package.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/query4code/query4code/services/orchestrator/internal/decontam"
)

func main() {
	cosqa := flag.String("cosqa", "", "CoSQA code base (code_idx_map.txt)")
	webquery := flag.String("webquery", "", "WebQueryTest (test_webquery.json)")
	out := flag.String("out", "fingerprints.bin.gz", "file to write")
	flag.Parse()
	if err := run(*cosqa, *webquery, *out); err != nil {
		fmt.Fprintln(os.Stderr, "decontamfp:", err)
		os.Exit(1)
	}
}

func run(cosqaPath, webqueryPath, out string) error {
	if cosqaPath == "" || webqueryPath == "" {
		return fmt.Errorf("both -cosqa and -webquery are required")
	}
	var buf bytes.Buffer
	if err := decontam.EncodeFiles(&buf, cosqaPath, webqueryPath); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
