package llm

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/query4code/query4code/services/annotator/fakellm"
	"github.com/query4code/query4code/services/annotator/internal/prompt"
)

// chatterRe is what must never reach a record.
var chatterRe = regexp.MustCompile(`(?i)^(?:sure|here is|here's|certainly|of course)|let me know|hope this helps|\*\*|` + "```")

// TestChattyAnswersThroughTheClient annotates Debian's requests through the
// real OpenAI client against fakellm answering 30% of requests in chat
// prose (and, in the second case, refusing some): every stage succeeds or
// fails as bad output, nothing kept carries chat filler, and a dataset's
// worth of pairs is kept.
func TestChattyAnswersThroughTheClient(t *testing.T) {
	fns := installedPackageFunctions(t, "requests")
	if len(fns) < 150 {
		t.Fatalf("%d functions read from requests, want 150 or more", len(fns))
	}
	tests := []struct {
		name      string
		faults    []fakellm.Fault
		wantFault fakellm.Fault
	}{
		{"prose", []fakellm.Fault{fakellm.FaultProse}, fakellm.FaultProse},
		{"prose and refusals", []fakellm.Fault{fakellm.FaultProse, fakellm.FaultRefusal}, fakellm.FaultRefusal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fakellm.Config{FaultRate: 0.3, FaultKinds: tt.faults, Seed: 7}, nil)
			ctx := context.Background()
			kept, failed := 0, 0
			fail := func(stage string, err error) {
				if !errors.Is(err, ErrBadOutput) {
					t.Fatalf("%s stage: %v, want a bad-output failure or success", stage, err)
				}
				failed++
			}
			for _, fn := range fns {
				in := prompt.Input{Function: fn}
				s, err := f.client.Summarize(ctx, in)
				if err != nil {
					fail("summary", err)
					continue
				}
				q, err := f.client.GenerateQuery(ctx, in, s.Text)
				if err != nil {
					fail("query", err)
					continue
				}
				j, err := f.client.Validate(ctx, in, q.Text)
				if err != nil {
					fail("validate", err)
					continue
				}
				if j.Score < 2 {
					continue
				}
				kept++
				for _, text := range []string{s.Text, q.Text} {
					if chatterRe.MatchString(text) || isRefusal(text) {
						t.Errorf("kept %q of %s", text, firstLine(fn.Code))
					}
				}
			}
			counts := f.fake.Counts()
			t.Logf("%d functions, %d kept, %d failed; %d requests, faults %v", len(fns), kept, failed, counts.Requests, counts.ByFault)
			if counts.ByFault[tt.wantFault] < 30 {
				t.Fatalf("fakellm sent %d %s answers: the test did not exercise them", counts.ByFault[tt.wantFault], tt.wantFault)
			}
			if kept < 120 {
				t.Fatalf("%d pairs kept, want 120 or more", kept)
			}
			if tt.wantFault == fakellm.FaultProse && failed > 0 {
				t.Fatalf("%d functions failed on prose answers, which are all readable", failed)
			}
		})
	}
}
