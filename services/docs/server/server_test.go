package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/query4code/query4code/platform/grpcerr"
	"github.com/query4code/query4code/platform/servertest"
	docsv1 "github.com/query4code/query4code/proto/gen/go/query4code/docs/v1"
	"github.com/query4code/query4code/services/docs/internal/popularity"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	fixtureSitePackages = "../internal/installed/testdata/site-packages"
	debianDistPackages  = "/usr/lib/python3/dist-packages"
)

// dial serves a Server built from cfg over bufconn and returns a client.
func dial(t *testing.T, cfg Config) docsv1.DocsServiceClient {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs after the gRPC server has stopped
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return docsv1.NewDocsServiceClient(servertest.Bufconn(t, func(g *grpc.Server) { srv.Register(g) }))
}

func fixtureConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.PythonPaths = []string{fixtureSitePackages}
	cfg.PopularityPath = filepath.Join(t.TempDir(), "popularity.db")
	cfg.CachePath = filepath.Join(t.TempDir(), "docs-cache.db")
	return cfg
}

func TestLookupAPIsFromDebianPackages(t *testing.T) {
	for _, pkg := range []string{"requests", "click"} {
		if fi, err := os.Stat(filepath.Join(debianDistPackages, pkg)); err != nil || !fi.IsDir() {
			t.Skipf("%s/%s is absent: apt-get install -y python3-requests python3-click", debianDistPackages, pkg)
		}
	}
	cfg := DefaultConfig()
	cfg.PythonPaths = []string{debianDistPackages}
	client := dial(t, cfg)
	resp, err := client.LookupAPIs(context.Background(), &docsv1.LookupAPIsRequest{
		Apis: []string{"requests.get", "click.option"}, IncludePopular: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ sig, doc, file, dist string }{
		{"def get(url, params=None, **kwargs)", "Sends a GET request.", "requests/api.py", "requests"},
		{"def option(*param_decls: str, **attrs: t.Any)", "Attaches an option to the command.", "click/decorators.py", "click"},
	}
	for i, info := range resp.GetApis() {
		d := info.GetDoc()
		if d.GetSource() != docsv1.DocSource_DOC_SOURCE_INSTALLED || !strings.Contains(d.GetSignature(), want[i].sig) ||
			!strings.Contains(d.GetDocstring(), want[i].doc) || !strings.HasSuffix(d.GetLocation(), want[i].file) || d.GetVersion() == "" {
			t.Errorf("%s: doc = %v", info.GetApi(), d)
		}
		// Both are among the most downloaded packages of PyPI: popular by the prior.
		p := info.GetPopularity()
		if !p.GetPopular() || p.GetPackage() != want[i].dist || p.GetPackageDownloads() < p.GetMinPackageDownloads() {
			t.Errorf("%s: popularity = %v", info.GetApi(), p)
		}
	}
}

func TestLookupAPIs(t *testing.T) {
	client := dial(t, fixtureConfig(t))
	ctx := context.Background()
	if _, err := client.RecordUsage(ctx, &docsv1.RecordUsageRequest{
		Repository: "github.com/example/app", CallCounts: map[string]int64{"fixturepkg.helpers.helper": 25},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{
		Apis:        []string{"fixturepkg.Widget", "fixturepkg.nope", "fixturepkg.helpers.helper"},
		MaxDocChars: 80,
	})
	if err != nil {
		t.Fatal(err)
	}
	apis := resp.GetApis()
	if len(apis) != 3 {
		t.Fatalf("%d answers", len(apis))
	}
	w := apis[0]
	if w.GetApi() != "fixturepkg.Widget" || w.GetPopularity().GetPopular() || w.GetDoc().GetSource() != docsv1.DocSource_DOC_SOURCE_INSTALLED ||
		w.GetDoc().GetVersion() != "1.2.3" || !w.GetDoc().GetTruncated() || !strings.HasPrefix(w.GetDoc().GetSignature(), "class Widget(Base)") {
		t.Errorf("Widget = %v", w)
	}
	if !strings.Contains(w.GetPopularity().GetReason(), "0 call sites < 10") || w.GetPopularity().GetMinCallSites() != 10 {
		t.Errorf("Widget popularity = %v", w.GetPopularity())
	}
	if n := apis[1]; n.GetDoc() != nil || !strings.HasPrefix(n.GetNotFound(), "not found: installed:") {
		t.Errorf("missing API = %v", n)
	}
	if h := apis[2]; !h.GetPopularity().GetPopular() || h.GetPopularity().GetCallSites() != 25 || h.GetDoc() != nil || h.GetNotFound() != "" {
		t.Errorf("popular API = %v", h)
	}

	again, err := client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{Apis: []string{"fixturepkg.Widget"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := again.GetApis()[0].GetDoc(); d.GetSource() != docsv1.DocSource_DOC_SOURCE_CACHE || d.GetTruncated() {
		t.Errorf("second lookup = %v, want the whole doc from the cache", d)
	}
}

func TestRecordUsage(t *testing.T) {
	client := dial(t, fixtureConfig(t))
	ctx := context.Background()
	resp, err := client.RecordUsage(ctx, &docsv1.RecordUsageRequest{
		Repository: "repo-a", CallCounts: map[string]int64{"numpy.mean": 3, "fixturepkg.build": 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetApis() != 2 || resp.GetCallSites() != 5 || resp.GetRepositories() != 1 {
		t.Errorf("first = %v", resp)
	}
	resp, err = client.RecordUsage(ctx, &docsv1.RecordUsageRequest{Repository: "repo-a", CallCounts: map[string]int64{"numpy.mean": 1}})
	if err != nil || resp.GetRepositories() != 1 || resp.GetCallSites() != 1 {
		t.Errorf("re-record = %v, %v; want still one repository", resp, err)
	}
	look, err := client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{Apis: []string{"fixturepkg.build"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := look.GetApis()[0].GetPopularity().GetCallSites(); got != 0 {
		t.Errorf("fixturepkg.build has %d call sites after repo-a was re-recorded without it", got)
	}
}

func TestInvalidArgument(t *testing.T) {
	client := dial(t, fixtureConfig(t))
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() error
		field  string
		reason string
	}{
		{"malformed api", func() error {
			_, err := client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{Apis: []string{"requests.get", "requests..get"}})
			return err
		}, "apis[1]", "MALFORMED_API_NAME"},
		{"no apis", func() error {
			_, err := client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{})
			return err
		}, "apis", "NO_APIS"},
		{"negative budget", func() error {
			_, err := client.LookupAPIs(ctx, &docsv1.LookupAPIsRequest{Apis: []string{"a.b"}, MaxDocChars: -1})
			return err
		}, "max_doc_chars", "NEGATIVE_BUDGET"},
		{"malformed usage name", func() error {
			_, err := client.RecordUsage(ctx, &docsv1.RecordUsageRequest{Repository: "r", CallCounts: map[string]int64{"a b": 1}})
			return err
		}, "call_counts", "MALFORMED_API_NAME"},
		{"negative count", func() error {
			_, err := client.RecordUsage(ctx, &docsv1.RecordUsageRequest{Repository: "r", CallCounts: map[string]int64{"a.b": -4}})
			return err
		}, "call_counts", "BAD_CALL_COUNT"},
		{"no repository", func() error {
			_, err := client.RecordUsage(ctx, &docsv1.RecordUsageRequest{CallCounts: map[string]int64{"a.b": 1}})
			return err
		}, "repository", "MISSING_REPOSITORY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := status.Convert(tt.call())
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("code = %v (%s), want InvalidArgument", st.Code(), st.Message())
			}
			var field, reason string
			for _, d := range st.Details() {
				switch d := d.(type) {
				case *errdetails.BadRequest:
					field = d.GetFieldViolations()[0].GetField()
				case *errdetails.ErrorInfo:
					reason = d.GetReason()
				}
			}
			if field != tt.field || reason != tt.reason {
				t.Errorf("details: field %q reason %q, want %q %q", field, reason, tt.field, tt.reason)
			}
		})
	}
}

func TestToStatus(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	for _, tt := range []struct {
		err  error
		code codes.Code
		msg  string
	}{
		{nil, codes.OK, ""},
		{context.Canceled, codes.Canceled, ""},
		{context.DeadlineExceeded, codes.DeadlineExceeded, ""},
		{io.ErrUnexpectedEOF, codes.Internal, "internal error"},
	} {
		st := status.Convert(s.toStatus(ctx, tt.err))
		if st.Code() != tt.code || (tt.msg != "" && st.Message() != tt.msg) {
			t.Errorf("toStatus(%v) = %v %q", tt.err, st.Code(), st.Message())
		}
	}
}

func TestNewFailsOnBadConfig(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"missing python path": func(c *Config) { c.PythonPaths = []string{"does/not/exist"} },
		"bad virtualenv":      func(c *Config) { c.Virtualenvs = []string{t.TempDir()} },
		"bad search url":      func(c *Config) { c.WebEnabled, c.WebSearchURL = true, "ftp://x" },
		"unwritable cache":    func(c *Config) { c.CachePath = filepath.Join(t.TempDir(), "no", "such", "dir", "c.db") },
	} {
		cfg := fixtureConfig(t)
		mutate(&cfg)
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if s, err := New(cfg); err == nil {
			_ = s.Close()
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestErrorTable(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tests := []struct {
		err           error
		code          codes.Code
		reason, field string
	}{
		{fmt.Errorf("numpy.mean: %w", popularity.ErrBadCount), codes.InvalidArgument, "BAD_CALL_COUNT", "call_counts"},
		{errEmptyRepository, codes.InvalidArgument, "MISSING_REPOSITORY", "repository"},
		{errNoAPIs, codes.InvalidArgument, "NO_APIS", "apis"},
		{fmt.Errorf("%w: -1", errNegativeBudget), codes.InvalidArgument, "NEGATIVE_BUDGET", "max_doc_chars"},
		{fmt.Errorf("%w: rust", errUnknownLanguage), codes.InvalidArgument, "UNKNOWN_LANGUAGE", "language"},
		{errRepositoryForPython, codes.InvalidArgument, "REPOSITORY_PATH_NOT_FOR_PYTHON", "repository_path"},
		{fmt.Errorf("%w: NUL", errBadRepositoryPath), codes.InvalidArgument, "BAD_REPOSITORY_PATH", "repository_path"},
		{fmt.Errorf("%w: /x", errRepositoryNotFound), codes.InvalidArgument, "REPOSITORY_NOT_FOUND", "repository_path"},
		{fmt.Errorf("%w: /x", errRepositoryNotDir), codes.InvalidArgument, "REPOSITORY_NOT_DIRECTORY", "repository_path"},
		{fmt.Errorf("%w: /x", errOutsideAllowedRoots), codes.PermissionDenied, "OUTSIDE_ALLOWED_ROOTS", "repository_path"},
		{errNoAllowedRoots, codes.PermissionDenied, "OUTSIDE_ALLOWED_ROOTS", "repository_path"},
	}
	if len(tests) != len(errorTable) {
		t.Fatalf("%d rows tested, the table has %d", len(tests), len(errorTable))
	}
	for _, tc := range tests {
		err := s.toStatus(t.Context(), tc.err)
		st := status.Convert(err)
		field := ""
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) == 1 {
				field = br.GetFieldViolations()[0].GetField()
			}
		}
		if st.Code() != tc.code || grpcerr.Reason(err, errorDomain) != tc.reason || field != tc.field {
			t.Errorf("toStatus(%v) = %v reason %q field %q, want %v %q %q", tc.err, st.Code(), grpcerr.Reason(err, errorDomain), field, tc.code, tc.reason, tc.field)
		}
	}
}
