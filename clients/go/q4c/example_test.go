package q4c_test

import (
	"context"
	"fmt"
	"log"

	"github.com/query4code/query4code/clients/go/q4c"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

const splitMultiline = `def split_multiline(value):
    """Split a multiline string into a list, excluding blank lines."""
    return [l for l in (x.strip() for x in value.split('\n')) if l]
`

// Annotate one function, giving the summaries of the functions it calls.
// The annotator here runs its offline back-end, whose answers are
// deterministic.
func ExampleClient_Annotate() {
	client, err := q4c.Dial(annotatorAddr, q4c.Options{}) // e.g. "localhost:50053"
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = client.Close() }()

	res, err := client.Annotate(context.Background(),
		q4c.Function{Path: "textutil/lines.py", Code: splitMultiline},
		q4c.WithCallees(q4c.Callee{ID: "textutil.clean.strip_all", Summary: "Strips whitespace from every line."}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("query:", res.Query)
	fmt.Println("score:", res.Score, "kept:", res.Kept)
	fmt.Println("model:", res.Model, "prompt:", res.PromptVersion)
	fmt.Println("callees used:", res.Context.CalleesUsed)
	// Output:
	// query: how to split multiline string into list excluding blank in python
	// score: 3 kept: true
	// model: offline prompt: v2
	// callees used: [textutil.clean.strip_all]
}

// Annotate several functions with at most 4 calls in flight. Results come
// back in input order; one failing item does not stop the others.
func ExampleClient_AnnotateBatch() {
	client, err := q4c.Dial(annotatorAddr, q4c.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = client.Close() }()

	reqs := []q4c.Request{
		{Function: q4c.Function{Path: "textutil/lines.py", Code: splitMultiline}},
		{Function: q4c.Function{Path: "mathutil.py", Code: "def mean(xs):\n    \"\"\"Return the arithmetic mean of a list of numbers.\"\"\"\n    return sum(xs) / len(xs)\n"}},
		{Function: q4c.Function{Path: "legacy.cbl", Code: "DISPLAY 'HI'.", Language: "cobol"}},
	}
	results, err := client.AnnotateBatch(context.Background(), reqs, 4)
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil {
			fmt.Printf("%s: error: %s\n", reqs[i].Function.Path, q4c.Code(r.Err))
			continue
		}
		fmt.Printf("%s: %s\n", reqs[i].Function.Path, r.Result.Query)
	}
	// Output:
	// textutil/lines.py: how to split multiline string into list excluding blank in python
	// mathutil.py: how to get arithmetic mean of list of numbers in python
	// legacy.cbl: error: InvalidArgument
}

// Submit a job and follow it to the end. The watch resumes after broken
// streams (the test orchestrator here drops every stream after two events)
// without losing or repeating an event.
func ExampleClient_WatchJob() {
	client, err := q4c.Dial(orchestratorAddr, q4c.Options{}) // e.g. "localhost:50054"
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	ctx := context.Background()

	sub, err := client.SubmitJob(ctx, q4c.JobSpec{
		Sources: []*parserv1.Source{q4c.LocalSource("/data/repos/bookshelf"), q4c.GitSource("https://github.com/psf/requests", "v2.32.3")},
		Options: &orchestratorv1.JobOptions{Concurrency: 16},
	})
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range client.WatchJob(ctx, sub.JobID, 0) {
		if err != nil {
			log.Fatal(err)
		}
		switch kind := ev.GetKind().(type) {
		case *orchestratorv1.JobEvent_Progress:
			fmt.Printf("%d progress: %s, %d/%d functions\n", ev.GetSequence(), kind.Progress.GetStage(), kind.Progress.GetFunctionsDone(), kind.Progress.GetFunctionsTotal())
		case *orchestratorv1.JobEvent_Pair:
			fmt.Printf("%d pair: %s -> %q (score %d)\n", ev.GetSequence(), kind.Pair.GetFunction(), kind.Pair.GetQuery(), kind.Pair.GetScore())
		case *orchestratorv1.JobEvent_Error:
			fmt.Printf("%d error: %s\n", ev.GetSequence(), kind.Error.GetMessage())
		case *orchestratorv1.JobEvent_Done:
			fmt.Printf("%d done: %s\n", ev.GetSequence(), kind.Done.GetState())
		}
	}
	// Output:
	// 1 progress: STAGE_PARSING, 0/0 functions
	// 2 pair: bookshelf.main -> "python function returning a constant" (score 2)
	// 3 pair: requests.main -> "python function returning a constant" (score 2)
	// 4 progress: STAGE_ANNOTATING, 2/2 functions
	// 5 done: JOB_STATE_SUCCEEDED
}
