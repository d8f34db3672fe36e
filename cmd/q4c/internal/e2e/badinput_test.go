package e2e

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	"github.com/query4code/query4code/platform/client"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func dialParser(t *testing.T, addr string) parserv1.ParserServiceClient {
	t.Helper()
	conn, err := client.Dial(addr, client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return parserv1.NewParserServiceClient(conn)
}

// parseAll runs ParseRepository to its end and returns the function ids and stats.
func parseAll(t *testing.T, p parserv1.ParserServiceClient, req *parserv1.ParseRepositoryRequest) ([]string, *parserv1.ParseStats, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stream, err := p.ParseRepository(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return ids, nil, errors.New("stream ended without stats")
		}
		if err != nil {
			return ids, nil, err
		}
		if f := msg.GetFunction(); f != nil {
			ids = append(ids, f.GetId())
		}
		if s := msg.GetStats(); s != nil {
			return ids, s, nil
		}
	}
}

func localReq(path string) *parserv1.ParseRepositoryRequest {
	return &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: path}}}
}

func gitReq(url string) *parserv1.ParseRepositoryRequest {
	return &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: url}}}}
}

// TestBadInputSourcesRefused sends sources that must not be read to the
// parser and the orchestrator processes.
func TestBadInputSourcesRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	allowed, outside := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.py"), []byte("def leak():\n    return 1\n"))
	if err := os.Symlink(outside, filepath.Join(allowed, "escape")); err != nil {
		t.Fatal(err)
	}
	parserProc := processtest.Start(t, "parser", "--allowed-roots", allowed)
	parser := dialParser(t, parserProc.Addr)
	outRoot := t.TempDir()
	orchProc := startOrchestrator(t, parserProc.Addr, deadAddr(t), deadAddr(t), outRoot, "--allowed-roots", allowed)
	orch := dialOrchestrator(t, orchProc.Addr)

	// orchestrator: "" when it refuses the source at SubmitJob, else what
	// the failed job's error must say (the parser's reason).
	tests := []struct {
		name         string
		req          *parserv1.ParseRepositoryRequest
		parserWant   codes.Code
		orchestrator string
	}{
		{"outside the allowed roots", localReq(outside), codes.PermissionDenied, ""},
		{"dot-dot escape", localReq(filepath.Join(allowed, "..", filepath.Base(outside))), codes.PermissionDenied, ""},
		{"symlink escape", localReq(filepath.Join(allowed, "escape")), codes.PermissionDenied, ""},
		{"NUL byte in the path", localReq(allowed + "/\x00x"), codes.InvalidArgument, ""},
		{"file:// git URL", gitReq("file://" + outside), codes.InvalidArgument, ""},
		{"ssh:// git URL", gitReq("ssh://git@github.com/psf/requests.git"), codes.InvalidArgument, ""},
		{"scp-style git URL", gitReq("git@github.com:psf/requests.git"), codes.InvalidArgument, ""},
		{"local path as git URL", gitReq(outside), codes.InvalidArgument, ""},
		{"host off the allowlist", gitReq("https://example.com/x.git"), codes.InvalidArgument, "not on the allowlist"},
		{"credentials in git URL", gitReq("https://user:pw@github.com/psf/requests.git"), codes.InvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseAll(t, parser, tt.req)
			if status.Code(err) != tt.parserWant {
				t.Errorf("parser: %v, want %v", err, tt.parserWant)
			}
			// Through the orchestrator the source is refused at submission or
			// the job fails saying why; either way nothing is annotated.
			resp, err := orch.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{
				Sources: []*parserv1.Source{tt.req.GetSource()},
				Options: &orchestratorv1.JobOptions{OutputDir: filepath.Join(outRoot, strings.ReplaceAll(tt.name, " ", "-"))},
			})
			if tt.orchestrator == "" {
				if c := status.Code(err); c != codes.InvalidArgument && c != codes.PermissionDenied {
					t.Errorf("orchestrator submit: %v, want InvalidArgument or PermissionDenied", err)
				}
				t.Logf("orchestrator: refused at submit: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("orchestrator submit: %v, want the job accepted and then FAILED", err)
			}
			done := doneOf(watchAll(t, orch, resp.GetJobId()))
			if done.GetState() != orchestratorv1.JobState_JOB_STATE_FAILED || done.GetProgress().GetFunctionsDone() != 0 {
				t.Errorf("orchestrator job: %v with %d functions done, want FAILED with none", done.GetState(), done.GetProgress().GetFunctionsDone())
			}
			if !strings.Contains(done.GetError(), tt.orchestrator) {
				t.Errorf("orchestrator job error %q does not say %q", done.GetError(), tt.orchestrator)
			}
			t.Logf("orchestrator: job FAILED: %s", done.GetError())
		})
	}
	if strings.Contains(parserProc.Logs(), "leak") {
		t.Error("parser logs mention a function from outside the allowed roots")
	}
}

// TestBadInputHostileRepository parses repositories the parser must survive:
// empty, no Python, a 50 MB file, 10,000-deep nesting, binary and non-UTF-8
// files. The process stays up and answers each.
func TestBadInputHostileRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	root := t.TempDir()
	good := []byte("def ok(x):\n    return x + 1\n")
	deep := strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000)
	deepCalls := strings.Repeat("f(", 10000) + "0" + strings.Repeat(")", 10000)
	deepList := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	var deepDefs strings.Builder
	for i := range 100 { // 100 nested defs: indentation grows quadratically, so fewer levels
		deepDefs.WriteString(strings.Repeat(" ", i) + "def d" + string(rune('a'+i%26)) + "():\n")
	}
	deepDefs.WriteString(strings.Repeat(" ", 100) + "return 1\n")
	repos := map[string]map[string][]byte{
		"empty":     {},
		"no-python": {"README.md": []byte("# docs only\n"), "data.json": []byte("{}")},
		"large-file": {
			"big.py":  []byte("x = 1\n" + strings.Repeat("# padding line of a fifty megabyte file..........\n", 50<<20/50)),
			"good.py": good,
		},
		"deep-nesting": {
			"deep.py": []byte("def deep():\n    return " + deep + "\n\n\ndef calls():\n    return " + deepCalls +
				"\n\n\ndef lists():\n    return " + deepList + "\n\n\n" + deepDefs.String()),
			"good.py": good,
		},
		"binary-and-non-utf8": {
			"blob.py":   append([]byte("\x7fELF\x00\x00\x01"), make([]byte, 4096)...),
			"latin1.py": []byte("def caf\xe9():\n    return '\xe9t\xe9'\n"),
			"good.py":   good,
		},
	}
	for name, files := range repos {
		for f, data := range files {
			writeFile(t, filepath.Join(root, name, f), data)
		}
		if len(files) == 0 {
			if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	parserProc := processtest.Start(t, "parser", "--allowed-roots", root)
	parser := dialParser(t, parserProc.Addr)

	tests := []struct {
		repo      string
		wantOK    string // a function id that must be reported, if any
		check     func(*parserv1.ParseStats) bool
		checkDesc string
	}{
		{"empty", "", func(s *parserv1.ParseStats) bool { return s.GetFiles() == 0 && s.GetFunctions() == 0 }, "no files, no functions"},
		{"no-python", "", func(s *parserv1.ParseStats) bool { return s.GetFiles() == 0 && s.GetFunctions() == 0 }, "no files, no functions"},
		{"large-file", "good.ok", func(s *parserv1.ParseStats) bool { return s.GetSkippedLargeFiles() == 1 }, "one large file skipped and counted"},
		{"deep-nesting", "good.ok", func(s *parserv1.ParseStats) bool { return s.GetFiles() == 2 }, "both files parsed"},
		{"binary-and-non-utf8", "good.ok", func(s *parserv1.ParseStats) bool { return s.GetSkippedFiles() == 2 }, "binary and latin-1 files skipped and counted"},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			ids, stats, err := parseAll(t, parser, localReq(filepath.Join(root, tt.repo)))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if tt.wantOK != "" && !containsString(ids, tt.wantOK) {
				t.Errorf("functions %v lack %s", ids, tt.wantOK)
			}
			if !tt.check(stats) {
				t.Errorf("stats %v: want %s", stats, tt.checkDesc)
			}
			t.Logf("functions=%d files=%d skipped_large=%d skipped=%d parse_errors=%d issues=%v",
				len(ids), stats.GetFiles(), stats.GetSkippedLargeFiles(), stats.GetSkippedFiles(), stats.GetParseErrorFiles(), stats.GetFileIssues())
		})
	}
	// Still alive after all of it.
	if _, _, err := parseAll(t, parser, localReq(filepath.Join(root, "deep-nesting"))); err != nil {
		t.Errorf("parser after the hostile repositories: %v", err)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// rawCodec sends pre-encoded bytes as a protobuf message, so a test can put
// what the Go protobuf library refuses to marshal (invalid UTF-8) on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// TestBadInputRequests sends invalid UTF-8, oversized strings and absurd
// options to the annotator, parser and orchestrator processes.
func TestBadInputRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a.py"), []byte("def ok():\n    return 1\n"))
	annProc := processtest.Start(t, "annotator")
	parserProc := processtest.Start(t, "parser", "--allowed-roots", root)
	outRoot := t.TempDir()
	orchProc := startOrchestrator(t, parserProc.Addr, deadAddr(t), annProc.Addr, outRoot)
	annConn, err := client.Dial(annProc.Addr, client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = annConn.Close() })
	ann := annotatorv1.NewAnnotatorServiceClient(annConn)
	parser := dialParser(t, parserProc.Addr)
	orch := dialOrchestrator(t, orchProc.Addr)

	// AnnotateRequest{function: CodeFunction{path: "a.py", code: <invalid UTF-8>}}, encoded by hand.
	var fn []byte
	fn = protowire.AppendTag(fn, 1, protowire.BytesType)
	fn = protowire.AppendString(fn, "a.py")
	fn = protowire.AppendTag(fn, 2, protowire.BytesType)
	fn = protowire.AppendBytes(fn, []byte("def f():\n    return '\xff\xfe'\n"))
	var raw []byte
	raw = protowire.AppendTag(raw, 1, protowire.BytesType)
	raw = protowire.AppendBytes(raw, fn)
	var reply []byte
	err = annConn.Invoke(context.Background(), annotatorv1.AnnotatorService_Annotate_FullMethodName, &raw, &reply, grpc.ForceCodec(rawCodec{}))
	if c := status.Code(err); c != codes.InvalidArgument && c != codes.Internal {
		t.Errorf("invalid UTF-8 in a string field: %v, want the request refused (InvalidArgument or gRPC's Internal unmarshal error)", err)
	}
	t.Logf("invalid UTF-8: %v", err)
	if _, err := ann.Annotate(context.Background(), &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{Path: "a.py", Code: "def f():\n    return 1\n"}}); err != nil {
		t.Errorf("annotator after the invalid request: %v", err)
	}

	huge := strings.Repeat("x", 1<<20)
	absurdParse := func(o *parserv1.ParseOptions) *parserv1.ParseRepositoryRequest {
		r := localReq(root)
		r.Options = o
		return r
	}
	submit := func(o *orchestratorv1.JobOptions) error {
		_, err := orch.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{Sources: localSource(root), Options: o})
		return err
	}
	threshold := int32(9)
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"annotate: 1 MiB code (cap 64 KiB)", func() error {
			_, err := ann.Annotate(context.Background(), &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{Path: "a.py", Code: huge}})
			return err
		}, codes.InvalidArgument},
		{"annotate: 1 MiB path", func() error {
			_, err := ann.Annotate(context.Background(), &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{Path: huge, Code: "def f(): pass"}})
			return err
		}, codes.InvalidArgument},
		{"annotate: no function", func() error {
			_, err := ann.Annotate(context.Background(), &annotatorv1.AnnotateRequest{})
			return err
		}, codes.InvalidArgument},
		{"parse: max_file_bytes -1", func() error {
			_, _, err := parseAll(t, parser, absurdParse(&parserv1.ParseOptions{MaxFileBytes: -1}))
			return err
		}, codes.InvalidArgument},
		{"parse: 1 MiB include glob", func() error {
			_, _, err := parseAll(t, parser, absurdParse(&parserv1.ParseOptions{Include: []string{huge}}))
			return err
		}, codes.InvalidArgument},
		{"submit: concurrency 100000", func() error { return submit(&orchestratorv1.JobOptions{Concurrency: 100000}) }, codes.InvalidArgument},
		{"submit: concurrency -1", func() error { return submit(&orchestratorv1.JobOptions{Concurrency: -1}) }, codes.InvalidArgument},
		{"submit: keep_threshold 9", func() error { return submit(&orchestratorv1.JobOptions{KeepThreshold: &threshold}) }, codes.InvalidArgument},
		{"submit: budget -5 USD", func() error { return submit(&orchestratorv1.JobOptions{BudgetUsd: -5}) }, codes.InvalidArgument},
		{"submit: max_file_bytes -1", func() error {
			return submit(&orchestratorv1.JobOptions{Parse: &parserv1.ParseOptions{MaxFileBytes: -1}})
		}, codes.InvalidArgument},
		{"submit: output_dir outside the output root", func() error { return submit(&orchestratorv1.JobOptions{OutputDir: "/etc/q4c"}) }, codes.InvalidArgument},
		{"submit: no sources", func() error {
			_, err := orch.SubmitJob(context.Background(), &orchestratorv1.SubmitJobRequest{})
			return err
		}, codes.InvalidArgument},
		{"watch: unknown job", func() error {
			stream, err := orch.WatchJob(context.Background(), &orchestratorv1.WatchJobRequest{JobId: "no-such-job"})
			if err == nil {
				_, err = stream.Recv()
			}
			return err
		}, codes.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.want {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}
