package local

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"go.uber.org/goleak"

	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	orchestratorv1 "github.com/query4code/query4code/proto/gen/go/query4code/orchestrator/v1"
	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
	annotatorserver "github.com/query4code/query4code/services/annotator/server"
	docsserver "github.com/query4code/query4code/services/docs/server"
	orchestratorserver "github.com/query4code/query4code/services/orchestrator/server"
	parserserver "github.com/query4code/query4code/services/parser/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fuzzedRPC is one RPC whose request the fuzzer builds.
type fuzzedRPC struct {
	method    string
	request   func() proto.Message
	streaming bool
}

var fuzzedRPCs = []fuzzedRPC{
	{parserv1.ParserService_ParseRepository_FullMethodName, func() proto.Message { return &parserv1.ParseRepositoryRequest{} }, true},
	{docsv1.DocsService_RecordUsage_FullMethodName, func() proto.Message { return &docsv1.RecordUsageRequest{} }, false},
	{docsv1.DocsService_LookupAPIs_FullMethodName, func() proto.Message { return &docsv1.LookupAPIsRequest{} }, false},
	{annotatorv1.AnnotatorService_Summarize_FullMethodName, func() proto.Message { return &annotatorv1.SummarizeRequest{} }, false},
	{annotatorv1.AnnotatorService_GenerateQuery_FullMethodName, func() proto.Message { return &annotatorv1.GenerateQueryRequest{} }, false},
	{annotatorv1.AnnotatorService_Validate_FullMethodName, func() proto.Message { return &annotatorv1.ValidateRequest{} }, false},
	{annotatorv1.AnnotatorService_Annotate_FullMethodName, func() proto.Message { return &annotatorv1.AnnotateRequest{} }, false},
	{orchestratorv1.OrchestratorService_SubmitJob_FullMethodName, func() proto.Message { return &orchestratorv1.SubmitJobRequest{} }, false},
	{orchestratorv1.OrchestratorService_GetJob_FullMethodName, func() proto.Message { return &orchestratorv1.GetJobRequest{} }, false},
	{orchestratorv1.OrchestratorService_ListJobs_FullMethodName, func() proto.Message { return &orchestratorv1.ListJobsRequest{} }, false},
	{orchestratorv1.OrchestratorService_CancelJob_FullMethodName, func() proto.Message { return &orchestratorv1.CancelJobRequest{} }, false},
	{orchestratorv1.OrchestratorService_WatchJob_FullMethodName, func() proto.Message { return &orchestratorv1.WatchJobRequest{} }, true},
}

// expectedCodes are what a handler may answer a request it did not build
// itself. Internal and Unknown are not among them: a panic (turned into
// Internal by the recovery interceptor) or an unmapped error fails the fuzz.
var expectedCodes = map[codes.Code]bool{
	codes.OK: true, codes.InvalidArgument: true, codes.NotFound: true, codes.PermissionDenied: true,
	codes.FailedPrecondition: true, codes.ResourceExhausted: true, codes.AlreadyExists: true,
	codes.OutOfRange: true, codes.DeadlineExceeded: true, codes.Canceled: true, codes.Unavailable: true,
}

// FuzzValidateRequest decodes fuzz bytes as the request of one of the
// suite's RPCs and sends it through the real server stack (protovalidate,
// auth, recovery interceptors, the handler) of all four services running in
// this process on loopback. Undecodable bytes are skipped: gRPC refuses
// them before any handler runs.
func FuzzValidateRequest(f *testing.F) {
	root := f.TempDir()
	repo := filepath.Join(root, "repo")
	if err := os.MkdirAll(filepath.Join(repo, "pkg"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "pkg", "m.py"), []byte("import numpy as np\n\n\ndef mean(xs):\n    return np.mean(xs)\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	parser := parserserver.DefaultConfig()
	parser.AllowedRoots = []string{repo}
	// A host that cannot resolve: a fuzzed git URL fails fast, offline.
	parser.GitAllowedHosts = []string{"git.invalid"}
	docs := docsserver.DefaultConfig()
	docs.DisableInstalled = true
	suite, err := Start(Config{
		Parser: parser, Docs: docs, Annotator: annotatorserver.DefaultConfig(),
		Orchestrator: orchestratorserver.Config{
			StorePath: filepath.Join(root, "orchestrator.db"), OutputRoot: filepath.Join(root, "out"),
			AllowedRoots: []string{repo}, MaxRunningJobs: 1,
		},
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		ShutdownTimeout: 5 * time.Second,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := suite.Close(); err != nil {
			f.Errorf("close suite: %v", err)
		}
	})
	conns := map[string]*grpc.ClientConn{}
	for _, name := range []string{"parser", "docs", "annotator"} {
		conn, err := grpc.NewClient(suite.Addrs[name], grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = conn.Close() })
		conns[name] = conn
	}
	conns["orchestrator"] = suite.Orchestrator
	connFor := func(method string) *grpc.ClientConn {
		for _, name := range []string{"parser", "docs", "annotator"} {
			if strings.HasPrefix(method, "/query4code."+name+".v1.") {
				return conns[name]
			}
		}
		return conns["orchestrator"]
	}

	// Seeds: a valid request per RPC, plus a few known edge cases.
	seeds := []struct {
		rpc int
		msg proto.Message
	}{
		{0, &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}}},
		{0, &parserv1.ParseRepositoryRequest{Source: &parserv1.Source{Kind: &parserv1.Source_Git{Git: &parserv1.GitSource{Url: "file:///etc"}}}}},
		{1, &docsv1.RecordUsageRequest{}},
		{2, &docsv1.LookupAPIsRequest{}},
		{3, &annotatorv1.SummarizeRequest{Function: &annotatorv1.CodeFunction{Path: "a.py", Code: "def f():\n    return 1\n"}}},
		{4, &annotatorv1.GenerateQueryRequest{Function: &annotatorv1.CodeFunction{Path: "a.py", Code: "def f(): pass"}, Summary: "Returns one."}},
		{5, &annotatorv1.ValidateRequest{Function: &annotatorv1.CodeFunction{Path: "a.py", Code: "def f(): pass"}, Query: "return one"}},
		{6, &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{Path: "a.py", Code: "def add(a, b):\n    return a + b\n"}}},
		{7, &orchestratorv1.SubmitJobRequest{Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}}}},
		{7, &orchestratorv1.SubmitJobRequest{Sources: []*parserv1.Source{{Kind: &parserv1.Source_LocalPath{LocalPath: repo}}},
			Options: &orchestratorv1.JobOptions{Concurrency: 1024, OutputDir: "../../etc"}}},
		{8, &orchestratorv1.GetJobRequest{JobId: "x"}},
		{9, &orchestratorv1.ListJobsRequest{PageSize: 1000, PageToken: "garbage"}},
		{10, &orchestratorv1.CancelJobRequest{JobId: "x"}},
		{11, &orchestratorv1.WatchJobRequest{JobId: "x", AfterSequence: 1 << 62}},
	}
	for _, s := range seeds {
		b, err := proto.Marshal(s.msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(s.rpc), b)
	}

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		rpc := fuzzedRPCs[int(which)%len(fuzzedRPCs)]
		req := rpc.request()
		if err := proto.Unmarshal(data, req); err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn := connFor(rpc.method)
		var err error
		if rpc.streaming {
			var stream grpc.ClientStream
			stream, err = conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, rpc.method)
			if err == nil {
				err = stream.SendMsg(req)
			}
			if err == nil {
				_ = stream.CloseSend()
				// Read at most a few messages: a valid watch of a live job may run on.
				for i := 0; i < 64 && err == nil; i++ {
					err = stream.RecvMsg(&emptypb.Empty{})
				}
				if errors.Is(err, io.EOF) {
					err = nil
				}
			}
		} else {
			// Any reply decodes into Empty (as unknown fields): only the status matters.
			err = conn.Invoke(ctx, rpc.method, req, &emptypb.Empty{})
		}
		if c := status.Code(err); !expectedCodes[c] {
			t.Fatalf("%s with %v: unexpected %v", rpc.method, req, err)
		}
	})
}
