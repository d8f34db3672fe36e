package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/platform/grpcerr"
	platformserver "github.com/query4code/query4code/platform/server"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

const npmFixtureRepo = "../internal/npm/testdata/repo"

// serveLoopback runs the docs service on the platform server (interceptors,
// protovalidate) over TCP on 127.0.0.1 and returns a client.
func serveLoopback(t *testing.T, cfg Config) docsv1.DocsServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := platformserver.NewServer(platformserver.DefaultConfig("docs", lis.Addr().String()), logger, platformserver.WithListener(lis))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = logger
	docs, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnShutdown(func(context.Context) error { return docs.Close() })
	docs.Register(srv.GRPC())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return docsv1.NewDocsServiceClient(conn)
}

func npmConfig(t *testing.T) Config {
	cfg := fixtureConfig(t)
	cfg.AllowedRoots = []string{"../internal/npm/testdata"}
	return cfg
}

func TestLookupAPIsNPMOverLoopback(t *testing.T) {
	client := serveLoopback(t, npmConfig(t))
	ctx := context.Background()
	// Scoped and hyphenated names are recorded like Python ones.
	if _, err := client.RecordUsage(ctx, &docsv1.RecordUsageRequest{
		Repository: "web-app", CallCounts: map[string]int64{"@acme/tools.hammer": 2, "js-only.rightPad": 11},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{
		Apis:           []string{"@acme/tools.hammer", "untyped-lib.sub", "js-only.rightPad", "fs.readFile", "typed-pkg.nope", "requests.get"},
		Language:       "typescript",
		RepositoryPath: npmFixtureRepo,
	})
	if err != nil {
		t.Fatal(err)
	}
	apis := resp.GetApis()
	if len(apis) != 6 {
		t.Fatalf("%d answers", len(apis))
	}
	h := apis[0]
	if d := h.GetDoc(); d.GetSource() != docsv1.DocSource_DOC_SOURCE_INSTALLED || d.GetSignature() != "function hammer(nail: Nail, force?: number): void" ||
		d.GetDocstring() != "Drives a nail." || d.GetLocation() != "node_modules/@acme/tools/index.d.ts" || d.GetVersion() != "5.0.0-beta.1" {
		t.Errorf("@acme/tools.hammer doc = %v", d)
	}
	if p := h.GetPopularity(); p.GetPopular() || p.GetCallSites() != 2 || p.GetPackage() != "" || !strings.Contains(p.GetReason(), "no download data for npm packages") {
		t.Errorf("@acme/tools.hammer popularity = %v", p)
	}
	if d := apis[1].GetDoc(); d.GetLocation() != "node_modules/@types/untyped-lib/index.d.ts" || d.GetVersion() != "0.3.1" || !strings.HasPrefix(d.GetDocstring(), "Subtracts nothing") {
		t.Errorf("untyped-lib.sub doc = %v", d)
	}
	if r := apis[2]; !r.GetPopularity().GetPopular() || r.GetDoc() != nil {
		t.Errorf("js-only.rightPad (11 call sites) = %v", r)
	}
	if r := apis[3]; !r.GetPopularity().GetPopular() || !strings.Contains(r.GetPopularity().GetReason(), "Node.js built-in") || r.GetDoc() != nil || r.GetNotFound() != "" {
		t.Errorf("fs.readFile = %v", r)
	}
	if r := apis[4]; r.GetDoc() != nil || !strings.Contains(r.GetNotFound(), `exports no "nope"`) {
		t.Errorf("typed-pkg.nope = %v", r)
	}
	// requests is PyPI's most downloaded package; as an npm name it owes nothing to that.
	if p := apis[5].GetPopularity(); p.GetPopular() || p.GetPackageDownloads() != 0 {
		t.Errorf("requests.get as npm = %v", p)
	}

	// Without a repository: popularity only, said per item.
	resp, err = client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{Apis: []string{"left-pad"}, Language: "javascript"})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.GetApis()[0]; r.GetDoc() != nil || !strings.Contains(r.GetNotFound(), "no repository_path") {
		t.Errorf("left-pad without repository = %v", r)
	}
}

func TestLookupAPIsBadRepositoryPath(t *testing.T) {
	client := serveLoopback(t, npmConfig(t))
	file := filepath.Join(npmFixtureRepo, "node_modules", "js-only", "index.js")
	outside := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    *docsv1.LookupAPIsRequest
		code   codes.Code
		reason string
		field  string
	}{
		{"outside the roots", &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, Language: "javascript", RepositoryPath: outside},
			codes.PermissionDenied, "OUTSIDE_ALLOWED_ROOTS", "repository_path"},
		{"climbing out", &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, Language: "javascript", RepositoryPath: npmFixtureRepo + "/../../../.."},
			codes.PermissionDenied, "OUTSIDE_ALLOWED_ROOTS", "repository_path"},
		{"missing", &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, Language: "javascript", RepositoryPath: npmFixtureRepo + "/nope"},
			codes.InvalidArgument, "REPOSITORY_NOT_FOUND", "repository_path"},
		{"a file", &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, Language: "javascript", RepositoryPath: file},
			codes.InvalidArgument, "REPOSITORY_NOT_DIRECTORY", "repository_path"},
		{"for python", &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, RepositoryPath: npmFixtureRepo},
			codes.InvalidArgument, "REPOSITORY_PATH_NOT_FOR_PYTHON", "repository_path"},
		{"npm name as python", &docsv1.LookupAPIsRequest{Apis: []string{"left-pad"}},
			codes.InvalidArgument, "MALFORMED_API_NAME", "apis[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.LookupAPIs(context.Background(), tt.req)
			st := status.Convert(err)
			field := ""
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
					field = br.GetFieldViolations()[0].GetField()
				}
			}
			if st.Code() != tt.code || grpcerr.Reason(err, errorDomain) != tt.reason || field != tt.field {
				t.Errorf("err = %v %q reason %q field %q, want %v %s %s", st.Code(), st.Message(), grpcerr.Reason(err, errorDomain), field, tt.code, tt.reason, tt.field)
			}
		})
	}
	// A symlink into another directory is judged by where it leads.
	cfg := npmConfig(t)
	cfg.AllowedRoots = []string{filepath.Dir(link)}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close() //nolint:errcheck // test cleanup
	if _, err := s.repository(apidoc.LanguageNPM, link); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("symlink out of the roots: %v", err)
	}
	cfg = npmConfig(t)
	cfg.AllowedRoots = nil
	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close() //nolint:errcheck // test cleanup
	_, err = s2.LookupAPIs(context.Background(), &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, Language: "javascript", RepositoryPath: npmFixtureRepo})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(status.Convert(err).Message(), "--allowed-roots") {
		t.Errorf("no allowed roots: %v", err)
	}
	// The handler checks the language itself, not only protovalidate.
	_, err = s2.LookupAPIs(context.Background(), &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, Language: "rust"})
	if status.Code(err) != codes.InvalidArgument || grpcerr.Reason(err, errorDomain) != "UNKNOWN_LANGUAGE" {
		t.Errorf("unknown language: %v", err)
	}
}
