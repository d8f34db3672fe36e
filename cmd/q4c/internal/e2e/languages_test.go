package e2e

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	"github.com/query4code/query4code/platform/client"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	"github.com/query4code/query4code/services/annotator/fakellm"
)

// TestAnnotatorProcessJavaScriptAndTypeScript calls the annotator binary over loopback gRPC, through
// its whole interceptor chain, for a JavaScript and a TypeScript function against fakellm: the answers
// are in the function's language, and a language the annotator has no prompts for is refused by the
// request's validation rule.
func TestAnnotatorProcessJavaScriptAndTypeScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	llm := startFakeLLM(t, fakellm.Config{})
	ann := processtest.Start(t, "annotator", annotatorFlags(llm, 1)...)
	conn, err := client.Dial(ann.Addr, client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := annotatorv1.NewAnnotatorServiceClient(conn)
	for _, tc := range []struct{ lang, path, code string }{
		{"javascript", "lib/text.js", "/**\n * Collapses runs of blank lines.\n */\nexports.squeezeLines = function (text) {\n  return text.replace(/\\n{3,}/g, '\\n\\n');\n};\n"},
		{"typescript", "src/text.tsx", "export function squeezeLines(text: string): string {\n  return text.replace(/\\n{3,}/g, `\\n\\n`);\n}\n"},
	} {
		resp, err := c.Annotate(context.Background(), &annotatorv1.AnnotateRequest{
			Function: &annotatorv1.CodeFunction{Path: tc.path, Language: tc.lang, Code: tc.code},
			ApiDocs:  []*annotatorv1.APIDocContext{{Api: "@tiny/text.squeeze", Doc: "squeeze(s: string): string"}},
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.lang, err)
		}
		if want := "how to squeeze lines in " + tc.lang; resp.GetQuery() != want || !resp.GetKept() || resp.GetPromptVersion() != "v2" {
			t.Errorf("%s: query %q kept %v version %s, want %q kept", tc.lang, resp.GetQuery(), resp.GetKept(), resp.GetPromptVersion(), want)
		}
		if !strings.HasPrefix(resp.GetSummary(), "Squeeze lines:") || resp.GetUsage().GetLlmCalls() != 3 {
			t.Errorf("%s: summary %q after %d calls", tc.lang, resp.GetSummary(), resp.GetUsage().GetLlmCalls())
		}
	}
	_, err = c.Annotate(context.Background(), &annotatorv1.AnnotateRequest{
		Function: &annotatorv1.CodeFunction{Path: "a.rb", Language: "ruby", Code: "def f; end"}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "function.language") {
		t.Errorf("language ruby: %v, want InvalidArgument naming function.language", err)
	}
}
